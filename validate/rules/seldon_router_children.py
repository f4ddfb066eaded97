"""Routers and combiners have children.

What it does:
    Reports a SeldonDeployment graph node that routes or combines (``type: ROUTER`` or
    ``COMBINER``, or ``implementation: RANDOM_ABTEST``, ``SIMPLE_ROUTER`` or
    ``AVERAGE_COMBINER``) but has no ``children``.

Why it matters:
    A router picks one of its children and a combiner merges their outputs: with no children
    the executor has nowhere to send the request, and every prediction fails at run time
    although the object is accepted.

Example:
    ```yaml
    graph:
      name: ab-test
      implementation: RANDOM_ABTEST
      parameters:
      - {name: ratioA, value: "0.5", type: FLOAT}
    ```

Use instead:
    ```yaml
    graph:
      name: ab-test
      implementation: RANDOM_ABTEST
      parameters:
      - {name: ratioA, value: "0.5", type: FLOAT}
      children:
      - {name: model-a, implementation: SKLEARN_SERVER, modelUri: gs://models/a}
      - {name: model-b, implementation: SKLEARN_SERVER, modelUri: gs://models/b}
    ```
    List the nodes the router or combiner sends requests to under `children`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, iter_units, one_of, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-router-children"
DEFAULT = "error"
KINDS = SELDON_KINDS

_BRANCHING_TYPES = {"ROUTER", "COMBINER"}
_BRANCHING_IMPLEMENTATIONS = {"RANDOM_ABTEST", "SIMPLE_ROUTER", "AVERAGE_COMBINER"}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        for path, unit in iter_units(predictor, p):
            kind, implementation = unit.get("type"), unit.get("implementation")
            if one_of(implementation, _BRANCHING_IMPLEMENTATIONS):
                what, field = implementation, "implementation"
            elif one_of(kind, _BRANCHING_TYPES) and implementation in (None, "UNKNOWN_IMPLEMENTATION"):
                what, field = kind, "type"
            else:
                continue
            children = unit.get("children")
            if not (isinstance(children, list) and children):
                yield Violation(f"graph node {unit.get('name')!r} is a {what} without children: list the nodes it"
                                " routes to or combines under children", (*path, field))
