"""SeldonDeployments use machinelearning.seldon.io/v1.

What it does:
    Reports a SeldonDeployment written as ``machinelearning.seldon.io/v1alpha2`` or
    ``v1alpha3``.

Why it matters:
    Seldon Core 1.x stores ``v1`` (the storage version of the 1.18.2 CRD) and keeps the alpha
    versions only for compatibility: the ``crd_v1_small`` CRD serves ``v1`` alone, and the
    documentation and newer fields describe ``v1``. Objects kept in an alpha version break
    once a cluster installs a CRD without them, and diff noisily against what the API server
    returns.

Example:
    ```yaml
    apiVersion: machinelearning.seldon.io/v1alpha2
    kind: SeldonDeployment
    ```

Use instead:
    ```yaml
    apiVersion: machinelearning.seldon.io/v1
    kind: SeldonDeployment
    ```
    Change the apiVersion to machinelearning.seldon.io/v1; the spec is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-deprecated-api"
DEFAULT = "warning"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    api_version = obj.data.get("apiVersion")
    if isinstance(api_version, str) and api_version.rpartition("/")[2] in ("v1alpha2", "v1alpha3"):
        yield Violation(f"{api_version} is deprecated: use machinelearning.seldon.io/v1 (same spec)",
                        ("apiVersion",))
