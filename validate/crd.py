"""JSON Schemas from CustomResourceDefinitions, as strict as the API server's pruning.

The API server drops fields a structural schema does not declare; a validator that silently
accepted them would hide typos. So every object schema that declares properties and neither
``additionalProperties`` nor ``x-kubernetes-preserve-unknown-fields`` becomes closed, OpenAPI's
``nullable`` becomes a null type, and ``x-kubernetes-int-or-string`` becomes integer-or-string.
``metadata`` is checked as a real ObjectMeta by reference into the Kubernetes definitions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from validate.schema_ids import K8S_DEFINITIONS, crd_schema_id

GVK = tuple[str, str, str]  # group, version, kind


def crd_schemas(crd: dict[str, Any]) -> Iterator[tuple[GVK, dict[str, Any]]]:
    """(group, version, kind) and a JSON Schema for each served version of a CRD."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    group = spec.get("group")
    names = spec.get("names")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return
    shared = spec.get("validation", {}).get("openAPIV3Schema") if isinstance(spec.get("validation"), dict) else None
    versions: list[Any] = spec["versions"] if isinstance(spec.get("versions"), list) else []
    if not versions and isinstance(spec.get("version"), str):
        versions = [{"name": spec["version"]}]
    for entry in versions:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        schema = entry.get("schema", {}).get("openAPIV3Schema") if isinstance(entry.get("schema"), dict) else None
        schema = schema if isinstance(schema, dict) else shared
        if not isinstance(schema, dict):
            continue
        version = entry["name"]
        converted = _convert(schema)
        properties = converted.setdefault("properties", {})
        properties["apiVersion"] = {"type": "string", "enum": [f"{group}/{version}"]}
        properties["kind"] = {"type": "string", "enum": [kind]}
        properties["metadata"] = {"$ref": f"{K8S_DEFINITIONS}#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
        converted.setdefault("type", "object")
        converted["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        converted["$id"] = crd_schema_id(group, version, kind)
        yield (group, version, kind), converted


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in ("nullable", "example", "externalDocs"):
            continue
        if key in ("properties", "patternProperties", "definitions"):
            out[key] = {name: _convert(sub) for name, sub in value.items()} if isinstance(value, dict) else value
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _convert(value)
        elif key in ("allOf", "anyOf", "oneOf") and isinstance(value, list):
            out[key] = [_convert(item) for item in value]
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    if node.get("x-kubernetes-embedded-resource"):
        out.setdefault("properties", {})
    return out
