"""Every finding id the validator can report, in one registry: the domain rules and the stages.

Domain rules register in :mod:`validate.rules` (one module each); the stages register their
finding ids here, with the sentence the SARIF report and the documentation use. The
configuration (``rules:``, ``profiles:``) and the suppression annotations are checked against
this registry, and the pipeline refuses a finding whose id is not in it: a misspelt or renamed
id fails loudly instead of passing silently.
"""

from __future__ import annotations

import difflib
import re
from functools import cache
from types import ModuleType
from typing import NamedTuple

from yamllint.rules import _RULES as _YAMLLINT_RULES

from validate.rules import RULE_IDS, registry, sections, title

YAMLLINT_PREFIX = "yamllint-"


class Stage(NamedTuple):
    """A stage's finding id: what it means (one line) and what a user does about it (one sentence,
    printed as the ``fix:`` line of the text report, in ``gitops-validate rules ID``, in the SARIF
    rule's help and in docs/rules.md)."""

    title: str
    fix: str


# Stage finding ids -> what they mean and how to fix them. A stage that reports a new id adds it here;
# read the code that emits the finding before writing its fix.
STAGES: dict[str, Stage] = {
    # discover: walking the repository
    "discover-symlink-loop": Stage("A symbolic link is a loop; it is not followed",
        "Remove the link or point it at a real file or folder inside the repository"),
    "discover-symlink-escape": Stage("A symbolic link points outside the repository; it is not followed",
        "Copy what the link points at into the repository, or remove the link: Argo CD reads only the repository"),
    "discover-special-file": Stage("A named pipe, socket or device is not read",
        "Remove the named pipe, socket or device from the repository, or list it in .gitignore"),
    "discover-kustomization-ambiguous": Stage("A folder has more than one kustomization file",
        "Keep one kustomization file in the folder (kustomization.yaml, kustomization.yml or Kustomization) and merge the others "
        "into it"),
    "discover-include-cycle": Stage("Kustomizations include each other in a cycle",
        "Remove one of the entries in the cycle; share what both need through a third folder or a Component"),
    "discover-outside-reference": Stage("A kustomization refers to a file outside the repository",
        "Move the file or folder into the repository and refer to it there, or fetch it as a remote base"),
    "discover-nested-repository": Stage("A folder is a git repository of its own and is checked on its own",
        "Run gitops-validate inside that repository, or make its files part of this one (not a nested checkout)"),
    "discover-no-git": Stage("git could not list the files; the folder was walked without .gitignore",
        "Run the validator in a git checkout with git on PATH, so that .gitignore is honoured; nothing to change in the manifests"),
    # load: reading YAML safely
    "load-unreadable": Stage("The file cannot be read",
        "Make the file readable by the user running the validator, or remove it if it is not a manifest"),
    "load-oversize": Stage("The file is over the size limit",
        "Split the file into smaller ones; if it really is one manifest, raise limits.maxFileBytes in .gitops-validate.yaml"),
    "load-binary": Stage("The file is binary data, not YAML",
        "Remove the file, or rename it so that its name does not end in .yaml or .yml (such files are read as YAML)"),
    "load-encoding": Stage("The file is not valid UTF-8",
        "Save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`) and retype the character at the reported position"),
    "load-syntax": Stage("The file is not valid YAML",
        "Correct the YAML at the reported line and column (indentation, a missing colon or quote, an alias without its anchor)"),
    "load-invalid-scalar": Stage("A scalar is not a valid value of its tag",
        "Give the tagged value a valid literal of its tag, or drop the explicit tag (`!!int`, `!!bool`...) and quote the string"),
    "load-too-many-documents": Stage("The file has more documents than the limit",
        "Split the file into several files; if it is meant to hold that many, raise limits.maxDocuments in .gitops-validate.yaml"),
    "load-recursive-alias": Stage("An alias refers to a node that contains it",
        "Replace the alias inside its own anchored node with a copy of the data it means"),
    "load-unsafe-tag": Stage("A tag is not a standard YAML tag",
        "Remove the tag and write the value as plain YAML data (a mapping, list, string, number or boolean)"),
    "load-too-deep": Stage("The nesting is deeper than the limit",
        "Flatten the structure; if the nesting is intended, raise limits.maxDepth in .gitops-validate.yaml"),
    "load-complex-key": Stage("A mapping or sequence is used as a mapping key",
        "Use a string as the key; move the mapping or list to the key's value"),
    "load-duplicate-key": Stage("A mapping has the same key twice",
        "Keep one of the keys (with the value you mean) and delete the other"),
    "load-alias-bomb": Stage("Aliases expand the document beyond the node limit",
        "Write the data out without nested aliases, or remove the aliases that multiply the document"),
    # render: kustomize as Argo CD runs it
    "render-failed": Stage("The path does not render with kustomize as Argo CD would render it",
        "Run `kustomize build` on the path, fix the cause the message quotes, and follow the hint after the semicolon when there "
        "is one"),
    "render-remote": Stage("A remote reference is not in the source cache (or follows a branch), so it is not checked",
        "Run `gitops-validate sources pull` for a git base pinned with `?ref=` (the message says when it applies), pin a"
        " branch to a tag or commit, or vendor a remote file (`kustomize localize`); Argo CD itself fetches it at sync"),
    "render-unsafe-input": Stage("The path reads a file that failed the loader's safety checks and is not rendered",
        "Fix the load finding of the file it reads (reported at that file); the path is rendered once the file loads"),
    # cache
    "cache-unwritable": Stage("The render cache cannot be written; the run goes on without storing renders",
        "Set GITOPS_VALIDATE_CACHE_DIR to a writable folder, free disk space, or pass --no-cache; the findings are the same "
        "without the cache"),
    # kustomize: build failures at their root cause, transformers that do nothing, deprecations
    "kustomize-missing-path": Stage("A kustomization entry names a file or folder that does not exist",
        "Create the file or folder, correct the path (to the did-you-mean, when the message has one), or remove the entry from the "
        "kustomization"),
    "kustomize-wrong-kind": Stage("A Component is listed as a resource, or a Kustomization as a component",
        "List a Component folder under components and a Kustomization under resources, or change the included file's kind"),
    "kustomize-load-restrictor": Stage("A kustomization reads a file outside its folder",
        "Move the file into the kustomization's folder, or include the folder that holds it as a resource"),
    "kustomize-patch-target": Stage("A strategic-merge patch names an object the kustomization does not have",
        "Set the patch's kind, metadata.name and metadata.namespace to an object of the kustomization, or select it with a "
        "target: in the patches entry"),
    "kustomize-json-patch-path": Stage("A JSON 6902 patch operation's path does not exist in its target",
        "Correct the op's path to one that exists in the target, or use `add`, which creates the last segment"),
    "kustomize-duplicate-object": Stage("The same object is added twice to a render",
        "Remove one of the two objects, or change the second into a patch of the first"),
    "kustomize-replacement-source": Stage("A replacement's source selects nothing",
        "Correct the replacement source's kind and name (and namespace) to an object the kustomization renders"),
    "kustomize-noop-patch": Stage("A patch's target selects no object: the patch changes nothing",
        "Correct the patch target's selector (kind, name, namespace, labels) to match an object, or remove the patch"),
    "kustomize-noop-image": Stage("An images entry matches no container image: the override changes nothing",
        "Write the images entry's name as the container image's name without tag or digest, or remove the entry"),
    "kustomize-noop-replacement": Stage("A replacement target selects no object",
        "Correct the replacement target's select to match an object, or remove that target"),
    "kustomize-noop-metadata": Stage("Labels, annotations, a prefix, a namespace or patches on a kustomization without objects",
        "Add the resources the setting is meant for, or remove the setting from the kustomization"),
    "kustomize-namespace-mismatch": Stage("The kustomization's namespace contradicts the Argo CD destination",
        "Make the kustomization's namespace and the Application's destination.namespace the same"),
    "kustomize-overridden": Stage("An Argo CD Application overrides the kustomization's namespace or name prefix",
        "Set the namespace or name prefix in one place: the kustomization or the Application's source.kustomize"),
    "kustomize-deprecated": Stage("A deprecated kustomization field (kustomize warns on every build)",
        "Rewrite the field as the message says (`kustomize edit fix` does it for most)"),
    # schema: strict JSON schemas
    "schema-identity": Stage("The object has no valid apiVersion or kind",
        "Give the object a non-empty apiVersion and kind, or remove the document if it is not a Kubernetes object"),
    "schema-unknown-kind": Stage("No schema is known for the object's kind",
        "Correct kind and apiVersion (the message names a close match when there is one), or add the kind's CRD to the "
        "repository, pass --crd or --schema-dir, or list it under skipKinds"),
    "schema-unknown-field": Stage("The object has a field its schema does not define",
        "Remove the field or correct its name; a did-you-mean in the message names the nearest one"),
    "schema-required": Stage("The object lacks a required field",
        "Add the missing field the message names"),
    "schema-type": Stage("A field has the wrong type",
        "Give the field a value of the type the message names (quote a number meant as a string, unquote one meant as a number)"),
    "schema-enum": Stage("A field has a value its schema does not allow",
        "Use one of the values the message lists"),
    "schema-quantity": Stage("A field is not a Kubernetes quantity",
        "Write the value as a Kubernetes quantity (such as 500m, 1Gi or 512Mi); the did-you-mean gives one when it can"),
    "schema-invalid": Stage("The object does not match its strict schema",
        "Change the value so that it meets the constraint the message quotes from the schema"),
    "schema-crd": Stage("A CustomResourceDefinition's schema cannot be used",
        "Correct the CustomResourceDefinition's openAPIV3Schema where the message says"),
    "schema-kustomization": Stage("A kustomization file does not match its schema",
        "Correct the kustomization as the message says (kind is Kustomization or Component, fields as kustomize defines them)"),
    # sources: the offline cache of charts and remote git sources
    "source-missing": Stage("A remote source (chart or git repository) is not in the offline source cache",
        "Run `gitops-validate sources pull` to fetch the source into the cache, then rerun"),
    "source-digest": Stage("A cached source differs from the digest the lock file records",
        "Review the change the message names; when it is intended, `gitops-validate sources pull --update` re-locks it; when the"
        " source is not locked yet, run `gitops-validate sources pull` and commit gitops-sources.lock"),
    # helm: Applications' chart sources rendered as Argo CD renders them
    "helm-render": Stage("The chart does not render with Helm as Argo CD would render it",
        "Run `helm template` with the Application's values to see the error, then correct the values or the chart"),
    "helm-values-file": Stage("A values file or parameter of the Helm source cannot be read",
        "Correct the valueFiles entry (relative to the chart; `$ref/path` for another source), the inline values or the parameter"
        " the message names, or set ignoreMissingValueFiles for a file that may be absent"),
    "helm-values-unknown": Stage("A values key that the chart neither defines nor reads",
        "Remove the key or correct its name to one of the chart's values (a did-you-mean in the message names the nearest one)"),
    "helm-values-type": Stage("A values key whose type contradicts the chart's default",
        "Give the key a value of the type of the chart's default"),
    "helm-values-schema": Stage("The values do not match the chart's values.schema.json",
        "Change the value to meet the chart's values.schema.json as the message says"),
    "helm-lint": Stage("helm lint reports a problem in a chart of this repository",
        "Fix the chart as helm lint's message says"),
    # apivalidation: the API server's semantic validation, offline (validate/apivalidation, docs/apivalidation.md)
    "apivalidation-invalid": Stage("The API server refuses the object (its semantic validation, beyond the schema)",
        "Correct the field the message names: the API server would refuse the object at sync"),
    "apivalidation-warning": Stage("The API server accepts the object with a warning",
        "Follow the warning (usually a deprecated field or annotation); the object is accepted as is"),
    "apivalidation-seldon-pod": Stage("A SeldonDeployment pod spec makes the operator's Deployment fail validation",
        "Correct the SeldonDeployment's componentSpecs pod spec at the field the message names"),
    # server: gitops-validate --server, the verdicts of a real API server (validate/servermode.py)
    "server-invalid": Stage("The API server refused the object (strict server-side dry-run)",
        "Correct the field the API server names in its message"),
    "server-warning": Stage("The API server accepted the object with a warning",
        "Follow the API server's warning; the object is accepted as is"),
    "server-unchecked": Stage("The API server could not judge the object (unknown kind, missing namespace)",
        "Install the kind's CRD (or pass --crd), or create the namespace, so the server can judge the object"),
    # suppressions
    "suppression-reason": Stage("A rule suppression must say why the rule does not apply",
        "Write why the rule does not apply as the annotation's value"),
    "suppression-unknown-rule": Stage("A suppression annotation names no rule of the validator",
        "Correct the rule id in the annotation (`gitops-validate rules` lists them), or remove the annotation; stage findings "
        "cannot be suppressed"),
    # Registered ahead for the realworld branch (issue 10), which reports it; a stage that reports an
    # id missing here fails loudly.
    "schema-not-kubernetes": Stage("The object is not a Kubernetes API object",
        "Nothing to change if the file is not meant for a cluster; otherwise correct its apiVersion"),
}


