"""Autoscaled Seldon components leave replicas to the autoscaler.

What it does:
    Reports a static ``replicas`` count (on the component, its predictor or the
    SeldonDeployment's ``spec``) that applies to a ``componentSpecs[]`` entry which also has
    an ``hpaSpec`` or ``kedaSpec``.

Why it matters:
    With a static count in git, every sync writes it back over the autoscaler's choice: the
    component drops to the committed number on each Argo CD sync or operator reconcile and
    scales up again minutes later, under load exactly when it hurts. The Argo CD best
    practice is to leave ``replicas`` out wherever an autoscaler owns it.

Example:
    ```yaml
    predictors:
    - name: main
      replicas: 2
      componentSpecs:
      - hpaSpec:
          minReplicas: 2
          maxReplicas: 6
    ```

Use instead:
    ```yaml
    predictors:
    - name: main
      componentSpecs:
      - hpaSpec:
          minReplicas: 2
          maxReplicas: 6
    ```
    Remove `replicas` and set the floor with the autoscaler's `minReplicas` instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, as_dict, as_list, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-hpa-static-replicas"
DEFAULT = "warning"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    top_level = "replicas" in as_dict(obj.data.get("spec"))
    reported_top = False
    for p, predictor in predictors(obj.data):
        reported_predictor = False
        for c, component in enumerate(as_list(predictor.get("componentSpecs"))):
            component = as_dict(component)
            scaler = "hpaSpec" if isinstance(component.get("hpaSpec"), dict) else \
                "kedaSpec" if isinstance(component.get("kedaSpec"), dict) else None
            if scaler is None:
                continue
            message = (f"componentSpecs[{c}] of predictor {predictor.get('name')!r} is autoscaled by its {scaler}:"
                       " remove the static replicas, which every sync writes back over the autoscaler's count")
            if "replicas" in component:
                yield Violation(message, ("spec", "predictors", p, "componentSpecs", c, "replicas"))
            elif "replicas" in predictor:
                if not reported_predictor:
                    yield Violation(message, ("spec", "predictors", p, "replicas"))
                reported_predictor = True
            elif top_level and not reported_top:
                yield Violation(message, ("spec", "replicas"))
                reported_top = True
