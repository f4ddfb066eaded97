"""Kustomize-native diagnostics: every build failure at its root cause, once.

A failed ``kustomize build`` used to be one ``render-failed`` finding per rendered path at line 1
of its kustomization, with kustomize's text; a broken base used by dev, staging and prod made
three of them, plus an ``argocd-source-path`` error per Application. Here a failure is traced to
the entry, patch or object that causes it:

1. :mod:`~validate.kustomization.static` reads the kustomization tree (every entry with its line)
   and finds what kustomize refuses before building: missing paths, components used as resources
   and the reverse, load-restrictor violations; deprecated fields become warnings;
2. a failed render whose tree holds such a cause, or a kustomization that does not load or does
   not match its schema, or a cycle, is explained by that finding;
3. otherwise :mod:`~validate.kustomization.errors` reads kustomize's text and places it (a patch
   whose target is missing, a JSON 6902 path that is not there, an object added twice, ...).

Each cause is one finding, naming the rendered paths (and Argo CD owners) it breaks; the renders
it explains carry no finding of their own any more. Kustomize's original text stays with the
finding as its ``detail``. What is left unexplained stays ``render-failed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validate.discover import Inventory, closure_dirs
from validate.kustomization import errors, noop, static
from validate.kustomization.tree import Repository, affected, normalise, original_path
from validate.load import LoadedFile
from validate.model import Finding, Severity
from validate.render import RenderResult

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Config

# Stage findings that already say why a kustomization cannot be read.
_EXPLAINING_PREFIXES = ("load-", "schema-", "discover-")

__all__ = ["diagnose", "known_fields", "name_environments", "normalise", "original_path", "standalone",
           "transformers"]


def diagnose(inventory: Inventory, loaded: dict[str, LoadedFile], renders: list[RenderResult],
             earlier: Iterable[Finding], build_options: list[str],
             covers_file: Callable[[str], bool], failed: set[str] | None = None) -> list[Finding]:
    """The findings of the render stage, each failure at its root cause.

    ``renders`` are the checked renders; a render whose failure is explained loses its own
    finding (so that nothing downstream reports it again). ``earlier`` are the findings of the
    stages before (load, schema of kustomizations, discover). The renders that failed are added
    to ``failed``.
    """
    repository = Repository(inventory)
    kustomizations = inventory.kustomizations
    rendered = [r.directory for r in renders]
    in_play: set[str] = set()
    for directory in rendered:
        in_play |= closure_dirs(directory, kustomizations)
    in_play |= {d for d, k in kustomizations.items() if covers_file(k.file)}

    causes: list[static.Cause] = []
    out: list[Finding] = []
    for directory in sorted(in_play):
        kustomization = kustomizations[directory]
        causes.extend(static.check(kustomization, repository, build_options))
        if covers_file(kustomization.file):
            out.extend(static.deprecations(kustomization))
    broken_by_cause = {cause.directory for cause in causes}
    explaining_files = {f.file for f in earlier if f.file and f.rule.startswith(_EXPLAINING_PREFIXES)
                        and f.severity >= Severity.ERROR}
    broken = broken_by_cause | {d for d, k in kustomizations.items() if k.file in explaining_files}

    details: dict[str, str] = {}  # broken kustomization dir -> kustomize's text of a render it breaks
    unexplained: dict[str, list[RenderResult]] = {}  # the same text from several renders: one cause
    located: dict[tuple[str, str | None, int | None, str], tuple[Finding, list[str], str]] = {}
    for result in renders:
        failure = next((f for f in result.findings if f.rule == "render-failed"), None)
        if failure is None:
            out.extend(result.findings)
            continue
        if failed is not None:
            failed.add(result.directory)
        closure = closure_dirs(result.directory, kustomizations)
        if closure & broken:
            for directory in closure & broken:
                details.setdefault(directory, failure.message)
            result.findings = []
            continue
        explained = errors.explain(failure.message, errors.Tree(inventory, loaded, result.directory))
        if not explained:
            where = errors.failing_kustomization(failure.message, kustomizations)
            group = f"in {where}" if where and where != result.directory else \
                failure.message.replace(result.directory, "\0")
            unexplained.setdefault(group, []).append(result)
            continue
        result.findings = []
        for finding in explained:
            key = (finding.rule, finding.file, finding.line, finding.message.replace(result.directory, "\0"))
            if key in located:
                located[key][1].append(result.directory)
            else:
                located[key] = (finding, [result.directory], failure.message)

    for results in unexplained.values():
        out.extend(_shared_failure(results, repository))
    for cause in causes:
        if not covers_file(cause.finding.file or "") and not repository.renders_including(cause.directory,
                                                                                           rendered):
            continue
        breaks = repository.renders_including(cause.directory, rendered)
        out.append(_with(cause.finding, affected(repository, breaks), details.get(cause.directory)))
    for finding, broken_renders, text in located.values():
        message = finding.message
        if len(broken_renders) > 1:
            message = message.replace(f" to {broken_renders[0]}:", ":")
        out.append(_with(Finding(finding.rule, message, finding.file, finding.line, finding.column,
                                 finding.severity, finding.object, None, finding.extra),
                         affected(repository, broken_renders), text))
    return out


def _shared_failure(results: list[RenderResult], repository: Repository) -> list[Finding]:
    """Renders that fail with the same text fail for one reason in what they share: one finding,
    at the nearest kustomization they all include, naming them."""
    kustomizations = repository.inventory.kustomizations
    failure = next(f for f in results[0].findings if f.rule == "render-failed")
    where = errors.failing_kustomization(failure.message, kustomizations)
    if len(results) == 1 and (where is None or where == results[0].directory):
        return list(results[0].findings)
    shared = set.intersection(*(closure_dirs(r.directory, kustomizations) for r in results))
    tops = [where] if where in shared else \
        [d for d in shared if not any(d in kustomizations[other].includes for other in shared if other != d)]
    if not tops:
        return [f for r in results for f in r.findings]
    top = kustomizations[sorted(tops)[0]]
    for result in results:
        result.findings = []
    renders = sorted(r.directory for r in results)
    message = (f"{failure.message} (kustomize fails while building {top.dir}: the cause is there or in what it"
               f" includes){affected(repository, renders)}")
    return [Finding("render-failed", message, top.file, 1, extra=(("detail", failure.message),))]


def _with(finding: Finding, suffix: str, detail: str | None) -> Finding:
    extra = finding.extra + ((("detail", detail),) if detail else ())
    return Finding(finding.rule, finding.message + suffix, finding.file, finding.line, finding.column,
                   finding.severity, finding.object, finding.render, extra)


@cache
def known_fields() -> frozenset[str]:
    """Every field name of the kustomization and component schemas (for :func:`normalise`)."""
    names: set[str] = set()
    folder = Path(__file__).resolve().parent.parent / "schemas"
    for name in ("kustomization-kustomize-v1beta1.json", "component-kustomize-v1alpha1.json",
                 "kustomize-defs.json"):
        _collect(json.loads((folder / name).read_text(encoding="utf-8")), names)
    return frozenset(names)


def _collect(schema: Any, names: set[str]) -> None:
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict):
            names.update(str(key) for key in properties)
        for value in schema.values():
            _collect(value, names)
    elif isinstance(schema, list):
        for value in schema:
            _collect(value, names)


def standalone(inventory: Inventory, loaded: dict[str, LoadedFile]) -> list[str]:
    """The stand-alone manifests, less those a broken kustomization was meant to read.

    A kustomization that does not load reads nothing, and an entry with a typo does not read the
    file it meant: such files are not manifests of their own, and checking them as if Argo CD
    applied them directly would bury the one real mistake under findings about them.
    """
    repository = Repository(inventory)
    meant: set[str] = set()
    for kustomization in inventory.kustomizations.values():
        file = loaded.get(kustomization.file)
        if file is None or not file.ok or kustomization.document is None \
                or not isinstance(kustomization.document.data, dict):
            prefix = "" if kustomization.dir == "." else kustomization.dir + "/"
            meant |= {rel for rel in inventory.standalone
                      if rel.startswith(prefix) and "/" not in rel[len(prefix):]}
            continue
        meant |= {cause.meant for cause in static.check(kustomization, repository, []) if cause.meant}
    return [rel for rel in inventory.standalone if rel not in meant]



def transformers(ctx: Context, checked: set[str]) -> list[Finding]:
    """No-op transformers and Argo CD settings that contradict a kustomization (:mod:`.noop`)."""
    return list(noop.check(ctx, checked))


def name_environments(findings: list[Finding], config: Config) -> list[Finding]:
    """A finding in a shared file (a base, a component) seen through the renders of several
    environments is one problem: it names the environments where it matters (those where its
    configured severity is the highest), so that the merge of identical findings leaves one."""
    from validate.environments import environment_of

    seen: dict[tuple[Any, ...], dict[str, Severity]] = {}
    for finding in findings:
        if finding.render is None or finding.file is None or environment_of(config.environments, finding.file) is not None:
            continue
        environment = environment_of(config.environments, finding.render)
        severity = config.severity(finding.rule, finding.severity, environment)
        if environment is not None and severity is not None:
            key = (finding.rule, finding.file, finding.line, finding.column, finding.message)
            seen.setdefault(key, {})[environment] = severity
    out = []
    for finding in findings:
        by_environment = seen.get((finding.rule, finding.file, finding.line, finding.column, finding.message))
        if by_environment and finding.render is not None:
            top = max(by_environment.values())
            environments = sorted(e for e, severity in by_environment.items() if severity == top)
            noun = "environment" if len(environments) == 1 else "environments"
            finding = Finding(finding.rule, f"{finding.message} (in the {noun} {', '.join(environments)})",
                              finding.file, finding.line, finding.column, finding.severity, finding.object,
                              finding.render, finding.extra)
        out.append(finding)
    return out
