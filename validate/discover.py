"""Discovery: which files exist, which kustomizations there are, and which of them get rendered.

Rendered are (1) every kustomization that no other kustomization includes (leaf overlays and
stand-alone bases), and (2) every directory an Argo CD Application, or an ApplicationSet's git
directory generator, points at inside this repository. The walk never leaves the repository:
a symbolic link that points outside it is a finding and is not read.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from validate import classify
from validate.argocd import sources as argocd_sources
from validate.argocd.sources import ArgoSource
from validate.load import LoadedFile
from validate.model import Document, Finding, as_list

# Discovery's first step, in a module of its own; re-exported for the callers of discover.walk.
from validate.walk import SKIPPED_DIRS as SKIPPED_DIRS
from validate.walk import WORK_DIR_PREFIX as WORK_DIR_PREFIX
from validate.walk import walk as walk

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
YAML_SUFFIXES = (".yaml", ".yml")
# Kustomization fields that name other kustomizations (directories) or resource files.
_INCLUDE_FIELDS = ("resources", "bases", "components")
# What kustomize fetches instead of reading from disk: URLs (any field that names a file, not only
# resources), git's forced-protocol and GitHub shorthand prefixes, scp-like and host-first forms.
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git::|gh:|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|[?&]ref=",
                     re.I)


@dataclass
class Kustomization:
    """A kustomization directory, as written (nothing rendered yet)."""

    dir: str  # repository-relative, "." for the root
    file: str  # repository-relative path of the kustomization file
    document: Document | None
    kind: str = "Kustomization"
    includes: list[str] = field(default_factory=list)  # kustomization directories it includes
    include_lines: dict[str, int | None] = field(default_factory=dict)  # where each include is written
    files: list[str] = field(default_factory=list)  # files it reads directly
    remote: list[tuple[str, int | None]] = field(default_factory=list)  # remote references and their lines
    outside: list[tuple[str, int | None]] = field(default_factory=list)  # references that leave the repository


@dataclass
class Inventory:
    root: Path
    yaml_files: list[str]
    kustomizations: dict[str, Kustomization]  # by directory
    rendered: list[str]  # kustomization directories to render, sorted
    argo_sources: list[ArgoSource]
    inputs: dict[str, set[str]]  # rendered dir -> every file its render reads
    standalone: list[str]  # YAML files no kustomization reads: checked as manifests on their own
    findings: list[Finding]
    files: list[str] = field(default_factory=list)  # every walked file, YAML or not
    directories: list[str] = field(default_factory=list)  # every folder holding a file (as git sees it)
    # render_inputs per rendered directory, and the files each kustomization names, computed once:
    # the render cache's keys and the safety check ask for every rendered path (the inventory is
    # not changed once built).
    _render_inputs: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _named: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _file_set: frozenset[str] | None = field(default=None, repr=False, compare=False)

    def kustomization_files(self) -> set[str]:
        return {kustomization.file for kustomization in self.kustomizations.values()}


def is_yaml(rel: str) -> bool:
    return rel.endswith(YAML_SUFFIXES)


def is_kustomization_file(rel: str) -> bool:
    return PurePosixPath(rel).name in KUSTOMIZATION_NAMES


def inventory(root: Path, files: list[str], loaded: dict[str, LoadedFile], findings: list[Finding]) -> Inventory:
    """Build the inventory from the walked files and the already loaded YAML files."""
    file_set = set(files)
    kustomizations: dict[str, Kustomization] = {}
    for rel in files:
        if not is_kustomization_file(rel):
            continue
        directory = _parent(rel)
        if directory in kustomizations:
            findings.append(Finding("discover-kustomization-ambiguous", f"{directory} has more than one"
                                    " kustomization file; kustomize refuses to build it", rel, 1))
            continue
        kustomizations[directory] = _read_kustomization(root, directory, rel, loaded.get(rel), file_set)

    included: set[str] = set()
    for kustomization in kustomizations.values():
        for target in kustomization.includes:
            if target in kustomizations:
                included.add(target)
    leaves = {d for d, k in kustomizations.items() if d not in included and k.kind != "Component"}
    findings.extend(_cycles(kustomizations))
    for kustomization in kustomizations.values():
        for reference, line in kustomization.outside:
            findings.append(Finding("discover-outside-reference", f"{reference!r} is outside the repository:"
                                    " Argo CD cannot read it and the validator does not; paths that include"
                                    " this kustomization are not rendered", kustomization.file, line))

    directories = directories_of(files)
    argo_sources = list(argocd_sources.argo_sources(directories, loaded))
    rendered = set(leaves)
    for source in argo_sources:
        if source.path in kustomizations and kustomizations[source.path].kind != "Component":
            rendered.add(source.path)
    # A render that reaches outside the repository would read (and could print) files that are not
    # the repository's: never run it. The reference itself is the finding above.
    rendered = {d for d in rendered if not any(kustomizations[k].outside
                                               for k in closure_dirs(d, kustomizations))}

    inputs = {directory: closure_files(directory, kustomizations) for directory in sorted(rendered)}
    read_by_any: set[str] = set()
    for directory in kustomizations:
        read_by_any |= closure_files(directory, kustomizations)
    charts = classify.chart_folders(files)
    standalone = [rel for rel in files if rel in loaded and rel not in read_by_any
                  and classify.kind_of(rel, charts) is classify.FileKind.MANIFEST]
    return Inventory(root, [f for f in files if is_yaml(f)], kustomizations, sorted(rendered), argo_sources,
                     inputs, standalone, findings, files, directories)


def render_inputs(inventory: Inventory, directory: str) -> set[str]:
    """Every repository file the render of ``directory`` could read: a deliberate superset.

    Besides the files discovery knows a kustomization reads (resources, patches, generator
    sources, ...), every string in every kustomization of the closure that names an existing file
    or folder of the repository adds that file, or every file under that folder. Whatever field a
    future kustomize reads a file from, the file is named in some kustomization, so it is here.
    """
    memo = inventory._render_inputs.get(directory)
    if memo is None:
        files = set(inventory.inputs.get(directory, ()))
        for current in closure_dirs(directory, inventory.kustomizations):
            files |= _named_files(inventory, current)
        memo = inventory._render_inputs[directory] = frozenset(files)
    return set(memo)


def _named_files(inventory: Inventory, current: str) -> frozenset[str]:
    """The repository files (or every file under the folders) that the kustomization in ``current`` names."""
    memo = inventory._named.get(current)
    if memo is not None:
        return memo
    if inventory._file_set is None:
        inventory._file_set = frozenset(inventory.files)
    known = inventory._file_set
    ordered = inventory.files  # sorted: the files under a folder are one contiguous range
    files: set[str] = set()
    kustomization = inventory.kustomizations[current]
    data = kustomization.document.data if kustomization.document else None
    for value in _strings(data):
        if not value or "\n" in value or len(value) > 1024 or "://" in value:
            continue
        target = _join(current, value.split("=", 1)[-1])
        if target is None or target == ".":
            continue
        if target in known:
            files.add(target)
        else:
            prefix = target + "/"
            files.update(ordered[bisect.bisect_left(ordered, prefix):bisect.bisect_left(ordered, prefix + "\U0010ffff")])
    memo = inventory._named[current] = frozenset(files)
    return memo


def where_named(inventory: Inventory, directory: str, target: str) -> tuple[str, int | None]:
    """The kustomization file and line that make the render of ``directory`` read ``target``
    (see :func:`render_inputs`): where it is named exactly, else where a kustomization including
    it is, else where a folder holding it is named; the rendered kustomization when nothing is."""
    kustomizations = inventory.kustomizations
    closure = sorted(closure_dirs(directory, kustomizations))
    by_folder: tuple[str, int | None] | None = None
    for current in closure:
        kustomization = kustomizations[current]
        document = kustomization.document
        for value, path in _strings_with_paths(document.data if document else None):
            if not value or "\n" in value or len(value) > 1024:
                continue
            named = _join(current, value.split("=", 1)[-1])
            if named is None or named == ".":
                continue
            if target == named or (by_folder is None and target.startswith(named + "/")):
                position = document.position(path) if document else None
                found = (kustomization.file, position[0] if position else None)
                if target == named:
                    return found
                by_folder = found
    for current in closure:
        if target == kustomizations[current].file:
            for parent in closure:
                if current in kustomizations[parent].includes:
                    return kustomizations[parent].file, kustomizations[parent].include_lines.get(current)
            return kustomizations[current].file, 1
    return by_folder or (kustomizations[directory].file, 1)


def _strings_with_paths(value: Any) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    pending: list[tuple[Any, tuple[str | int, ...]]] = [(value, ())]
    while pending:
        current, path = pending.pop()
        if isinstance(current, str):
            yield current, path
        elif isinstance(current, dict):
            pending.extend((item, (*path, str(key))) for key, item in current.items())
        elif isinstance(current, list):
            pending.extend((item, (*path, index)) for index, item in enumerate(current))


def _strings(value: Any) -> Iterator[str]:
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, str):
            yield current
        elif isinstance(current, dict):
            pending.extend(current.values())
        elif isinstance(current, list):
            pending.extend(current)


def directories_of(files: list[str]) -> list[str]:
    """Folders that hold a file, directly or below: what a git checkout has (no empty folders)."""
    found: set[str] = set()
    for rel in files:
        parent = PurePosixPath(rel).parent
        while parent.as_posix() != "." and parent.as_posix() not in found:
            found.add(parent.as_posix())
            parent = parent.parent
    return sorted(found)


def _parent(rel: str) -> str:
    parent = PurePosixPath(rel).parent.as_posix()
    return parent


def _join(directory: str, reference: str) -> str | None:
    """``reference`` resolved against ``directory``, repository-relative; None when it leaves the repo."""
    if "\0" in reference:
        return None
    combined = os.path.normpath(os.path.join(directory, reference)).replace(os.sep, "/")
    if combined == ".." or combined.startswith("../") or os.path.isabs(reference):
        return None
    return combined


def _read_kustomization(root: Path, directory: str, rel: str, loaded: LoadedFile | None,
                        file_set: set[str]) -> Kustomization:
    document = loaded.documents[0] if loaded and loaded.documents else None
    data = document.data if document and isinstance(document.data, dict) else {}
    kustomization = Kustomization(directory, rel, document, kind=str(data.get("kind") or "Kustomization"))
    kustomization.files.append(rel)

    def line_of(*path: str | int) -> int | None:
        if document is None:
            return None
        position = document.position(path)
        return position[0] if position else None

    for field_name in _INCLUDE_FIELDS:
        entries = data.get(field_name)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, str):
                continue
            if _REMOTE.search(entry):
                kustomization.remote.append((entry, line_of(field_name, index)))
                continue
            target = _join(directory, entry)
            if target is None:
                kustomization.outside.append((entry, line_of(field_name, index)))
                continue
            if target in file_set:
                kustomization.files.append(target)
            elif (root / target).is_dir() and not (root / target).is_symlink():
                if target not in kustomization.include_lines:
                    kustomization.includes.append(target)
                    kustomization.include_lines[target] = line_of(field_name, index)
    for path, where in _referenced_files(data):
        if _REMOTE.search(path):
            kustomization.remote.append((path, line_of(*where)))
            continue
        target = _join(directory, path)
        if target is None:
            kustomization.outside.append((path, line_of(*where)))
        elif target in file_set:
            kustomization.files.append(target)
    return kustomization


def _referenced_files(data: dict[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """Files a kustomization reads besides its resources (patches, generator sources, configs,
    Helm charts and values), each with the path of the field that names it."""
    for name in ("patches", "patchesJson6902", "replacements"):
        for index, entry in enumerate(as_list(data.get(name))):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                yield entry["path"], (name, index, "path")
    for name in ("patchesStrategicMerge", "patches"):  # a bare string under patches: kustomize refuses the
        for index, entry in enumerate(as_list(data.get(name))):  # entry, but the file is a patch all the same
            if isinstance(entry, str) and "\n" not in entry:
                yield entry, (name, index)
    for name in ("configMapGenerator", "secretGenerator"):
        for index, generator in enumerate(as_list(data.get(name))):
            if not isinstance(generator, dict):
                continue
            for number, source in enumerate(as_list(generator.get("files"))):
                if isinstance(source, str):
                    yield source.split("=", 1)[-1], (name, index, "files", number)
            for number, source in enumerate(as_list(generator.get("envs"))):
                if isinstance(source, str):
                    yield source, (name, index, "envs", number)
            if isinstance(generator.get("env"), str):
                yield generator["env"], (name, index, "env")
    for name in ("crds", "configurations", "generators", "transformers", "validators"):
        for index, entry in enumerate(as_list(data.get(name))):
            if isinstance(entry, str) and "\n" not in entry:
                yield entry, (name, index)
    openapi = data.get("openapi")
    if isinstance(openapi, dict) and isinstance(openapi.get("path"), str):
        yield openapi["path"], ("openapi", "path")
    helm_globals = data.get("helmGlobals")
    if isinstance(helm_globals, dict):
        for name in ("chartHome", "configHome"):
            if isinstance(helm_globals.get(name), str):
                yield helm_globals[name], ("helmGlobals", name)
    for index, chart in enumerate(as_list(data.get("helmCharts"))):
        if not isinstance(chart, dict):
            continue
        if isinstance(chart.get("valuesFile"), str):
            yield chart["valuesFile"], ("helmCharts", index, "valuesFile")
        for number, values in enumerate(as_list(chart.get("additionalValuesFiles"))):
            if isinstance(values, str):
                yield values, ("helmCharts", index, "additionalValuesFiles", number)




def closure_files(directory: str, kustomizations: dict[str, Kustomization]) -> set[str]:
    """Every file the kustomizations of ``directory``'s closure read directly."""
    files: set[str] = set()
    for current in closure_dirs(directory, kustomizations):
        files.update(kustomizations[current].files)
    return files


