"""Kustomize's error texts, traced back to the file and line that cause them.

The texts are those of kustomize v5.8.1 (api/ and kyaml/), for example:

* ``no matches for Id Deployment.v1.apps/webb.[noNs]; failed to find unique target for patch ...``
  (a strategic-merge patch whose object is not there);
* ``replace operation does not apply: doc is missing path: /spec/x: missing value`` and
  ``error in remove for path: '/spec/x': Unable to remove nonexistent key: x: missing value``
  (a JSON 6902 operation whose path is not there);
* ``may not add resource with an already registered id: Deployment.v1.apps/web.[noNs]``
  (the same object added twice);
* ``nothing selected by Service.[noVer].[noGrp]/web.[noNs]:metadata.name`` (a replacement
  whose source is not there).

Each parser gets the failing render's kustomization tree and the loaded files, and returns the
findings at the root cause, or nothing when the text is not one it knows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from validate.discover import Inventory, Kustomization, closure_dirs
from validate.kustomization.patches import PatchEntry, inline_patch, patch_entries
from validate.kustomization.tree import data_of, join
from validate.load import LoadedFile
from validate.model import Document, Finding, as_list, metadata_name

_ID = r"(?P<id>[^\s;'\"]+?/[^\s;'\"]+?\.(?:\[noNs\]|[a-z0-9-]+))"
SMP_TARGET = re.compile(r"no matches for Id " + _ID + r"; failed to find unique target for patch")
SMP_MULTI = re.compile(r"multiple matches for Id " + _ID)
JSON_MISSING = re.compile(
    r"(?P<op>add|replace|remove|move|copy|test) operation does not apply: doc is missing"
    r" (?:path|from path): \"?(?P<path>[^\":]*)\"?: missing value"
)
JSON_REMOVE = re.compile(r"error in (?P<op>remove) for path: '(?P<path>[^']*)': Unable to remove nonexistent key")
JSON_TEST = re.compile(r"testing value (?P<path>\S+) failed")
DUPLICATE = re.compile(r"may not add resource with an already registered id: " + _ID)
RECURSED = re.compile(r"recursed accumulation of path '([^']+)'")
REPLACEMENT_SOURCE = re.compile(r"nothing selected by (?P<sel>\S+?):(?P<field>\S+)")


@dataclass(frozen=True)
class ResId:
    kind: str
    group: str
    name: str
    namespace: str

    @classmethod
    def parse(cls, text: str) -> ResId | None:
        """``Deployment.v1.apps/web.[noNs]``, ``Service.v1.[noGrp]/web.default``, ``Service.[noVer].[noGrp]/web.[noNs]``."""
        gvk, _, rest = text.partition("/")
        if not rest:
            return None
        name, _, namespace = rest.rpartition(".")
        parts = gvk.split(".")
        kind = parts[0]
        group = ".".join(parts[2:]) if len(parts) > 2 else ""
        group = "" if group == "[noGrp]" else group
        return cls(kind, group, name or rest, "" if namespace == "[noNs]" else namespace)

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r}"


@dataclass
class Patch:
    """One patch of a kustomization: a file, or inline text with positions in the kustomization."""

    kustomization: Kustomization
    file: str  # the patch file, or the kustomization file for an inline patch
    selector: dict[str, Any] | None
    documents: list[Document]
    entry: tuple[int, int] | None = None  # an inline patch's position, when its lines cannot be told


class Tree:
    """The kustomizations and files one failed render reads."""

    def __init__(self, inventory: Inventory, loaded: dict[str, LoadedFile], render: str):
        self.inventory = inventory
        self.loaded = loaded
        self.render = render
        self.directories = sorted(closure_dirs(render, inventory.kustomizations))

    def kustomizations(self) -> Iterator[Kustomization]:
        for directory in self.directories:
            yield self.inventory.kustomizations[directory]

    def documents(self, rel: str) -> list[Document]:
        loaded = self.loaded.get(rel)
        return [d for d in loaded.documents if d.data is not None] if loaded else []

    def patches(self) -> Iterator[Patch]:
        """Every patch of the tree: files, and inline patches placed on the kustomization's lines."""
        for kustomization in self.kustomizations():
            for entry in patch_entries(data_of(kustomization)):
                if entry.path is not None:
                    target = join(kustomization.dir, entry.path)
                    if target is not None:
                        yield Patch(kustomization, target, entry.target, self.documents(target))
                else:
                    yield self._inline(kustomization, entry)

    def _inline(self, kustomization: Kustomization, entry: PatchEntry) -> Patch:
        """An inline patch, its positions those of a literal block scalar's lines in the file (none when its
        lines are not the file's: a quoted, plain or folded scalar)."""
        loaded = self.loaded.get(kustomization.file)
        inline = inline_patch(kustomization.file, kustomization.document, loaded.text if loaded else None, entry)
        documents = inline.parsed.documents if inline.placed and inline.parsed.ok else []
        return Patch(kustomization, kustomization.file, entry.target, documents, inline.start)

    def resource_documents(self, directory: str | None = None) -> Iterator[Document]:
        """The objects of the resource files the render (or ``directory``'s part of it) reads."""
        directories = closure_dirs(directory, self.inventory.kustomizations) if directory else self.directories
        seen: set[str] = set()
        for current in sorted(directories):
            kustomization = self.inventory.kustomizations[current]
            data = data_of(kustomization)
            for field in ("resources", "bases"):
                for value in as_list(data.get(field)):
                    target = join(current, value) if isinstance(value, str) else None
                    if target is None or target in seen or target not in self.loaded:
                        continue
                    seen.add(target)
                    for document in self.documents(target):
                        if isinstance(document.data, dict) and "kind" in document.data:
                            yield document


