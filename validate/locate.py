"""Mapping rendered objects back to the file and line a user edits.

Kustomize's origin annotation names the resource file an object came from; this module finds
the object's document in that file (by kind, then by name, which prefixes, suffixes and hashes
may have changed) and, for a field path, the line of that field. When the source has no such
field, a patch applied by one of the kustomizations in the object's transformation list may:
then the finding lands in the patch file. Otherwise it lands on the object, saying so.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from validate import helm_inflation
from validate.kustomization import attribution
from validate.kustomization.patches import InlinePatch, inline_patch, patch_entries
from validate.load import LoadedFile
from validate.model import Document, FieldPath, Location, RenderedObject, metadata_name, value_at


class Locator:
    def __init__(self, loaded: dict[str, LoadedFile]):
        self.loaded = loaded
        self._documents: dict[tuple[str, int], Document | None] = {}
        self._inline: dict[tuple[str, FieldPath], InlinePatch] = {}  # inline patches, parsed once

    def source_document(self, obj: RenderedObject) -> Document | None:
        if obj.source_file is None or obj.remote is not None:
            return None
        key = (obj.render + "\0" + obj.source_file, obj.index)
        if key not in self._documents:
            self._documents[key] = _match(self._objects(obj.source_file), obj.data)
        return self._documents[key]

    def _objects(self, rel: str) -> list[Document]:
        loaded = self.loaded.get(rel)
        return [d for d in loaded.documents if isinstance(d.data, dict)] if loaded else []

    def locate(self, obj: RenderedObject, path: FieldPath) -> Location:
        path = tuple(path)
        document = self.source_document(obj)
        set_by = attribution.locate(obj.transformed_in, obj.data, document, path, self.loaded)
        if set_by is not None:  # an overlay's images:, labels:, namespace:, ... set the value
            origin = f"; the object is in {obj.source_file}" if obj.source_file else ""
            return Location(set_by[0], set_by[1], set_by[2], f" (set here by {set_by[3]}{origin})")
        patched = self._in_patch(obj, path, document)  # a patch that sets the field wins over the base
        if patched is not None:
            return patched
        if obj.remote is not None:
            return Location(obj.source_file, obj.remote[1], None, f" (in remote base {obj.remote[0]})")
        if document is not None:
            exact = document.position(path)
            if exact is not None:
                return Location(document.file, exact[0], exact[1])
        if document is not None:
            nearest_path, (line, column) = document.nearest(path)
            note = "" if not path else " (the value is not in this file: a kustomize transformer set it)"
            return Location(document.file, line, column, note)
        if obj.generated_in is not None:
            return self._generator(obj, path)
        if obj.source_file is not None:
            return Location(obj.source_file, None, None)
        return Location(f"{obj.render}/kustomization.yaml" if obj.render != "." else "kustomization.yaml",
                        None, None)

    def locate_object(self, obj: RenderedObject) -> Location:
        return self.locate(obj, ())

    def _generator(self, obj: RenderedObject, path: FieldPath = ()) -> Location:
        assert obj.generated_in is not None
        loaded = self.loaded.get(obj.generated_in)
        document = loaded.documents[0] if loaded and loaded.documents else None
        inflated = helm_inflation.locate(obj, document, path)  # helmCharts: the entry, or its valuesInline line
        if inflated is not None:
            return inflated
        if document is None or not isinstance(document.data, dict):
            return Location(obj.generated_in, None, None)
        field = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}.get(
            obj.generator or "", "")
        entries = document.data.get(field)
        name = str((obj.data.get("metadata") or {}).get("name", ""))
        if isinstance(entries, list):
            for index, entry in enumerate(entries):
                if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"] in name:
                    position = document.position((field, index))
                    if position:
                        return Location(obj.generated_in, position[0], position[1])
        return Location(obj.generated_in, document.line, document.column)

    def _in_patch(self, obj: RenderedObject, path: FieldPath, source: Document | None = None) -> Location | None:
        """The patch file and line that set ``path`` on ``obj``, if a patch did."""
        if not path:
            return None
        found: Location | None = None  # the last patch applied is the one whose value stands
        for kustomization_file, transformer in obj.transformed_in:
            if transformer not in ("PatchTransformer", "PatchStrategicMergeTransformer", "PatchJson6902Transformer"):
                continue
            loaded = self.loaded.get(kustomization_file)
            if not loaded or not loaded.documents or not isinstance(loaded.documents[0].data, dict):
                continue
            directory = PurePosixPath(kustomization_file).parent
            entries = patch_entries(loaded.documents[0].data)
            for entry in entries:
                if entry.path is None:
                    continue
                rel = _normalise((directory / entry.path).as_posix())
                position = self._patch_position(self.loaded.get(rel), rel, obj.data, entry.target, path, source)
                if position is not None:
                    found = Location(position[0], position[1], position[2],
                                     f" (set by patch {position[0]}, applied in {kustomization_file})")
            for entry in entries:
                if entry.text is None:
                    continue
                if (kustomization_file, entry.key) not in self._inline:
                    self._inline[kustomization_file, entry.key] = inline_patch(
                        kustomization_file, loaded.documents[0], loaded.text, entry)
                inline = self._inline[kustomization_file, entry.key]
                if inline.start is None:
                    continue
                position = self._patch_position(inline.parsed, kustomization_file, obj.data, entry.target, path,
                                                source)
                if position is not None:
                    line, column = (position[1], position[2]) if inline.placed else inline.start
                    found = Location(kustomization_file, line, column,
                                     f" (set by the inline patch of {kustomization_file})")
        return found

    def _patch_position(self, loaded: LoadedFile | None, rel: str, data: dict[str, Any],
                        target: dict[str, Any] | None, path: FieldPath,
                        source: Document | None = None) -> tuple[str, int, int] | None:
        objects = [d for d in loaded.documents if isinstance(d.data, dict)] if loaded else []
        for document in objects:
            patch = document.data
            if "op" in patch or isinstance(patch, list):
                continue
            if target is None and not _same_object(patch, data):
                continue
            if target is not None and not _targets(target, data):
                continue
            position = document.position(path)
            if position is not None and source is not None and source.position(path) is not None and (
                    isinstance(value_at(patch, path), (dict, list))
                    or value_at(patch, path) == value_at(source.data, path)):
                continue  # the patch merges into (or repeats the merge key of) what the resource file holds
            if position is not None:
                return rel, position[0], position[1]
        # JSON 6902 patches: a list of operations
        if loaded and loaded.documents and isinstance(loaded.documents[0].data, list):
            if target is not None and not _targets(target, data):
                return None
            pointer = "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in path)
            document = loaded.documents[0]
            for index, op in enumerate(document.data):
                if isinstance(op, dict) and isinstance(op.get("path"), str) and op.get("op") != "remove" and (
                        pointer == op["path"] or pointer.startswith(op["path"].rstrip("/") + "/")):
                    # the field's own line inside the op's value, else its nearest parent there, else the op
                    rest = tuple(path[len([p for p in op["path"].split("/") if p]):])
                    position = next((found for depth in range(len(rest), -1, -1)
                                     if (found := document.position((index, "value", *rest[:depth]))) is not None),
                                    None) or document.position((index,))
                    if position is not None:
                        return rel, position[0], position[1]
        return None


def _normalise(rel: str) -> str:
    parts: list[str] = []
    for part in rel.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts)


def _same_object(patch: dict[str, Any], data: dict[str, Any]) -> bool:
    if patch.get("kind") != data.get("kind"):
        return False
    name = metadata_name(patch)
    return bool(name) and name in metadata_name(data)


def _targets(target: dict[str, Any], data: dict[str, Any]) -> bool:
    """A patch target selector, as far as it can be judged from the rendered object."""
    if "kind" in target and target["kind"] != data.get("kind"):
        return False
    if "name" in target and str(target["name"]) not in metadata_name(data):
        return False
    return True


def _match(documents: list[Document], data: dict[str, Any]) -> Document | None:
    same_kind = [d for d in documents if d.data.get("kind") == data.get("kind")]
    if len(same_kind) == 1:
        return same_kind[0]
    rendered = metadata_name(data)
    named = [d for d in same_kind if metadata_name(d.data) and metadata_name(d.data) in rendered]
    if named:
        return max(named, key=lambda d: len(metadata_name(d.data)))
    return same_kind[0] if same_kind else (documents[0] if len(documents) == 1 else None)
