"""A custom resource must not sync before the Application that installs its CRD.

What it does:
    Finds, for every Application, the CustomResourceDefinitions it installs (from its folders of
    this repository or from the charts it renders) and the custom resources it deploys. When an
    Application deploys a custom resource whose CRD another Application installs, the first must
    have a later ``argocd.argoproj.io/sync-wave`` than the second (for an Application an
    ApplicationSet generates, the ApplicationSet's wave counts: that is the object the parent
    Application syncs).

Why it matters:
    Argo CD syncs waves in order and waits for each to be healthy. A custom resource in the same
    or an earlier wave than its CRD fails the first sync of a new cluster with "the server could
    not find the requested resource", and the bootstrap stops there until someone re-syncs.

Example:
    ```yaml
    # kube-prometheus-stack installs the PodMonitor CRD, at wave 0
    metadata:
      name: analytics          # deploys a PodMonitor
      annotations:
        argocd.argoproj.io/sync-wave: "0"
    ```

Use instead:
    ```yaml
    metadata:
      name: analytics
      annotations:
        argocd.argoproj.io/sync-wave: "1"
    ```
    Give the Application that uses a custom resource a later sync wave than the one that installs its CRD.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import App, group_kind, mapping
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context

ID = "argocd-crd-order"
DEFAULT = "error"
WAVE = "argocd.argoproj.io/sync-wave"


def _wave(app: App) -> int:
    """The wave the parent Application syncs this Application (or its ApplicationSet) in."""
    annotations = mapping(mapping(app.obj.data.get("metadata")).get("annotations"))
    try:
        return int(str(annotations.get(WAVE, "0")).strip())
    except ValueError:
        return 0


def _deployed(app: App, ctx: Context) -> list[dict[str, Any]]:
    found = [data for _where, directory, recurse in ctx.synced_directories(app)
             for data in ctx.deployed_objects(directory, recurse)]
    found += [obj.data for obj in ctx.objects if obj.owner is not None and obj.owner.identity == app.identity]
    return [data for data in found if isinstance(data, dict)]


def check_repository(ctx: Context) -> Iterator[Violation]:
    installers: dict[tuple[str, str], App] = {}
    deployed: list[tuple[App, list[dict[str, Any]]]] = []
    for app in ctx.applications:
        objects = _deployed(app, ctx)
        deployed.append((app, objects))
        for data in objects:
            if group_kind(data) == ("apiextensions.k8s.io", "CustomResourceDefinition"):
                spec = mapping(data.get("spec"))
                group, kind = spec.get("group"), mapping(spec.get("names")).get("kind")
                if isinstance(group, str) and isinstance(kind, str):
                    installers.setdefault((group, kind), app)
    for app, objects in deployed:
        reported: set[tuple[str, str]] = set()
        for data in objects:
            key = group_kind(data)
            installer = installers.get(key)
            if installer is None or installer.identity == app.identity or key in reported:
                continue
            if _wave(app) <= _wave(installer):
                reported.add(key)
                wave_path = ("metadata", "annotations", WAVE) if WAVE in mapping(
                    mapping(app.obj.data.get("metadata")).get("annotations")) else ("metadata", "name")
                yield Violation(f"{app.label} deploys {key[1]} ({key[0]}) in sync wave {_wave(app)}, but its CRD is"
                                f" installed by {installer.label} in wave {_wave(installer)}: on a new cluster the"
                                " first sync fails until the CRD exists", wave_path, obj=app.obj)
