"""Predictor names are unique within a SeldonDeployment.

What it does:
    Reports a predictor whose ``name`` an earlier predictor of the same SeldonDeployment
    already uses.

Why it matters:
    The operator's admission webhook rejects the object ("Duplicate predictor name"): the
    predictor name is part of every Deployment and Service the operator derives, so two
    predictors with one name would overwrite each other.

Example:
    ```yaml
    predictors:
    - name: main
      traffic: 90
      graph: {name: classifier, implementation: SKLEARN_SERVER, modelUri: gs://models/v1}
    - name: main
      traffic: 10
      graph: {name: classifier, implementation: SKLEARN_SERVER, modelUri: gs://models/v2}
    ```

Use instead:
    ```yaml
    predictors:
    - name: main
      traffic: 90
      graph: {name: classifier, implementation: SKLEARN_SERVER, modelUri: gs://models/v1}
    - name: canary
      traffic: 10
      graph: {name: classifier, implementation: SKLEARN_SERVER, modelUri: gs://models/v2}
    ```
    Give every predictor its own name, for example `main` and `canary`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-predictor-names-unique"
DEFAULT = "error"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    seen: set[str] = set()
    for p, predictor in predictors(obj.data):
        name = predictor.get("name")
        if not isinstance(name, str):
            continue
        if name in seen:
            yield Violation(f"predictor name {name!r} is used twice: the operator's webhook rejects duplicate"
                            " predictor names; rename one", ("spec", "predictors", p, "name"))
        seen.add(name)
