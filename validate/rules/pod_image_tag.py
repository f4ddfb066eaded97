"""Container images are pinned to a tag or digest.

What it does:
    Reports a container, init container or Seldon explainer whose ``image`` has no tag, or
    the tag ``latest``, and no ``@sha256:`` digest. Applies to Pods, workload controllers,
    Jobs, CronJobs, PodTemplates and SeldonDeployments. A Seldon container listed without an
    image (the operator fills in the prepackaged server's image) is not concerned.

Why it matters:
    A moving tag makes the repository lie: the same commit deploys different code depending
    on when a node pulls, rollbacks do not roll back, and Argo CD reports "Synced" while the
    cluster runs something nobody reviewed.

Example:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:latest
    ```

Use instead:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
    ```
    Pin every image to an immutable version tag, or better to a digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, image_reference, iter_all_containers

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-image-tag"
DEFAULT = "error"
KINDS = WORKLOAD_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        image = ref.container.get("image")
        if not isinstance(image, str) or not image.strip():
            continue
        _, tag, digest = image_reference(image)
        if digest:
            continue
        if tag is None:
            yield Violation(f"container {ref.name!r} image {image!r} has no tag, so it means :latest: pin a version"
                            " tag or a digest", (*ref.path, "image"))
        elif tag == "latest":
            yield Violation(f"container {ref.name!r} uses {image!r}: pin a version tag or a digest instead of"
                            " latest", (*ref.path, "image"))
