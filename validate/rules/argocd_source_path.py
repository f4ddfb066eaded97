"""Application source paths must exist in this repository and render.

What it does:
    Checks every git source of an Application, or of an Application an ApplicationSet
    generates, that points at this repository: its ``path`` must be a relative directory inside
    the repository (no absolute path, no ``..`` escape), and that directory must render: a
    kustomization whose build succeeds, a Helm chart, or a folder holding YAML or JSON manifests.
    Sources of an ApplicationSet whose template picks each Application's ``targetRevision`` (other
    branches, such as Kargo's rendered ones) are not checked against this checkout.

Why it matters:
    Argo CD reports a missing or broken path only when it tries to sync, after the change is
    merged; until then the Application stays on its last good state, or never appears at all.

Example:
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: first-deployment-dev
      namespace: argocd
    spec:
      project: default
      source:
        repoURL: https://github.com/example/seldon-gitops.git
        targetRevision: main
        path: overlays/dev/02-first-deploymnet
      destination:
        server: https://kubernetes.default.svc
        namespace: seldon
    ```

Use instead:
    ```yaml
      source:
        repoURL: https://github.com/example/seldon-gitops.git
        targetRevision: main
        path: overlays/dev/02-first-deployment
    ```
    Point the source at an existing directory of the repository that builds with ``kustomize build``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import APP_KINDS, App, relative, templated
from validate.model import FieldPath, Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-source-path"
DEFAULT = "error"
KINDS = APP_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    tree = ctx.tree
    renders = {result.directory: result for result in ctx.renders}
    for app in ctx.apps_of(obj):
        for where, source in app.sources():
            path = source.get("path")
            if not ctx.points_here(source) or templated(path) or (source.get("ref") and path is None):
                continue
            if _other_revisions(app, where, source):
                continue
            if path is None:
                path = "."  # Argo CD renders the repository root
            if not isinstance(path, str):
                continue
            directory = relative(path)
            if directory is None:
                yield app_violation(app, f"path {path!r} is absolute or leaves the repository: Argo CD paths are"
                                    " relative to the repository root", *where, "path")
                continue
            if tree.is_file(directory):
                yield app_violation(app, f"path {path!r} is a file: a source path names a directory", *where, "path")
                continue
            if not tree.is_dir(directory):
                yield app_violation(app, f"path {path!r} does not exist in this repository", *where, "path")
                continue
            if isinstance(source.get("plugin"), dict):
                continue
            kustomization = ctx.inventory.kustomizations.get(directory)
            if kustomization is not None:
                if kustomization.kind == "Component":
                    yield app_violation(app, f"path {path!r} holds a kustomize Component, which cannot be built on its"
                                        " own", *where, "path")
                    continue
                result = renders.get(directory)
                # A path that was not rendered offline (a remote base: render-remote) is unchecked, not broken.
                failures = [f for f in result.findings if f.rule != "render-remote"] if result is not None else []
                if failures:
                    failed = failures[0]
                    yield app_violation(app, f"path {path!r} does not build: see the {failed.rule} finding at"
                                        f" {failed.file or kustomization.file}", *where, "path")
                continue
            if tree.is_file(f"{directory}/Chart.yaml" if directory != "." else "Chart.yaml"):
                continue
            recurse = isinstance(source.get("directory"), dict) and source["directory"].get("recurse") is True
            manifests = [f for f in tree.files_in(directory, recurse) if f.endswith((".yaml", ".yml", ".json"))]
            if not manifests:
                yield app_violation(app, f"path {path!r} holds no kustomization, Helm chart or YAML/JSON manifest"
                                    f"{'' if recurse else ' (directory.recurse is off)'}: Argo CD would sync"
                                    " nothing", *where, "path")


def _other_revisions(app: App, where: FieldPath, source: dict[str, Any]) -> bool:
    """An ApplicationSet whose template picks each Application's revision (Kargo's rendered branches,
    ``targetRevision: stage/{{stage}}``): those branches hold other files than this checkout, so their paths are
    not checked here. A revision that resolves to HEAD is this repository's default branch, and is."""
    revision = source.get("targetRevision")
    return app.varies(*where, "targetRevision") and isinstance(revision, str) and revision not in ("", "HEAD")
