"""Containers must not run pre-release images where the profile forbids them.

What it does:
    Reports every container whose image tag marks a pre-release or development build: a
    ``dev``, ``rc``, ``snapshot``, ``alpha``, ``beta`` or ``nightly`` part after a separator
    (``1.16.0-dev``, ``v2.0.0-rc.1``, ``1.0-SNAPSHOT``). A digest pins the bytes, but the tag
    still says what they are, so a digest does not exempt it. Its severity comes from the
    environment's profile: this repository makes it an error in prod (``restricted``) and
    leaves it off in dev.

Why it matters:
    Development builds are pushed again under the same tag as a branch moves (Seldon's
    ``-dev`` images are), so a restarted pod can pull code nobody tested, and a release
    candidate is by definition not the release. Prod should run what a release names.

Example:
    ```yaml
    containers:
      - name: classifier
        image: seldonio/mock_classifier:1.16.0-dev
    ```

Use instead:
    ```yaml
    containers:
      - name: classifier
        image: seldonio/mock_classifier:1.13.1
    ```
    Use a release tag (or the release's digest) in environments that must run released code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import WORKLOAD_KINDS, image_reference, iter_all_containers

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "pod-image-prerelease"
DEFAULT = "warning"
KINDS = WORKLOAD_KINDS

PRE_RELEASE = re.compile(r"(?:^|[-.+_])(dev|rc|snapshot|alpha|beta|nightly)(?=$|[-.+_0-9])", re.IGNORECASE)


def prerelease_marker(tag: str) -> str | None:
    """The pre-release word a tag carries (``dev`` for ``1.16.0-dev``), or None."""
    found = PRE_RELEASE.search(tag)
    return found.group(1) if found else None


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for ref in iter_all_containers(obj.data):
        image = ref.container.get("image")
        if not isinstance(image, str):
            continue
        _, tag, _ = image_reference(image)
        marker = prerelease_marker(tag) if tag else None
        if marker:
            yield Violation(f"container {ref.name!r} runs {image!r}, a pre-release ({marker}) build that can be pushed"
                            " again under the same tag: use a release tag", (*ref.path, "image"))
