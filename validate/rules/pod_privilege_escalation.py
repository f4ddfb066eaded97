"""Containers forbid privilege escalation.

What it does:
    Reports a container, init container, ephemeral container or Seldon explainer whose
    ``securityContext.allowPrivilegeEscalation`` is not explicitly ``false``, as the Pod
    Security Standards *restricted* profile requires.

Why it matters:
    Unless it is set to false, a process can gain more privileges than its parent through
    setuid binaries or file capabilities (``no_new_privs`` is off): a compromised model
    server can become root inside its container even when it started as a normal user.

Example:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
      securityContext:
        runAsNonRoot: true
    ```

Use instead:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
      securityContext:
        runAsNonRoot: true
        allowPrivilegeEscalation: false
    ```
    Set `allowPrivilegeEscalation: false` in every container's securityContext.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, iter_all_containers, where

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-privilege-escalation"
DEFAULT = "warning"
KINDS = WORKLOAD_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        value = ref.security.get("allowPrivilegeEscalation")
        if value is not False:
            how = "does not set" if value is None else f"sets {str(value).lower() if isinstance(value, bool) else repr(value)} for"
            yield Violation(f"container {ref.name!r} {how} allowPrivilegeEscalation: set it to false",
                            where(ref.container, ref.path, ("securityContext", "allowPrivilegeEscalation")))
