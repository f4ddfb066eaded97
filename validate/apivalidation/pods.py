"""Pod specs and pod templates (kubernetes pkg/apis/core/validation: ValidatePodTemplateSpec, validatePodSpec,
validateContainers, validateEnv, validateResources ...; warnings from pkg/api/pod/warnings.go)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from validate.apivalidation import handlers, names, quantity, scheduling, security, volumes
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int, show

PROTOCOLS = ("SCTP", "TCP", "UDP")
PULL_POLICIES = ("Always", "IfNotPresent", "Never")
CONTAINER_RESTART_RULES = "1.35"
RESTART_POLICIES = ("Always", "Never", "OnFailure")
DNS_POLICIES = ("ClusterFirst", "ClusterFirstWithHostNet", "Default", "None")
TERMINATION_MESSAGE_POLICIES = ("FallbackToLogsOnError", "File")
STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}
FIELD_REF_PATHS = ("metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace", "metadata.uid",
                   "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
                   "status.podIPs")
RESOURCE_FIELD_REFS = ("limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
                       "requests.ephemeral-storage", "requests.memory")


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
    volumes_by_name = volumes.volumes(errors, spec.get("volumes"), path + ("volumes",))
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
    security.pod_security_context(errors, spec.get("securityContext"), path + ("securityContext",))
    scheduling.tolerations(errors, spec.get("tolerations"), path + ("tolerations",))
    scheduling.affinity(errors, spec.get("affinity"), path + ("affinity",))
    scheduling.topology_spread(errors, spec.get("topologySpreadConstraints"), path + ("topologySpreadConstraints",))
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
    security.security_context(errors, container.get("securityContext"), path + ("securityContext",))
    restart = container.get("restartPolicy")
    sidecar = False
    # ContainerRestartRules (KEP-5307, on by default from 1.35; measured on 1.36): any container may set
    # Always, Never or OnFailure. Before, only an init container could, and only Always (a sidecar, from 1.29).
    rules_on = errors.at_least(CONTAINER_RESTART_RULES)
    if restart is not None:
        if rules_on:
            errors.enum(path + ("restartPolicy",), restart, RESTART_POLICIES)
        elif not init:
            errors.forbidden(path + ("restartPolicy",), "may not be set for non-init containers")
        elif not errors.at_least("1.29"):
            errors.forbidden(path + ("restartPolicy",), "may not be set for init containers (SidecarContainers is"
                             " on from Kubernetes 1.29)")
        elif restart != "Always":
            errors.not_supported(path + ("restartPolicy",), restart, ["Always"])
        sidecar = init and restart == "Always"
    for probe_field in ("livenessProbe", "readinessProbe", "startupProbe"):
        value = container.get(probe_field)
        if value is None:
            continue
        if init and not sidecar:
            errors.forbidden(path + (probe_field,), "may not be set for init containers without restartPolicy=Always")
            continue
        handlers.probe(errors, value, path + (probe_field,), liveness=probe_field != "readinessProbe")
    lifecycle_value = container.get("lifecycle")
    if lifecycle_value is not None:
        if init and not sidecar:
            errors.forbidden(path + ("lifecycle",), "may not be set for init containers without restartPolicy=Always")
        else:
            handlers.lifecycle(errors, lifecycle_value, path + ("lifecycle",))


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
            security.local_path(errors, sub_path, where + ("subPath",))


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
            if name in ("memory", "ephemeral-storage") and quantity.rounded_up_milli(amount) % 1 != 0:
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
    every = set(parsed["limits"]) | set(parsed["requests"])
    if any(name.startswith("hugepages-") for name in every) and not every & {"cpu", "memory"}:
        errors.forbidden(path, "HugePages require cpu or memory")


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
