"""API versions deprecated in the Kubernetes version matrix.

What it does:
    Looks every object's apiVersion and kind up in a table drawn from the Kubernetes
    deprecation guide and reports those deprecated in the newest Kubernetes version of the
    configured matrix but still served there, with the release that removes them (if one is
    announced) and the replacement. Versions no longer served are ``api-removed``.

Why it matters:
    A deprecated API version works today and breaks ``kubectl apply`` and Argo CD syncs after a
    cluster upgrade; moving before the upgrade is cheap, moving after it is an outage.

Example:
    ```yaml
    apiVersion: v1
    kind: Endpoints
    metadata:
      name: external-db
      namespace: seldon
    ```

Use instead:
    ```yaml
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: external-db
      namespace: seldon
    ```
    Move the object to the replacement API version and adapt the fields that changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.lifecycle import lookup, version
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-deprecated"
DEFAULT = "warning"

def verdict(obj: Checked, ctx: Context) -> tuple[str, str] | None:
    """("removed" | "deprecated", message) for an object whose API version the table lists."""
    api_version, kind = obj.data.get("apiVersion"), obj.data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    entry = lookup(api_version.strip(), kind)
    if entry is None:
        return None
    matrix = sorted(v for v in (version(v) for v in ctx.versions) if v is not None)
    if not matrix:
        return None
    deprecated, removed, replacement = entry
    newest = matrix[-1]
    removed_in = version(removed) if removed else None
    if removed_in is not None and removed_in <= newest:
        served = [f"{v[0]}.{v[1]}" for v in matrix if v < removed_in]
        still = f"; still served by {', '.join(served)}" if served else ""
        return "removed", (f"{api_version} {kind} is no longer served since Kubernetes {removed} (the matrix"
                           f" reaches {newest[0]}.{newest[1]}{still}): use {replacement}")
    deprecated_in = version(deprecated)
    if deprecated_in is not None and deprecated_in <= newest:
        until = f" and removed in {removed}" if removed else ""
        return "deprecated", (f"{api_version} {kind} is deprecated since Kubernetes {deprecated}{until}: use"
                              f" {replacement}")
    return None


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    found = verdict(obj, ctx)
    if found is not None and found[0] == "deprecated":
        yield Violation(found[1], ("apiVersion",))
