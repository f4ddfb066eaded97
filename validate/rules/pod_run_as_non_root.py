"""Containers run as a non-root user.

What it does:
    Reports a container, init container, ephemeral container or Seldon explainer whose
    effective ``securityContext.runAsNonRoot`` is not ``true`` (the container's setting
    overrides the pod's), or whose effective ``runAsUser`` is 0. This is the Pod Security
    Standards *restricted* requirement; a non-zero ``runAsUser`` alone, such as the one the
    Seldon operator sets by default, does not satisfy it.

Why it matters:
    Root in a container is root on the node's kernel: one container escape, a writable host
    mount or a kernel bug away from the node. With ``runAsNonRoot`` the kubelet refuses to
    start an image that would run as root, so a base-image change cannot silently bring root
    back.

Example:
    ```yaml
    spec:
      containers:
      - name: classifier
        image: registry.example.com/iris:1.4.2
    ```

Use instead:
    ```yaml
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 8888
      containers:
      - name: classifier
        image: registry.example.com/iris:1.4.2
    ```
    Set `runAsNonRoot: true` in the pod's securityContext, with a non-zero `runAsUser` if the image has no numeric USER.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, iter_all_containers, where

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-run-as-non-root"
DEFAULT = "warning"
KINDS = WORKLOAD_KINDS


def _yaml(value: object) -> str:
    return "true" if value is True else "false" if value is False else repr(value)


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        own, pod = ref.security, ref.pod_security
        for key in ("runAsUser",):
            user = own.get(key, pod.get(key))
            if user == 0 and not isinstance(user, bool):
                in_container = key in own
                yield Violation(f"container {ref.name!r} runs as user 0 (root): use a non-zero runAsUser",
                                (*ref.path, "securityContext", key) if in_container or ref.pod_path is None
                                else (*ref.pod_path, "securityContext", key))
        if "runAsNonRoot" in own:
            if own["runAsNonRoot"] is not True:
                yield Violation(f"container {ref.name!r} sets runAsNonRoot to {_yaml(own['runAsNonRoot'])}: set it to"
                                " true", (*ref.path, "securityContext", "runAsNonRoot"))
        elif "runAsNonRoot" in pod and ref.pod_path is not None:
            if pod["runAsNonRoot"] is not True:
                yield Violation(f"the pod of container {ref.name!r} sets runAsNonRoot to {_yaml(pod['runAsNonRoot'])}:"
                                " set it to true", (*ref.pod_path, "securityContext", "runAsNonRoot"))
        else:
            yield Violation(f"container {ref.name!r} may run as root: set securityContext.runAsNonRoot: true on"
                            " the pod or the container",
                            where(ref.container, ref.path, ("securityContext",)))
