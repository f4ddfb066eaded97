"""Tolerations, affinity and topology spread constraints (validateTolerations, validateAffinity,
validateTopologySpreadConstraints)."""

from __future__ import annotations

from typing import Any

from validate.apivalidation import meta, names
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int

TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoExecute", "NoSchedule", "PreferNoSchedule")
NODE_SELECTOR_OPERATORS = ("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")
UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")


def tolerations(errors: Errors, value: Any, path: Path) -> None:
    for index, toleration in enumerate(as_list(value)):
        toleration = as_dict(toleration)
        where = path + (index,)
        key, operator = toleration.get("key"), toleration.get("operator")
        if isinstance(key, str) and key:
            errors.invalid_all(where + ("key",), key, names.qualified_name(key))
        if not key and operator != "Exists":
            errors.invalid(where + ("operator",), operator or "", "operator must be Exists when `key` is empty, which"
                           " means \"match all values and all keys\"")
        seconds = toleration.get("tolerationSeconds")
        if seconds is not None and toleration.get("effect") != "NoExecute":
            errors.invalid(where + ("effect",), toleration.get("effect") or "", "effect must be 'NoExecute' when"
                           " `tolerationSeconds` is set")
        if operator in (None, "", "Equal"):
            label = toleration.get("value")
            if isinstance(label, str):
                errors.invalid_all(where + ("value",), label, names.label_value(label))
        elif operator == "Exists":
            if toleration.get("value"):
                errors.invalid(where + ("operator",), toleration.get("value"),
                               "value must be empty when `operator` is 'Exists'")
        elif isinstance(operator, str):
            errors.not_supported(where + ("operator",), operator, TOLERATION_OPERATORS)
        effect = toleration.get("effect")
        if isinstance(effect, str) and effect:
            errors.enum(where + ("effect",), effect, TAINT_EFFECTS)


def affinity(errors: Errors, value: Any, path: Path) -> None:
    value = as_dict(value)
    node = as_dict(value.get("nodeAffinity"))
    required = node.get("requiredDuringSchedulingIgnoredDuringExecution")
    if required is not None:
        where = path + ("nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
        terms = as_list(as_dict(required).get("nodeSelectorTerms"))
        if not terms:
            errors.required(where + ("nodeSelectorTerms",), "must have at least one node selector term")
        for index, term in enumerate(terms):
            node_selector_term(errors, term, where + ("nodeSelectorTerms", index))
    for index, preferred in enumerate(as_list(node.get("preferredDuringSchedulingIgnoredDuringExecution"))):
        preferred = as_dict(preferred)
        where = path + ("nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution", index)
        weight(errors, preferred.get("weight"), where + ("weight",))
        node_selector_term(errors, preferred.get("preference"), where + ("preference",))
    for kind in ("podAffinity", "podAntiAffinity"):
        pods = as_dict(value.get(kind))
        for index, term in enumerate(as_list(pods.get("requiredDuringSchedulingIgnoredDuringExecution"))):
            pod_affinity_term(errors, term, path + (kind, "requiredDuringSchedulingIgnoredDuringExecution", index))
        for index, preferred in enumerate(as_list(pods.get("preferredDuringSchedulingIgnoredDuringExecution"))):
            preferred = as_dict(preferred)
            where = path + (kind, "preferredDuringSchedulingIgnoredDuringExecution", index)
            weight(errors, preferred.get("weight"), where + ("weight",))
            pod_affinity_term(errors, preferred.get("podAffinityTerm"), where + ("podAffinityTerm",))


def weight(errors: Errors, value: Any, path: Path) -> None:
    if is_int(value) and not 1 <= value <= 100:
        errors.invalid(path, value, "must be in the range 1-100")


def node_selector_term(errors: Errors, term: Any, path: Path) -> None:
    term = as_dict(term)
    for index, requirement in enumerate(as_list(term.get("matchExpressions"))):
        requirement = as_dict(requirement)
        where = path + ("matchExpressions", index)
        operator, values = requirement.get("operator"), as_list(requirement.get("values"))
        if operator in ("In", "NotIn"):
            if not values:
                errors.required(where + ("values",), "must be specified when `operator` is 'In' or 'NotIn'")
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errors.forbidden(where + ("values",), "may not be specified when `operator` is 'Exists' or"
                                 " 'DoesNotExist'")
        elif operator in ("Gt", "Lt"):
            if len(values) != 1:
                errors.required(where + ("values",), "must be specified single value when `operator` is 'Lt' or 'Gt'")
        elif isinstance(operator, str):
            errors.invalid(where + ("operator",), operator, "not a valid selector operator")
        key = requirement.get("key")
        if isinstance(key, str):
            errors.invalid_all(where + ("key",), key, names.qualified_name(key))


def pod_affinity_term(errors: Errors, term: Any, path: Path) -> None:
    term = as_dict(term)
    meta.label_selector(errors, term.get("labelSelector"), path + ("labelSelector",))
    key = term.get("topologyKey")
    if not key:
        errors.required(path + ("topologyKey",), "can not be empty")
    elif isinstance(key, str):
        errors.invalid_all(path + ("topologyKey",), key, names.qualified_name(key))


def topology_spread(errors: Errors, value: Any, path: Path) -> None:
    seen: set[tuple[Any, Any]] = set()
    for index, constraint in enumerate(as_list(value)):
        constraint = as_dict(constraint)
        where = path + (index,)
        skew = constraint.get("maxSkew")
        if is_int(skew) and skew <= 0:
            errors.invalid(where + ("maxSkew",), skew, "must be greater than zero")
        key = constraint.get("topologyKey")
        if not key:  # its syntax is not checked here, unlike an affinity term's
            errors.required(where + ("topologyKey",), "can not be empty")
        errors.enum(where + ("whenUnsatisfiable",), constraint.get("whenUnsatisfiable"), UNSATISFIABLE)
        domains = constraint.get("minDomains")
        if is_int(domains):
            if domains <= 0:
                errors.invalid(where + ("minDomains",), domains, "must be greater than 0")
            elif constraint.get("whenUnsatisfiable") != "DoNotSchedule":
                errors.invalid(where + ("minDomains",), domains, "can only use minDomains if whenUnsatisfiable="
                               "DoNotSchedule, not ScheduleAnyway")
        pair = (key, constraint.get("whenUnsatisfiable"))
        if pair in seen:
            errors.duplicate(where, f"{{{key}, {pair[1]}}}")
        seen.add(pair)
        meta.label_selector(errors, constraint.get("labelSelector"), where + ("labelSelector",))
