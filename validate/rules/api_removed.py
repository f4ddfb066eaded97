"""API versions no longer served by the Kubernetes version matrix.

What it does:
    Reports objects whose apiVersion and kind the newest Kubernetes version of the configured
    matrix no longer serves (the table of ``api-deprecated``, drawn from the Kubernetes
    deprecation guide), with the release that removed them and the replacement.

Why it matters:
    The API server rejects a removed API version: ``kubectl apply`` and Argo CD fail for that
    object on the upgraded cluster, and the schema stage can only say that it knows no such kind.

Example:
    ```yaml
    apiVersion: autoscaling/v2beta2
    kind: HorizontalPodAutoscaler
    ```

Use instead:
    ```yaml
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    ```
    Move the object to the replacement API version and adapt the fields that changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules.api_deprecated import verdict

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-removed"
DEFAULT = "error"


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    found = verdict(obj, ctx)
    if found is not None and found[0] == "removed":
        yield Violation(found[1], ("apiVersion",))
