"""An object must be managed by one Application only.

What it does:
    Maps every Application, and every Application an ApplicationSet generates, to the objects
    its sources of this repository render (Argo CD's ``destination.namespace`` filled in for
    namespaced objects without a namespace) and reports an Application that deploys an object
    (same API group, kind, namespace and name) another Application deployed with it already
    deploys to the same cluster. Applications of independent examples (trees applied from sibling
    folders, two versions of one ApplicationSet, one ApplicationSet written once for upstream
    Argo CD in ``argocd`` and once for OpenShift GitOps in ``openshift-gitops``) are never in one
    cluster together and are not compared.

Why it matters:
    Two Applications that own one object overwrite each other's version at every sync, each
    shows the other's change as drift, and pruning one deletes the object from under the other.
    Argo CD only warns about it (SharedResourceWarning) once both are live.

Example:
    ```yaml
    # Applications "seldon-dev" and "seldon-dev-copy" both sync overlays/dev/02-first-deployment
    spec:
      source:
        path: overlays/dev/02-first-deployment
      destination:
        namespace: seldon
    ```

Use instead:
    ```yaml
    # one Application per directory, or distinct destination namespaces
    spec:
      source:
        path: overlays/staging/02-first-deployment
      destination:
        namespace: seldon-staging
    ```
    Give every object exactly one owning Application.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import App, describe
from validate.model import Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context

ID = "argocd-shared-resource"
DEFAULT = "error"


def check_repository(ctx: Context) -> Iterator[Violation]:
    owners: dict[tuple[str, str, str, str], list[App]] = {}
    for app in ctx.applications:
        namespace = app.destination_namespace or ""
        clashes: dict[int, tuple[App, list[tuple[str, str, str, str]], tuple[str | int, ...]]] = {}
        mine: set[tuple[str, str, str, str]] = set()
        deployed: list[tuple[tuple[str | int, ...], dict[str, Any]]] = [
            ((*where, "path"), data) for where, directory, recurse in ctx.synced_directories(app)
            for data in ctx.deployed_objects(directory, recurse)]
        # What the Application's charts render (validate.helm): the same clash, through a chart.
        chart_field = ("spec", "source", "chart") if "source" in app.spec else ("spec", "sources")
        deployed += [(chart_field, obj.data) for obj in ctx.objects
                     if obj.owner is not None and obj.owner.identity == app.identity]
        for where, data in deployed:
            key = ctx.object_key(data, namespace)
            if key is None or key in mine:
                continue
            mine.add(key)
            # Applications of independent examples of one repository are never in one cluster together.
            # ... nor are objects of the same name in two clusters.
            other = next((o for o in owners.get(key, ()) if ctx.deployed_together(app, o) and
                          (app.cluster is None or o.cluster is None or app.cluster == o.cluster)), None)
            if other is None:
                continue
            entry = clashes.setdefault(id(other), (other, [], where))
            entry[1].append(key)
        for key in mine:
            owners.setdefault(key, []).append(app)
        for other, keys, where in clashes.values():
            shown = ", ".join(describe(k) for k in sorted(keys)[:3]) + (f" and {len(keys) - 3} more"
                                                                          if len(keys) > 3 else "")
            place = f" ({other.obj.file}:{other.obj.line})" if other.obj.file else ""
            yield app_violation(app, f"{len(keys)} object(s) are also managed by {other.label}{place}: {shown}",
                                *where)
