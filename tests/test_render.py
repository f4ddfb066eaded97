"""Rendering as Argo CD does, and every rendered object mapped back to its source line."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.conftest import findings_of, validate_tree
from validate.model import Severity, ToolError
from validate.render import check_kubectl, find_kubectl

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: "http"
"""

OVERLAY = """\
namespace: dev
namePrefix: dev-
resources:
  - ../base
patches:
  - path: replicas.yaml
"""

PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: "three"
"""


def tree(write_tree, extra: dict[str, str] | None = None) -> Path:
    files = {"base/kustomization.yaml": "resources:\n  - deployment.yaml\n", "base/deployment.yaml": DEPLOYMENT,
             "overlay/kustomization.yaml": OVERLAY, "overlay/replicas.yaml": PATCH}
    files.update(extra or {})
    return write_tree(files)


def test_only_leaf_kustomizations_are_rendered(write_tree) -> None:
    result = validate_tree(tree(write_tree))
    assert result.rendered == ["overlay"]


def test_schema_error_lands_on_the_base_field_line(write_tree) -> None:
    result = validate_tree(tree(write_tree))
    [finding] = [f for f in findings_of(result, "schema-type") if "containerPort" in f.message]
    assert (finding.file, finding.line) == ("base/deployment.yaml", 16)
    assert finding.render == "overlay"
    assert finding.object is not None and finding.object.name == "dev-web" and finding.object.namespace == "dev"


def test_a_value_set_by_a_patch_lands_in_the_patch_file(write_tree) -> None:
    result = validate_tree(tree(write_tree))
    [finding] = [f for f in findings_of(result, "schema-type") if "replicas" in f.message]
    assert (finding.file, finding.line) == ("overlay/replicas.yaml", 6)
    assert "set by patch overlay/replicas.yaml" in finding.message


def test_user_files_are_never_modified(write_tree) -> None:
    repo = tree(write_tree)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    validate_tree(repo)
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before


def test_origin_annotations_never_reach_the_checks(write_tree) -> None:
    result = validate_tree(tree(write_tree))
    for checked in result.objects:
        annotations = checked.data.get("metadata", {}).get("annotations", {})
        assert "config.kubernetes.io/origin" not in annotations


def test_generated_objects_map_to_the_generator_entry(write_tree) -> None:
    repo = write_tree({
        "app/kustomization.yaml": "namespace: x\nconfigMapGenerator:\n  - name: settings\n    literals: [A=1]\n"
                                  "    options:\n      labels:\n        bad label: x\n",
    })
    result = validate_tree(repo)
    assert result.rendered == ["app"]
    generated = [c for c in result.objects if c.data["kind"] == "ConfigMap"]
    assert [(c.file, c.line) for c in generated] == [("app/kustomization.yaml", 3)]


def test_failed_render_is_a_finding_at_its_root_cause_keeping_kustomizes_text(write_tree) -> None:
    repo = write_tree({"app/kustomization.yaml": "resources:\n  - missing.yaml\n"})
    result = validate_tree(repo)
    assert findings_of(result, "render-failed") == []
    [finding] = findings_of(result, "kustomize-missing-path")
    assert (finding.file, finding.line) == ("app/kustomization.yaml", 2)
    detail = finding.as_json()["detail"]
    assert "missing.yaml" in detail and "no such file or directory" in detail
    assert str(repo) not in detail and "/tmp/gitops-validate-" not in detail


def test_remote_bases_are_refused_without_touching_the_network(write_tree) -> None:
    repo = write_tree({"app/kustomization.yaml":
                       "resources:\n  - https://github.com/example/repo//deploy?ref=v1\n"})
    result = validate_tree(repo)
    [finding] = findings_of(result, "render-remote")
    assert (finding.file, finding.line) == ("app/kustomization.yaml", 2)
    # not a defect (Argo CD fetches it), only not checked here: a warning that says so, and exit 0
    assert finding.severity == Severity.WARNING and "not rendered or checked" in finding.message
    assert result.exit_code == 0


def test_helm_inflation_is_off_by_default(write_tree) -> None:
    repo = write_tree({"app/kustomization.yaml":
                       "helmCharts:\n  - name: x\n    repo: https://charts.example.com\n    version: 1.0.0\n"})
    [finding] = findings_of(validate_tree(repo), "render-failed")
    assert "enable-helm" in finding.message


def test_argo_cd_application_paths_are_rendered_even_when_included(write_tree) -> None:
    repo = tree(write_tree, {"argocd/app.yaml": """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: base
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/example/repo.git
    targetRevision: main
    path: base
  destination:
    server: https://kubernetes.default.svc
    namespace: web
