"""autoscaling/v2 HorizontalPodAutoscaler and policy/v1 PodDisruptionBudget
(kubernetes pkg/apis/autoscaling/validation, pkg/apis/policy/validation)."""

from __future__ import annotations

from typing import Any

from validate.apivalidation import apps, meta
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int

METRIC_TYPES = ("ContainerResource", "External", "Object", "Pods", "Resource")
TARGET_TYPES = ("AverageValue", "Utilization", "Value")
EVICTION_POLICIES = ("AlwaysAllow", "IfHealthyBudget")


def hpa(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
    if is_int(low) and low < 1:
        errors.invalid(("spec", "minReplicas"), low, "must be greater than or equal to 1")
    if is_int(high) and high < 1:
        errors.invalid(("spec", "maxReplicas"), high, "must be greater than 0")
    if is_int(low) and is_int(high) and low >= 1 and high >= 1 and high < low:
        errors.invalid(("spec", "maxReplicas"), high, "must be greater than or equal to `minReplicas`")
    ref = as_dict(spec.get("scaleTargetRef"))
    for field in ("kind", "name"):
        if not ref.get(field):
            errors.required(("spec", "scaleTargetRef", field))
    for index, metric in enumerate(as_list(spec.get("metrics"))):
        metric_spec(errors, as_dict(metric), ("spec", "metrics", index))


def metric_spec(errors: Errors, metric: dict[str, Any], path: Path) -> None:
    kind = metric.get("type")
    if not kind:
        errors.required(path + ("type",))
        return
    if kind not in METRIC_TYPES:
        errors.not_supported(path + ("type",), kind, METRIC_TYPES)
        return
    field = {"Resource": "resource", "Pods": "pods", "Object": "object", "External": "external",
             "ContainerResource": "containerResource"}[kind]
    present = [f for f in ("resource", "pods", "object", "external", "containerResource") if metric.get(f) is not None]
    if field not in present:
        errors.required(path + (field,), f"must populate information for the given metric source (`type` is {kind})")
    for other in present:
        if other != field:
            errors.forbidden(path + (other,), "must populate the given metric source only")
    if field not in present:
        return
    body = as_dict(metric[field])
    target = body.get("target")
    if target is None:
        errors.required(path + (field, "target"))
        return
    target = as_dict(target)
    where = path + (field, "target")
    kind = target.get("type")
    if not kind:
        errors.required(where + ("type",), "must specify a metric target type")
    elif kind not in TARGET_TYPES:
        errors.not_supported(where + ("type",), kind, TARGET_TYPES)
    utilization = target.get("averageUtilization")
    if is_int(utilization) and utilization < 1:
        errors.invalid(where + ("averageUtilization",), utilization, "must be greater than 0")
    if field in ("resource", "containerResource"):
        if kind == "Utilization" and utilization is None:
            errors.required(where + ("averageUtilization",), "must set either a target raw value or a target"
                            " utilization")
        if kind == "AverageValue" and target.get("averageValue") is None:
            errors.required(where + ("averageValue",), "must set either a target raw value or a target utilization")
        if kind == "Value":
            errors.invalid(where + ("type",), kind, "must be either Utilization or AverageValue")


def pdb(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    low, high = spec.get("minAvailable"), spec.get("maxUnavailable")
    if low is not None and high is not None:
        errors.invalid(("spec",), spec, "minAvailable and maxUnavailable cannot be both set")
    for field, value in (("minAvailable", low), ("maxUnavailable", high)):
        if value is None:
            continue
        if apps.int_or_percent(errors, value, ("spec", field)) and isinstance(value, str) and int(value[:-1]) > 100:
            errors.invalid(("spec", field), value, "must not be greater than 100%")
    meta.label_selector(errors, spec.get("selector"), ("spec", "selector"))
    errors.enum(("spec", "unhealthyPodEvictionPolicy"), spec.get("unhealthyPodEvictionPolicy"), EVICTION_POLICIES)
