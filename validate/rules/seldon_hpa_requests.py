"""Utilization-based autoscaling has resource requests to measure against.

What it does:
    Reports a container of a SeldonDeployment ``componentSpecs[]`` entry whose ``hpaSpec``
    scales on CPU or memory *utilization* (``metrics`` of autoscaling/v2beta1 with
    ``targetAverageUtilization``, ``metricsv2`` of autoscaling/v2 with ``target.type:
    Utilization``, or no metrics at all, which means the HorizontalPodAutoscaler default of
    80 % CPU) and that requests none of that resource (a limit alone counts, since the
    request then defaults to it). ``ContainerResource`` metrics concern only their container.

Why it matters:
    Utilization is usage divided by the request. Without a request on every container of the
    pod the HorizontalPodAutoscaler cannot compute it, reports "missing request for cpu" and
    never scales: the deployment looks autoscaled and stays at ``minReplicas`` under load.

Example:
    ```yaml
    componentSpecs:
    - hpaSpec:
        minReplicas: 1
        maxReplicas: 4
        metricsv2:
        - type: Resource
          resource:
            name: cpu
            target: {type: Utilization, averageUtilization: 70}
      spec:
        containers:
        - name: classifier
          image: registry.example.com/iris:1.0.0
    ```

Use instead:
    ```yaml
    componentSpecs:
    - hpaSpec:
        minReplicas: 1
        maxReplicas: 4
        metricsv2:
        - type: Resource
          resource:
            name: cpu
            target: {type: Utilization, averageUtilization: 70}
      spec:
        containers:
        - name: classifier
          image: registry.example.com/iris:1.0.0
          resources:
            requests: {cpu: 500m}
    ```
    Give every container of the autoscaled component a request for the resource the autoscaler measures.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, as_dict, as_list, iter_containers, predictors, where

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-hpa-requests"
DEFAULT = "error"
KINDS = SELDON_KINDS


def _utilization_needs(hpa: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(resource, container or None for all) pairs whose utilization the autoscaler computes."""
    v2beta1, v2 = as_list(hpa.get("metrics")), as_list(hpa.get("metricsv2"))
    if not v2beta1 and not v2:
        return [("cpu", None)]
    needs: list[tuple[str, str | None]] = []
    for metric in v2beta1:
        metric = as_dict(metric)
        for key, scoped in (("resource", False), ("containerResource", True)):
            source = as_dict(metric.get(key))
            if isinstance(source.get("name"), str) and "targetAverageUtilization" in source:
                container = source.get("container") if scoped else None
                needs.append((source["name"], container if isinstance(container, str) else None))
    for metric in v2:
        metric = as_dict(metric)
        for key, scoped in (("resource", False), ("containerResource", True)):
            source = as_dict(metric.get(key))
            if isinstance(source.get("name"), str) and as_dict(source.get("target")).get("type") == "Utilization":
                container = source.get("container") if scoped else None
                needs.append((source["name"], container if isinstance(container, str) else None))
    return needs


def _requested(container: dict[str, Any], resource: str) -> bool:
    resources = as_dict(container.get("resources"))
    return any(resource in as_dict(resources.get(kind)) for kind in ("requests", "limits"))


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        for c, component in enumerate(as_list(predictor.get("componentSpecs"))):
            component = as_dict(component)
            hpa = component.get("hpaSpec")
            if not isinstance(hpa, dict):
                continue
            base = ("spec", "predictors", p, "componentSpecs", c, "spec")
            for resource, only in _utilization_needs(hpa):
                for path, container in iter_containers(component.get("spec"), base, ("containers",)):
                    if only is not None and container.get("name") != only:
                        continue
                    if not _requested(container, resource):
                        yield Violation(f"container {container.get('name')!r} has no {resource} request but the"
                                        f" hpaSpec scales on {resource} utilization: set"
                                        f" resources.requests.{resource}",
                                        where(container, path, ("resources", "requests"), ("resources",)))
