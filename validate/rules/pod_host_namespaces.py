"""Pods do not share the node's namespaces.

What it does:
    Reports a pod spec (of a Pod, workload controller, Job, CronJob, PodTemplate or
    SeldonDeployment component) that sets ``hostNetwork``, ``hostPID`` or ``hostIPC`` to
    ``true``, which the Pod Security Standards *baseline* profile forbids.

Why it matters:
    With the host's network a pod sees and binds every node interface and bypasses
    NetworkPolicies; with its PID namespace it can inspect and signal every process on the
    node, including other tenants' model servers; with its IPC namespace it can read their
    shared memory.

Example:
    ```yaml
    spec:
      hostNetwork: true
      containers:
      - name: classifier
        image: registry.example.com/iris:1.4.2
    ```

Use instead:
    ```yaml
    spec:
      containers:
      - name: classifier
        image: registry.example.com/iris:1.4.2
    ```
    Remove `hostNetwork`, `hostPID` and `hostIPC`, and reach the pod through a Service.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, iter_pod_specs

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-host-namespaces"
DEFAULT = "error"
KINDS = WORKLOAD_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for path, spec, _ in iter_pod_specs(obj.data):
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(field) is True:
                yield Violation(f"the pod shares the node's namespace through {field}: true: remove it",
                                (*path, field))
