"""``validate.repository``: the first stages every command shares, and the model graph and new-env read."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO
from validate.config import load_config
from validate.repository import read_sources, source_model

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: {name}, namespace: argocd}}
spec:
  project: default
  source: {{repoURL: https://example.com/repo.git, path: overlays/dev/web, targetRevision: main}}
  destination: {{server: https://kubernetes.default.svc, namespace: web}}
"""


def test_the_model_holds_the_argo_cd_objects_as_written(write_tree) -> None:
    repo = write_tree({
        ".gitops-validate.yaml": "repoURL: https://example.com/repo.git\nignore: [ignored/]\n",
        "argocd/kustomization.yaml": "resources: [web.yaml, list.yaml]\n",
        "argocd/web.yaml": APP.format(name="web") + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
        "argocd/list.yaml": "apiVersion: v1\nkind: List\nitems:\n" + "".join(
            "  - " + "\n    ".join(APP.format(name=name).splitlines()) + "\n" for name in ("a", "b")),
        "overlays/dev/web/kustomization.yaml": "resources: []\n",
        "ignored/app.yaml": APP.format(name="ignored"),
    })
    ctx = source_model(repo)
    # Argo CD objects only, from files a kustomization reads too, List items unpacked, the configured ignore respected
    assert sorted((obj.file, obj.data["metadata"]["name"]) for obj in ctx.objects) == [
        ("argocd/list.yaml", "a"), ("argocd/list.yaml", "b"), ("argocd/web.yaml", "web")]
    assert [obj.render for obj in ctx.objects] == [None, None, None] and ctx.renders == []
    assert sorted(app.name for app in ctx.applications) == ["a", "b", "web"]
    assert ctx.home  # the configured repoURL names this repository
    assert [directory for _, directory, _ in ctx.synced_directories(ctx.applications[0])] == ["overlays/dev/web"]
    assert ctx.environments == ["dev"]


def test_the_model_of_this_repository_reads_what_the_check_reads() -> None:
    """The same walk and the same loader as the check: every file the check would load is loaded."""
    config = load_config(REPO)
    files, _, loaded, inventory = read_sources(REPO, config, use_cache=False)
    ctx = source_model(REPO)
    assert sorted(ctx.loaded) == sorted(loaded) and ctx.inventory.files == files
    assert sorted(ctx.inventory.kustomizations) == sorted(inventory.kustomizations)
    assert any(app.generated for app in ctx.applications) and any(not app.generated for app in ctx.applications)
    assert all(Path(REPO, obj.file or "").is_file() for obj in ctx.objects)
