"""Discovery: which files exist, which kustomizations there are, and which of them get rendered.

Rendered are (1) every kustomization that no other kustomization includes (leaf overlays and
stand-alone bases), and (2) every directory an Argo CD Application, or an ApplicationSet's git
directory generator, points at inside this repository. The walk never leaves the repository:
a symbolic link that points outside it is a finding and is not read.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from validate.findings import Finding
from validate.load import Document, LoadedFile

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
YAML_SUFFIXES = (".yaml", ".yml")
# Never walked: version control, virtual environments, caches.
SKIPPED_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".nox",
                ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis"}
# Kustomization fields that name other kustomizations (directories) or resource files.
_INCLUDE_FIELDS = ("resources", "bases", "components")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|[?&]ref=", re.I)


@dataclass
class Kustomization:
    """A kustomization directory, as written (nothing rendered yet)."""

    dir: str  # repository-relative, "." for the root
    file: str  # repository-relative path of the kustomization file
    document: Document | None
    kind: str = "Kustomization"
    includes: list[str] = field(default_factory=list)  # kustomization directories it includes
    files: list[str] = field(default_factory=list)  # files it reads directly
    remote: list[tuple[str, int | None]] = field(default_factory=list)  # remote references and their lines


@dataclass
class ArgoSource:
    """A directory in this repository that Argo CD renders (from an Application or ApplicationSet)."""

    path: str  # repository-relative directory
    file: str  # the manifest that points at it
    line: int | None
    owner: str  # "Application name" or "ApplicationSet name"


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

    def kustomization_files(self) -> set[str]:
        return {kustomization.file for kustomization in self.kustomizations.values()}


def walk(root: Path, ignore: Iterable[str] = ()) -> tuple[list[str], list[Finding]]:
    """Every file under ``root`` (repository-relative, sorted) and findings for links that escape."""
    patterns = list(ignore)
    files: list[str] = []
    findings: list[Finding] = []
    real_root = root.resolve()
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(current).relative_to(root).as_posix()
        kept = []
        for name in sorted(dirnames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            full = Path(current, name)
            if name in SKIPPED_DIRS or (full / "pyvenv.cfg").exists() or _ignored(rel, patterns):
                continue
            if full.is_symlink():
                if not _inside(full, real_root):
                    findings.append(Finding("discover-symlink-escape", f"directory link {rel} points outside"
                                            " the repository; it is not followed", rel, None))
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            if _ignored(rel, patterns):
                continue
            full = Path(current, name)
            if full.is_symlink() and not _inside(full, real_root):
                findings.append(Finding("discover-symlink-escape", f"file link {rel} points outside the"
                                        " repository; it is not read", rel, None))
                continue
            files.append(rel)
    return sorted(files), findings


def _inside(path: Path, real_root: Path) -> bool:
    try:
        path.resolve().relative_to(real_root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _ignored(rel: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.rstrip("/")
        if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern + "/*") or rel.startswith(pattern + "/"):
            return True
    return False


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

    directories = directories_of(files)
    argo_sources = list(_argo_sources(directories, loaded))
    rendered = set(leaves)
    for source in argo_sources:
        if source.path in kustomizations and kustomizations[source.path].kind != "Component":
            rendered.add(source.path)

    inputs = {directory: _closure(directory, kustomizations) for directory in sorted(rendered)}
    read_by_any: set[str] = set()
    for directory in kustomizations:
        read_by_any |= _closure(directory, kustomizations)
    standalone = [rel for rel in files if is_yaml(rel) and rel not in read_by_any and not is_kustomization_file(rel)]
    return Inventory(root, [f for f in files if is_yaml(f)], kustomizations, sorted(rendered), argo_sources,
                     inputs, standalone, findings, files, directories)


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
                continue
            if target in file_set:
                kustomization.files.append(target)
            elif (root / target).is_dir():
                kustomization.includes.append(target)
    for path in _referenced_files(data):
        target = _join(directory, path)
        if target is not None and target in file_set:
            kustomization.files.append(target)
    return kustomization


def _referenced_files(data: dict[str, Any]) -> Iterator[str]:
    """Files a kustomization reads besides its resources: patches, generator sources, configs."""
    for entry in _list(data.get("patches")) + _list(data.get("patchesJson6902")):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield entry["path"]
    for entry in _list(data.get("patchesStrategicMerge")):
        if isinstance(entry, str) and "\n" not in entry:
            yield entry
    for generator in _list(data.get("configMapGenerator")) + _list(data.get("secretGenerator")):
        if not isinstance(generator, dict):
            continue
        for source in _list(generator.get("files")):
            if isinstance(source, str):
                yield source.split("=", 1)[-1]
        for source in _list(generator.get("envs")) + ([generator["env"]] if isinstance(generator.get("env"), str) else []):
            if isinstance(source, str):
                yield source
    for name in ("crds", "configurations", "generators", "transformers", "validators"):
        for entry in _list(data.get(name)):
            if isinstance(entry, str):
                yield entry
    for entry in _list(data.get("replacements")):
        if isinstance(entry, dict) and isinstance(entry.get("path"), str):
            yield entry["path"]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _closure(directory: str, kustomizations: dict[str, Kustomization]) -> set[str]:
    seen_dirs: set[str] = set()
    files: set[str] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        if current in seen_dirs or current not in kustomizations:
            continue
        seen_dirs.add(current)
        files.update(kustomizations[current].files)
        pending.extend(kustomizations[current].includes)
    return files


# --- Argo CD ---------------------------------------------------------------------------------

def _argo_sources(directories: list[str], loaded: dict[str, LoadedFile]) -> Iterator[ArgoSource]:
    for rel, loaded_file in sorted(loaded.items()):
        for document in loaded_file.documents:
            data = document.data
            if not isinstance(data, dict) or not str(data.get("apiVersion", "")).startswith("argoproj.io/"):
                continue
            kind, spec = data.get("kind"), data.get("spec")
            name = str((data.get("metadata") or {}).get("name", "?")) if isinstance(data.get("metadata"), dict) else "?"
            if not isinstance(spec, dict):
                continue
            if kind == "Application":
                for index, source in application_sources(spec):
                    path = source.get("path")
                    if isinstance(path, str) and not source.get("chart"):
                        target = _join(".", path)
                        where = ("spec", "source", "path") if index is None else ("spec", "sources", index, "path")
                        position = document.position(where)
                        if target is not None:
                            yield ArgoSource(target, rel, position[0] if position else document.line,
                                             f"Application {name}")
            elif kind == "ApplicationSet":
                for pattern_path, patterns, excludes in git_directory_generators(spec.get("generators")):
                    position = document.position(pattern_path)
                    for directory in match_directories(directories, patterns, excludes):
                        yield ArgoSource(directory, rel, position[0] if position else document.line,
                                         f"ApplicationSet {name}")


def application_sources(spec: dict[str, Any]) -> Iterator[tuple[int | None, dict[str, Any]]]:
    if isinstance(spec.get("source"), dict):
        yield None, spec["source"]
    for index, source in enumerate(_list(spec.get("sources"))):
        if isinstance(source, dict):
            yield index, source


def git_directory_generators(generators: Any, prefix: tuple[str | int, ...] = ("spec", "generators")
                             ) -> Iterator[tuple[tuple[str | int, ...], list[str], list[str]]]:
    """(position path, include patterns, exclude patterns) of every git directory generator, nested too."""
    for index, generator in enumerate(_list(generators)):
        if not isinstance(generator, dict):
            continue
        git = generator.get("git")
        if isinstance(git, dict) and isinstance(git.get("directories"), list):
            includes = [d["path"] for d in git["directories"] if isinstance(d, dict) and isinstance(d.get("path"), str)
                        and not d.get("exclude")]
            excludes = [d["path"] for d in git["directories"] if isinstance(d, dict) and isinstance(d.get("path"), str)
                        and d.get("exclude")]
            yield prefix + (index, "git", "directories"), includes, excludes
        for combinator in ("matrix", "merge"):
            nested = generator.get(combinator)
            if isinstance(nested, dict):
                yield from git_directory_generators(nested.get("generators"), prefix + (index, combinator, "generators"))


def glob_regex(pattern: str) -> re.Pattern[str]:
    """Argo CD's directory patterns: ``*`` within one path segment, ``**`` across segments."""
    out = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        out.append({"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char)))
        index += 1
    return re.compile("^" + "".join(out) + "$")


def match_directories(directories: list[str], includes: list[str], excludes: list[str]) -> list[str]:
    include_res = [glob_regex(p.strip("/")) for p in includes]
    exclude_res = [glob_regex(p.strip("/")) for p in excludes]
    return [d for d in directories
            if any(r.match(d) for r in include_res) and not any(r.match(d) for r in exclude_res)]
