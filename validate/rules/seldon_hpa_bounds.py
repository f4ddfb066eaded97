"""Autoscaling bounds of a SeldonDeployment component are consistent.

What it does:
    Reports a ``componentSpecs[].hpaSpec`` whose ``maxReplicas`` is below 1 or below
    ``minReplicas`` (default 1), or whose ``minReplicas`` is below 1, and a ``kedaSpec`` whose
    ``minReplicaCount`` exceeds its ``maxReplicaCount``.

Why it matters:
    The operator copies ``hpaSpec`` into a HorizontalPodAutoscaler, which the API server
    rejects when the bounds contradict each other: the SeldonDeployment is accepted, but it
    never autoscales and its status reports the failure only in the operator's logs.

Example:
    ```yaml
    componentSpecs:
    - hpaSpec:
        minReplicas: 4
        maxReplicas: 2
    ```

Use instead:
    ```yaml
    componentSpecs:
    - hpaSpec:
        minReplicas: 2
        maxReplicas: 4
    ```
    Set `minReplicas` to at least 1 and no higher than `maxReplicas`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, as_dict, as_list, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-hpa-bounds"
DEFAULT = "error"
KINDS = SELDON_KINDS


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        for c, component in enumerate(as_list(predictor.get("componentSpecs"))):
            component = as_dict(component)
            base = ("spec", "predictors", p, "componentSpecs", c)
            hpa = component.get("hpaSpec")
            if isinstance(hpa, dict):
                low, high = _int(hpa.get("minReplicas")), _int(hpa.get("maxReplicas"))
                if low is not None and low < 1:
                    yield Violation(f"hpaSpec.minReplicas is {low}: set it to at least 1",
                                    (*base, "hpaSpec", "minReplicas"))
                if high is not None and high < 1:
                    yield Violation(f"hpaSpec.maxReplicas is {high}: set it to at least 1",
                                    (*base, "hpaSpec", "maxReplicas"))
                elif high is not None and high < (low if low is not None else 1):
                    yield Violation(f"hpaSpec.minReplicas ({low if low is not None else 1}) exceeds maxReplicas"
                                    f" ({high}): raise maxReplicas or lower minReplicas",
                                    (*base, "hpaSpec", "minReplicas" if low is not None else "maxReplicas"))
            keda = component.get("kedaSpec")
            if isinstance(keda, dict):
                low, high = _int(keda.get("minReplicaCount")), _int(keda.get("maxReplicaCount"))
                if low is not None and high is not None and low > high:
                    yield Violation(f"kedaSpec.minReplicaCount ({low}) exceeds maxReplicaCount ({high}): raise"
                                    " maxReplicaCount or lower minReplicaCount",
                                    (*base, "kedaSpec", "minReplicaCount"))
