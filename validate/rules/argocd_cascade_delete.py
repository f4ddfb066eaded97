"""Deleting an Application must not cascade into a namespace other Applications share.

What it does:
    Finds the Applications whose deletion deletes the objects they deployed: an Application
    with the ``resources-finalizer.argocd.argoproj.io`` finalizer, and every Application an
    ApplicationSet generates with that finalizer in its template, or with no finalizer in its
    template and no ``syncPolicy.preserveResourcesOnDeletion: true`` (the ApplicationSet
    controller then adds it). Reports each such Application, or ApplicationSet, when a namespace
    it deploys to is also used by another Application, naming the namespace and the others.

Why it matters:
    Deleting an ApplicationSet deletes every Application it generated, and with the finalizer
    every object those Applications deployed: renaming or removing the ApplicationSet (a prune
    of its parent) empties every environment namespace it feeds at once. An Application in a
    shared namespace is one ``kubectl delete`` away from taking its neighbours' dependencies
    (services, config, the namespace object itself) with it.

Example:
    ```yaml
    kind: ApplicationSet
    spec:
      template:
        metadata:
          name: '{{.path.basename}}'
          finalizers:
            - resources-finalizer.argocd.argoproj.io
        spec:
          destination:
            namespace: seldon-dev   # every generated Application shares it
    ```

Use instead:
    ```yaml
    kind: ApplicationSet
    spec:
      syncPolicy:
        preserveResourcesOnDeletion: true
      template:
        metadata:
          name: '{{.path.basename}}'
    ```
    Set `preserveResourcesOnDeletion: true` and drop the resources finalizer where namespaces are shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import mapping, text
from validate.model import Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.argocd import App
    from validate.context import Context
    from validate.model import FieldPath

ID = "argocd-cascade-delete"
DEFAULT = "warning"

FINALIZER = "resources-finalizer.argocd.argoproj.io"
SHOWN = 3


def _has_finalizer(finalizers: Any) -> bool:
    return isinstance(finalizers, list) and any(
        isinstance(f, str) and (f == FINALIZER or f.startswith(FINALIZER + "/")) for f in finalizers)


def cascade_path(app: App) -> FieldPath | None:
    """Where the cascade is decided, in the object that carries ``app`` (None: deletion does not cascade)."""
    if not app.generated:
        return ("metadata", "finalizers") if _has_finalizer(app.metadata.get("finalizers")) else None
    spec = mapping(app.obj.data.get("spec"))
    template_metadata = mapping(mapping(spec.get("template")).get("metadata"))
    if _has_finalizer(template_metadata.get("finalizers")):
        return ("spec", "template", "metadata", "finalizers")
    if template_metadata.get("finalizers"):
        return None
    policy = mapping(spec.get("syncPolicy"))
    if policy.get("preserveResourcesOnDeletion") is True:
        return None
    return ("spec", "syncPolicy", "preserveResourcesOnDeletion") if "preserveResourcesOnDeletion" in policy \
        else ("spec", "syncPolicy") if "syncPolicy" in spec else ("metadata", "name")


def _namespaces(app: App, ctx: Context) -> set[str]:
    found: set[str] = set()
    if app.destination_namespace:
        found.add(app.destination_namespace)
    for _, directory, recurse in ctx.synced_directories(app):
        for data in ctx.deployed_objects(directory, recurse):
            namespace = text(mapping(data.get("metadata")).get("namespace"))
            if namespace and ctx.namespaced(data):
                found.add(namespace)
    return found


def _listed(names: set[str]) -> str:
    ordered = sorted(names)
    return ", ".join(ordered[:SHOWN]) + (f" and {len(ordered) - SHOWN} more" if len(ordered) > SHOWN else "")


def check_repository(ctx: Context) -> Iterator[Violation]:
    apps = ctx.applications
    namespaces = {id(app): _namespaces(app, ctx) for app in apps}
    users: dict[str, list[App]] = {}
    for app in apps:
        for namespace in namespaces[id(app)]:
            users.setdefault(namespace, []).append(app)
    # Generated Applications are reported once per ApplicationSet: its deletion takes them all.
    by_appset: dict[int, tuple[App, FieldPath, set[str], set[str]]] = {}
    for app in apps:
        path = cascade_path(app)
        if path is None:
            continue
        shared = {n for n in namespaces[id(app)] if any(other is not app for other in users[n])}
        if not shared:
            continue
        if app.generated:
            members = {a.name for a in apps if a.generated and a.obj is app.obj}
            others = {o.name for n in shared for o in users[n]} - members
            entry = by_appset.setdefault(id(app.obj), (app, path, set(), set()))
            entry[2].update(shared)
            entry[3].update(others)
            continue
        others = {o.name for n in shared for o in users[n] if o is not app}
        yield app_violation(app, f"deleting {app.label} deletes the objects it deployed in namespace(s)"
                            f" {', '.join(sorted(shared))}, shared with {_listed(others)}: drop the resources"
                            " finalizer, or give the Application a namespace of its own", *path)
    for app, path, shared, others in by_appset.values():
        appset = mapping(app.obj.data.get("metadata")).get("name", "?")
        generated = sorted({a.name for a in apps if a.generated and a.obj is app.obj})
        outside = f" and with {_listed(others)}" if others else ""
        yield Violation(f"deleting ApplicationSet {appset} deletes its {len(generated)} Applications and every object"
                        f" they deployed: namespace(s) {', '.join(sorted(shared))} are shared between them{outside};"
                        " set spec.syncPolicy.preserveResourcesOnDeletion: true and drop the template's resources"
                        " finalizer", path, obj=app.obj)
