"""Pods do not mount node directories.

What it does:
    Reports a ``hostPath`` volume in a pod spec (of a Pod, workload controller, Job, CronJob,
    PodTemplate or SeldonDeployment component), which the Pod Security Standards *baseline*
    profile forbids.

Why it matters:
    A hostPath volume exposes the node's file system to the pod: the container runtime
    socket, kubelet credentials or other pods' data are one path away, and a writable mount
    is a direct route to the node. It also ties the pod to whichever node holds the files.

Example:
    ```yaml
    volumes:
    - name: models
      hostPath:
        path: /mnt/models
    ```

Use instead:
    ```yaml
    volumes:
    - name: models
      persistentVolumeClaim:
        claimName: models
    ```
    Use a PersistentVolumeClaim, a ConfigMap or an emptyDir filled by an init container instead of a hostPath.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, as_dict, as_list, iter_pod_specs

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-host-path"
DEFAULT = "error"
KINDS = WORKLOAD_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for path, spec, _ in iter_pod_specs(obj.data):
        for i, volume in enumerate(as_list(spec.get("volumes"))):
            volume = as_dict(volume)
            if "hostPath" in volume:
                host = as_dict(volume.get("hostPath")).get("path")
                yield Violation(f"volume {volume.get('name')!r} mounts the node's {host!r}: use a"
                                " PersistentVolumeClaim or emptyDir instead", (*path, "volumes", i, "hostPath"))
