"""Every container of a SeldonDeployment serves a graph node.

What it does:
    Reports a container of a predictor's ``componentSpecs[].spec.containers`` whose name is
    the name of no node of that predictor's graph. Init containers and explainers are not
    concerned.

Why it matters:
    The operator wires containers to the graph by name. A container no node names is either
    a graph node whose name was mistyped (the node then runs a prepackaged server or fails),
    or a sidecar the executor never calls, which still takes resources in every replica.

Example:
    ```yaml
    componentSpecs:
    - spec:
        containers:
        - name: classifier-v2
          image: registry.example.com/iris:2.0.0
    graph:
      name: classifier
      implementation: SKLEARN_SERVER
      modelUri: gs://models/iris
    ```

Use instead:
    ```yaml
    componentSpecs:
    - spec:
        containers:
        - name: classifier
          image: registry.example.com/iris:2.0.0
    graph:
      name: classifier
      type: MODEL
    ```
    Name the container like the graph node it serves, or remove it; suppress the rule with a reason for a deliberate sidecar.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, iter_component_containers, iter_units, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-unused-container"
DEFAULT = "warning"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        if not isinstance(predictor.get("graph"), dict):
            continue  # no graph at all is a schema error
        nodes = {unit["name"] for _, unit in iter_units(predictor, p) if isinstance(unit.get("name"), str)}
        for path, container in iter_component_containers(predictor, p):
            name = container.get("name")
            if isinstance(name, str) and name not in nodes:
                yield Violation(f"container {name!r} serves no node of predictor {predictor.get('name')!r}'s graph:"
                                " rename it after its graph node, or remove it", (*path, "name"))
