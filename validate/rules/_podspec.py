"""Where pod specs and containers live in the objects rules see, and how a Seldon graph reads.

The pod rules (``pod-*``) apply to every workload kind Kubernetes ships and to SeldonDeployments,
whose ``componentSpecs[].spec`` are pod specs the operator turns into Deployments and whose
``explainer.containerSpec`` is a single container the operator wraps in a pod of its own. The
Seldon rules (``seldon-*``) share the graph walk below.

Everything here tolerates malformed input: a field of the wrong type is treated as absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from validate.model import as_dict as as_dict
from validate.model import as_list as as_list

Path = tuple[str | int, ...]

SELDON_GROUP = "machinelearning.seldon.io"
SELDON_KIND = "SeldonDeployment"
SELDON_KINDS = {(SELDON_GROUP, SELDON_KIND)}

# Kinds whose pod template sits at spec.template.spec.
_TEMPLATED = {
    ("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"),
    ("", "ReplicationController"), ("batch", "Job"),
}
WORKLOAD_KINDS = _TEMPLATED | {("", "Pod"), ("", "PodTemplate"), ("batch", "CronJob")} | SELDON_KINDS

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")






def group_kind(data: Any) -> tuple[str, Any]:
    data = as_dict(data)
    api_version = data.get("apiVersion")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    kind = data.get("kind")
    return group, kind if isinstance(kind, str) else None


def one_of(value: Any, allowed: set[str] | frozenset[str]) -> bool:
    """``value in allowed`` for a value of any type (unhashable ones are in no set)."""
    return isinstance(value, str) and value in allowed


def is_seldon(data: Any) -> bool:
    return group_kind(data) in SELDON_KINDS


def _labels(metadata: Any) -> dict[str, Any]:
    return as_dict(as_dict(metadata).get("labels"))


def iter_pod_specs(data: Any) -> Iterator[tuple[Path, dict[str, Any], dict[str, Any]]]:
    """Every pod spec of an object: (path of the spec, the spec, the pod's labels).

    SeldonDeployment explainers have no pod spec of their own: see :func:`iter_all_containers`.
    """
    data = as_dict(data)
    key = group_kind(data)
    spec = as_dict(data.get("spec"))
    if key == ("", "Pod"):
        if isinstance(data.get("spec"), dict):
            yield ("spec",), spec, _labels(data.get("metadata"))
    elif key == ("", "PodTemplate"):
        template = as_dict(data.get("template"))
        if isinstance(template.get("spec"), dict):
            yield ("template", "spec"), template["spec"], _labels(template.get("metadata"))
    elif key in _TEMPLATED:
        template = as_dict(spec.get("template"))
        if isinstance(template.get("spec"), dict):
            yield ("spec", "template", "spec"), template["spec"], _labels(template.get("metadata"))
    elif key == ("batch", "CronJob"):
        job_spec = as_dict(as_dict(spec.get("jobTemplate")).get("spec"))
        template = as_dict(job_spec.get("template"))
        if isinstance(template.get("spec"), dict):
            yield (("spec", "jobTemplate", "spec", "template", "spec"), template["spec"],
                   _labels(template.get("metadata")))
    elif key in SELDON_KINDS:
        for p, predictor in enumerate(as_list(spec.get("predictors"))):
            for c, component in enumerate(as_list(as_dict(predictor).get("componentSpecs"))):
                component = as_dict(component)
                if isinstance(component.get("spec"), dict):
                    yield (("spec", "predictors", p, "componentSpecs", c, "spec"), component["spec"],
                           _labels(component.get("metadata")))


def iter_containers(podspec: Any, path: Path,
                    fields: tuple[str, ...] = CONTAINER_FIELDS) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, container) for the containers of a pod spec, init containers first."""
    podspec = as_dict(podspec)
    for name in fields:
        for i, container in enumerate(as_list(podspec.get(name))):
            if isinstance(container, dict):
                yield (*path, name, i), container


@dataclass(frozen=True)
class ContainerRef:
    """A container and the pod it runs in."""

    path: Path
    container: dict[str, Any]
    kind: str  # "initContainers", "containers", "ephemeralContainers" or "explainer"
    pod_path: Path | None  # None when the operator generates the pod (Seldon explainer)
    pod: dict[str, Any] = field(default_factory=dict)
    graph_unit: dict[str, Any] | None = None  # the Seldon graph node of the same name, if any

    @property
    def name(self) -> str:
        name = self.container.get("name")
        return name if isinstance(name, str) else "?"

    @property
    def pod_security(self) -> dict[str, Any]:
        return as_dict(self.pod.get("securityContext"))

    @property
    def security(self) -> dict[str, Any]:
        return as_dict(self.container.get("securityContext"))


def iter_all_containers(data: Any, fields: tuple[str, ...] = CONTAINER_FIELDS) -> Iterator[ContainerRef]:
    """Every container of an object, with its pod spec; Seldon explainers included."""
    seldon = is_seldon(data)
    for pod_path, podspec, _ in iter_pod_specs(data):
        units = graph_units_by_name(as_dict(as_dict(data).get("spec")), pod_path[2]) if seldon else {}
        for path, container in iter_containers(podspec, pod_path, fields):
            name = container.get("name")
            unit = units.get(name) if path[-2] == "containers" and isinstance(name, str) else None
            yield ContainerRef(path, container, str(path[-2]), pod_path, podspec, unit)
    if seldon and "containers" in fields:
        for p, predictor in enumerate(as_list(as_dict(as_dict(data).get("spec")).get("predictors"))):
            explainer = as_dict(as_dict(predictor).get("explainer"))
            spec = explainer.get("containerSpec")
            if isinstance(spec, dict) and spec:
                yield ContainerRef(("spec", "predictors", p, "explainer", "containerSpec"), spec, "explainer", None)


# --- Seldon graphs ---------------------------------------------------------------------------------

# Seldon Core 1.18.2: operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go and the
# operator chart's predictor_servers (helm-charts/seldon-core-operator/values.yaml).
UNIT_TYPES = {"UNKNOWN_TYPE", "ROUTER", "COMBINER", "MODEL", "TRANSFORMER", "OUTPUT_TRANSFORMER"}
BUILTIN_IMPLEMENTATIONS = {"UNKNOWN_IMPLEMENTATION", "SIMPLE_MODEL", "SIMPLE_ROUTER", "RANDOM_ABTEST",
                           "AVERAGE_COMBINER"}
PREPACKAGED_SERVERS = {"SKLEARN_SERVER", "XGBOOST_SERVER", "TENSORFLOW_SERVER", "MLFLOW_SERVER", "TRITON_SERVER",
                       "HUGGINGFACE_SERVER", "TEMPO_SERVER"}
IMPLEMENTATIONS = BUILTIN_IMPLEMENTATIONS | PREPACKAGED_SERVERS
UNIT_METHODS = {"TRANSFORM_INPUT", "TRANSFORM_OUTPUT", "ROUTE", "AGGREGATE", "SEND_FEEDBACK"}


def predictors(data: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, predictor) for every predictor that is a mapping."""
    for p, predictor in enumerate(as_list(as_dict(as_dict(data).get("spec")).get("predictors"))):
        if isinstance(predictor, dict):
            yield p, predictor


def iter_units(predictor: Any, p: int, depth_limit: int = 64,
               repeats: bool = False) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, node) for every node of a predictor's graph, depth first, root first.

    A node shared through YAML aliases (``children: [*model, *model]``) is one object: it and its
    subtree are visited where it first occurs (its anchor, the line to fix), never once per
    expansion, which a graph just under the loader's bound would multiply into millions. With
    ``repeats``, each later occurrence is yielded too, without its subtree (a name used twice)."""
    root = as_dict(predictor).get("graph")
    if not isinstance(root, dict):
        return
    seen: set[int] = set()
    stack: list[tuple[Path, dict[str, Any], int]] = [(("spec", "predictors", p, "graph"), root, 0)]
    while stack:
        path, unit, depth = stack.pop()
        if id(unit) in seen:
            if repeats:
                yield path, unit
            continue
        seen.add(id(unit))
        yield path, unit
        if depth >= depth_limit:
            continue
        children = [(i, c) for i, c in enumerate(as_list(unit.get("children"))) if isinstance(c, dict)]
        for i, child in reversed(children):
            stack.append(((*path, "children", i), child, depth + 1))


def graph_units_by_name(spec: dict[str, Any], p: Any) -> dict[Any, dict[str, Any]]:
    predictor = as_list(spec.get("predictors"))[p] if isinstance(p, int) and 0 <= p < len(
        as_list(spec.get("predictors"))) else {}
    found: dict[Any, dict[str, Any]] = {}
    for _, unit in iter_units(predictor, p if isinstance(p, int) else 0):
        name = unit.get("name")
        if isinstance(name, str):
            found.setdefault(name, unit)
    return found


def implementation(unit: dict[str, Any]) -> str | None:
    value = unit.get("implementation")
    return value if isinstance(value, str) and value else None


def is_prepackaged(unit: dict[str, Any]) -> bool:
    """The operator's IsPrepack: an implementation that is not one of the built-in ones."""
    value = implementation(unit)
    return value is not None and value not in BUILTIN_IMPLEMENTATIONS


def needs_container(unit: dict[str, Any]) -> bool:
    """A node the operator cannot run by itself: no implementation, or UNKNOWN_IMPLEMENTATION."""
    return implementation(unit) in (None, "UNKNOWN_IMPLEMENTATION")


def iter_component_containers(predictor: Any, p: int) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, container) for the main containers of a predictor's componentSpecs."""
    for c, component in enumerate(as_list(as_dict(predictor).get("componentSpecs"))):
        spec = as_dict(component).get("spec")
        yield from iter_containers(spec, ("spec", "predictors", p, "componentSpecs", c, "spec"), ("containers",))


