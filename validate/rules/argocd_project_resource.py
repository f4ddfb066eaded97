"""What an Application's chart renders must be allowed by its AppProject.

What it does:
    For every object a Helm source of an Application renders, checks the AppProject of that
    Application: a namespaced object's namespace (the destination's when the chart sets none)
    must be one of the project's ``destinations``; a cluster-scoped object's kind must be in
    ``clusterResourceWhitelist`` and not in ``clusterResourceBlacklist``; a namespaced kind must
    not be in ``namespaceResourceBlacklist`` (nor missing from ``namespaceResourceWhitelist``
    when the project has one). Argo CD's glob patterns apply.

Why it matters:
    The Application's own destination can be allowed while its chart puts an object elsewhere
    (a ``namespaceOverride``, a Service in ``kube-system``, a ClusterRole): Argo CD then refuses
    the sync with "resource ... is not permitted in project", after the merge.

Example:
    ```yaml
    # AppProject platform allows only namespace monitoring
    spec:
      source:
        chart: kube-prometheus-stack
        helm:
          valuesObject:
            namespaceOverride: observability
      destination:
        namespace: monitoring
    ```

Use instead:
    ```yaml
    # AppProject platform
    spec:
      destinations:
        - server: https://kubernetes.default.svc
          namespace: observability
    ```
    Add the namespace or kind to the AppProject, or change the values so the chart stays inside it.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import group_kind, mapping, text
from validate.model import Violation
from validate.rules.argocd_project import destination_permitted

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-project-resource"
DEFAULT = "error"


def _listed(entries: Any, group: str, kind: str) -> bool:
    for entry in entries if isinstance(entries, list) else []:
        entry = mapping(entry)
        e_group, e_kind = str(entry.get("group", "")), str(entry.get("kind", ""))
        if fnmatch.fnmatchcase(group, e_group or "") and fnmatch.fnmatchcase(kind, e_kind or ""):
            return True
    return False


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    app = obj.owner
    if app is None:
        return
    name = app.spec.get("project")
    project = ctx.projects.get(name) if isinstance(name, str) else None
    if project is None:
        return  # argocd-project reports an unknown project on the Application
    spec = mapping(project.get("spec"))
    group, kind = group_kind(obj.data)
    scoped = ctx.namespaced(obj.data)
    shown = f"{kind} {text(mapping(obj.data.get('metadata')).get('name')) or '?'}"
    if scoped is False:
        if not _listed(spec.get("clusterResourceWhitelist"), group, kind) or \
                _listed(spec.get("clusterResourceBlacklist"), group, kind):
            yield Violation(f"project {name} does not allow the cluster-scoped {group or 'core'}/{kind} that"
                            f" {app.label}'s chart renders ({shown}): add it to clusterResourceWhitelist",
                            ("kind",), obj=obj)
        return
    if _listed(spec.get("namespaceResourceBlacklist"), group, kind) or (
            spec.get("namespaceResourceWhitelist") is not None
            and not _listed(spec.get("namespaceResourceWhitelist"), group, kind)):
        yield Violation(f"project {name} does not allow {group or 'core'}/{kind} ({shown})", ("kind",), obj=obj)
    if scoped is None:
        return
    namespace = text(mapping(obj.data.get("metadata")).get("namespace"))
    destination = dict(app.destination)
    if namespace:
        destination["namespace"] = namespace
    elif not app.destination_namespace:
        return
    if destination_permitted(spec.get("destinations"), destination) is False:
        yield Violation(f"project {name} does not allow namespace {destination.get('namespace')}, where"
                        f" {app.label}'s chart puts {shown}: add the destination to the project or change the"
                        " values", ("metadata", "namespace") if namespace else ("kind",), obj=obj)