"""})
    assert (repo / "argocd/app.yaml").exists()
    assert validate_tree(repo).rendered == ["base", "overlay"]


def _fake_kubectl(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "kubectl"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_the_pinned_kubectl_is_found_and_checked() -> None:
    assert check_kubectl(find_kubectl()) == "v5.8.1"


@pytest.mark.parametrize("body, reason", [
    ("exit 3", "exit code 3"),
    ('echo \'{"kustomizeVersion": "v5.4.2"}\'', "kustomize v5.4.2"),
    ("echo not-json", "no version information"),
    ("sleep 30", "did not answer"),
])
def test_a_broken_kubectl_is_a_tool_error_naming_the_fix(tmp_path: Path, body: str, reason: str) -> None:
    with pytest.raises(ToolError) as error:
        check_kubectl(_fake_kubectl(tmp_path, body), timeout=1.0)
    assert reason in str(error.value) and "make validate" in str(error.value)


def test_missing_kubectl_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="not found"):
        check_kubectl(tmp_path / "nope")


def test_a_hung_render_times_out_as_a_finding(write_tree, tmp_path: Path, monkeypatch) -> None:
    real = find_kubectl()
    fake = _fake_kubectl(tmp_path, f'if [ "$1" = kustomize ]; then sleep 30; fi\nexec {real} "$@"')
    monkeypatch.setenv("GITOPS_VALIDATE_KUBECTL", str(fake))
    repo = write_tree({"app/kustomization.yaml": "resources: []\n",
                       ".gitops-validate.yaml": "kustomize:\n  timeoutSeconds: 1\n"})
    [finding] = findings_of(validate_tree(repo), "render-failed")
    assert "did not finish within 1s" in finding.message


def test_renders_run_with_the_network_closed(write_tree, tmp_path: Path, monkeypatch) -> None:
    real = find_kubectl()
    seen = tmp_path / "env.txt"
    fake = _fake_kubectl(tmp_path, f'[ "$1" = kustomize ] && env > {seen}\nexec {real} "$@"')
    monkeypatch.setenv("GITOPS_VALIDATE_KUBECTL", str(fake))
    validate_tree(write_tree({"app/kustomization.yaml": "resources: []\n"}))
    env = dict(line.split("=", 1) for line in seen.read_text().splitlines() if "=" in line)
    assert env["HTTPS_PROXY"] == "http://127.0.0.1:9" and env["GIT_ALLOW_PROTOCOL"] == "file"
    assert "GITHUB_TOKEN" not in env and os.environ.get("HOME") != env.get("HOME")


def test_batched_renders_are_exactly_the_path_by_path_renders() -> None:
    from tests.conftest import REPO
    from validate import batching
    from validate import render as render_module

    context = validate_tree(REPO, use_cache=False).context
    assert context is not None
    inventory, loaded = context.inventory, context.loaded
    kubectl = find_kubectl()

    def by_path(batch: bool) -> dict[str, list[tuple[str, ...]]]:
        results = render_module.render_all(inventory, loaded, kubectl, [], 60.0, inventory.files, batch=batch)
        return {r.directory: sorted(repr((o.data, o.source_file, o.generated_in, o.generator, o.transformed_in))
                                    for o in r.objects) for r in results}

    batches = batching.batches(inventory, inventory.rendered, 2, loaded)
    assert len(batches) < len(inventory.rendered), "the repository's overlays should batch"
    assert by_path(True) == by_path(False)


def test_a_json6902_patch_value_lands_on_its_value_line_even_when_the_base_has_the_field(write_tree) -> None:
    repo = tree(write_tree, {"overlay/kustomization.yaml": OVERLAY + "  - path: ports.yaml\n    target:\n"
                                                           "      kind: Deployment\n      name: web\n",
                             "overlay/ports.yaml": "- op: replace\n  path: /spec/template/spec/containers/0/image\n"
                                                   "  value: 1234\n"})
    result = validate_tree(repo)
    [finding] = [f for f in findings_of(result, "schema-type") if "image" in f.message]
    assert (finding.file, finding.line) == ("overlay/ports.yaml", 3)


def test_the_kubectl_version_time_out_is_injectable() -> None:
    from validate.pipeline import KUBECTL_TIMEOUT, kubectl_timeout

    assert kubectl_timeout({}) == 30.0
    assert kubectl_timeout({KUBECTL_TIMEOUT: "2.5"}) == 2.5
    for bad in ("0", "-1", "soon", "99999"):
        with pytest.raises(ToolError, match=KUBECTL_TIMEOUT):
            kubectl_timeout({KUBECTL_TIMEOUT: bad})