def closure_dirs(directory: str, kustomizations: dict[str, Kustomization]) -> set[str]:
    """``directory`` and every kustomization directory it includes, directly or not."""
    seen_dirs: set[str] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        if current in seen_dirs or current not in kustomizations:
            continue
        seen_dirs.add(current)
        pending.extend(kustomizations[current].includes)
    return seen_dirs


def _cycles(kustomizations: dict[str, Kustomization]) -> Iterator[Finding]:
    """A finding at each include that closes a cycle (kustomize refuses to build any of it).

    Members of a cycle include each other, so none of them is a leaf and nothing would render
    them: without this finding a cycle would pass silently.
    """
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(kustomizations):
        if start in state:
            continue
        path: list[tuple[str, Iterator[str]]] = [(start, iter(list(kustomizations[start].includes)))]
        state[start] = 1
        while path:
            current, children = path[-1]
            child = next(children, None)
            if child is None:
                state[current] = 2
                path.pop()
                continue
            if child not in kustomizations:
                continue
            if state.get(child) == 1:
                owner = kustomizations[current]
                names = [d for d, _ in path]
                members = names[names.index(child):]
                message = ("the kustomization includes itself" if child == current else
                           "include cycle " + " -> ".join([*members, child]))
                yield Finding("discover-include-cycle", f"{message}: kustomize refuses to build it", owner.file,
                              owner.include_lines.get(child))
            elif child not in state:
                state[child] = 1
                path.append((child, iter(list(kustomizations[child].includes))))
