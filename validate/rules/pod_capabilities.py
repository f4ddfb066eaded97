"""Containers drop all Linux capabilities.

What it does:
    Reports a container, init container, ephemeral container or Seldon explainer whose
    ``securityContext.capabilities.drop`` does not include ``ALL``, or whose
    ``capabilities.add`` lists anything but ``NET_BIND_SERVICE``: the Pod Security Standards
    *restricted* profile.

Why it matters:
    The default runtime capability set includes ``CHOWN``, ``DAC_OVERRIDE``, ``FOWNER``,
    ``SETUID``, ``NET_RAW`` and more: enough to read any file in the container, spoof
    packets on the pod network, or turn a foothold into root. Model servers need none of
    them.

Example:
    ```yaml
    securityContext:
      capabilities:
        add: [NET_ADMIN]
    ```

Use instead:
    ```yaml
    securityContext:
      capabilities:
        drop: [ALL]
    ```
    Drop `ALL` capabilities and add back at most `NET_BIND_SERVICE`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, as_dict, as_list, iter_all_containers, one_of, where

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-capabilities"
DEFAULT = "warning"
KINDS = WORKLOAD_KINDS

ALLOWED_ADD = {"NET_BIND_SERVICE"}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        capabilities = as_dict(ref.security.get("capabilities"))
        if "ALL" not in as_list(capabilities.get("drop")):
            yield Violation(f"container {ref.name!r} keeps the default capabilities: add ALL to"
                            " securityContext.capabilities.drop",
                            where(ref.container, ref.path, ("securityContext", "capabilities", "drop")))
        for i, added in enumerate(as_list(capabilities.get("add"))):
            if not one_of(added, ALLOWED_ADD):
                yield Violation(f"container {ref.name!r} adds capability {added!r}: only NET_BIND_SERVICE may be"
                                " added back", (*ref.path, "securityContext", "capabilities", "add", i))
