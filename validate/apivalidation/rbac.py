"""rbac.authorization.k8s.io/v1 (kubernetes pkg/apis/rbac/validation)."""

from __future__ import annotations

from typing import Any

from validate.apivalidation import names
from validate.apivalidation.field import Errors, as_dict, as_list

RBAC_GROUP = "rbac.authorization.k8s.io"


def role(errors: Errors, obj: dict[str, Any], cluster: bool = False) -> None:
    for index, rule in enumerate(as_list(obj.get("rules"))):
        rule = as_dict(rule)
        where = ("rules", index)
        if not as_list(rule.get("verbs")):
            errors.required(where + ("verbs",), "verbs must contain at least one value")
        urls = as_list(rule.get("nonResourceURLs"))
        if urls:
            if not cluster:
                errors.invalid(where + ("nonResourceURLs",), urls, "namespaced rules cannot apply to non-resource URLs")
            if as_list(rule.get("apiGroups")) or as_list(rule.get("resources")):
                errors.invalid(where + ("nonResourceURLs",), urls, "rules cannot apply to both regular resources and"
                               " non-resource URLs")
            continue
        if not as_list(rule.get("apiGroups")):
            errors.required(where + ("apiGroups",), "resource rules must supply at least one api group")
        if not as_list(rule.get("resources")):
            errors.required(where + ("resources",), "resource rules must supply at least one resource")


def binding(errors: Errors, obj: dict[str, Any], cluster: bool = False) -> None:
    ref = as_dict(obj.get("roleRef"))
    group, kind, name = ref.get("apiGroup"), ref.get("kind"), ref.get("name")
    if group not in (None, "", RBAC_GROUP):  # empty: defaulted to the RBAC group
        errors.not_supported(("roleRef", "apiGroup"), group, [RBAC_GROUP])
    allowed = ["ClusterRole"] if cluster else ["ClusterRole", "Role"]
    if kind not in allowed:
        errors.not_supported(("roleRef", "kind"), kind if isinstance(kind, str) else "", allowed)
    if not name:
        errors.required(("roleRef", "name"))
    elif isinstance(name, str):
        errors.invalid_all(("roleRef", "name"), name, names.path_segment(name))
    for index, subject in enumerate(as_list(obj.get("subjects"))):
        subject = as_dict(subject)
        where = ("subjects", index)
        kind, name, group = subject.get("kind"), subject.get("name"), subject.get("apiGroup")
        if not name:
            errors.required(where + ("name",))
        if kind == "ServiceAccount":
            if isinstance(name, str) and name:
                errors.invalid_all(where + ("name",), name, names.dns1123_subdomain(name))
            if group not in (None, ""):
                errors.not_supported(where + ("apiGroup",), group, [""])
            namespace = subject.get("namespace")
            if cluster and not namespace:
                errors.required(where + ("namespace",))
        elif kind in ("User", "Group"):
            if group not in (None, "", RBAC_GROUP):  # empty: defaulted to the RBAC group
                errors.not_supported(where + ("apiGroup",), group, [RBAC_GROUP])
        elif isinstance(kind, str):
            errors.not_supported(where + ("kind",), kind, ["Group", "ServiceAccount", "User"])