def container_names(predictor: Any, p: int) -> set[str]:
    return {c["name"] for _, c in iter_component_containers(predictor, p) if isinstance(c.get("name"), str)}


_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def dns1123_label_problem(value: Any) -> str | None:
    """Why ``value`` is not a DNS-1123 label (Kubernetes' IsDNS1123Label), or None."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if len(value) > 63:
        return f"is {len(value)} characters long, the limit is 63"
    if not _DNS1123_LABEL.match(value):
        return "must consist of lower-case letters, digits and '-', and start and end with a letter or digit"
    return None


def where(obj: dict[str, Any], path: Path, *candidates: tuple[str, ...]) -> Path:
    """The first candidate sub-path that exists in ``obj`` (deepest prefix of it), else ``name``.

    Findings about something missing land on the nearest line that exists: the block the
    setting belongs in when it is there, the object's ``name`` line otherwise.
    """
    for candidate in candidates:
        node: Any = obj
        found: list[str] = []
        for key in candidate:
            if isinstance(node, dict) and key in node:
                node = node[key]
                found.append(key)
            else:
                break
        if found:
            return (*path, *found)
    return (*path, "name") if "name" in obj else path


def image_reference(image: str) -> tuple[str, str | None, str | None]:
    """(repository, tag or None, digest or None) of an image reference."""
    image = image.strip()
    digest = None
    if "@" in image:
        image, _, digest = image.partition("@")
        digest = digest or None
    name, slash, last = image.rpartition("/")
    tag = None
    if ":" in last:
        last, _, tag = last.partition(":")
        tag = tag or None
    return f"{name}{slash}{last}", tag, digest
