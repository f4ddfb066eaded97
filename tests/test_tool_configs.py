"""Tool configuration files that look like objects (apiVersion, kind) but no API server serves.

Seen in SeldonIO/seldon-core: kind's ``kind_config.yaml`` was an ``apivalidation-invalid`` error
("metadata.name: Required value"). Such a file is never applied; it is an info, not an error.
"""

from __future__ import annotations

import pytest

from tests.conftest import validate_tree
from validate.classify import kubernetes_like
from validate.model import Severity


@pytest.mark.parametrize("api_version", ["kind.sigs.k8s.io/v1alpha3",
                                         "kubeadm.k8s.io/v1beta3", "kubelet.config.k8s.io/v1beta1",
                                         "apiserver.config.k8s.io/v1", "k3d.io/v1alpha5"])
def test_tool_configuration_groups_are_not_kubernetes(api_version: str) -> None:
    assert not kubernetes_like(api_version)


# kind.x-k8s.io/v1alpha4 is checked against the kind schema this package ships
@pytest.mark.parametrize("api_version", ["apps/v1", "v1", "argoproj.io/v1alpha1", "cluster.x-k8s.io/v1beta1",
                                         "kind.x-k8s.io/v1alpha4"])
def test_served_groups_still_are(api_version: str) -> None:
    assert kubernetes_like(api_version)


def test_a_kind_cluster_file_is_an_info_and_nothing_else(write_tree) -> None:
    repo = write_tree({"integration/kind_config.yaml": "kind: Cluster\napiVersion: kind.sigs.k8s.io/v1alpha3\n"
                                                       "nodes:\n- role: control-plane\n"})
    result = validate_tree(repo)
    assert [(f.rule, f.severity) for f in result.findings] == [("schema-not-kubernetes", Severity.INFO)]
    assert result.exit_code == 0
