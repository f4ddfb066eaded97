"""The kustomization tree as kustomize reads it, with the line of every entry.

Kustomize decodes a kustomization with Go's ``encoding/json`` after converting YAML to JSON: field
names match case-insensitively (``fieldpath`` is ``fieldPath``), a null list (``components:`` with
every entry commented out) is an empty list, and unknown fields are refused. :func:`normalise`
gives the data that decoder sees, so that the schema check accepts what kustomize accepts.
"""

from __future__ import annotations

import difflib
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any

from validate.discover import KUSTOMIZATION_NAMES, Inventory, Kustomization, closure_dirs
from validate.model import Document, FieldPath, as_list

REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git::|gh:|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|[?&]ref=",
                    re.I)
HTTP_URL = re.compile(r"^https?://", re.I)  # what kustomize's file loader fetches instead of reading a file

# Maps whose keys are the user's (label names, annotation names, ...): never renamed.
_FREE_FORM = {"commonlabels", "commonannotations", "pairs", "labels", "annotations", "literals", "options",
              "valuesinline", "data", "stringdata", "matchlabels"}


@dataclass(frozen=True)
class Entry:
    """One entry of a kustomization that names a file or folder."""

    kustomization: Kustomization
    field: str  # resources, components, patches, configMapGenerator, ...
    path: FieldPath  # of the value inside the kustomization document
    value: str  # as written
    target: str | None  # repository-relative, None when it leaves the repository

    @property
    def line(self) -> int | None:
        position = self.position
        return position[0] if position else None

    @property
    def position(self) -> tuple[int, int] | None:
        document = self.kustomization.document
        return document.position(self.path) if document is not None else None

    @property
    def label(self) -> str:
        """How the entry reads to the user: ``patches: path``, ``resources``, ..."""
        tail = [p for p in self.path[1:] if isinstance(p, str)]
        return " ".join([self.field, *tail]) if tail else self.field


def data_of(kustomization: Kustomization) -> dict[str, Any]:
    document = kustomization.document
    return document.data if document is not None and isinstance(document.data, dict) else {}


def join(directory: str, reference: str) -> str | None:
    """``reference`` resolved against ``directory``, repository-relative; None when it leaves it."""
    if "\0" in reference or os.path.isabs(reference):
        return None
    combined = os.path.normpath(os.path.join(directory, reference)).replace(os.sep, "/")
    if combined == ".." or combined.startswith("../"):
        return None
    return combined




def entries(kustomization: Kustomization) -> Iterator[Entry]:
    """Every local file or folder a kustomization names, with the path of its node."""
    data = data_of(kustomization)
    directory = kustomization.dir

    def entry(field: str, path: FieldPath, value: str) -> Entry:
        return Entry(kustomization, field, path, value, join(directory, value))

    def local(value: Any) -> bool:
        # kustomize's loader fetches an http(s) URL wherever it reads a file (patches, generator
        # files, configurations): render-remote says such an entry cannot be read offline.
        return isinstance(value, str) and not HTTP_URL.match(value)

    for field in ("resources", "bases", "components"):
        for index, value in enumerate(as_list(data.get(field))):
            if isinstance(value, str) and not REMOTE.search(value):
                yield entry(field, (field, index), value)
    for field in ("patches", "patchesJson6902", "replacements"):
        for index, value in enumerate(as_list(data.get(field))):
            if isinstance(value, dict) and local(value.get("path")):
                yield entry(field, (field, index, "path"), value["path"])
    for index, value in enumerate(as_list(data.get("patchesStrategicMerge"))):
        if local(value) and "\n" not in value and ": " not in value:
            yield entry("patchesStrategicMerge", ("patchesStrategicMerge", index), value)
    for field in ("configMapGenerator", "secretGenerator"):
        for index, generator in enumerate(as_list(data.get(field))):
            if not isinstance(generator, dict):
                continue
            for number, source in enumerate(as_list(generator.get("files"))):
                if isinstance(source, str) and local(source.split("=", 1)[-1]):
                    yield entry(field, (field, index, "files", number), source.split("=", 1)[-1])
            for number, source in enumerate(as_list(generator.get("envs"))):
                if local(source):
                    yield entry(field, (field, index, "envs", number), source)
            if local(generator.get("env")):
                yield entry(field, (field, index, "env"), generator["env"])
    for field in ("crds", "configurations"):
        for index, value in enumerate(as_list(data.get(field))):
            if local(value) and "\n" not in value:
                yield entry(field, (field, index), value)


