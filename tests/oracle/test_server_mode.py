"""``gitops-validate --server``: a throw-away control plane or a cluster, rejections at file:line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.oracle.conftest import Oracle, oracle_assets
from validate import cli
from validate.servermode import parse_path

MANIFESTS = """\
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  good: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: main
          image: registry.example/web:1.0
          ports:
            - name: this-name-is-far-too-long
              containerPort: 8080
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - name: main
          image: registry.example/api:1.0
          env:
            - {name: MODE, value: a}
            - {name: MODE, value: b}
"""


def line_of(text: str) -> int:
    return next(n for n, line in enumerate(MANIFESTS.splitlines(), 1) if text in line)


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    code = cli.main(args)
    out = capsys.readouterr().out
    return code, json.loads(out)


def write_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "app.yaml").write_text(MANIFESTS)
    (repo / ".gitops-validate.yaml").write_text('kubernetesVersions: ["1.36"]\nrules: {apivalidation-invalid: "off",'
                                                ' apivalidation-warning: "off"}\n')
    return repo


@pytest.mark.oracle
def test_throwaway_control_plane_maps_rejections_to_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assets = oracle_assets()
    if assets is None:
        pytest.skip("no kube-apiserver and etcd: set KUBEBUILDER_ASSETS or provide ../shared/envtest")
    monkeypatch.setenv("KUBEBUILDER_ASSETS", str(assets))
    code, report = run_cli(["--server", "--format", "json", str(write_repo(tmp_path))], capsys)
    server = [(f["rule"], f["file"], f["line"]) for f in report["findings"] if f["rule"].startswith("server-")]
    assert code == 1
    assert ("server-invalid", "app.yaml", line_of("this-name-is-far-too-long")) in server
    assert ("server-warning", "app.yaml", line_of("{name: MODE, value: b}")) in server
    assert all(rule != "server-unchecked" for rule, _, _ in server)  # the namespace was installed first


@pytest.mark.oracle
def test_cluster_through_a_kubeconfig_context(oracle: Oracle, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    oracle.ensure_namespace("shop")
    config = oracle.plane.kubeconfig(tmp_path / "kubeconfig")
    code, report = run_cli(["--server", "--kubeconfig", str(config), "--context", "oracle", "--format", "json",
                            str(write_repo(tmp_path))], capsys)
    invalid = [f for f in report["findings"] if f["rule"] == "server-invalid"]
    assert code == 1
    assert [(f["file"], f["line"]) for f in invalid] == [("app.yaml", line_of("this-name-is-far-too-long"))]
    assert "must be no more than 15 characters" in invalid[0]["message"]


def test_server_mode_without_a_server_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("KUBEBUILDER_ASSETS", raising=False)
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    code = cli.main(["--server", str(write_repo(tmp_path))])
    error = capsys.readouterr().err
    assert code == 2
    assert error.count("\n") == 1 and "--server needs a cluster" in error


def test_context_needs_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--context", "x"]) == 2
    assert "--context and --kubeconfig go with --server" in capsys.readouterr().err


def test_server_field_paths() -> None:
    assert parse_path("spec.template.spec.containers[0].resources.limits[memory]") == (
        "spec", "template", "spec", "containers", 0, "resources", "limits", "memory")
    assert parse_path("data[bad key]") == ("data", "bad key")
    assert parse_path("metadata.finalizers") == ("metadata", "finalizers")
    assert parse_path("not a path") is None
