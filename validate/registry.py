"""Every finding id the validator can report, in one registry: the domain rules and the stages.

Domain rules register in :mod:`validate.rules` (one module each); the stages register their
finding ids here, with the sentence the SARIF report and the documentation use. The
configuration (``rules:``, ``profiles:``) and the suppression annotations are checked against
this registry, and the pipeline refuses a finding whose id is not in it: a misspelt or renamed
id fails loudly instead of passing silently.
"""

from __future__ import annotations

import difflib
from functools import cache

from yamllint.rules import _RULES as _YAMLLINT_RULES

from validate.rules import RULES, title

YAMLLINT_PREFIX = "yamllint-"

# Stage finding ids -> what they mean. A stage that reports a new id adds it here.
STAGES: dict[str, str] = {
    # discover: walking the repository
    "discover-symlink-loop": "A symbolic link is a loop; it is not followed",
    "discover-symlink-escape": "A symbolic link points outside the repository; it is not followed",
    "discover-special-file": "A named pipe, socket or device is not read",
    "discover-kustomization-ambiguous": "A folder has more than one kustomization file",
    "discover-include-cycle": "Kustomizations include each other in a cycle",
    "discover-outside-reference": "A kustomization refers to a file outside the repository",
    "discover-nested-repository": "A folder is a git repository of its own and is checked on its own",
    "discover-no-git": "git could not list the files; the folder was walked without .gitignore",
    # load: reading YAML safely
    "load-unreadable": "The file cannot be read",
    "load-oversize": "The file is over the size limit",
    "load-binary": "The file is binary data, not YAML",
    "load-encoding": "The file is not valid UTF-8",
    "load-syntax": "The file is not valid YAML",
    "load-invalid-scalar": "A scalar is not a valid value of its tag",
    "load-too-many-documents": "The file has more documents than the limit",
    "load-recursive-alias": "An alias refers to a node that contains it",
    "load-unsafe-tag": "A tag is not a standard YAML tag",
    "load-too-deep": "The nesting is deeper than the limit",
    "load-complex-key": "A mapping or sequence is used as a mapping key",
    "load-duplicate-key": "A mapping has the same key twice",
    "load-alias-bomb": "Aliases expand the document beyond the node limit",
    # render: kustomize as Argo CD runs it
    "render-failed": "The path does not render with kustomize as Argo CD would render it",
    "render-remote": "A remote reference cannot be rendered offline",
    "render-unsafe-input": "The path reads a file that failed the loader's safety checks and is not rendered",
    # cache
    "cache-unwritable": "The render cache cannot be written; the run goes on without storing renders",
    # kustomize: build failures at their root cause, transformers that do nothing, deprecations
    "kustomize-missing-path": "A kustomization entry names a file or folder that does not exist",
    "kustomize-wrong-kind": "A Component is listed as a resource, or a Kustomization as a component",
    "kustomize-load-restrictor": "A kustomization reads a file outside its folder",
    "kustomize-patch-target": "A strategic-merge patch names an object the kustomization does not have",
    "kustomize-json-patch-path": "A JSON 6902 patch operation's path does not exist in its target",
    "kustomize-duplicate-object": "The same object is added twice to a render",
    "kustomize-replacement-source": "A replacement's source selects nothing",
    "kustomize-noop-patch": "A patch's target selects no object: the patch changes nothing",
    "kustomize-noop-image": "An images entry matches no container image: the override changes nothing",
    "kustomize-noop-replacement": "A replacement target selects no object",
    "kustomize-noop-metadata": "Labels, annotations, a prefix, a namespace or patches on a kustomization without objects",
    "kustomize-namespace-mismatch": "The kustomization's namespace contradicts the Argo CD destination",
    "kustomize-overridden": "An Argo CD Application overrides the kustomization's namespace or name prefix",
    "kustomize-deprecated": "A deprecated kustomization field (kustomize warns on every build)",
    # schema: strict JSON schemas
    "schema-identity": "The object has no valid apiVersion or kind",
    "schema-unknown-kind": "No schema is known for the object's kind",
    "schema-unknown-field": "The object has a field its schema does not define",
    "schema-required": "The object lacks a required field",
    "schema-type": "A field has the wrong type",
    "schema-enum": "A field has a value its schema does not allow",
    "schema-quantity": "A field is not a Kubernetes quantity",
    "schema-invalid": "The object does not match its strict schema",
    "schema-crd": "A CustomResourceDefinition's schema cannot be used",
    "schema-kustomization": "A kustomization file does not match its schema",
    # sources: the offline cache of charts and remote git sources
    "source-missing": "A remote source (chart or git repository) is not in the offline source cache",
    "source-digest": "A cached source differs from the digest the lock file records",
    # helm: Applications' chart sources rendered as Argo CD renders them
    "helm-render": "The chart does not render with Helm as Argo CD would render it",
    "helm-values-file": "A values file or parameter of the Helm source cannot be read",
    "helm-values-unknown": "A values key that the chart neither defines nor reads",
    "helm-values-type": "A values key whose type contradicts the chart's default",
    "helm-values-schema": "The values do not match the chart's values.schema.json",
    "helm-lint": "helm lint reports a problem in a chart of this repository",
    # apivalidation: the API server's semantic validation, offline (validate/apivalidation, docs/apivalidation.md)
    "apivalidation-invalid": "The API server refuses the object (its semantic validation, beyond the schema)",
    "apivalidation-warning": "The API server accepts the object with a warning",
    "apivalidation-seldon-pod": "A SeldonDeployment pod spec makes the operator's Deployment fail validation",
    # server: gitops-validate --server, the verdicts of a real API server (validate/servermode.py)
    "server-invalid": "The API server refused the object (strict server-side dry-run)",
    "server-warning": "The API server accepted the object with a warning",
    "server-unchecked": "The API server could not judge the object (unknown kind, missing namespace)",
    # suppressions
    "suppression-reason": "A rule suppression must say why the rule does not apply",
    "suppression-unknown-rule": "A suppression annotation names no rule of the validator",
    # Registered ahead for the realworld branch (issue 10), which reports it; a stage that reports an
    # id missing here fails loudly.
    "schema-not-kubernetes": "The object is not a Kubernetes API object",
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
    found = {rule_id: title(module) for rule_id, module in RULES.items()}
    found.update(STAGES)
    found.update({YAMLLINT_PREFIX + name: f"yamllint rule {name}" for name in _YAMLLINT_RULES})
    return dict(sorted(found.items()))


def is_known(rule_id: str) -> bool:
    return rule_id in known()


def is_rule(rule_id: str) -> bool:
    """A domain rule (the ids a suppression annotation may name)."""
    return rule_id in RULES


def problem(setting: str) -> str | None:
    """Why a severity setting's key names nothing (None when it does): an exact id, or a prefix
    ending in ``*`` that some id starts with (``schema-*``)."""
    if setting.endswith("*"):
        if any(rule_id.startswith(setting[:-1]) for rule_id in known()):
            return None
        return f"{setting!r} matches no rule id"
    if setting in known():
        return None
    return f"unknown rule id {setting!r}{did_you_mean(setting)}"


def did_you_mean(name: str, among: list[str] | None = None) -> str:
    close = difflib.get_close_matches(name, among if among is not None else list(known()), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
