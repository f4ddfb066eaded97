"""Probes and lifecycle handlers (validateProbe, validateHandler, validateLifecycle)."""

from __future__ import annotations

from typing import Any

from validate.apivalidation import names
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int

URI_SCHEMES = ("HTTP", "HTTPS")


def probe(errors: Errors, value: Any, path: Path, liveness: bool) -> None:
    value = as_dict(value)
    handler(errors, value, path, ("exec", "httpGet", "tcpSocket", "grpc"))
    for field in ("initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"):
        errors.non_negative(path + (field,), value.get(field))
    success = value.get("successThreshold")
    if liveness and is_int(success) and success != 1:
        errors.invalid(path + ("successThreshold",), success, "must be 1")
    grace = value.get("terminationGracePeriodSeconds")
    if grace is not None:
        if not liveness:
            errors.invalid(path + ("terminationGracePeriodSeconds",), grace, "must not be set for readinessProbes")
        elif is_int(grace) and grace <= 0:
            errors.invalid(path + ("terminationGracePeriodSeconds",), grace, "must be greater than 0")


def handler(errors: Errors, value: dict[str, Any], path: Path, kinds: tuple[str, ...]) -> None:
    present = [k for k in kinds if value.get(k) is not None]
    if not present:
        errors.required(path, "must specify a handler type")
        return
    for kind in present[1:]:
        errors.forbidden(path + (kind,), "may not specify more than 1 handler type")
    kind = present[0]
    body = as_dict(value[kind])
    where = path + (kind,)
    if kind == "exec":
        if not as_list(body.get("command")):
            errors.required(where + ("command",))
    elif kind == "httpGet":
        port_ref(errors, body.get("port"), where + ("port",))
        scheme = body.get("scheme")
        errors.enum(where + ("scheme",), scheme, URI_SCHEMES)
    elif kind == "tcpSocket":
        port_ref(errors, body.get("port"), where + ("port",))
    elif kind == "grpc":
        port = body.get("port")
        if is_int(port):
            errors.invalid_all(where + ("port",), port, names.port_number(port))
    elif kind == "sleep":
        seconds = body.get("seconds")
        if is_int(seconds) and seconds < (0 if errors.at_least("1.33") else 1):
            errors.invalid(where + ("seconds",), seconds, "must be non-negative"
                           if errors.at_least("1.33") else "must be greater than 0 and less than terminationGracePeriodSeconds")


def port_ref(errors: Errors, port: Any, path: Path) -> None:
    if is_int(port):
        errors.invalid_all(path, port, names.port_number(port))
    elif isinstance(port, str):
        errors.invalid_all(path, port, names.port_name(port))


def lifecycle(errors: Errors, value: Any, path: Path) -> None:
    kinds = ("exec", "httpGet", "tcpSocket") + (("sleep",) if errors.at_least("1.30") else ())
    for hook in ("postStart", "preStop"):
        body = as_dict(value).get(hook)
        if body is not None:
            handler(errors, as_dict(body), path + (hook,), kinds)
