"""Names the Seldon operator derives stay within 63 characters.

What it does:
    Computes the names the Seldon Core v1 operator gives the objects it creates and reports
    those longer than 63 characters: the predictor Service ``<sdep>-<predictor>``, each
    component Deployment ``<sdep>-<predictor>-<index>-<name>`` where ``<name>`` is the
    componentSpec's ``metadata.name`` or its container names joined by ``-``
    (``GetDeploymentName``), each graph container's Service ``<sdep>-<predictor>-<container>``
    (``GetContainerServiceName``) and the explainer ``<sdep>-<predictor>-explainer``, all in
    ``operator/apis/machinelearning.seldon.io/v1/seldondeployment_types.go``.

Why it matters:
    The operator does not fail on a long name: it replaces it with ``seldon-<md5 of the
    name>``. The Deployments, Services and pods then carry opaque hashes, which makes
    ``kubectl get``, dashboards, alerts and log queries keyed on names useless, and renaming
    a container silently changes the hash.

Example:
    ```yaml
    metadata:
      name: customer-churn-gradient-boosting
    spec:
      predictors:
      - name: production-candidate
        componentSpecs:
        - spec:
            containers:
            - name: churn-classifier
    ```

Use instead:
    ```yaml
    metadata:
      name: churn
    spec:
      predictors:
      - name: main
        componentSpecs:
        - metadata:
            name: classifier
          spec:
            containers:
            - name: churn-classifier
    ```
    Shorten the SeldonDeployment, predictor or container names, or name the componentSpec with `metadata.name`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import (
    SELDON_KINDS,
    Path,
    as_dict,
    as_list,
    iter_containers,
    iter_units,
    predictors,
)

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-derived-names"
DEFAULT = "warning"
KINDS = SELDON_KINDS

LIMIT = 63


def _long(name: str, what: str) -> str:
    return (f"the operator would name the {what} {name!r} ({len(name)} characters, over {LIMIT}) and replaces it"
            " with seldon-<md5 hash>: shorten the names it is built from")


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    sdep = as_dict(obj.data.get("metadata")).get("name")
    if not isinstance(sdep, str) or not sdep:
        return
    if len(sdep) > LIMIT:
        yield Violation(_long(sdep, "SeldonDeployment's objects"), ("metadata", "name"))
        return
    for p, predictor in predictors(obj.data):
        pname = predictor.get("name")
        if not isinstance(pname, str):
            continue
        key = f"{sdep}-{pname}"
        if len(key) > LIMIT and "seldon.io/svc-name" not in as_dict(predictor.get("annotations")):
            yield Violation(_long(key, "predictor Service"), ("spec", "predictors", p, "name"))
            continue
        graph_names = {unit["name"] for _, unit in iter_units(predictor, p) if isinstance(unit.get("name"), str)}
        for c, component in enumerate(as_list(predictor.get("componentSpecs"))):
            component = as_dict(component)
            base = f"{sdep}-{pname}-{c}-"
            cpath: Path = ("spec", "predictors", p, "componentSpecs", c)
            meta_name = as_dict(component.get("metadata")).get("name")
            containers = list(iter_containers(component.get("spec"), (*cpath, "spec"), ("containers",)))
            path: Path
            if isinstance(meta_name, str) and meta_name:
                name, path = base + meta_name, (*cpath, "metadata", "name")
            else:
                name = base + "-".join(str(ct.get("name", "")) for _, ct in containers)
                path = (*containers[0][0], "name") if containers else cpath
            if len(name) > LIMIT:
                yield Violation(_long(name, f"Deployment of componentSpecs[{c}]"), path)
            for cpath_, container in containers:
                cname = container.get("name")
                service = f"{sdep}-{pname}-{cname}"
                if isinstance(cname, str) and cname in graph_names and len(service) > LIMIT:
                    yield Violation(_long(service, f"Service of container {cname!r}"), (*cpath_, "name"))
        if isinstance(predictor.get("explainer"), dict):
            name = f"{sdep}-{pname}-explainer"
            if len(name) > LIMIT:
                yield Violation(_long(name, "explainer Deployment"), ("spec", "predictors", p, "explainer"))
