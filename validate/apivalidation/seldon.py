"""SeldonDeployment (machinelearning.seldon.io): what the API server refuses through the CRD that the
seldon-core-operator 1.18.2 chart installs, beyond our JSON schema, and the pod specs the operator
turns into Deployments.

The CRD embeds the PodSpec of an older Kubernetes release: fields added since (``sleep`` hooks,
sidecar ``restartPolicy``, ``appArmorProfile``, ...) are unknown fields to it, refused by strict
field validation although the cluster's own Deployments accept them. ``FIELDS_NEWER_THAN_CRD``
lists them, relative to a pod spec, found by comparing the chart's CRD with the Kubernetes 1.36
PodSpec. Its structural schema also has list-map keys (``ports`` by containerPort and protocol,
``topologySpreadConstraints`` by topologyKey and whenUnsatisfiable) and int-or-string fields that
refuse a JSON number with a fraction (``cpu: 0.5``), which a Deployment would accept.
"""

from __future__ import annotations

from typing import Any

from validate.apivalidation import pods
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int

GROUP = "machinelearning.seldon.io"
CRD = "seldon-core-operator 1.18.2"
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
# Relative to a pod spec; "[]" stands for every item of a list.
FIELDS_NEWER_THAN_CRD = (
    "hostUsers", "hostnameOverride", "resourceClaims", "resources", "schedulingGates", "schedulingGroup",
    "securityContext.appArmorProfile", "securityContext.seLinuxChangePolicy",
    "securityContext.supplementalGroupsPolicy",
    "topologySpreadConstraints[].matchLabelKeys", "topologySpreadConstraints[].nodeAffinityPolicy",
    "topologySpreadConstraints[].nodeTaintsPolicy",
    "volumes[].image", "volumes[].projected.sources[].clusterTrustBundle",
    "volumes[].projected.sources[].podCertificate",
    "volumes[].ephemeral.volumeClaimTemplate.spec.dataSourceRef.namespace",
    "volumes[].ephemeral.volumeClaimTemplate.spec.volumeAttributesClassName",
    *(f"affinity.{kind}.{term}.{field}"
      for kind in ("podAffinity", "podAntiAffinity")
      for term in ("requiredDuringSchedulingIgnoredDuringExecution[]",
                   "preferredDuringSchedulingIgnoredDuringExecution[].podAffinityTerm")
      for field in ("matchLabelKeys", "mismatchLabelKeys")),
    *(f"{containers}[].{field}"
      for containers in CONTAINER_LISTS
      for field in ("env[].valueFrom.fileKeyRef", "lifecycle.postStart.sleep", "lifecycle.preStop.sleep",
                    "lifecycle.stopSignal", "resizePolicy", "resources.claims", "restartPolicy",
                    "restartPolicyRules", "securityContext.appArmorProfile", "volumeMounts[].recursiveReadOnly")),
)
INT_OR_STRING_MAPS = ("resources.limits", "resources.requests")
INT_OR_STRING = ("livenessProbe.httpGet.port", "livenessProbe.tcpSocket.port", "readinessProbe.httpGet.port",
                 "readinessProbe.tcpSocket.port", "startupProbe.httpGet.port", "startupProbe.tcpSocket.port",
                 "lifecycle.postStart.httpGet.port", "lifecycle.postStart.tcpSocket.port",
                 "lifecycle.preStop.httpGet.port", "lifecycle.preStop.tcpSocket.port")


def pod_specs(obj: dict[str, Any]) -> list[tuple[Path, dict[str, Any]]]:
    found: list[tuple[Path, dict[str, Any]]] = []
    for p_index, predictor in enumerate(as_list(as_dict(obj.get("spec")).get("predictors"))):
        for c_index, component in enumerate(as_list(as_dict(predictor).get("componentSpecs"))):
            pod = as_dict(component).get("spec")
            if isinstance(pod, dict):
                found.append((("spec", "predictors", p_index, "componentSpecs", c_index, "spec"), pod))
    return found


