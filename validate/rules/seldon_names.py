"""Names a SeldonDeployment's resources derive from are valid Kubernetes names.

What it does:
    Reports a SeldonDeployment whose ``metadata.name`` is not a DNS-1035 label, and a
    predictor, graph node or ``componentSpecs`` container whose ``name`` is not a DNS-1123
    label (lower-case letters, digits and ``-``, at most 63 characters, starting and ending
    with a letter or digit).

Why it matters:
    The Seldon Core v1 operator builds the names of the objects it creates from these:
    ``<sdep>-<predictor>`` (the predictor's Service), ``<sdep>-<predictor>-<container>``
    (one Service per graph container) and ``<sdep>-<predictor>-<index>-<containers>`` (the
    Deployments; ``GetDeploymentName``, ``GetPredictorKey`` and ``GetContainerServiceName``
    in ``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go``). Service
    names must start with a letter, and containers, which carry the graph node names, must
    be DNS-1123 labels. A name such as ``my_model`` passes the CRD schema and then fails in
    the operator, long after the sync reported success.

Example:
    ```yaml
    metadata:
      name: iris_model
    spec:
      predictors:
      - name: Default
        graph:
          name: classifier
          implementation: SKLEARN_SERVER
          modelUri: gs://seldon-models/sklearn/iris
    ```

Use instead:
    ```yaml
    metadata:
      name: iris-model
    spec:
      predictors:
      - name: default
        graph:
          name: classifier
          implementation: SKLEARN_SERVER
          modelUri: gs://seldon-models/sklearn/iris
    ```
    Use lower-case letters, digits and hyphens, starting with a letter.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import (
    SELDON_KINDS,
    as_dict,
    dns1123_label_problem,
    iter_component_containers,
    iter_units,
    predictors,
)

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-names"
DEFAULT = "error"
KINDS = SELDON_KINDS

_FIX = "use lower-case letters, digits and '-'"


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    name = as_dict(obj.data.get("metadata")).get("name")
    if isinstance(name, str) and name:
        # Longer names are replaced by a hash (seldon-derived-names); the characters still matter.
        problem = dns1123_label_problem(name if len(name) <= 63 else name[:62] + name[-1])
        if problem is None and not ("a" <= name[0] <= "z"):
            problem = "must start with a letter (the operator's Services are named after it)"
        if problem:
            yield Violation(f"SeldonDeployment name {name!r} {problem}: {_FIX}", ("metadata", "name"))
    for p, predictor in predictors(obj.data):
        _check = dns1123_label_problem(predictor.get("name")) if "name" in predictor else None
        if _check:
            yield Violation(f"predictor name {predictor.get('name')!r} {_check}: {_FIX}",
                            ("spec", "predictors", p, "name"))
        for path, unit in iter_units(predictor, p):
            problem = dns1123_label_problem(unit.get("name")) if "name" in unit else None
            if problem:
                yield Violation(f"graph node name {unit.get('name')!r} {problem}; it names a container and a"
                                f" Service: {_FIX}", (*path, "name"))
        for path, container in iter_component_containers(predictor, p):
            problem = dns1123_label_problem(container.get("name")) if "name" in container else None
            if problem:
                yield Violation(f"container name {container.get('name')!r} {problem}: {_FIX}", (*path, "name"))
