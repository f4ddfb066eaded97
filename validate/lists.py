"""The objects of a loaded file, as kubectl and Argo CD see them: mappings, with ``List`` and
``*List`` kinds unpacked into their items (each item keeps its own source positions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from validate.load import LoadedFile
from validate.model import Document


def iter_objects(loaded: LoadedFile) -> Iterator[Document]:
    """Documents whose data is a mapping (the only kind of document a manifest may hold), with
    ``List`` and ``*List`` kinds unpacked into their items, as kubectl and Argo CD unpack them."""
    for document in loaded.documents:
        if isinstance(document.data, dict):
            yield from _unpacked(document)


def is_list(data: dict[str, Any]) -> bool:
    kind = data.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and isinstance(data.get("items"), list)


def _unpacked(document: Document) -> Iterator[Document]:
    if not is_list(document.data):
        yield document
        return
    for index, item in enumerate(document.data["items"]):
        if not isinstance(item, dict):
            continue
        prefix = ("items", index)
        line, column = document.positions.get(prefix, (document.line, document.column))
        positions = {path[2:]: where for path, where in document.positions.items() if path[:2] == prefix}
        yield from _unpacked(Document(document.file, document.index, item, line, column, positions, document.shared))
