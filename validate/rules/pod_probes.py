"""Long-running containers have readiness and liveness probes.

What it does:
    Reports a container of a Pod, workload controller, PodTemplate or SeldonDeployment
    without a ``readinessProbe`` or a ``livenessProbe``. Jobs and CronJobs, init and
    ephemeral containers are not concerned. Neither are SeldonDeployment containers that
    serve a graph node, nor explainers: the Seldon Core v1 operator gives a graph container
    without probes TCP readiness and liveness probes on its port
    (``createContainerService`` in ``operator/controllers/seldondeployment_controller.go``);
    sidecars listed beside them are checked.

Why it matters:
    Without a readiness probe a Service sends requests to a pod as soon as its process
    starts, long before a model has loaded, and every rollout drops requests. Without a
    liveness probe a hung server keeps its place behind the Service forever.

Example:
    ```yaml
    containers:
    - name: api
      image: registry.example.com/api:2.1.0
    ```

Use instead:
    ```yaml
    containers:
    - name: api
      image: registry.example.com/api:2.1.0
      readinessProbe:
        httpGet: {path: /ready, port: 8080}
      livenessProbe:
        httpGet: {path: /healthz, port: 8080}
        initialDelaySeconds: 30
    ```
    Add a readiness probe that passes once the container can serve, and a liveness probe that fails when it hangs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, group_kind, iter_all_containers

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-probes"
DEFAULT = "warning"
KINDS = WORKLOAD_KINDS - {("batch", "Job"), ("batch", "CronJob")}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    if group_kind(obj.data) in {("batch", "Job"), ("batch", "CronJob")}:
        return
    for ref in iter_all_containers(obj.data, ("containers",)):
        if ref.kind != "containers" or ref.graph_unit is not None:
            continue
        missing = [probe for probe in ("readinessProbe", "livenessProbe") if probe not in ref.container]
        if missing:
            yield Violation(f"container {ref.name!r} has no {' and no '.join(missing)}: add probes so traffic waits"
                            " for readiness and hung processes restart",
                            (*ref.path, "name") if "name" in ref.container else ref.path)
