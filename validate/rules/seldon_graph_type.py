"""Graph node types and methods are ones the executor knows.

What it does:
    Reports a SeldonDeployment graph node whose ``type`` is not one of ``MODEL``, ``ROUTER``,
    ``COMBINER``, ``TRANSFORMER``, ``OUTPUT_TRANSFORMER`` or ``UNKNOWN_TYPE``, whose
    ``methods`` list an unknown method, or whose type is ``UNKNOWN_TYPE`` with no ``methods``
    (which the operator's webhook rejects). The lists are Seldon Core 1.18.2's
    (``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go``).

Why it matters:
    The CRD types ``type`` as a free string, so the API server accepts a typo; the executor
    then does not know which calls to make on the node (predict, route, aggregate, transform)
    and the graph fails at request time.

Example:
    ```yaml
    graph:
      name: input-transformer
      type: TRANSFORM
    ```

Use instead:
    ```yaml
    graph:
      name: input-transformer
      type: TRANSFORMER
    ```
    Use one of the documented node types, or `UNKNOWN_TYPE` with an explicit `methods` list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import (
    SELDON_KINDS,
    UNIT_METHODS,
    UNIT_TYPES,
    iter_units,
    needs_container,
    one_of,
    predictors,
)

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-graph-type"
DEFAULT = "error"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        for path, unit in iter_units(predictor, p):
            name = unit.get("name")
            kind = unit.get("type")
            if kind is not None and not one_of(kind, UNIT_TYPES):
                yield Violation(f"graph node {name!r} has type {kind!r}: use one of"
                                f" {', '.join(sorted(UNIT_TYPES))}", (*path, "type"))
            methods = unit.get("methods")
            if isinstance(methods, list):
                for i, method in enumerate(methods):
                    if not one_of(method, UNIT_METHODS):
                        yield Violation(f"graph node {name!r} lists method {method!r}: use one of"
                                        f" {', '.join(sorted(UNIT_METHODS))}", (*path, "methods", i))
            if kind == "UNKNOWN_TYPE" and needs_container(unit) and not (isinstance(methods, list) and methods):
                yield Violation(f"graph node {name!r} has type UNKNOWN_TYPE and no methods: set a known type or"
                                " list the methods it implements", (*path, "type"))
