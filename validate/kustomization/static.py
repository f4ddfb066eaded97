"""Checks of the kustomization tree that need no render: each mistake at the entry that holds it.

What kustomize 5.8.1 refuses before it builds anything, found by reading the files:

* an entry of ``resources``, ``components``, ``patches`` (``path``), a generator's ``files`` or
  ``envs``, ``replacements`` (``path``), ... that names nothing (kustomize: ``evalsymlink failure
  ... no such file or directory``), with a did-you-mean among the folder's files;
* a folder listed that holds no kustomization (``unable to find one of 'kustomization.yaml' ...``);
* a Component listed under ``resources`` (``expected kind != 'Component'``) or a Kustomization
  under ``components`` (``expected kind 'Component' ... but got 'Kustomization'``);
* a file outside the kustomization's folder while the load restrictor is on (``security; file
  ... is not in or below ...``);
* the deprecated fields kustomize warns about, with their replacement (warnings).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from validate.discover import Kustomization
from validate.kustomization.tree import Entry, Repository, data_of, entries, join
from validate.model import Finding, Severity

# Field -> (modern replacement, what to do), as `kustomize edit fix` rewrites them.
DEPRECATED = {
    "bases": ("resources", "listing the same paths"),
    "commonLabels": ("labels", "as `- pairs: {...}` with `includeSelectors: true` to keep the selector behaviour"),
    "imageTags": ("images", "listing the same entries"),
    "patchesJson6902": ("patches", "listing the same entries (path and target stay)"),
    "patchesStrategicMerge": ("patches", "listing each file as `- path: <file>`"),
    "vars": ("replacements", "rewriting each var as a replacement with a source and targets"),
}

NO_LOAD_RESTRICTOR = "LoadRestrictionsNone"


@dataclass(frozen=True)
class Cause:
    """A mistake in one kustomization that makes every render including it fail."""

    finding: Finding
    directory: str  # the kustomization directory that holds it
    meant: str | None = None  # for a path that names nothing: the existing file it probably means


def check(kustomization: Kustomization, repository: Repository, build_options: list[str]) -> Iterator[Cause]:
    restricted = not any(NO_LOAD_RESTRICTOR in option for option in build_options)
    for entry in entries(kustomization):
        finding = _check_entry(entry, repository, restricted)
        if finding is not None:
            hint = _hint(entry, repository) if finding.rule == "kustomize-missing-path" else None
            yield Cause(finding, kustomization.dir, join(kustomization.dir, hint) if hint else None)


def deprecations(kustomization: Kustomization) -> Iterator[Finding]:
    document = kustomization.document
    data = data_of(kustomization)
    if document is None:
        return
    for field, (modern, how) in DEPRECATED.items():
        if field not in data:
            continue
        line, column = document.position((field,)) or (document.line, document.column)
        yield Finding("kustomize-deprecated", f"'{field}' is deprecated (kustomize warns on every build): use"
                      f" '{modern}' instead, {how}; `kustomize edit fix` rewrites it", kustomization.file, line,
                      column, Severity.WARNING)


def _check_entry(entry: Entry, repository: Repository, restricted: bool) -> Finding | None:
    kustomization = entry.kustomization
    position = entry.position or (None, None)
    if entry.target is None:
        return None  # outside the repository: discover-outside-reference says so
    listing = entry.field in ("resources", "bases", "components")

    def finding(rule: str, message: str) -> Finding:
        return Finding(rule, message, kustomization.file, position[0], position[1])

    if not repository.exists(entry.target):
        if repository.on_disk(entry.target):
            return None  # ignored, or a link out of the repository: discovery reports it, the render fails
        hint = _hint(entry, repository)
        what = "file or folder" if listing and entry.field != "components" else \
            ("folder" if entry.field == "components" else "file")
        where = "the repository root" if kustomization.dir == "." else kustomization.dir
        message = f"{entry.label} entry {entry.value!r} names no {what} (resolved from {where} to" \
                  f" {entry.target})"
        message += f": did you mean {hint!r}?" if hint else ": fix the path or remove the entry"
        return finding("kustomize-missing-path", message)
    if entry.target in repository.directories and not listing:
        return finding("kustomize-missing-path", f"{entry.label} entry {entry.value!r} is a folder: it must name a"
                       " file")
    if entry.target in repository.directories:
        included = repository.kustomization_in(entry.target)
        if included is None:
            if repository.has_kustomization_file(entry.target):
                return None  # unreadable: its own load finding explains the failure
            return finding("kustomize-missing-path", f"{entry.label} entry {entry.value!r} is a folder without a"
                           " kustomization.yaml: kustomize can only include a folder that has one (list its files"
                           " instead, or add a kustomization)")
        if entry.field == "components" and included.kind != "Component":
            return finding("kustomize-wrong-kind", f"components entry {entry.value!r} is a {included.kind}, not a"
                           " Component: list it under resources, or make it `kind: Component` with"
                           " `apiVersion: kustomize.config.k8s.io/v1alpha1`")
        if entry.field != "components" and included.kind == "Component":
            return finding("kustomize-wrong-kind", f"{entry.field} entry {entry.value!r} is a Component: a Component"
                           " cannot be built as a resource; move the entry under components")
        return None
    if entry.field == "components":
        return finding("kustomize-wrong-kind", f"components entry {entry.value!r} is a file: a component is a folder"
                       " holding a `kind: Component` kustomization")
    if restricted and not _inside(entry.target, kustomization.dir):
        return finding("kustomize-load-restrictor", f"{entry.label} entry {entry.value!r} is outside"
                       f" {kustomization.dir}/: kustomize's load restrictor (on in Argo CD by default) refuses"
                       " files that are not in or below the kustomization's folder; include the folder that"
                       " holds it as a resource, or move the file")
    return None


def _hint(entry: Entry, repository: Repository) -> str | None:
    if entry.target is None or repository.exists(entry.target):
        return None
    listing = entry.field in ("resources", "bases", "components")
    want_dir = True if entry.field == "components" else (None if listing else False)
    return repository.suggestion(entry.kustomization.dir, entry.value, want_dir)


def _inside(target: str, directory: str) -> bool:
    return directory == "." or target == directory or target.startswith(directory + "/")