def failing_kustomization(message: str, kustomizations: dict[str, Kustomization]) -> str | None:
    """The innermost kustomization directory kustomize was building when it failed, if it says."""
    found = [path.rstrip("/") or "." for path in RECURSED.findall(message)]
    return found[-1] if found and found[-1] in kustomizations else None


def explain(message: str, tree: Tree) -> list[Finding]:
    """Findings at the root cause of kustomize's ``message``; empty when it cannot be placed."""
    for parser in PARSERS:
        found = list(parser(message, tree))
        if found:
            return found
    return []


def _smp_target(message: str, tree: Tree) -> Iterator[Finding]:
    match = SMP_TARGET.search(message)
    if not match:
        return
    wanted = ResId.parse(match.group("id"))
    if wanted is None:
        return
    for patch in tree.patches():
        kustomization, patch_file = patch.kustomization, patch.file
        if patch.selector is not None:
            continue
        for document in patch.documents:
            data = document.data
            if not isinstance(data, dict) or data.get("kind") != wanted.kind or metadata_name(data) != wanted.name:
                continue
            line, column = (
                document.position(("metadata", "name")) or document.position(("kind",)) or (document.line, document.column)
            )
            existing = [
                metadata_name(d.data)
                for d in tree.resource_documents(kustomization.dir)
                if d.data.get("kind") == wanted.kind and metadata_name(d.data)
            ]
            others = sorted({str(d.data.get("kind")) for d in tree.resource_documents(kustomization.dir)})
            spaces = sorted(
                {
                    _namespace(d.data)
                    for d in tree.resource_documents(kustomization.dir)
                    if d.data.get("kind") == wanted.kind and metadata_name(d.data) == wanted.name
                }
            )
            if spaces and wanted.namespace not in spaces:  # the name is right: the namespace is not
                said = " or ".join(f"namespace {n!r}" if n else "no namespace" for n in spaces)
                yield Finding(
                    "kustomize-patch-target",
                    f"strategic-merge patch for {wanted} matches no object of"
                    f" {kustomization.dir}: {wanted} there has {said}, the patch "
                    f"{'namespace ' + repr(wanted.namespace) if wanted.namespace else 'none'}; set the"
                    " patch's metadata.namespace to the object's, or select it with a `target:` in the"
                    " patches entry",
                    patch_file,
                    line,
                    column,
                )
                continue
            if existing:
                there = f"the {wanted.kind} objects there are {', '.join(repr(n) for n in sorted(set(existing)))}"
            elif others:
                there = f"there is no {wanted.kind} at all (kinds there: {', '.join(others)})"
            else:
                there = "the kustomization has no resources"
            yield Finding(
                "kustomize-patch-target",
                f"strategic-merge patch for {wanted} matches no object of"
                f" {kustomization.dir}: {there}; fix metadata.name (or kind) to name an existing"
                " object, or select it with a `target:` in the patches entry",
                patch_file,
                line,
                column,
            )


def _namespace(data: dict[str, Any]) -> str:
    metadata = data.get("metadata")
    namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
    return namespace if isinstance(namespace, str) else ""


