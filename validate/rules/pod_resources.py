"""Containers declare CPU and memory requests and limits.

What it does:
    Reports a container, init container or Seldon explainer that lacks any of
    ``resources.requests.cpu``, ``resources.requests.memory``, ``resources.limits.cpu`` and
    ``resources.limits.memory``. In a SeldonDeployment only the containers listed in
    ``componentSpecs`` are checked: the operator creates the containers of prepackaged
    servers that are not listed, and the executor's resources come from
    ``predictors[].svcOrchSpec`` and the operator's configuration.

Why it matters:
    The scheduler places pods by their requests: without them a node is overcommitted and
    model servers, which load whole models into memory, are the first to be OOM-killed or
    evicted. Without limits one runaway container starves its neighbours; without requests
    autoscalers have nothing to measure utilization against.

Example:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
    ```

Use instead:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
      resources:
        requests: {cpu: 500m, memory: 1Gi}
        limits: {cpu: "1", memory: 1Gi}
    ```
    Set CPU and memory requests and limits on every container, sized from observed usage.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, as_dict, iter_all_containers, where

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-resources"
DEFAULT = "warning"
KINDS = WORKLOAD_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data, ("initContainers", "containers")):
        resources = as_dict(ref.container.get("resources"))
        missing = [f"{kind}.{name}" for kind in ("requests", "limits") for name in ("cpu", "memory")
                   if name not in as_dict(resources.get(kind))]
        if missing:
            yield Violation(f"container {ref.name!r} has no {', '.join(missing)}: set CPU and memory requests and"
                            " limits", where(ref.container, ref.path, ("resources",)))
