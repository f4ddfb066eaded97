"""The core group: pod specs and templates, Services, ConfigMaps, Secrets, Namespaces
(kubernetes pkg/apis/core/validation/validation.go and pkg/api/pod/warnings.go).

Functions follow the server's structure (validatePodSpec -> validateContainers -> validateProbe ...)
and its field paths; where a rule changed in a Kubernetes release, the version it applies from is
named at the check (``errors.at_least("1.29")``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from validate.apivalidation import meta, names, quantity
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int, show

PROTOCOLS = ("SCTP", "TCP", "UDP")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
RESTART_POLICIES = ("Always", "Never", "OnFailure")
DNS_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
TERMINATION_MESSAGE_POLICIES = ("FallbackToLogsOnError", "File")
TOLERATION_OPERATORS = ("Equal", "Exists")
TAINT_EFFECTS = ("NoExecute", "NoSchedule", "PreferNoSchedule")
NODE_SELECTOR_OPERATORS = ("DoesNotExist", "Exists", "Gt", "In", "Lt", "NotIn")
UNSATISFIABLE = ("DoNotSchedule", "ScheduleAnyway")
PROC_MOUNTS = ("Default", "Unmasked")
SECCOMP_TYPES = ("Localhost", "RuntimeDefault", "Unconfined")
APPARMOR_TYPES = ("Localhost", "RuntimeDefault", "Unconfined")
HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")
FS_GROUP_POLICIES = ("Always", "OnRootMismatch")
URI_SCHEMES = ("HTTP", "HTTPS")
STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
FIELD_REF_PATHS = ("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
                   "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                   "status.podIPs")
RESOURCE_FIELD_REFS = ("limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
                       "requests.ephemeral-storage", "requests.memory")
VOLUME_SOURCES = ("hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs",
                  "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
                  "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
                  "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral",
                  "image")
SERVICE_TYPES = ("ClusterIP", "ExternalName", "LoadBalancer", "NodePort")
SESSION_AFFINITIES = ("ClientIP", "None")
TRAFFIC_POLICIES = ("Cluster", "Local")
IP_FAMILIES = ("IPv4", "IPv6")
IP_FAMILY_POLICIES = ("PreferDualStack", "RequireDualStack", "SingleStack")
MAX_CLIENT_IP_TIMEOUT = 86400


# --- pod templates ---------------------------------------------------------------------------

def pod_template(errors: Errors, template: Any, path: Path, restart_policies: tuple[str, ...] | None = None) -> None:
    """ValidatePodTemplateSpec, with the restart policies the owner allows (Deployments: Always only)."""
    template = as_dict(template)
    spec = template.get("spec")
    if not isinstance(spec, dict):
        return
    pod_spec(errors, spec, path + ("spec",), template=True)
    policy = spec.get("restartPolicy")
    if restart_policies is not None and isinstance(policy, str) and policy in RESTART_POLICIES \
            and policy not in restart_policies:
        errors.not_supported(path + ("spec", "restartPolicy"), policy, restart_policies)
    if template is not None and as_list(spec.get("ephemeralContainers")):
        errors.forbidden(path + ("spec", "ephemeralContainers"), "ephemeral containers not allowed in pod template")


def pod_spec(errors: Errors, spec: dict[str, Any], path: Path, template: bool = False, images_filled: bool = False) -> None:
    volumes_by_name = volumes(errors, spec.get("volumes"), path + ("volumes",))
    init = as_list(spec.get("initContainers"))
    regular = as_list(spec.get("containers"))
    if not regular:
        errors.required(path + ("containers",))
    seen: set[str] = set()
    port_names: set[str] = set()
    for field, items in (("initContainers", init), ("containers", regular)):
        for index, container in enumerate(items):
            if not isinstance(container, dict):
                continue
            where = path + (field, index)
            name = container.get("name")
            if isinstance(name, str):
                if not name:
                    errors.required(where + ("name",))
                elif names.dns1123_label(name):
                    errors.invalid_all(where + ("name",), name, names.dns1123_label(name))
                elif name in seen:
                    errors.duplicate(where + ("name",), name)
                seen.add(name)
            elif name is None:
                errors.required(where + ("name",))
            container_spec(errors, container, where, volumes_by_name, port_names, spec, init=field == "initContainers",
                           images_filled=images_filled, template=template)
    policy = spec.get("restartPolicy")
    errors.enum(path + ("restartPolicy",), policy, RESTART_POLICIES)
    dns_policy = spec.get("dnsPolicy")
    errors.enum(path + ("dnsPolicy",), dns_policy, DNS_POLICIES)
    dns_config(errors, spec.get("dnsConfig"), dns_policy, path + ("dnsConfig",))
    for field in ("serviceAccountName", "priorityClassName", "runtimeClassName"):
        value = spec.get(field)
        if isinstance(value, str) and value:
            errors.invalid_all(path + (field,), value, names.dns1123_subdomain(value))
    for field in ("hostname", "subdomain"):
        value = spec.get(field)
        if isinstance(value, str) and value:
            errors.invalid_all(path + (field,), value, names.dns1123_label(value))
    node_name = spec.get("nodeName")
    if isinstance(node_name, str) and node_name:
        errors.invalid_all(path + ("nodeName",), node_name, names.dns1123_subdomain(node_name))
    deadline = spec.get("activeDeadlineSeconds")
    if is_int(deadline) and deadline <= 0:
        errors.invalid(path + ("activeDeadlineSeconds",), deadline, "must be between 1 and 2147483647, inclusive")
    grace = spec.get("terminationGracePeriodSeconds")
    if is_int(grace) and grace < 0:
        errors.warn(path + ("terminationGracePeriodSeconds",), "must be >= 0; negative values are invalid and"
                    " will be treated as 1")
    node_selector(errors, spec.get("nodeSelector"), path + ("nodeSelector",))
    pod_security_context(errors, spec.get("securityContext"), path + ("securityContext",))
    tolerations(errors, spec.get("tolerations"), path + ("tolerations",))
    affinity(errors, spec.get("affinity"), path + ("affinity",))
    topology_spread(errors, spec.get("topologySpreadConstraints"), path + ("topologySpreadConstraints",))
    if spec.get("hostNetwork") is True:
        for field in ("initContainers", "containers"):
            for index, container in enumerate(as_list(spec.get(field))):
                for port_index, port in enumerate(as_list(as_dict(container).get("ports"))):
                    port = as_dict(port)
                    host, target = port.get("hostPort"), port.get("containerPort")
                    if is_int(host) and host != 0 and host != target:
                        errors.invalid(path + (field, index, "ports", port_index, "containerPort"), target,
                                       "must match `hostPort` when `hostNetwork` is true")


def dns_config(errors: Errors, config: Any, policy: Any, path: Path) -> None:
    config = as_dict(config)
    servers = as_list(config.get("nameservers"))
    if policy == "None" and not servers:
        errors.required(path.__class__(path[:-1]) + ("dnsConfig", "nameservers"),
                        "must provide at least one DNS nameserver when DNSPolicy is set to None")
    for index, server in enumerate(servers):
        if isinstance(server, str):
            errors.invalid_all(path + ("nameservers", index), server, names.ip(server))


def node_selector(errors: Errors, selector: Any, path: Path) -> None:
    for key, value in as_dict(selector).items():
        errors.invalid_all(path, key, names.qualified_name(str(key)))
        if isinstance(value, str):
            errors.invalid_all(path, value, names.label_value(value))


# --- containers ------------------------------------------------------------------------------

def container_spec(errors: Errors, container: dict[str, Any], path: Path, volumes_by_name: dict[str, Any],
                   port_names: set[str], pod: dict[str, Any], init: bool, images_filled: bool = False,
                   template: bool = False) -> None:
    image = container.get("image")
    if not isinstance(image, str) or not image:
        if not images_filled:
            errors.required(path + ("image",))
    elif not template and image != image.strip():  # validateContainersOnlyForPod: Pods, not templates
        errors.invalid(path + ("image",), image, "must not have leading or trailing whitespace")
    errors.enum(path + ("imagePullPolicy",), container.get("imagePullPolicy"), PULL_POLICIES)
    errors.enum(path + ("terminationMessagePolicy",), container.get("terminationMessagePolicy"),
                TERMINATION_MESSAGE_POLICIES)
    ports(errors, container.get("ports"), path + ("ports",), port_names)
    env(errors, container.get("env"), path + ("env",))
    env_from(errors, container.get("envFrom"), path + ("envFrom",))
    volume_mounts(errors, container.get("volumeMounts"), path + ("volumeMounts",), volumes_by_name)
    resources(errors, container.get("resources"), path + ("resources",))
    security_context(errors, container.get("securityContext"), path + ("securityContext",))
    restart = container.get("restartPolicy")
    sidecar = False
    if restart is not None:
        if not init:
            errors.forbidden(path + ("restartPolicy",), "may not be set for non-init containers")
        elif not errors.at_least("1.29"):
            errors.forbidden(path + ("restartPolicy",), "may not be set for init containers (SidecarContainers is"
                             " on from Kubernetes 1.29)")
        elif restart != "Always":
            errors.not_supported(path + ("restartPolicy",), restart, ["Always"])
        else:
            sidecar = True
    for probe_field in ("livenessProbe", "readinessProbe", "startupProbe"):
        value = container.get(probe_field)
        if value is None:
            continue
        if init and not sidecar:
            errors.forbidden(path + (probe_field,), "may not be set for init containers without restartPolicy=Always")
            continue
        probe(errors, value, path + (probe_field,), liveness=probe_field != "readinessProbe")
    lifecycle_value = container.get("lifecycle")
    if lifecycle_value is not None:
        if init and not sidecar:
            errors.forbidden(path + ("lifecycle",), "may not be set for init containers without restartPolicy=Always")
        else:
            lifecycle(errors, lifecycle_value, path + ("lifecycle",))


def ports(errors: Errors, value: Any, path: Path, port_names: set[str]) -> None:
    for index, port in enumerate(as_list(value)):
        port = as_dict(port)
        where = path + (index,)
        name = port.get("name")
        if isinstance(name, str) and name:
            problems = names.port_name(name)
            if problems:
                errors.invalid_all(where + ("name",), name, problems)
            elif name in port_names:
                errors.duplicate(where + ("name",), name)
            else:
                port_names.add(name)
        number = port.get("containerPort")
        if is_int(number):
            if number == 0:
                errors.required(where + ("containerPort",))
            else:
                errors.invalid_all(where + ("containerPort",), number, names.port_number(number))
        host = port.get("hostPort")
        if is_int(host) and host != 0:
            errors.invalid_all(where + ("hostPort",), host, names.port_number(host))
        protocol = port.get("protocol")
        if isinstance(protocol, str):
            if not protocol:
                errors.required(where + ("protocol",))
            else:
                errors.enum(where + ("protocol",), protocol, PROTOCOLS)


def env(errors: Errors, value: Any, path: Path) -> None:
    relaxed = errors.at_least("1.32")
    seen: set[str] = set()
    for index, entry in enumerate(as_list(value)):
        entry = as_dict(entry)
        where = path + (index,)
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            errors.required(where + ("name",))
        else:
            errors.invalid_all(where + ("name",), name, names.env_var_name(name, relaxed))
            if name in seen:
                errors.warn(where, f"hides previous definition of {show(name)}, which may be dropped when using apply")
            seen.add(name)
        source = entry.get("valueFrom")
        if source is not None:
            env_source(errors, as_dict(source), where + ("valueFrom",))
            if entry.get("value"):
                errors.invalid(where + ("valueFrom",), "", "may not be specified when `value` is not empty")


def env_source(errors: Errors, source: dict[str, Any], path: Path) -> None:
    present = [k for k in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")
               if source.get(k) is not None]
    if not present:
        errors.invalid(path, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or"
                       " `secretKeyRef`")
        return
    if len(present) > 1:
        errors.invalid(path, "", "may not have more than one field specified at a time")
        return
    field = present[0]
    value = as_dict(source[field])
    where = path + (field,)
    if field == "fieldRef":
        object_field_selector(errors, value, where)
    elif field == "resourceFieldRef":
        resource = value.get("resource")
        if not resource:
            errors.required(where + ("resource",))
        elif isinstance(resource, str) and resource not in RESOURCE_FIELD_REFS and not \
                resource.startswith(("limits.hugepages-", "requests.hugepages-")):
            errors.not_supported(where + ("resource",), resource, RESOURCE_FIELD_REFS)
    elif field in ("configMapKeyRef", "secretKeyRef"):
        name = value.get("name")
        if not name:
            errors.required(where + ("name",))
        elif isinstance(name, str):
            errors.invalid_all(where + ("name",), name, names.dns1123_subdomain(name))
        key = value.get("key")
        if not key:
            errors.required(where + ("key",))
        elif isinstance(key, str):
            errors.invalid_all(where + ("key",), key, names.config_map_key(key))


def object_field_selector(errors: Errors, value: dict[str, Any], path: Path) -> None:
    field_path = value.get("fieldPath")
    if not isinstance(field_path, str) or not field_path:
        errors.required(path + ("fieldPath",))
        return
    if field_path.startswith(("metadata.labels[", "metadata.annotations[")) and field_path.endswith("]"):
        key = field_path[field_path.index("[") + 1:-1]
        if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
            key = key[1:-1]
            problems = names.qualified_name(key.lower() if field_path.startswith("metadata.annotations") else key)
            if problems:
                errors.invalid_all(path + ("fieldPath",), field_path, problems)
            return
        errors.invalid(path + ("fieldPath",), field_path, "error converting fieldPath: invalid subscript")
        return
    if field_path not in FIELD_REF_PATHS:
        errors.not_supported(path + ("fieldPath",), field_path, FIELD_REF_PATHS)


def env_from(errors: Errors, value: Any, path: Path) -> None:
    relaxed = errors.at_least("1.32")
    for index, entry in enumerate(as_list(value)):
        entry = as_dict(entry)
        where = path + (index,)
        prefix = entry.get("prefix")
        if isinstance(prefix, str) and prefix:
            errors.invalid_all(where + ("prefix",), prefix, names.env_var_name(prefix, relaxed))
        present = [k for k in ("configMapRef", "secretRef") if entry.get(k) is not None]
        if not present:
            errors.invalid(where, "", "must specify one of: `configMapRef` or `secretRef`")
        elif len(present) > 1:
            errors.invalid(where, "", "may not have more than one field specified at a time")
        else:
            name = as_dict(entry[present[0]]).get("name")
            if isinstance(name, str) and name:
                errors.invalid_all(where + (present[0], "name"), name, names.dns1123_subdomain(name))


def volume_mounts(errors: Errors, value: Any, path: Path, volumes_by_name: dict[str, Any]) -> None:
    mount_paths: set[str] = set()
    for index, mount in enumerate(as_list(value)):
        mount = as_dict(mount)
        where = path + (index,)
        name = mount.get("name")
        if not name:
            errors.required(where + ("name",))
        elif isinstance(name, str) and name not in volumes_by_name:
            errors.not_found(where + ("name",), name)
        mount_path = mount.get("mountPath")
        if not mount_path:
            errors.required(where + ("mountPath",))
        elif isinstance(mount_path, str):
            if mount_path in mount_paths:
                errors.invalid(where + ("mountPath",), mount_path, "must be unique")
            mount_paths.add(mount_path)
        sub_path = mount.get("subPath")
        if isinstance(sub_path, str) and sub_path:
            local_path(errors, sub_path, where + ("subPath",))


def local_path(errors: Errors, value: str, path: Path) -> None:
    if value.startswith("/"):
        errors.invalid(path, value, "must be a relative path")
    if ".." in value.split("/"):
        errors.invalid(path, value, "must not contain '..'")


# --- resources -------------------------------------------------------------------------------

def resources(errors: Errors, value: Any, path: Path) -> None:
    value = as_dict(value)
    limits = as_dict(value.get("limits"))
    requests = as_dict(value.get("requests"))
    parsed: dict[str, dict[str, Decimal]] = {"limits": {}, "requests": {}}
    for section, entries in (("limits", limits), ("requests", requests)):
        for name, raw in entries.items():
            where = path + (section, name)
            name = str(name)
            if not resource_name(errors, name, where):
                continue
            amount = quantity.parse(raw)
            if amount is None:
                continue  # the schema stage reports malformed quantities
            parsed[section][name] = amount
            if amount < 0:
                errors.invalid(where, raw, "must be greater than or equal to 0")
            if name == "memory" and quantity.rounded_up_milli(amount) % 1 != 0:
                errors.warn(where, f"fractional byte value {show(str(raw))} is invalid, must be an integer")
            if name.startswith("hugepages-"):
                page = quantity.parse(name.removeprefix("hugepages-"))
                if page and (amount % page != 0):
                    errors.invalid(where, raw, f"{raw} is not positive integer multiple of {name}")
                continue
            if not _integer_resource(name):
                continue
            if amount != amount.to_integral_value():
                errors.invalid(where, raw, "must be an integer")
    for name, request in parsed["requests"].items():
        limit = parsed["limits"].get(name)
        where = path + ("requests", name)
        if limit is not None and quantity.rounded_up_milli(request) > quantity.rounded_up_milli(limit):
            errors.invalid(where, requests[name], f"must be less than or equal to {name} limit of {limits[name]}")
        if _extended(name) and (limit is None or request != limit):
            if limit is None:
                errors.forbidden(where, "Limit must be set for non overcommitable resources")
            else:
                errors.invalid(where, requests[name], f"must be equal to {name} limit of {limits[name]}")
        if name.startswith("hugepages-") and limit is None:
            errors.forbidden(path + ("limits",), "HugePages require cpu or memory")


def resource_name(errors: Errors, name: str, path: Path) -> bool:
    problems = names.qualified_name(name)
    if problems:
        errors.invalid_all(path, name, problems)
        return False
    if "/" not in name and name not in STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
        errors.invalid(path, name, "must be a standard resource for containers")
        return False
    if name.startswith(("requests.", "limits.")) or ("/" in name and name.split("/")[0].endswith("kubernetes.io")
                                                     and name not in ("kubernetes.io/batch-pool",)):
        if "/" in name and name.split("/")[0] in ("kubernetes.io",) or name.startswith(("requests.", "limits.")):
            errors.invalid(path, name, "must be a standard resource for containers")
            return False
    return True


def _extended(name: str) -> bool:
    return "/" in name and not name.startswith(("kubernetes.io/", "requests."))


def _integer_resource(name: str) -> bool:
    return _extended(name) or name.startswith("hugepages-")


# --- probes and handlers ---------------------------------------------------------------------

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


# --- security --------------------------------------------------------------------------------

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
        if not local:
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


# --- scheduling ------------------------------------------------------------------------------

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
        if not key:
            errors.required(where + ("topologyKey",), "can not be empty")
        elif isinstance(key, str):
            errors.invalid_all(where + ("topologyKey",), key, names.qualified_name(key))
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


# --- volumes ---------------------------------------------------------------------------------

def volumes(errors: Errors, value: Any, path: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for index, volume in enumerate(as_list(value)):
        volume = as_dict(volume)
        where = path + (index,)
        name = volume.get("name")
        if not name:
            errors.required(where + ("name",))
        elif isinstance(name, str):
            problems = names.dns1123_label(name)
            if problems:
                errors.invalid_all(where + ("name",), name, problems)
            elif name in found:
                errors.duplicate(where + ("name",), name)
            found[name] = volume
        sources = [s for s in VOLUME_SOURCES if volume.get(s) is not None]
        if not sources:
            errors.required(where, "must specify a volume type")
            continue
        for extra in sources[1:]:
            errors.forbidden(where + (extra,), "may not specify more than 1 volume type")
        volume_source(errors, sources[0], as_dict(volume[sources[0]]), where + (sources[0],))
    return found


def volume_source(errors: Errors, kind: str, source: dict[str, Any], path: Path) -> None:
    if kind in ("configMap", "secret"):
        if kind == "secret" and not source.get("secretName"):
            errors.required(path + ("secretName",))
        mode = source.get("defaultMode")
        if is_int(mode) and not 0 <= mode <= 0o777:
            errors.invalid(path + ("defaultMode",), mode, "must be a number between 0 and 0777 (octal), both inclusive")
        for index, item in enumerate(as_list(source.get("items"))):
            item = as_dict(item)
            key = item.get("key")
            if not key:
                errors.required(path + ("items", index, "key"))
            item_path = item.get("path")
            if not item_path:
                errors.required(path + ("items", index, "path"))
            elif isinstance(item_path, str):
                local_path(errors, item_path, path + ("items", index, "path"))
                if item_path.startswith(".."):
                    errors.invalid(path + ("items", index, "path"), item_path, "must not start with '..'")
            item_mode = item.get("mode")
            if is_int(item_mode) and not 0 <= item_mode <= 0o777:
                errors.invalid(path + ("items", index, "mode"), item_mode, "must be a number between 0 and 0777"
                               " (octal), both inclusive")
    elif kind == "hostPath":
        if not source.get("path"):
            errors.required(path + ("path",))
        kind_value = source.get("type")
        if isinstance(kind_value, str):
            errors.enum(path + ("type",), kind_value, HOST_PATH_TYPES)
    elif kind == "persistentVolumeClaim":
        if not source.get("claimName"):
            errors.required(path + ("claimName",))
    elif kind == "emptyDir":
        size = quantity.parse(source.get("sizeLimit"))
        if size is not None and size < 0:
            errors.forbidden(path + ("sizeLimit",), "SizeLimit field must be a valid resource quantity")


# --- Service ---------------------------------------------------------------------------------

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
            errors.enum(where + ("protocol",), protocol, PROTOCOLS)
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


# --- ConfigMap, Secret, Namespace --------------------------------------------------------------

def config_map(errors: Errors, obj: dict[str, Any]) -> None:
    seen: set[str] = set()
    for field in ("data", "binaryData"):
        for key in as_dict(obj.get(field)):
            key = str(key)
            errors.invalid_all((field, key), key, names.config_map_key(key))
            if key in seen:
                errors.invalid(("data",), key, "duplicate of key present in binaryData")
            seen.add(key)


SECRET_REQUIRED_KEYS = {
    "kubernetes.io/tls": ("tls.crt", "tls.key"),
    "kubernetes.io/dockerconfigjson": (".dockerconfigjson",),
    "kubernetes.io/dockercfg": (".dockercfg",),
    "kubernetes.io/ssh-auth": ("ssh-privatekey",),
}


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


_SYSCTL = __import__("re").compile(r"^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$")