class Repository:
    """The repository's files and folders as the render sees them, and who renders what."""

    def __init__(self, inventory: Inventory):
        self.inventory = inventory
        self.files = set(inventory.files)
        self.directories = set(inventory.directories) | {"."}

    @cached_property
    def children(self) -> dict[str, list[str]]:
        found: dict[str, set[str]] = {}
        for rel in (*self.files, *self.directories):
            if rel == ".":
                continue
            parent = PurePosixPath(rel).parent.as_posix()
            found.setdefault(parent, set()).add(PurePosixPath(rel).name)
        return {parent: sorted(names) for parent, names in found.items()}

    def exists(self, rel: str) -> bool:
        return rel in self.files or rel in self.directories

    def on_disk(self, rel: str) -> bool:
        """Present in the work tree though not walked (ignored, or a link out of the repository)."""
        return os.path.lexists(self.inventory.root / rel)

    def kustomization_in(self, directory: str) -> Kustomization | None:
        return self.inventory.kustomizations.get(directory)

    def has_kustomization_file(self, directory: str) -> bool:
        prefix = "" if directory == "." else directory + "/"
        return any(prefix + name in self.files for name in KUSTOMIZATION_NAMES)

    def suggestion(self, directory: str, value: str, want_dir: bool | None = None) -> str | None:
        """A close existing spelling of ``value`` (relative to ``directory``), or None.

        The first path segment that does not exist is compared with its siblings; the rest of
        the path is kept, and the suggestion is offered only when the corrected path exists.
        """
        target = join(directory, value)
        if target is None:
            return None
        parts = target.split("/")
        for depth in range(len(parts)):
            prefix = "/".join(parts[:depth]) or "."
            current = "/".join(parts[:depth + 1])
            if self.exists(current):
                continue
            siblings = self.children.get(prefix, [])
            for candidate in difflib.get_close_matches(parts[depth], siblings, n=3, cutoff=0.6):
                if not _close_stems(parts[depth], candidate):
                    continue
                fixed = "/".join([*parts[:depth], candidate, *parts[depth + 1:]])
                if not self.exists(fixed):
                    continue
                if want_dir is True and fixed not in self.directories:
                    continue
                if want_dir is False and fixed not in self.files:
                    continue
                relative = os.path.relpath(fixed, directory).replace(os.sep, "/")
                if value.startswith("./") and not relative.startswith("."):
                    relative = "./" + relative
                return relative
            return None
        return None

    def renders_including(self, directory: str, renders: list[str]) -> list[str]:
        """The rendered paths whose kustomization tree contains ``directory``."""
        kustomizations = self.inventory.kustomizations
        return [r for r in renders if directory in closure_dirs(r, kustomizations)]

    def owners(self, renders: list[str]) -> list[str]:
        """The Argo CD Applications (or ApplicationSets) that sync these paths."""
        wanted = set(renders)
        return sorted({source.owner for source in self.inventory.argo_sources if source.path in wanted})


def affected(repository: Repository, renders: list[str]) -> str:
    """A clause naming the renders (and Argo CD owners) a cause breaks, for a message."""
    if not renders:
        return ""
    shown = ", ".join(renders[:6]) + (f" and {len(renders) - 6} more" if len(renders) > 6 else "")
    owners = repository.owners(renders)
    synced = f"; synced by {', '.join(owners[:4])}" + (" and more" if len(owners) > 4 else "") if owners else ""
    noun = "path" if len(renders) == 1 else "paths"
    return f" (breaks the rendered {noun} {shown}{synced})"


# --- what kustomize's decoder sees ---------------------------------------------------------------

def normalise(data: Any, known: frozenset[str] | set[str]) -> tuple[Any, dict[FieldPath, FieldPath]]:
    """``data`` as Go's case-insensitive decoder reads it, and a map from the new paths to the old.

    Keys that differ only in case from a field name kustomize knows (``known``) take that name;
    null values of mapping entries are dropped (Go leaves the field empty). Maps of user keys
    (labels, annotations, generator literals) are left alone.
    """
    by_lower = {name.lower(): name for name in known}
    renamed: dict[FieldPath, FieldPath] = {}

    def walk(value: Any, new: FieldPath, old: FieldPath, free: bool) -> Any:
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for key, item in value.items():
                if item is None and not free:
                    continue
                name = key
                if not free and isinstance(key, str) and key not in known and key.lower() in by_lower:
                    name = by_lower[key.lower()]
                if name in out:  # both spellings given: keep the user's, the schema reports it
                    name = key
                child_new, child_old = (*new, name), (*old, key)
                if name != key or new != old:
                    renamed[child_new] = child_old
                is_free = isinstance(name, str) and name.lower() in _FREE_FORM
                out[name] = walk(item, child_new, child_old, is_free)
            return out
        if isinstance(value, list):
            items = []
            for index, item in enumerate(value):
                if new != old:
                    renamed[(*new, index)] = (*old, index)
                items.append(walk(item, (*new, index), (*old, index), False))
            return items
        return value

    return walk(data, (), (), False), renamed


def original_path(path: FieldPath, renamed: dict[FieldPath, FieldPath]) -> FieldPath:
    """The path in the file of a path of :func:`normalise`'s output."""
    path = tuple(path)
    for end in range(len(path), 0, -1):
        if path[:end] in renamed:
            return (*renamed[path[:end]], *path[end:])
    return path


def position(document: Document, path: FieldPath) -> tuple[int, int]:
    exact = document.position(path)
    return exact if exact is not None else document.nearest(path)[1]


def _close_stems(written: str, candidate: str) -> bool:
    """Names that share an extension must be close without it: ``.yaml`` alone makes ``all.yaml``
    look like ``Chart.yaml`` (argocd-example-apps' plugin example generates its all.yaml)."""
    stem, suffix = posixpath.splitext(written)
    other, other_suffix = posixpath.splitext(candidate)
    if not suffix or suffix != other_suffix:
        return True
    return difflib.SequenceMatcher(None, stem, other).ratio() >= 0.6