# The stages' id families, described by their prefix (SARIF's rule descriptors use them).
FAMILIES = {
    "load-": "The YAML file cannot be read safely",
    "yamllint-": "yamllint reports a YAML style or syntax problem",
    "discover-": "The repository cannot be walked or its kustomizations told apart",
    "render-": "The path does not render with kustomize as Argo CD would render it",
    "kustomize-": "A kustomization entry breaks the build, does nothing, or is deprecated",
    "schema-": "The object does not match its strict schema",
    "source-": "A remote source is missing from the offline source cache or differs from the lock",
    "helm-": "A Helm source of an Application does not render, or its values do not fit the chart",
    "cache-": "The validator's render cache cannot be used",
    "apivalidation-": "The API server would refuse the object or warn about it",
    "server-": "A real API server refused the object or warned about it",
    "suppression-reason": "A rule suppression must say why the rule does not apply",
    "suppression-unknown-rule": "A suppression annotation must name a rule of the validator",
}


@cache
def known() -> dict[str, str]:
    """Every registered id -> its one-line description."""
    found = {rule_id: title(module) for rule_id, module in registry().items()}
    found.update({stage_id: stage.title for stage_id, stage in STAGES.items()})
    found.update({YAMLLINT_PREFIX + name: f"yamllint rule {name}" for name in _YAMLLINT_RULES})
    return dict(sorted(found.items()))


