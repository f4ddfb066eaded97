"""Argo CD objects as data: kinds, the small accessors every Argo CD module uses."""

from __future__ import annotations

from typing import Any

from validate.model import as_dict

GROUP = "argoproj.io"
APP_KINDS = {(GROUP, "Application"), (GROUP, "ApplicationSet")}
IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"


def group_kind(data: Any) -> tuple[str, str]:
    if not isinstance(data, dict):
        return "", ""
    api_version = data.get("apiVersion")
    kind = data.get("kind")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    return group, kind if isinstance(kind, str) else ""


def is_kind(data: Any, kind: str) -> bool:
    return group_kind(data) == (GROUP, kind)




mapping = as_dict  # the name the Argo CD modules and rules use


def text(value: Any) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def templated(value: Any) -> bool:
    """A value an ApplicationSet template left unresolved: no rule should judge it."""
    return isinstance(value, str) and "{{" in value


def is_argo(data: Any) -> bool:
    """Any object of Argo CD's API group."""
    return isinstance(data, dict) and str(data.get("apiVersion", "")).startswith(GROUP + "/")
