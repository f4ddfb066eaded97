"""Container images are pinned by digest.

What it does:
    Reports a container, init container or Seldon explainer whose ``image`` carries no
    ``@sha256:`` digest. A Seldon container listed without an image (the operator fills in
    the prepackaged server's image) is not concerned. Informational by default; a production
    profile raises it.

Why it matters:
    Tags are mutable: a registry user can push a different image under ``1.4.2``, and a
    compromised registry can serve one. A digest names exactly the bytes that were reviewed
    and scanned, so every node of every cluster runs the same image.

Example:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2
    ```

Use instead:
    ```yaml
    containers:
    - name: classifier
      image: registry.example.com/iris:1.4.2@sha256:4b1f0c7e2f5a8d9c0e1b2a3f4d5c6b7a8e9f0d1c2b3a4f5e6d7c8b9a0f1e2d3c
    ```
    Append the image's `@sha256:` digest (kustomize `images[].digest` can set it per environment).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, image_reference, iter_all_containers

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-image-digest"
DEFAULT = "info"
KINDS = WORKLOAD_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        image = ref.container.get("image")
        if isinstance(image, str) and image.strip() and not image_reference(image)[2]:
            yield Violation(f"container {ref.name!r} image {image!r} is not pinned by digest: append"
                            " @sha256:<digest>", (*ref.path, "image"))