def crd(errors: Errors, obj: dict[str, Any]) -> None:
    """What the chart's CRD refuses in a SeldonDeployment beyond our schema."""
    for path, pod in pod_specs(obj):
        for dotted in FIELDS_NEWER_THAN_CRD:
            for where in _present(pod, dotted.split("."), path):
                errors.problems.append(_unknown(where))
        for containers in CONTAINER_LISTS:
            for index, container in enumerate(as_list(pod.get(containers))):
                container = as_dict(container)
                at = path + (containers, index)
                _list_map(errors, container.get("ports"), at + ("ports",), ("containerPort", "protocol"),
                          {"protocol": "TCP"})
                for field in INT_OR_STRING_MAPS:
                    for key, value in as_dict(_get(container, field.split("."))).items():
                        _int_or_string(errors, value, at + tuple(field.split(".")) + (key,))
                for field in INT_OR_STRING:
                    _int_or_string(errors, _get(container, field.split(".")), at + tuple(field.split(".")))
        _list_map(errors, pod.get("topologySpreadConstraints"), path + ("topologySpreadConstraints",),
                  ("topologyKey", "whenUnsatisfiable"), {})


def operator_pods(errors: Errors, obj: dict[str, Any]) -> None:
    """The pod-spec validation the Deployments made of the componentSpecs go through."""
    for p_index, predictor in enumerate(as_list(as_dict(obj.get("spec")).get("predictors"))):
        errors.non_negative(("spec", "predictors", p_index, "replicas"), as_dict(predictor).get("replicas"))
        for c_index, component in enumerate(as_list(as_dict(predictor).get("componentSpecs"))):
            errors.non_negative(("spec", "predictors", p_index, "componentSpecs", c_index, "replicas"),
                                as_dict(component).get("replicas"))
    for path, pod in pod_specs(obj):
        # The operator fills in the image of prepackaged servers, so an empty one is no mistake here.
        pods.pod_spec(errors, pod, path, template=True, images_filled=True)
        policy = pod.get("restartPolicy")
        if isinstance(policy, str) and policy in pods.RESTART_POLICIES and policy != "Always":
            errors.not_supported(path + ("restartPolicy",), policy, ["Always"])
        if pod.get("activeDeadlineSeconds") is not None:
            errors.forbidden(path + ("activeDeadlineSeconds",), "activeDeadlineSeconds in ReplicaSet is not Supported")
        if as_list(pod.get("ephemeralContainers")):
            errors.forbidden(path + ("ephemeralContainers",), "ephemeral containers not allowed in pod template")


def _unknown(path: Path) -> Any:
    from validate.apivalidation.field import Problem, dotted

    return Problem(path, f'unknown field "{dotted(path)}": the SeldonDeployment CRD of {CRD} embeds an older'
                   " PodSpec that does not have it (strict field validation refuses it)")


def _get(value: Any, parts: list[str]) -> Any:
    for part in parts:
        value = as_dict(value).get(part)
    return value


def _present(value: Any, parts: list[str], path: Path) -> list[Path]:
    if not parts:
        return [path]
    part, rest = parts[0], parts[1:]
    if part.endswith("[]"):
        items = as_list(as_dict(value).get(part[:-2]))
        return [p for index, item in enumerate(items) for p in _present(item, rest, path + (part[:-2], index))]
    if not isinstance(value, dict) or part not in value:
        return []
    return _present(value[part], rest, path + (part,))


def _list_map(errors: Errors, items: Any, path: Path, keys: tuple[str, ...], defaults: dict[str, Any]) -> None:
    seen = set()
    for index, item in enumerate(as_list(items)):
        item = as_dict(item)
        key = tuple(item.get(k, defaults.get(k)) for k in keys)
        if key in seen:
            shown = {k: v for k, v in zip(keys, key) if v is not None}
            errors.duplicate(path + (index,), shown)
        seen.add(key)


def _int_or_string(errors: Errors, value: Any, path: Path) -> None:
    if isinstance(value, float) or (value is not None and not isinstance(value, str) and not is_int(value)):
        errors.invalid(path, "number" if isinstance(value, float) else type(value).__name__,
                       f"{'.'.join(str(p) for p in path)} in body must be of type integer,string: \"number\"")
