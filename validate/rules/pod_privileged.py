"""Containers are not privileged.

What it does:
    Reports a container, init container, ephemeral container or Seldon explainer with
    ``securityContext.privileged: true``, which both Pod Security Standards profiles above
    *privileged* forbid.

Why it matters:
    A privileged container has every capability and every device of the node, and no
    seccomp or AppArmor confinement: it is root on the node in all but name. Model serving
    never needs it; GPU access goes through device plugins.

Example:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
      securityContext:
        privileged: true
    ```

Use instead:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
      securityContext:
        privileged: false
        allowPrivilegeEscalation: false
    ```
    Remove `privileged: true`; request the one capability or device the workload needs instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, iter_all_containers

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-privileged"
DEFAULT = "error"
KINDS = WORKLOAD_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        if ref.security.get("privileged") is True:
            yield Violation(f"container {ref.name!r} is privileged: remove privileged: true and grant only the"
                            " capability it needs", (*ref.path, "securityContext", "privileged"))
