"""An Application's AppProject must permit every object its source renders.

What it does:
    For every Application, and every Application an ApplicationSet generates, takes the
    objects its sources of this repository render (kustomize, or the plain manifests of a
    folder) and checks each one the way Argo CD v3.5's sync does (``validateSyncPermissions``):
    a namespaced object's namespace (its own, else the destination's) must be one of the
    project's ``destinations`` on the Application's cluster, and its group and kind must pass
    ``namespaceResourceWhitelist``/``Blacklist``; a cluster-scoped object must be in
    ``clusterResourceWhitelist`` (kind, group and, when given, name) and not in
    ``clusterResourceBlacklist``. With ``CreateNamespace=true`` the destination Namespace that
    Argo CD creates is checked too. Reported at the Application's source, naming the objects.
    The objects an Application's Helm charts and remote git sources render (``validate.helm``,
    ``validate.remote``) are checked the same way, one finding per object, at the values line
    that put it there when one did (``namespaceOverride: elsewhere``), else at the source.

Why it matters:
    Argo CD refuses the whole sync operation when one object is not permitted ("namespace
    emissary-system is not permitted in project 'platform'", "resource :Namespace is not
    permitted"), so nothing of the revision is applied, and an automated sync does not try that
    revision again. The project check on the Application's own destination passes all the same.

Example:
    ```yaml
    kind: AppProject
    metadata:
      name: platform
    spec:
      destinations:
        - server: https://kubernetes.default.svc
          namespace: emissary
    # the Application's source renders a Role in namespace emissary-system
    ```

Use instead:
    ```yaml
    spec:
      destinations:
        - server: https://kubernetes.default.svc
          namespace: emissary
        - server: https://kubernetes.default.svc
          namespace: emissary-system
    ```
    Permit in the project exactly the namespaces and kinds the Application's objects use.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import group_kind, mapping, templated, text
from validate.model import Violation
from validate.rules._argocd import app_violation
from validate.rules.argocd_project import destination_permitted

if TYPE_CHECKING:
    from validate.argocd import App
    from validate.context import Context

ID = "argocd-project-resources"
DEFAULT = "error"

SHOWN = 3


def _in_list(entries: Any, group: str, kind: str, name: str | None = None) -> bool:
    """Argo CD's isResourceInList / isNamedResourceInList (filepath.Match on kind, group, name)."""
    for entry in entries if isinstance(entries, list) else []:
        entry = mapping(entry)
        if not fnmatch.fnmatchcase(kind, str(entry.get("kind") or "")):
            continue
        if not fnmatch.fnmatchcase(group, str(entry.get("group") or "")):
            continue
        wanted = text(entry.get("name"))
        if name is None or wanted is None or fnmatch.fnmatchcase(name, wanted):
            return True
    return False


def kind_permitted(spec: dict[str, Any], group: str, kind: str, name: str, namespaced: bool) -> str | None:
    """Why the project refuses the kind (None when it permits it): IsGroupKindNamePermitted."""
    shown = f"{group}/{kind}" if group else kind
    if namespaced:
        whitelist = spec.get("namespaceResourceWhitelist")
        if whitelist is not None and not _in_list(whitelist, group, kind):
            return f"kind {shown} is not in namespaceResourceWhitelist"
        if _in_list(spec.get("namespaceResourceBlacklist"), group, kind):
            return f"kind {shown} is in namespaceResourceBlacklist"
        return None
    if not _in_list(spec.get("clusterResourceWhitelist"), group, kind, name):
        if _in_list(spec.get("clusterResourceWhitelist"), group, kind):
            return f"clusterResourceWhitelist allows {shown} only under other names"
        return f"cluster-scoped kind {shown} is not in clusterResourceWhitelist"
    if _in_list(spec.get("clusterResourceBlacklist"), group, kind, name):
        return f"cluster-scoped kind {shown} is in clusterResourceBlacklist"
    return None


