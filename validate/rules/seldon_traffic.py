"""Traffic splits between predictors add up to 100.

What it does:
    Applies the Seldon Core v1 webhook's traffic checks (``checkTraffic`` and
    ``validateShadow`` in ``operator/apis/machinelearning.seldon.io/v1/seldondeployment_webhook.go``)
    when any predictor sets ``traffic``: the non-shadow predictors' traffic must sum to 100
    when there are several; a single predictor's traffic, when set, must be 100; at most one
    predictor may be a shadow, its traffic between 0 and 100, and a shadow cannot be the only
    predictor.

Why it matters:
    The webhook rejects the object, so the sync fails; and a split that does not sum to 100
    is usually a half-finished canary edit (the new weight raised, the old one not lowered).

Example:
    ```yaml
    predictors:
    - name: main
      traffic: 90
    - name: canary
      traffic: 20
    ```

Use instead:
    ```yaml
    predictors:
    - name: main
      traffic: 80
    - name: canary
      traffic: 20
    ```
    Make the non-shadow predictors' `traffic` values add up to exactly 100.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, as_dict, as_list

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-traffic"
DEFAULT = "error"
KINDS = SELDON_KINDS


def _traffic(predictor: dict) -> int:
    value = predictor.get("traffic")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _where(p: int, predictor: dict) -> tuple[str | int, ...]:
    field = "traffic" if "traffic" in predictor else "name" if "name" in predictor else None
    return ("spec", "predictors", p, field) if field else ("spec", "predictors", p)


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    all_predictors = as_list(as_dict(obj.data.get("spec")).get("predictors"))
    indexed = [(p, pr) for p, pr in enumerate(all_predictors) if isinstance(pr, dict)]
    shadows = [(p, pr) for p, pr in indexed if pr.get("shadow") is True]
    serving = [(p, pr) for p, pr in indexed if pr.get("shadow") is not True]
    for p, predictor in shadows[1:]:
        yield Violation(f"predictor {predictor.get('name')!r} is a second shadow: only one predictor may be a"
                        " shadow", ("spec", "predictors", p, "shadow"))
    for p, predictor in shadows:
        if not 0 <= _traffic(predictor) <= 100:
            yield Violation(f"shadow predictor {predictor.get('name')!r} has traffic {_traffic(predictor)}: use a"
                            " value between 0 and 100", _where(p, predictor))
    if len(all_predictors) == 1 and shadows:
        yield Violation("the only predictor is a shadow: add the predictor it shadows, or drop shadow: true",
                        ("spec", "predictors", 0, "shadow"))
    if not any("traffic" in pr for _, pr in indexed):
        return
    total = sum(_traffic(pr) for _, pr in serving)
    if len(serving) > 1 and total != 100:
        split = " + ".join(f"{pr.get('name')}={_traffic(pr)}" for _, pr in serving)
        for p, predictor in serving:
            yield Violation(f"traffic over the non-shadow predictors sums to {total} ({split}), not 100: adjust"
                            " the weights so they add up to 100", _where(p, predictor))
    elif len(all_predictors) == 1 and serving and 0 < total < 100:
        p, predictor = serving[0]
        yield Violation(f"the only predictor has traffic {total}: set it to 100 or remove it",
                        _where(p, predictor))