def _json_path(message: str, tree: Tree) -> Iterator[Finding]:
    match = JSON_MISSING.search(message) or JSON_REMOVE.search(message) or JSON_TEST.search(message)
    if not match:
        return
    pointer = match.group("path")
    op_name = match.groupdict().get("op") or "test"
    for patch in tree.patches():
        kustomization, patch_file, selector, documents = patch.kustomization, patch.file, patch.selector, patch.documents
        if len(documents) != 1 or not isinstance(documents[0].data, list):
            continue
        document = documents[0]
        for index, op in enumerate(document.data):
            if not isinstance(op, dict) or op.get("path") != pointer or op.get("op") != op_name:
                continue
            line, column = document.position((index, "path")) or document.position((index,)) or (document.line, 1)
            target = _selected(tree, kustomization.dir, selector)
            missing = _missing_part(target.data if target else None, pointer, op_name)
            subject = f"{target.data.get('kind')} {metadata_name(target.data)!r}" if target else "the target object"
            if op_name == "test":
                detail = f"the value at {pointer} of {subject} is not the one the test expects"
            else:
                detail = f"{subject} {missing}" if missing else f"{subject} has no {pointer}"
            yield Finding(
                "kustomize-json-patch-path",
                f"JSON patch `{op_name}` at {pointer} does not apply:"
                f" {detail}; fix the path, or use `add` (which creates the last segment)",
                patch_file,
                line,
                column,
            )


def _duplicate(message: str, tree: Tree) -> Iterator[Finding]:
    match = DUPLICATE.search(message)
    if not match:
        return
    wanted = ResId.parse(match.group("id"))
    if wanted is None:
        return
    sources = []
    for document in tree.resource_documents():
        data = document.data
        if data.get("kind") == wanted.kind and metadata_name(data) == wanted.name:
            sources.append(document)
    if len(sources) < 2:
        return
    for document in sources:
        others = [f"{o.file}:{o.line}" for o in sources if o is not document]
        line, column = document.position(("metadata", "name")) or (document.line, document.column)
        yield Finding(
            "kustomize-duplicate-object",
            f"{wanted} is added twice to {tree.render}: here and at"
            f" {', '.join(others)}; kustomize refuses a second object with the same kind, name and"
            " namespace: remove one, or patch the existing one instead",
            document.file,
            line,
            column,
            extra=tuple(("related", other) for other in others),
        )


def _replacement_source(message: str, tree: Tree) -> Iterator[Finding]:
    match = REPLACEMENT_SOURCE.search(message)
    if not match:
        return
    wanted = ResId.parse(match.group("sel"))
    if wanted is None:
        return
    for kustomization in tree.kustomizations():
        document = kustomization.document
        for index, replacement in enumerate(as_list(data_of(kustomization).get("replacements"))):
            source = replacement.get("source") if isinstance(replacement, dict) else None
            if not isinstance(source, dict) or document is None:
                continue
            if source.get("kind", wanted.kind) != wanted.kind or source.get("name", wanted.name) != wanted.name:
                continue
            line, column = document.position(("replacements", index, "source")) or (document.line, 1)
            yield Finding(
                "kustomize-replacement-source",
                f"replacement source {wanted} selects nothing in"
                f" {kustomization.dir}: fix its kind and name (fieldPath {match.group('field')})",
                kustomization.file,
                line,
                column,
            )


def _selected(tree: Tree, directory: str, selector: dict[str, Any] | None) -> Document | None:
    for document in tree.resource_documents(directory):
        data = document.data
        if selector is None:
            return document
        if "kind" in selector and selector["kind"] != data.get("kind"):
            continue
        if "name" in selector and not _regex_match(str(selector["name"]), metadata_name(data)):
            continue
        return document
    return None


def _regex_match(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _missing_part(data: Any, pointer: str, op_name: str) -> str | None:
    """Which segment of ``pointer`` is not in ``data``: ``has no 'x' under /a/b (it has: ...)``."""
    if data is None:
        return None
    segments = [s.replace("~1", "/").replace("~0", "~") for s in pointer.split("/")[1:]]
    current = data
    walked = ""
    for number, segment in enumerate(segments):
        last = number == len(segments) - 1
        if isinstance(current, dict):
            if segment in current:
                current = current[segment]
                walked += "/" + segment
                continue
            if last and op_name == "add":
                return None
            keys = ", ".join(sorted(str(k) for k in current)) or "nothing"
            return f"has no {segment!r} under {walked or '/'} (it has: {keys})"
        if isinstance(current, list):
            if segment == "-" and last:
                return None
            if segment.isdigit() and int(segment) < len(current):
                current = current[int(segment)]
                walked += "/" + segment
                continue
            return f"has {len(current)} item(s) under {walked or '/'}, so there is no index {segment}"
        return f"has a {type(current).__name__} at {walked}, not a map or list, so {segment!r} cannot be under it"
    return None


PARSERS: list[Callable[[str, Tree], Iterator[Finding]]] = [_smp_target, _json_path, _duplicate, _replacement_source]
