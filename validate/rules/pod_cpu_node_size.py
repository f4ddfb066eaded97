"""Pods request no more CPU than a node of the cluster has.

What it does:
    Compares the CPU a pod asks the scheduler for with the size of one node, as
    ``cluster.nodeCPU`` in ``.gitops-validate.yaml`` declares it (nothing is checked without it).
    A container's CPU request is ``resources.requests.cpu``, or its ``limits.cpu`` when it sets no
    request (the API server copies the limit into the request). A pod's request is what the
    scheduler adds up: its containers and sidecars (init containers with ``restartPolicy: Always``)
    together, or its largest init container with the sidecars started before it, whichever is more.
    A container that alone asks for more than a node is reported at its ``cpu`` line; a pod whose
    containers only together ask for more is reported at its ``containers``. When the repository
    holds a kind cluster config (``kind.x-k8s.io/v1alpha4`` ``Cluster``), the finding names it: kind
    runs every node as a container on one machine, so each node has that machine's CPUs and no
    more, and ``cluster.nodeCPU`` is the size of that machine. A CPU *limit* above the node size
    (with a smaller request) is not reported: the pod schedules, it just cannot use the surplus.
    In a SeldonDeployment the containers listed in ``componentSpecs`` and the explainer are
    counted, not the ones the operator adds (the executor).

Why it matters:
    The scheduler places a pod only on a node whose allocatable CPU covers the pod's requests.
    When no node is that large the pod stays ``Pending`` for ever ("0/2 nodes are available:
    2 Insufficient cpu"), the Argo CD Application stays ``Progressing``, and nothing before the
    cluster says why: the API server accepts the object. ``cpu: 8`` written for ``800m``, or
    ``cpu: 500`` for ``500m``, is the usual cause.

Example:
    ```yaml
    # .gitops-validate.yaml: cluster: {nodeCPU: 4}
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
      resources:
        requests: {cpu: "8", memory: 1Gi}
    ```

Use instead:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
      resources:
        requests: {cpu: 800m, memory: 1Gi}
    ```
    Request less CPU than one node has (or run the pod on a cluster with larger nodes, and set `cluster.nodeCPU` to their size).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate import suggest
from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, as_dict, as_list, iter_all_containers, iter_pod_specs

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-cpu-node-size"
DEFAULT = "error"
KINDS = WORKLOAD_KINDS

Path = tuple[str | int, ...]


def cores(value: Any) -> float | None:
    """A CPU quantity in cores, None when it is not one (the schema reports that)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return suggest.quantity_value(str(value))


def request(container: dict[str, Any]) -> tuple[float, str] | None:
    """(cores, the field that sets them): the request, or the limit the API server copies into it."""
    resources = as_dict(container.get("resources"))
    for kind in ("requests", "limits"):
        amount = cores(as_dict(resources.get(kind)).get("cpu"))
        if amount is not None:
            return amount, kind
    return None


def pod_request(podspec: dict[str, Any]) -> float:
    """The pod's CPU request as the scheduler computes it (pod overhead aside)."""
    sidecars, largest_init = 0.0, 0.0
    for container in as_list(podspec.get("initContainers")):
        amount = request(as_dict(container))
        cpu = amount[0] if amount else 0.0
        if as_dict(container).get("restartPolicy") == "Always":
            sidecars += cpu
        else:
            largest_init = max(largest_init, cpu + sidecars)
    running = sum((amount[0] for c in as_list(podspec.get("containers")) if (amount := request(as_dict(c)))), 0.0)
    return max(running + sidecars, largest_init)


def node_size(ctx: Context, size: float) -> str:
    """``4 CPUs, a node of the kind cluster 'seldon' (apps/.../kind-cluster.yaml, cluster.nodeCPU)``."""
    for rel in sorted(ctx.loaded):
        for document in ctx.documents(rel):
            data = as_dict(document.data)
            api_version = data.get("apiVersion")
            if data.get("kind") == "Cluster" and isinstance(api_version, str) and api_version.startswith("kind.x-k8s.io/"):
                name = data.get("name") if isinstance(data.get("name"), str) else "kind"
                nodes = len(as_list(data.get("nodes"))) or 1
                return (f"{size:g} CPUs, the size of each of the {nodes} node(s) of the kind cluster {name!r} ({rel})"
                        f" as cluster.nodeCPU declares it")
    return f"{size:g} CPUs, the node size cluster.nodeCPU declares"


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    size = ctx.config.node_cpu
    if size is None:
        return
    reported: set[Path] = set()
    for ref in iter_all_containers(obj.data, ("initContainers", "containers")):
        amount = request(ref.container)
        if amount is not None and amount[0] > size:
            value = as_dict(as_dict(ref.container.get("resources")).get(amount[1])).get("cpu")
            how = "requests" if amount[1] == "requests" else "has no CPU request, so its limit is the request:"
            yield Violation(f"container {ref.name!r} {how} cpu {value!r} ({amount[0]:g} cores), more than a node has"
                            f" ({node_size(ctx, size)}): the pod can never be scheduled",
                            (*ref.path, "resources", amount[1], "cpu"))
            if ref.pod_path is not None:
                reported.add(ref.pod_path)
    for pod_path, podspec, _ in iter_pod_specs(obj.data):
        total = pod_request(podspec)
        if total > size and pod_path not in reported:
            parts = [f"{as_dict(c).get('name')!r} {amount[0]:g}" for c in
                     as_list(podspec.get("initContainers")) + as_list(podspec.get("containers"))
                     if (amount := request(as_dict(c)))]
            yield Violation(f"the pod's containers request {total:g} CPUs together ({', '.join(parts)}), more than a"
                            f" node has ({node_size(ctx, size)}): the pod can never be scheduled",
                            (*pod_path, "containers"))