@cache
def remediation(rule_id: str) -> str:
    """What to do about a finding of ``rule_id``, in one sentence ("" for an unknown id): a rule's
    "Use instead" prose, a stage's registered fix, or yamllint's pointer for its rules."""
    module = registry().get(rule_id) if rule_id in RULE_IDS else None
    if module is not None:
        return _use_instead(module)
    stage = STAGES.get(rule_id)
    if stage is not None:
        return stage.fix + "."
    if rule_id.startswith(YAMLLINT_PREFIX) and rule_id in _ids():
        return (f"Correct the line as the message says (yamllint's documentation of its rule"
                f" {rule_id.removeprefix(YAMLLINT_PREFIX)} explains the rule and its options).")
    return ""


def _use_instead(module: ModuleType) -> str:
    """A rule's fix: the prose of its "Use instead" section (code examples left out), its first sentence."""
    section = sections(module).get("Use instead", "")
    text = " ".join(re.sub(r"```.*?```", " ", section, flags=re.S).split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return match.group(1) if match else text


@cache
def _ids() -> frozenset[str]:
    """Every registered id, without importing the rules (:func:`known` has their titles too)."""
    return RULE_IDS | set(STAGES) | {YAMLLINT_PREFIX + name for name in _YAMLLINT_RULES}


def is_known(rule_id: str) -> bool:
    return rule_id in _ids()


def is_rule(rule_id: str) -> bool:
    """A domain rule (the ids a suppression annotation may name)."""
    return rule_id in RULE_IDS


def problem(setting: str) -> str | None:
    """Why a severity setting's key names nothing (None when it does): an exact id, or a prefix
    ending in ``*`` that some id starts with (``schema-*``)."""
    if setting.endswith("*"):
        if any(rule_id.startswith(setting[:-1]) for rule_id in _ids()):
            return None
        return f"{setting!r} matches no rule id"
    if setting in _ids():
        return None
    return f"unknown rule id {setting!r}{did_you_mean(setting)}"


def did_you_mean(name: str, among: list[str] | None = None) -> str:
    close = difflib.get_close_matches(name, among if among is not None else sorted(_ids()), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
