"""Which Kubernetes kinds are namespaced: the repository's CRDs, the API server's discovery data, our schemas."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from validate.argocd.objects import group_kind, mapping, text


@cache
def builtin_scopes() -> dict[tuple[str, str], bool]:
    """(group, kind) -> namespaced, for every built-in kind: ``validate/data/builtin-scopes.json``, the
    discovery documents of a real kube-apiserver with every API version on (``tools/builtin_scopes.py``)."""
    data = json.loads((resources.files("validate") / "data" / "builtin-scopes.json").read_text())
    found: dict[tuple[str, str], bool] = {}
    for key, value in data["namespaced"].items():
        group, _, kind = key.partition("/")
        found[(group, kind)] = bool(value)
    return found


@cache
def own_scopes() -> dict[tuple[str, str], bool]:
    """(group, kind) -> namespaced, from ``x-kubernetes-scope`` of the kind schemas we ship."""
    from validate.schema import own_schemas

    found: dict[tuple[str, str], bool] = {}
    for schema in own_schemas().values():
        scope = schema.get("x-kubernetes-scope")
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            if scope in ("Namespaced", "Cluster"):
                found[(gvk.get("group", ""), gvk.get("kind", ""))] = scope == "Namespaced"
    return found


def crd_scopes(candidates: Iterable[Any]) -> dict[tuple[str, str], str]:
    """(group, kind) -> scope, from every CustomResourceDefinition among ``candidates`` (object data)."""
    scopes: dict[tuple[str, str], str] = {}
    for data in candidates:
        if group_kind(data) != ("apiextensions.k8s.io", "CustomResourceDefinition"):
            continue
        spec = mapping(data.get("spec"))
        group, kind = spec.get("group"), mapping(spec.get("names")).get("kind")
        if isinstance(group, str) and isinstance(kind, str) and isinstance(spec.get("scope"), str):
            scopes[(group, kind)] = spec["scope"]
    return scopes


def namespaced(data: Any, scopes: dict[tuple[str, str], str]) -> bool | None:
    """Whether the object's kind is namespaced: from the repository's CRDs (``scopes``), the API
    server's discovery data, our own schemas; None when nothing says (a custom kind without its
    CRD, a kind removed before the discovery data): never a guess from the group, since a
    cluster-scoped kind (``GatewayClass``) can sit in a group of namespaced ones."""
    key = group_kind(data)
    scope = scopes.get(key)
    if scope is not None:
        return scope == "Namespaced"
    for table in (builtin_scopes(), own_scopes()):
        if key in table:
            return table[key]
    return None


def object_key(data: Any, default_namespace: str, scopes: dict[tuple[str, str], str]
               ) -> tuple[str, str, str, str] | None:
    """(group, kind, namespace, name) as the cluster sees it, with Argo CD's destination namespace
    filled in for a namespaced object that has none."""
    group, kind = group_kind(data)
    metadata = mapping(mapping(data).get("metadata"))
    name = text(metadata.get("name"))
    if not kind or name is None:
        return None
    namespace = text(metadata.get("namespace")) or ""
    if not namespace and namespaced(data, scopes) is not False:
        namespace = default_namespace
    if namespaced(data, scopes) is False:
        namespace = ""
    return group, kind, namespace, name


def describe(key: tuple[str, str, str, str]) -> str:
    _, kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
