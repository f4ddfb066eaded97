"""Whether a kind is namespaced or cluster-scoped, from data rather than hand lists.

* custom resources: the CustomResourceDefinitions of the repository and of its rendered charts;
* built-in kinds: ``data/builtin-scopes.json``, the discovery documents of a real kube-apiserver
  with every API version switched on (written by ``tools/builtin_scopes.py``);
* kinds we ship a schema for (SeldonDeployment, Argo CD's kinds): ``x-kubernetes-scope`` in the schema.

Anything else is unknown (None): a rule that needs the scope says nothing rather than guess, so a
cluster-scoped custom kind (a Gateway API ``GatewayClass``) never gets a missing-namespace warning
because other kinds of its group are namespaced.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from validate.argocd import crd_scopes, group_kind
from validate.schema import own_schemas

if TYPE_CHECKING:
    from validate.rules import Context


@cache
def builtin_scopes() -> dict[tuple[str, str], bool]:
    data = json.loads((resources.files("validate") / "data" / "builtin-scopes.json").read_text())
    return {tuple(key.split("/", 1)): value for key, value in data["namespaced"].items()}  # type: ignore[misc]


@cache
def own_scopes() -> dict[tuple[str, str], bool]:
    found: dict[tuple[str, str], bool] = {}
    for schema in own_schemas().values():
        scope = schema.get("x-kubernetes-scope")
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            if scope in ("Namespaced", "Cluster"):
                found[(gvk.get("group", ""), gvk.get("kind", ""))] = scope == "Namespaced"
    return found


def namespaced(data: Any, ctx: Context) -> bool | None:
    """Whether the object's kind is namespaced; None when nothing the validator has says so."""
    key = group_kind(data)
    scope = crd_scopes(ctx).get(key)
    if scope is not None:
        return scope == "Namespaced"
    for table in (builtin_scopes(), own_scopes()):
        if key in table:
            return table[key]
    return None
