"""Tool configuration files that look like objects (apiVersion, kind) but no API server serves.

Seen in SeldonIO/seldon-core: kind's ``kind_config.yaml`` was an ``apivalidation-invalid`` error
("metadata.name: Required value"). Such a file is never applied; it is an info, not an error.
"""

from __future__ import annotations

from tests.conftest import validate_tree
from validate.model import Severity


def test_a_kind_cluster_file_is_an_info_and_nothing_else(write_tree) -> None:
    repo = write_tree({"integration/kind_config.yaml": "kind: Cluster\napiVersion: kind.sigs.k8s.io/v1alpha3\n"
                                                       "nodes:\n- role: control-plane\n"})
    result = validate_tree(repo)
    assert [(f.rule, f.severity) for f in result.findings] == [("schema-not-kubernetes", Severity.INFO)]
    assert result.exit_code == 0
