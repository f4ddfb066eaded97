"""Every custom graph node has a container of its name.

What it does:
    Reports a node of a SeldonDeployment graph that has no prepackaged ``implementation``
    (or ``UNKNOWN_IMPLEMENTATION``) and no container of the same name in its predictor's
    ``componentSpecs[].spec.containers``.

Why it matters:
    The operator's admission webhook rejects the object ("Can't find container for Predictive
    Unit"): a custom node is served by the container that carries its name, and nothing else
    can answer for it. A typo in either name is the usual cause.

Example:
    ```yaml
    componentSpecs:
    - spec:
        containers:
        - name: classifier
          image: registry.example.com/iris:1.0.0
    graph:
      name: clasifier
      type: MODEL
    ```

Use instead:
    ```yaml
    componentSpecs:
    - spec:
        containers:
        - name: classifier
          image: registry.example.com/iris:1.0.0
    graph:
      name: classifier
      type: MODEL
    ```
    Name the graph node and its container identically, or use a prepackaged `implementation` with a `modelUri`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, container_names, iter_units, needs_container, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-graph-container"
DEFAULT = "error"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        names = container_names(predictor, p)
        for path, unit in iter_units(predictor, p):
            name = unit.get("name")
            if not needs_container(unit) or not isinstance(name, str) or name in names:
                continue
            close = difflib.get_close_matches(name, sorted(names), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            yield Violation(f"graph node {name!r} has no container of that name in predictor"
                            f" {predictor.get('name')!r}{hint}: add one to componentSpecs, or set a prepackaged"
                            " implementation", (*path, "name"))
