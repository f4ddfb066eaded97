"""The core group's objects other than pods: Service, ConfigMap, Secret, Namespace
(kubernetes pkg/apis/core/validation/validation.go). Pod specs live in :mod:`pods` and its helpers."""

from __future__ import annotations

from typing import Any

from validate.apivalidation import meta, names, pods
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int, show

SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
IP_FAMILIES = ("IPv4", "IPv6")
IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
MAX_CLIENT_IP_TIMEOUT = 86400
SECRET_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


def service(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    path: Path = ("spec",)
    kind = spec.get("type") or "ClusterIP"
    errors.enum(path + ("type",), spec.get("type"), SERVICE_TYPES)
    port_list = as_list(spec.get("ports"))
    cluster_ip = spec.get("clusterIP")
    headless = cluster_ip == "None"
    if kind != "ExternalName" and not port_list and not headless:
        errors.required(path + ("ports",))
    if kind == "ExternalName":
        if cluster_ip not in (None, ""):
            errors.forbidden(path + ("clusterIP",), "may not be set for ExternalName services")
        external = spec.get("externalName")
        if not external:
            errors.required(path + ("externalName",))
        elif isinstance(external, str):
            errors.invalid_all(path + ("externalName",), external, names.dns1123_subdomain(external.rstrip(".")))
    elif isinstance(cluster_ip, str) and cluster_ip and not headless:
        errors.invalid_all(path + ("clusterIP",), cluster_ip, names.ip(cluster_ip))
    require_name = len(port_list) > 1
    seen_names: set[str] = set()
    seen_ports: set[tuple[Any, Any]] = set()
    for index, port in enumerate(port_list):
        port = as_dict(port)
        where = path + ("ports", index)
        name = port.get("name")
        if require_name and not name:
            errors.required(where + ("name",))
        elif isinstance(name, str) and name:
            errors.invalid_all(where + ("name",), name, names.dns1123_label(name))
            if name in seen_names:
                errors.duplicate(where + ("name",), name)
            seen_names.add(name)
        number = port.get("port")
        if is_int(number):
            errors.invalid_all(where + ("port",), number, names.port_number(number))
        protocol = port.get("protocol")
        if isinstance(protocol, str):
            if not protocol:
                errors.required(where + ("protocol",))
            errors.enum(where + ("protocol",), protocol, pods.PROTOCOLS)
        target = port.get("targetPort")
        if is_int(target) and target != 0:
            errors.invalid_all(where + ("targetPort",), target, names.port_number(target))
        elif isinstance(target, str) and target:
            errors.invalid_all(where + ("targetPort",), target, names.port_name(target))
        key = (number, protocol or "TCP")
        if key in seen_ports:
            errors.duplicate(where, {"port": number, "protocol": protocol or "TCP"})
        seen_ports.add(key)
        node_port = port.get("nodePort")
        if is_int(node_port) and node_port != 0:
            if kind not in ("NodePort", "LoadBalancer"):
                errors.forbidden(where + ("nodePort",), "may not be used when `type` is 'ClusterIP'"
                                 if kind == "ClusterIP" else f"may not be used when `type` is {show(kind)}")
            else:
                errors.invalid_all(where + ("nodePort",), node_port, names.port_number(node_port))
    selector = spec.get("selector")
    if isinstance(selector, dict):
        meta.labels(errors, selector, path + ("selector",))
    errors.enum(path + ("sessionAffinity",), spec.get("sessionAffinity"), SESSION_AFFINITIES)
    config = as_dict(spec.get("sessionAffinityConfig"))
    timeout = as_dict(config.get("clientIP")).get("timeoutSeconds")
    if spec.get("sessionAffinity") == "ClientIP":
        if is_int(timeout) and not 0 < timeout <= MAX_CLIENT_IP_TIMEOUT:
            errors.invalid(path + ("sessionAffinityConfig", "clientIP", "timeoutSeconds"), timeout,
                           f"must be greater than 0 and less than {MAX_CLIENT_IP_TIMEOUT}")
    policy = spec.get("externalTrafficPolicy")
    if policy is not None:
        if kind in ("ClusterIP", "ExternalName"):
            errors.invalid(path + ("externalTrafficPolicy",), policy, "may only be set for externally-accessible"
                           " services")
        else:
            errors.enum(path + ("externalTrafficPolicy",), policy, TRAFFIC_POLICIES)
    errors.enum(path + ("internalTrafficPolicy",), spec.get("internalTrafficPolicy"), TRAFFIC_POLICIES)
    families = as_list(spec.get("ipFamilies"))
    for index, family in enumerate(families):
        if isinstance(family, str) and family not in IP_FAMILIES:
            errors.not_supported(path + ("ipFamilies", index), family, IP_FAMILIES)
        elif family in families[:index]:
            errors.duplicate(path + ("ipFamilies", index), family)
    family_policy = spec.get("ipFamilyPolicy")
    errors.enum(path + ("ipFamilyPolicy",), family_policy, IP_FAMILY_POLICIES)
    if family_policy == "SingleStack" and len(families) > 1:
        errors.invalid(path + ("ipFamilies",), families, "when multiple IP families are specified, IP family policy"
                       " must be PreferDualStack or RequireDualStack")
    if len(families) > 2:
        errors.invalid(path + ("ipFamilies",), families, "may specify no more than one IP for each IP family")


def config_map(errors: Errors, obj: dict[str, Any]) -> None:
    seen: set[str] = set()
    for field in ("data", "binaryData"):
        for key in as_dict(obj.get(field)):
            key = str(key)
            errors.invalid_all((field, key), key, names.config_map_key(key))
            if key in seen:
                errors.invalid(("data",), key, "duplicate of key present in binaryData")
            seen.add(key)


def secret(errors: Errors, obj: dict[str, Any]) -> None:
    keys: set[str] = set()
    for field in ("data", "stringData"):
        for key in as_dict(obj.get(field)):
            key = str(key)
            errors.invalid_all((field, key), key, names.config_map_key(key))
            keys.add(key)
    kind = obj.get("type")
    for required in SECRET_REQUIRED_KEYS.get(str(kind), ()):
        if required not in keys:
            errors.required(("data", required))
    if kind == "kubernetes.io/basic-auth" and not ({"username", "password"} & keys):
        errors.required(("data",), "either username or password is required for basic authentication credentials")
    if kind == "kubernetes.io/service-account-token":
        annotations = as_dict(as_dict(obj.get("metadata")).get("annotations"))
        if not annotations.get("kubernetes.io/service-account.name"):
            errors.required(("metadata", "annotations", "kubernetes.io/service-account.name"))


def namespace(errors: Errors, obj: dict[str, Any]) -> None:
    for index, finalizer in enumerate(as_list(as_dict(obj.get("spec")).get("finalizers"))):
        if not isinstance(finalizer, str):
            continue
        problems = names.qualified_name(finalizer)
        if problems:
            errors.invalid_all(("spec", "finalizers", index), finalizer, problems)
        elif "/" not in finalizer and finalizer not in meta.STANDARD_FINALIZERS:
            errors.invalid(("spec", "finalizers", index), finalizer,
                           "name is neither a standard finalizer name nor is it fully qualified")
