"""Namespaced objects must say where they go.

What it does:
    Reports a namespaced object (built-in kinds, and custom resources whose CRD says
    ``scope: Namespaced``) that has no ``metadata.namespace`` after rendering, unless every
    Argo CD Application that syncs its directory sets ``destination.namespace``. Cluster-scoped
    kinds come from the built-in list and the CRDs found in the repository; kinds of unknown
    scope are left alone. A repository whose Applications live elsewhere (none of its own syncs a
    path of it: Argo CD's examples, a manifests repository kept apart from its configuration) is
    left alone too: leaving the namespace to the destination is what Argo CD recommends, and the
    destination is not here to check.

Why it matters:
    Without a namespace the object lands wherever the applying tool points: the ``default``
    namespace of ``kubectl``'s context, or nowhere when Argo CD has no destination namespace
    ("namespace is required"). Objects meant to sit together end up apart.

Example:
    ```yaml
    # overlays/dev/02-first-deployment/kustomization.yaml, synced by no Application
    resources:
      - ../../../apps/02-first-deployment
    ```

Use instead:
    ```yaml
    namespace: seldon
    resources:
      - ../../../apps/02-first-deployment
    ```
    Set the namespace in the kustomization or the manifest, or give the syncing Application a destination namespace.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.argocd import directory_of
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-missing-namespace"
DEFAULT = "warning"


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    metadata = obj.data.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("namespace") or ctx.namespaced(obj.data) is not True:
        return
    if not isinstance(metadata.get("name"), str) and not isinstance(metadata.get("generateName"), str):
        return
    if obj.owner is not None and obj.owner.destination_namespace:
        return  # rendered from an Application's chart or remote source: Argo CD applies it to the destination
    if not ctx.destinations:
        return  # no Application here syncs anything here: the destinations are somewhere else
    directory = directory_of(obj)
    synced = ctx.destinations.get(directory or "", set())
    if synced and None not in synced:
        return
    kind = obj.data.get("kind")
    if synced:
        why = "and an Application that syncs it has no destination.namespace"
    else:
        why = "and no Application of this repository syncs it with a destination.namespace"
    yield Violation(f"{kind} {metadata.get('name') or metadata.get('generateName')} has no namespace {why}: it"
                    " lands in whatever namespace the applying tool defaults to", ("metadata",))
