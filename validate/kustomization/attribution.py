"""Which kustomization line set a rendered value, when a transformer (not the resource file) did.

A wrong value that an overlay's ``images:``, ``labels:``, ``commonLabels:``, ``commonAnnotations:``,
``namespace:``, ``namePrefix:``/``nameSuffix:`` or ``replicas:`` set belongs to that overlay line,
not to the untouched base. The transformer annotation says which kustomizations ran which
transformers on the object; the rendered value, compared with the resource file's, says whether
one of them changed the field, and the kustomization's entries say which line did.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from validate.load import LoadedFile
from validate.model import MISSING, Document, FieldPath, metadata_name, value_at

LABELS = ("labels", "commonLabels")


def locate(transformed_in: list[tuple[str, str]], rendered: dict[str, Any], source: Document | None,
           path: FieldPath, loaded: dict[str, LoadedFile]) -> tuple[str, int, int, str] | None:
    """(file, line, column, transformer field) of the kustomization entry that set ``path``, if one did.

    ``source`` is the object's document in its resource file. Nothing is claimed when the source
    already holds the rendered value: then the resource file is the place to edit.
    """
    if not path:
        return None
    path = tuple(path)
    value = value_at(rendered, path, MISSING)
    if value is MISSING:
        return None
    if source is not None and value_at(source.data, path, MISSING) == value:
        return None
    found = None
    for file, transformer in transformed_in:  # innermost first: the last match is the one that stands
        document = _kustomization(loaded, file)
        if document is None:
            continue
        for field_path, field in _candidates(document.data, transformer, path, value, rendered):
            position = document.position(field_path)
            if position is not None:
                found = (file, position[0], position[1], field)
                break
    return found


def _candidates(data: dict[str, Any], transformer: str, path: FieldPath, value: Any,
                rendered: dict[str, Any]) -> Iterator[tuple[FieldPath, str]]:
    last = path[-1]
    if transformer == "ImageTagTransformer" and last == "image" and isinstance(value, str):
        yield from _image_entries(data, value)
    elif transformer == "LabelTransformer" and len(path) >= 2 and path[-2] == "labels" or \
            transformer == "LabelTransformer" and len(path) >= 2 and path[-2] == "matchLabels":
        yield from _label_entries(data, str(last), value)
    elif transformer == "AnnotationsTransformer" and len(path) >= 2 and path[-2] == "annotations":
        annotations = data.get("commonAnnotations")
        if isinstance(annotations, dict) and str(annotations.get(last)) == str(value):
            yield ("commonAnnotations", last), "commonAnnotations"
    elif transformer == "NamespaceTransformer" and path == ("metadata", "namespace"):
        if data.get("namespace") == value:
            yield ("namespace",), "namespace"
    elif transformer in ("PrefixTransformer", "SuffixTransformer", "PrefixSuffixTransformer") and \
            path == ("metadata", "name") and isinstance(value, str):
        prefix, suffix = data.get("namePrefix"), data.get("nameSuffix")
        if isinstance(prefix, str) and prefix and value.startswith(prefix):
            yield ("namePrefix",), "namePrefix"
        if isinstance(suffix, str) and suffix and value.endswith(suffix):
            yield ("nameSuffix",), "nameSuffix"
    elif transformer == "ReplicaCountTransformer" and last == "replicas":
        entries = data.get("replicas")
        name = metadata_name(rendered)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and entry.get("count") == value and isinstance(entry.get("name"), str) \
                    and entry["name"] in name:
                yield ("replicas", index, "count"), "replicas"


def _image_entries(data: dict[str, Any], image: str) -> Iterator[tuple[FieldPath, str]]:
    name, _, digest = image.partition("@")
    tag = None
    if name.rfind(":") > name.rfind("/"):
        name, tag = name[:name.rfind(":")], name[name.rfind(":") + 1:]
    for field in ("images", "imageTags"):
        entries = data.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict):
                continue
            new_name = entry.get("newName") if isinstance(entry.get("newName"), str) else entry.get("name")
            if new_name != name:
                continue
            if digest and entry.get("digest") == digest:
                yield (field, index, "digest"), field
            elif tag is not None and "newTag" in entry and str(entry["newTag"]) == tag:
                yield (field, index, "newTag"), field
            elif "newName" in entry:
                yield (field, index, "newName"), field


def _label_entries(data: dict[str, Any], key: str, value: Any) -> Iterator[tuple[FieldPath, str]]:
    common = data.get("commonLabels")
    if isinstance(common, dict) and key in common and str(common[key]) == str(value):
        yield ("commonLabels", key), "commonLabels"
    labels = data.get("labels")
    for index, entry in enumerate(labels if isinstance(labels, list) else []):
        pairs = entry.get("pairs") if isinstance(entry, dict) else None
        if isinstance(pairs, dict) and key in pairs and str(pairs[key]) == str(value):
            yield ("labels", index, "pairs", key), "labels"




def _kustomization(loaded: dict[str, LoadedFile], file: str) -> Document | None:
    found = loaded.get(file)
    if found is None or not found.documents or not isinstance(found.documents[0].data, dict):
        return None
    return found.documents[0]