def _creates_namespace(app: App) -> bool:
    options = mapping(app.spec.get("syncPolicy")).get("syncOptions")
    return isinstance(options, list) and "CreateNamespace=true" in options


def _describe(group: str, kind: str, namespace: str | None, name: str) -> str:
    shown = f"{group}/{kind}" if group else kind
    return f"{shown} {namespace}/{name}" if namespace else f"{shown} {name}"


def _rendered_remotely(ctx: Context, project_name: str, spec: dict[str, Any], app: App) -> Iterator[Violation]:
    """The objects the Application's charts and remote sources render, one violation each, on the object
    (whose locator knows the values line that set the field)."""
    destination, default_namespace = app.destination, app.destination_namespace
    for obj in ctx.objects:
        if obj.owner is None or obj.owner.identity != app.identity:
            continue
        data = obj.data
        group, kind = group_kind(data)
        name = text(mapping(data.get("metadata")).get("name"))
        scope = ctx.namespaced(data)
        if not kind or name is None or scope is None:
            continue
        own_namespace = text(mapping(data.get("metadata")).get("namespace"))
        namespace = (own_namespace or default_namespace) if scope else None
        reason = kind_permitted(spec, group, kind, name, scope)
        path: tuple[str | int, ...] = ("kind",)
        if reason is None and scope and namespace is not None:
            if destination_permitted(spec.get("destinations"), {**destination, "namespace": namespace}) is False:
                reason = f"namespace {namespace} is not a destination"
                path = ("metadata", "namespace") if own_namespace else ("kind",)
        if reason is not None:
            yield Violation(f"project {project_name} refuses {_describe(group, kind, namespace, name)}, which"
                            f" {app.label}'s source renders: {reason}, so Argo CD refuses the whole sync; permit it"
                            " in the AppProject or change the values", path, obj=obj)


def check_repository(ctx: Context) -> Iterator[Violation]:
    for app in ctx.applications:
        project_name = app.spec.get("project")
        if not isinstance(project_name, str) or templated(project_name):
            continue
        project = ctx.projects.get(project_name)
        if project is None:
            continue  # argocd-project reports a missing project; Argo CD's own default permits all
        spec = mapping(project.get("spec"))
        destination = app.destination
        if any(templated(destination.get(k)) for k in ("server", "name", "namespace")):
            continue
        default_namespace = app.destination_namespace
        yield from _rendered_remotely(ctx, project_name, spec, app)
        for where, directory, recurse in ctx.synced_directories(app):
            refused: dict[str, list[str]] = {}
            rendered = ctx.deployed_objects(directory, recurse)
            objects: list[tuple[dict[str, Any], str]] = [(data, "") for data in rendered]
            if default_namespace and _creates_namespace(app) and not any(
                    group_kind(d) == ("", "Namespace") and mapping(d.get("metadata")).get("name") == default_namespace
                    for d in rendered):
                implicit = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": default_namespace}}
                objects.append((implicit, " (created by CreateNamespace=true)"))
            for data, note in objects:
                group, kind = group_kind(data)
                name = text(mapping(data.get("metadata")).get("name"))
                scope = ctx.namespaced(data)
                if not kind or name is None or scope is None:
                    continue
                namespace = text(mapping(data.get("metadata")).get("namespace")) or default_namespace \
                    if scope else None
                reason = kind_permitted(spec, group, kind, name, scope)
                if reason is None and scope and namespace is not None:
                    verdict = destination_permitted(spec.get("destinations"), {**destination, "namespace": namespace})
                    if verdict is False:
                        reason = f"namespace {namespace} is not a destination"
                if reason is not None:
                    refused.setdefault(reason, []).append(_describe(group, kind, namespace, name) + note)
            for reason, described in sorted(refused.items()):
                shown = ", ".join(described[:SHOWN]) + (f" and {len(described) - SHOWN} more"
                                                        if len(described) > SHOWN else "")
                yield app_violation(app, f"project {project_name} refuses {shown}: {reason}, so Argo CD refuses"
                                    " the whole sync; permit it in the AppProject", *where, "path")
