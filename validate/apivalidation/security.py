"""Security contexts, seccomp and AppArmor profiles (ValidateSecurityContext, validatePodSecurityContext)."""

from __future__ import annotations

import re
from typing import Any

from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int

PROC_MOUNTS = ("Default", "Unmasked")
SECCOMP_TYPES = ("Localhost", "RuntimeDefault", "Unconfined")
APPARMOR_TYPES = ("Localhost", "RuntimeDefault", "Unconfined")
FS_GROUP_POLICIES = ("Always", "OnRootMismatch")
_SYSCTL = re.compile(r"^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$")


def local_path(errors: Errors, value: str, path: Path) -> None:
    if value.startswith("/"):
        errors.invalid(path, value, "must be a relative path")
    if ".." in value.split("/"):
        errors.invalid(path, value, "must not contain '..'")


def security_context(errors: Errors, value: Any, path: Path) -> None:
    value = as_dict(value)
    for field in ("runAsUser", "runAsGroup"):
        ids(errors, value.get(field), path + (field,))
    errors.enum(path + ("procMount",), value.get("procMount"), PROC_MOUNTS)
    if value.get("privileged") is True and value.get("allowPrivilegeEscalation") is False:
        errors.invalid(path, "", "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")
    capabilities = as_dict(value.get("capabilities"))
    if value.get("allowPrivilegeEscalation") is False and "CAP_SYS_ADMIN" in as_list(capabilities.get("add")):
        errors.invalid(path, "", "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN")
    seccomp(errors, value.get("seccompProfile"), path + ("seccompProfile",))
    apparmor(errors, value.get("appArmorProfile"), path + ("appArmorProfile",))


def pod_security_context(errors: Errors, value: Any, path: Path) -> None:
    value = as_dict(value)
    for field in ("runAsUser", "runAsGroup", "fsGroup"):
        ids(errors, value.get(field), path + (field,))
    for index, group in enumerate(as_list(value.get("supplementalGroups"))):
        ids(errors, group, path + ("supplementalGroups", index))
    errors.enum(path + ("fsGroupChangePolicy",), value.get("fsGroupChangePolicy"), FS_GROUP_POLICIES)
    for index, sysctl in enumerate(as_list(value.get("sysctls"))):
        name = as_dict(sysctl).get("name")
        if isinstance(name, str):
            if not name:
                errors.required(path + ("sysctls", index, "name"))
            elif not _SYSCTL.match(name):
                errors.invalid(path + ("sysctls", index, "name"), name, "must have at most 253 characters and match"
                               " regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$")
    seccomp(errors, value.get("seccompProfile"), path + ("seccompProfile",))
    apparmor(errors, value.get("appArmorProfile"), path + ("appArmorProfile",))


def ids(errors: Errors, value: Any, path: Path) -> None:
    if is_int(value) and not 0 <= value <= 2147483647:
        errors.invalid(path, value, "must be between 0 and 2147483647, inclusive")


def seccomp(errors: Errors, value: Any, path: Path) -> None:
    if value is None:
        return
    value = as_dict(value)
    kind, local = value.get("type"), value.get("localhostProfile")
    if isinstance(kind, str):
        errors.enum(path + ("type",), kind, SECCOMP_TYPES)
    if kind == "Localhost":
        if local is None:
            errors.required(path + ("localhostProfile",), "must be set when seccomp type is Localhost")
        elif isinstance(local, str):
            local_path(errors, local, path + ("localhostProfile",))
    elif local is not None and kind in SECCOMP_TYPES:
        errors.invalid(path + ("localhostProfile",), local, "can only be set when seccomp type is Localhost")


def apparmor(errors: Errors, value: Any, path: Path) -> None:
    if value is None:
        return
    value = as_dict(value)
    kind, local = value.get("type"), value.get("localhostProfile")
    errors.enum(path + ("type",), kind, APPARMOR_TYPES)
    if kind == "Localhost":
        if not local or (isinstance(local, str) and not local.strip()):
            errors.required(path + ("localhostProfile",), "must be set when AppArmor type is Localhost")
    elif local is not None and kind in APPARMOR_TYPES:
        errors.invalid(path + ("localhostProfile",), local, "can only be set when AppArmor type is Localhost")
