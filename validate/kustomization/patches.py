"""A kustomization's patches as kustomize reads them: the entries of ``patches``, ``patchesJson6902`` and
``patchesStrategicMerge`` in order, and inline patch text parsed and placed at its lines in the kustomization.
Used by the locator (``validate.locate``) and by the reading of kustomize's error texts
(``validate.kustomization.errors``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from validate.load import LoadedFile, load_text
from validate.model import Document, FieldPath


@dataclass(frozen=True)
class PatchEntry:
    """One patch of a kustomization's ``patches``, ``patchesJson6902`` or ``patchesStrategicMerge``: a
    patch file (``path``, relative to the kustomization) or a patch written inline (``text``)."""

    key: FieldPath  # where the entry's file name or text stands in the kustomization
    target: dict[str, Any] | None
    path: str | None = None
    text: str | None = None


def patch_entries(kustomization: dict[str, Any]) -> list[PatchEntry]:
    """The kustomization's patches, in the order of its fields and entries."""
    found: list[PatchEntry] = []
    for field in ("patches", "patchesJson6902"):
        entries = kustomization.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            target = entry.get("target") if isinstance(entry.get("target"), dict) else None
            if isinstance(entry.get("path"), str):
                found.append(PatchEntry((field, index, "path"), target, path=entry["path"]))
            elif isinstance(entry.get("patch"), str):
                found.append(PatchEntry((field, index, "patch"), target, text=entry["patch"]))
    entries = kustomization.get("patchesStrategicMerge")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, str):
            key = ("patchesStrategicMerge", index)
            found.append(PatchEntry(key, None, text=entry) if "\n" in entry else PatchEntry(key, None, path=entry))
    return found


@dataclass(frozen=True)
class InlinePatch:
    """An inline patch, parsed. ``start`` is where its text stands in the kustomization (None when that is
    not known); when ``placed``, the parsed documents' positions are the kustomization file's own (a
    literal block scalar, whose lines are the patch's lines), otherwise ``start`` stands for every line."""

    start: tuple[int, int] | None
    parsed: LoadedFile
    placed: bool


def inline_patch(file: str, document: Document | None, text: str | None, entry: PatchEntry) -> InlinePatch:
    """The inline patch ``entry`` of the kustomization ``document`` (of ``file``, whose text is ``text``),
    parsed and placed."""
    assert entry.text is not None
    start = document.position(entry.key) if document is not None else None
    parsed = load_text(entry.text, file)
    shift = _block_shift(text, start) if start is not None else None
    if shift is None:
        return InlinePatch(start, parsed, False)
    moved = [d.moved(*shift) for d in parsed.documents]
    return InlinePatch(start, dataclasses.replace(parsed, documents=moved), True)


def _block_shift(text: str | None, start: tuple[int, int]) -> tuple[int, int] | None:
    """(lines, columns) to add to a position inside a literal block scalar (``patch: |``) whose key or
    item stands at ``start``, to get the position in the file; None for other scalar styles, whose
    lines do not map one to one."""
    lines = (text or "").split("\n")
    if not 0 < start[0] < len(lines):
        return None
    rest = lines[start[0] - 1][start[1] - 1:]
    if not rest.startswith("|"):
        rest = rest.partition(":")[2].lstrip()
    if not rest.startswith("|"):
        return None
    for following in lines[start[0]:]:
        if following.strip():
            return start[0], len(following) - len(following.lstrip(" "))
    return None
