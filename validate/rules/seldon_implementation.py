"""Graph node implementations are ones the operator knows.

What it does:
    Reports a SeldonDeployment graph node whose ``implementation`` is none of Seldon Core
    1.18.2's built-in units (``SIMPLE_MODEL``, ``SIMPLE_ROUTER``, ``RANDOM_ABTEST``,
    ``AVERAGE_COMBINER``, ``UNKNOWN_IMPLEMENTATION``) or prepackaged servers (the operator
    chart's default ``predictor_servers``: ``SKLEARN_SERVER``, ``XGBOOST_SERVER``,
    ``TENSORFLOW_SERVER``, ``MLFLOW_SERVER``, ``TRITON_SERVER``, ``HUGGINGFACE_SERVER``,
    ``TEMPO_SERVER``), nor a custom server the repository registers under ``predictor_servers``
    (a ``seldon-config`` ConfigMap, or the seldon-core-operator's Helm values in a values file,
    an Application's ``helm.values``/``valuesObject`` or a kustomization's ``valuesInline``).

Why it matters:
    The CRD types ``implementation`` as a free string. An unknown name is treated as a
    prepackaged server, and the webhook rejects it ("No entry in predictors map") unless the
    cluster's ``seldon-config`` ConfigMap defines a server of that name.

Example:
    ```yaml
    graph:
      name: classifier
      implementation: SKLEARN
      modelUri: gs://seldon-models/sklearn/iris
    ```

Use instead:
    ```yaml
    graph:
      name: classifier
      implementation: SKLEARN_SERVER
      modelUri: gs://seldon-models/sklearn/iris
    ```
    Use a known implementation name, or register the custom server under `predictor_servers` in the repository.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import IMPLEMENTATIONS, SELDON_KINDS, iter_units, one_of, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-implementation"
DEFAULT = "error"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        for path, unit in iter_units(predictor, p):
            value = unit.get("implementation")
            known = IMPLEMENTATIONS | ctx.seldon_servers
            if value is None or one_of(value, known):
                continue
            close = difflib.get_close_matches(str(value), sorted(known), n=1)
            where = "under predictor_servers in the seldon-core-operator values or the seldon-config ConfigMap"
            hint = (f" (did you mean {close[0]!r}?); a custom server must be registered {where}" if close else
                    f": use one of {', '.join(sorted(known))}, or register a custom server {where}")
            yield Violation(f"graph node {unit.get('name')!r} has unknown implementation {value!r}{hint}",
                            (*path, "implementation"))
