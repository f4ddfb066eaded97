"""Graph node names are unique within a predictor.

What it does:
    Reports a node of a SeldonDeployment predictor's inference graph (``graph`` and its
    ``children``, at any depth) whose ``name`` another node of the same graph already uses.

Why it matters:
    The operator matches graph nodes to containers, Services and ports by name, and the
    executor routes by name: two nodes with one name share one container, so one of them
    silently answers for both, or the executor calls the wrong service.

Example:
    ```yaml
    graph:
      name: model
      type: TRANSFORMER
      children:
      - name: model
        type: MODEL
    ```

Use instead:
    ```yaml
    graph:
      name: input-transformer
      type: TRANSFORMER
      children:
      - name: model
        type: MODEL
    ```
    Give every node of a predictor's graph its own name, and its own container of that name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, iter_units, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-graph-names-unique"
DEFAULT = "error"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        seen: set[str] = set()
        for path, unit in iter_units(predictor, p, repeats=True):  # a shared node is a name used twice
            name = unit.get("name")
            if not isinstance(name, str):
                continue
            if name in seen:
                yield Violation(f"graph node name {name!r} is used twice in predictor"
                                f" {predictor.get('name')!r}: give each node its own name", (*path, "name"))
            seen.add(name)
