"""The oracle: a real, throw-away kube-apiserver + etcd whose verdicts the validator is compared with.

The binaries come from ``$KUBEBUILDER_ASSETS`` or ``../shared/envtest`` (envtest's layout); without
them every oracle test skips with a message saying so. One control plane per test session (per
xdist worker): loopback only, temporary folders, random free ports, a token-authenticated admin,
process groups killed at the end. The CRDs this repository uses are installed for real first:
the SeldonDeployment CRD as the seldon-core-operator chart renders it, Argo CD's three CRDs and
PodMonitor, all from ``../shared/upstream``.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO, UPSTREAM
from validate.apiserver import Client, ControlPlane, assets_dir

ENVTEST = REPO.parent / "shared" / "envtest"
SELDON_CHART = UPSTREAM / "charts" / "seldon-charts" / "seldon-core-operator-1.18.2.tgz"
SELDON_CRD_TEMPLATE = "seldon-core-operator/templates/customresourcedefinition_v1_seldondeployments.machinelearning.seldon.io.yaml"
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
OTHER_CRDS = ["argocd-application-crd.v3.5.1.yaml", "argocd-appproject-crd.v3.5.1.yaml",
              "argocd-applicationset-crd.v3.5.1.yaml", "monitoring.coreos.com_podmonitors.v0.93.0.yaml"]


def oracle_assets() -> Path | None:
    return assets_dir(os.environ.get("KUBEBUILDER_ASSETS") or ENVTEST)


def skip_reason() -> str | None:
    if oracle_assets() is None:
        return (f"no kube-apiserver and etcd at $KUBEBUILDER_ASSETS or {ENVTEST}: the oracle suite needs a real"
                " API server (envtest layout)")
    if not SELDON_CHART.is_file():
        return f"upstream reference data not found at {UPSTREAM}: the oracle suite needs the CRDs it holds"
    return None


def render_seldon_crd(chart: Path = SELDON_CHART) -> dict[str, Any]:
    """The chart's v1 CRD template with the chart's default values: the template is plain YAML between
    a two-level ``if`` (crd.create, Kubernetes >= 1.18), an empty ``crd.annotations`` block and four
    quoted expressions in metadata, which this fills in as ``helm template`` would with the defaults."""
    with tarfile.open(chart) as archive:
        member = archive.extractfile(SELDON_CRD_TEMPLATE)
        assert member is not None
        text = io.TextIOWrapper(member, encoding="utf-8").read()
    values = {
        '{{ include "seldon.namespace" . }}': "seldon-system",
        "{{ .Release.Name }}": "seldon-core",
        '{{ include "seldon.name" . }}': "seldon-core-operator",
        "{{ .Chart.Version }}": "1.18.2",
    }
    for expression, value in values.items():
        text = text.replace(expression, value)
    kept = [line for line in text.splitlines() if not re.match(r"^\s*\{\{-", line)]
    rest = "\n".join(kept)
    assert "{{" not in rest, "the chart's CRD template holds an expression this renderer does not know"
    crd = yaml.load(rest, Loader=LOADER)
    assert crd["kind"] == "CustomResourceDefinition"
    return dict(crd)


def oracle_crds() -> list[dict[str, Any]]:
    crds = [render_seldon_crd()]
    for name in OTHER_CRDS:
        crds += [d for d in yaml.load_all((UPSTREAM / "crds" / name).read_text(), Loader=LOADER) if d]
    return crds


class Oracle:
    """The running control plane, a client, and the CRDs it holds."""

    def __init__(self, plane: ControlPlane, client: Client, crds: list[dict[str, Any]]):
        self.plane = plane
        self.client = client
        self.crds = crds
        self.namespaces: set[str] = {"default"}

    def ensure_namespace(self, name: str) -> None:
        if name and name not in self.namespaces:
            verdict = self.client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
            if verdict.accepted:
                self.namespaces.add(name)

    def dry_run(self, obj: dict[str, Any]) -> Any:
        metadata = obj.get("metadata")
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        if isinstance(namespace, str):
            self.ensure_namespace(namespace)
        return self.client.dry_run(obj)


@pytest.fixture(scope="session")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oracle]:
    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    assets = oracle_assets()
    assert assets is not None
    plane = ControlPlane(assets, tmp_path_factory.mktemp("apiserver"))
    plane.start()
    try:
        client = plane.client()
        crds = oracle_crds()
        refused = client.install_crds(crds)
        assert not refused, f"the API server refused CRDs: {[(c['metadata']['name'], v.message) for c, v in refused]}"
        yield Oracle(plane, client, crds)
        client.close()
    finally:
        plane.stop()
