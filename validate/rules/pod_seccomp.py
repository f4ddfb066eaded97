"""Containers run under a seccomp profile.

What it does:
    Reports a container, init container, ephemeral container or Seldon explainer whose
    effective ``securityContext.seccompProfile.type`` (the container's setting overrides the
    pod's) is not ``RuntimeDefault`` or ``Localhost``: the Pod Security Standards
    *restricted* profile.

Why it matters:
    Without a profile the container may call any of the kernel's ~400 system calls, most of
    which a model server never uses and many of which have been the entry point of container
    escapes. ``RuntimeDefault`` blocks the dangerous ones at no cost to ordinary workloads.

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
        seccompProfile:
          type: RuntimeDefault
      containers:
      - name: classifier
        image: registry.example.com/iris:1.4.2
    ```
    Set `seccompProfile.type: RuntimeDefault` in the pod's securityContext.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, as_dict, iter_all_containers, one_of, where

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-seccomp"
DEFAULT = "warning"
KINDS = WORKLOAD_KINDS

ALLOWED = {"RuntimeDefault", "Localhost"}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        own = as_dict(ref.security.get("seccompProfile")).get("type")
        pod = as_dict(ref.pod_security.get("seccompProfile")).get("type")
        if own is not None:
            if not one_of(own, ALLOWED):
                yield Violation(f"container {ref.name!r} uses seccomp profile {own!r}: use RuntimeDefault",
                                (*ref.path, "securityContext", "seccompProfile", "type"))
        elif pod is not None and ref.pod_path is not None:
            if not one_of(pod, ALLOWED):
                yield Violation(f"the pod of container {ref.name!r} uses seccomp profile {pod!r}: use"
                                " RuntimeDefault", (*ref.pod_path, "securityContext", "seccompProfile", "type"))
        else:
            yield Violation(f"container {ref.name!r} has no seccomp profile: set securityContext.seccompProfile.type:"
                            " RuntimeDefault on the pod or the container",
                            where(ref.container, ref.path, ("securityContext",)))
