"""apps/v1: Deployment, StatefulSet, DaemonSet, ReplicaSet (kubernetes pkg/apis/apps/validation)."""

from __future__ import annotations

from typing import Any

from validate.apivalidation import meta, names, pods
from validate.apivalidation.field import Errors, Path, as_dict, is_int

DEPLOYMENT_STRATEGIES = ("Recreate", "RollingUpdate")
STATEFULSET_STRATEGIES = ("OnDelete", "RollingUpdate")
POD_MANAGEMENT = ("OrderedReady", "Parallel")


def selector_and_template(errors: Errors, spec: dict[str, Any], path: Path, owner: str = "ReplicaSet") -> None:
    selector = spec.get("selector")
    if isinstance(selector, dict):
        meta.label_selector(errors, selector, path + ("selector",))
        if not selector.get("matchLabels") and not selector.get("matchExpressions"):
            errors.invalid(path + ("selector",), "", "empty selector is invalid for deployment")
    pods.pod_template(errors, spec.get("template"), path + ("template",), restart_policies=("Always",))
    no_deadline(errors, spec.get("template"), path + ("template",), owner)


def no_deadline(errors: Errors, template: Any, path: Path, owner: str) -> None:
    """Pods of long-running workloads may not have a deadline (a Deployment's go through its ReplicaSet)."""
    if as_dict(as_dict(template).get("spec")).get("activeDeadlineSeconds") is not None:
        errors.forbidden(path + ("spec", "activeDeadlineSeconds"), f"activeDeadlineSeconds in {owner} is not Supported")


def int_or_percent(errors: Errors, value: Any, path: Path) -> bool:
    """IsValidPercent / non-negative integer; True when usable."""
    if isinstance(value, str):
        if not names.is_percent(value):
            errors.invalid(path, value, "a valid percent string must be a numeric string followed by an ending '%'"
                           " (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")
            return False
        return True
    if is_int(value) and value < 0:
        errors.invalid(path, value, "must be greater than or equal to 0")
        return False
    return True


def _is_zero(value: Any) -> bool:
    return value in (0, "0%")


def deployment(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    path: Path = ("spec",)
    errors.non_negative(path + ("replicas",), spec.get("replicas"))
    selector_and_template(errors, spec, path)
    strategy = as_dict(spec.get("strategy"))
    kind = strategy.get("type")
    errors.enum(path + ("strategy", "type"), kind, DEPLOYMENT_STRATEGIES)
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate" and rolling is not None:
        errors.forbidden(path + ("strategy", "rollingUpdate"), "may not be specified when strategy `type` is"
                         " 'Recreate'")
    elif isinstance(rolling, dict) and kind in (None, "RollingUpdate"):
        where = path + ("strategy", "rollingUpdate")
        surge, unavailable = rolling.get("maxSurge"), rolling.get("maxUnavailable")
        ok_surge = surge is None or int_or_percent(errors, surge, where + ("maxSurge",))
        ok_unavailable = unavailable is None or int_or_percent(errors, unavailable, where + ("maxUnavailable",))
        if ok_unavailable and isinstance(unavailable, str) and int(unavailable[:-1]) > 100:
            errors.invalid(where + ("maxUnavailable",), unavailable, "must not be greater than 100%")
        if ok_surge and ok_unavailable and surge is not None and unavailable is not None \
                and _is_zero(surge) and _is_zero(unavailable):
            errors.invalid(where + ("maxUnavailable",), unavailable,
                           "may not be 0 when `maxSurge` is 0")
    errors.non_negative(path + ("revisionHistoryLimit",), spec.get("revisionHistoryLimit"))
    errors.non_negative(path + ("minReadySeconds",), spec.get("minReadySeconds"))
    deadline = spec.get("progressDeadlineSeconds")
    if is_int(deadline):
        errors.non_negative(path + ("progressDeadlineSeconds",), deadline)
        ready = spec.get("minReadySeconds")
        if is_int(ready) and deadline <= ready:
            errors.invalid(path + ("progressDeadlineSeconds",), deadline,
                           "must be greater than minReadySeconds")


def stateful_set(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    path: Path = ("spec",)
    errors.non_negative(path + ("replicas",), spec.get("replicas"))
    errors.enum(path + ("podManagementPolicy",), spec.get("podManagementPolicy"), POD_MANAGEMENT)
    strategy = as_dict(spec.get("updateStrategy"))
    kind = strategy.get("type")
    errors.enum(path + ("updateStrategy", "type"), kind, STATEFULSET_STRATEGIES)
    rolling = strategy.get("rollingUpdate")
    if kind == "OnDelete" and rolling is not None:
        errors.invalid(path + ("updateStrategy", "rollingUpdate"), rolling,
                       "only allowed for updateStrategy 'RollingUpdate'")
    elif isinstance(rolling, dict):
        errors.non_negative(path + ("updateStrategy", "rollingUpdate", "partition"), rolling.get("partition"))
    # no revisionHistoryLimit check: ValidateStatefulSetSpec has none (Deployment's and DaemonSet's do), and
    # the API server accepts -1 on a StatefulSet (the oracle's deployment-revision_history cases)
    errors.non_negative(path + ("minReadySeconds",), spec.get("minReadySeconds"))
    selector_and_template(errors, spec, path, "StatefulSet")


def daemon_set(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    path: Path = ("spec",)
    selector_and_template(errors, spec, path, "DaemonSet")
    errors.non_negative(path + ("revisionHistoryLimit",), spec.get("revisionHistoryLimit"))
    errors.non_negative(path + ("minReadySeconds",), spec.get("minReadySeconds"))


def replica_set(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    path: Path = ("spec",)
    errors.non_negative(path + ("replicas",), spec.get("replicas"))
    errors.non_negative(path + ("minReadySeconds",), spec.get("minReadySeconds"))
    selector_and_template(errors, spec, path)
