"""The oracle harness itself: the control plane answers, knows the CRDs, refuses and warns like a cluster."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.oracle.conftest import SELDON_CHART, Oracle, render_seldon_crd

pytestmark = pytest.mark.oracle


def test_chart_crd_renders_to_plain_crd() -> None:
    if not SELDON_CHART.is_file():  # needs the chart only, not the API server: skip on the chart alone
        pytest.skip(f"upstream reference data not found at {SELDON_CHART}: the test renders the CRD it holds")
    crd = render_seldon_crd()
    assert crd["metadata"]["name"] == "seldondeployments.machinelearning.seldon.io"
    assert [v["name"] for v in crd["spec"]["versions"]] == ["v1", "v1alpha2", "v1alpha3"]


def test_installed_kinds_are_served(oracle: Oracle) -> None:
    for crd in oracle.crds:
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            assert oracle.client.resource(f"{group}/{version['name']}", kind) is not None


def test_dry_run_verdicts_carry_causes_and_warnings(oracle: Oracle) -> None:
    base = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "harness", "namespace": "harness"},
            "data": {"good": "1"}}
    assert oracle.dry_run(base).accepted
    bad = json.loads(json.dumps(base))
    bad["data"]["bad key"] = "1"
    verdict = oracle.dry_run(bad)
    assert not verdict.accepted and verdict.reason == "Invalid"
    assert [field for field, _ in verdict.causes] == ["data[bad key]"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "harness"},
           "spec": {"containers": [{"name": "c", "image": "i", "env": [{"name": "A"}, {"name": "A"}]}]}}
    verdict = oracle.dry_run(pod)
    assert verdict.accepted and any("hides previous definition" in w for w in verdict.warnings)


def test_kubectl_sees_the_same_server(oracle: Oracle, tmp_path) -> None:  # type: ignore[no-untyped-def]
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not on PATH")
    config = oracle.plane.kubeconfig(tmp_path / "kubeconfig")
    done = subprocess.run([kubectl, "--kubeconfig", str(config), "get", "crd", "-o", "name"], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert "customresourcedefinition.apiextensions.k8s.io/seldondeployments.machinelearning.seldon.io" in done.stdout
