"""networking.k8s.io/v1: Ingress and NetworkPolicy (kubernetes pkg/apis/networking/validation)."""

from __future__ import annotations

import ipaddress
from typing import Any

from validate.apivalidation import meta, names
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int

PATH_TYPES = ("Exact", "ImplementationSpecific", "Prefix")
POLICY_TYPES = ("Egress", "Ingress")
PROTOCOLS = ("SCTP", "TCP", "UDP")


def ingress(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    class_name = spec.get("ingressClassName")
    if isinstance(class_name, str):
        errors.invalid_all(("spec", "ingressClassName"), class_name, names.dns1123_subdomain(class_name))
    default = spec.get("defaultBackend")
    if default is not None:
        backend(errors, as_dict(default), ("spec", "defaultBackend"))
    if not as_list(spec.get("rules")) and default is None:
        errors.invalid(("spec",), "", "either `defaultBackend` or `rules` must be specified")
    for index, tls in enumerate(as_list(spec.get("tls"))):
        for host_index, host in enumerate(as_list(as_dict(tls).get("hosts"))):
            if isinstance(host, str):
                _host(errors, host, ("spec", "tls", index, "hosts", host_index))
        secret = as_dict(tls).get("secretName")
        if isinstance(secret, str) and secret:
            errors.invalid_all(("spec", "tls", index, "secretName"), secret, names.dns1123_subdomain(secret))
    for index, rule in enumerate(as_list(spec.get("rules"))):
        rule = as_dict(rule)
        where: Path = ("spec", "rules", index)
        host = rule.get("host")
        if isinstance(host, str) and host:
            try:
                ipaddress.ip_address(host)
                errors.invalid(where + ("host",), host, "must be a DNS name, not an IP address")
            except ValueError:
                _host(errors, host, where + ("host",))
        http = rule.get("http")
        if http is None:
            continue
        paths = as_list(as_dict(http).get("paths"))
        if not paths:
            errors.required(where + ("http", "paths"))
        for path_index, entry in enumerate(paths):
            entry = as_dict(entry)
            at = where + ("http", "paths", path_index)
            kind = entry.get("pathType")
            if not kind:
                errors.required(at + ("pathType",), "pathType must be specified")
            elif kind not in PATH_TYPES:
                errors.not_supported(at + ("pathType",), kind, PATH_TYPES)
            value = entry.get("path")
            if kind in ("Exact", "Prefix"):
                if not isinstance(value, str) or not value.startswith("/"):
                    errors.invalid(at + ("path",), value if value is not None else "", "must be an absolute path")
                elif "//" in value:
                    errors.invalid(at + ("path",), value, "must not contain '//'")
            elif isinstance(value, str) and value and not value.startswith("/"):
                errors.invalid(at + ("path",), value, "must be an absolute path")
            backend(errors, as_dict(entry.get("backend")), at + ("backend",))


def _host(errors: Errors, host: str, path: Path) -> None:
    if host.startswith("*"):
        errors.invalid_all(path, host, names.wildcard_dns1123_subdomain(host))
    else:
        errors.invalid_all(path, host, names.dns1123_subdomain(host))


def backend(errors: Errors, value: dict[str, Any], path: Path) -> None:
    service, resource = value.get("service"), value.get("resource")
    if service is None and resource is None:
        errors.invalid(path, "", "one backend (service or resource) must be specified")
        return
    if service is not None and resource is not None:
        errors.invalid(path, "", "cannot set both resource and service backends")
        return
    if service is None:
        return
    service = as_dict(service)
    name = service.get("name")
    if isinstance(name, str):
        errors.invalid_all(path + ("service", "name"), name, names.dns1035_label(name))
    port = as_dict(service.get("port"))
    has_name, has_number = bool(port.get("name")), is_int(port.get("number")) and port.get("number") != 0
    if has_name and has_number:
        errors.invalid(path + ("service", "port"), port, "cannot set both port name & port number")
    elif has_name:
        errors.invalid_all(path + ("service", "port", "name"), port["name"], names.port_name(port["name"]))
    elif has_number:
        errors.invalid_all(path + ("service", "port", "number"), port["number"], names.port_number(port["number"]))
    else:
        errors.required(path + ("service", "port"), "port name or number is required")


def network_policy(errors: Errors, obj: dict[str, Any]) -> None:
    spec = as_dict(obj.get("spec"))
    meta.label_selector(errors, spec.get("podSelector"), ("spec", "podSelector"))
    types = as_list(spec.get("policyTypes"))
    for index, kind in enumerate(types):
        if isinstance(kind, str) and kind not in POLICY_TYPES:
            errors.not_supported(("spec", "policyTypes", index), kind, POLICY_TYPES)
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        for index, rule in enumerate(as_list(spec.get(direction))):
            rule = as_dict(rule)
            where: Path = ("spec", direction, index)
            for port_index, port in enumerate(as_list(rule.get("ports"))):
                _policy_port(errors, as_dict(port), where + ("ports", port_index))
            for peer_index, peer in enumerate(as_list(rule.get(peers_field))):
                _peer(errors, as_dict(peer), where + (peers_field, peer_index))


def _policy_port(errors: Errors, port: dict[str, Any], path: Path) -> None:
    protocol = port.get("protocol")
    errors.enum(path + ("protocol",), protocol, PROTOCOLS)
    number, end = port.get("port"), port.get("endPort")
    if is_int(number):
        errors.invalid_all(path + ("port",), number, names.port_number(number))
    elif isinstance(number, str):
        errors.invalid_all(path + ("port",), number, names.port_name(number))
    if end is not None:
        if not is_int(number):
            errors.required(path + ("port",), "must be specified when endPort is specified")
        elif is_int(end) and end < number:
            errors.invalid(path + ("endPort",), end, "must be greater than or equal to `port`")


def _peer(errors: Errors, peer: dict[str, Any], path: Path) -> None:
    present = [f for f in ("podSelector", "namespaceSelector", "ipBlock") if peer.get(f) is not None]
    if not present:
        errors.required(path, "must specify a peer")
    if "ipBlock" in present and len(present) > 1:
        errors.forbidden(path, "may not specify both ipBlock and another peer")
    for field in ("podSelector", "namespaceSelector"):
        if field in present:
            meta.label_selector(errors, peer[field], path + (field,))
    block = as_dict(peer.get("ipBlock"))
    if "ipBlock" in present:
        cidr = block.get("cidr")
        if not cidr:
            errors.required(path + ("ipBlock", "cidr"))
            return
        if isinstance(cidr, str):
            problems = names.cidr(cidr)
            errors.invalid_all(path + ("ipBlock", "cidr"), cidr, problems)
            if problems:
                return
            network = ipaddress.ip_network(cidr, strict=False)
            for index, excluded in enumerate(as_list(block.get("except"))):
                if not isinstance(excluded, str):
                    continue
                more = names.cidr(excluded)
                errors.invalid_all(path + ("ipBlock", "except", index), excluded, more)
                if not more:
                    sub = ipaddress.ip_network(excluded, strict=False)
                    if sub.version != network.version or not sub.subnet_of(network) or sub == network:  # type: ignore[arg-type]
                        errors.invalid(path + ("ipBlock", "except", index), excluded,
                                       "must be a strict subset of `cidr`")
