"""pod-cpu-node-size: the message names the node size and where it comes from; the setting is checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import findings_of, validate_tree
from validate.model import ToolError
from validate.rules.pod_cpu_node_size import pod_request

KIND = """\
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: local
nodes:
  - role: control-plane
  - role: worker
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: model
  namespace: model
spec:
  selector:
    matchLabels: {{app: model}}
  template:
    metadata:
      labels: {{app: model}}
    spec:
      containers:
        - name: classifier
          image: registry.example.com/iris:1.4.2
          resources:
            requests: {{cpu: {cpu}, memory: 1Gi}}
"""


def test_the_finding_names_the_node_size_and_the_kind_cluster(write_tree) -> None:
    repo = write_tree({"kind-cluster.yaml": KIND, ".gitops-validate.yaml": "cluster: {nodeCPU: 3500m}\n",
                       "deployment.yaml": DEPLOYMENT.format(cpu='"8"')})
    [finding] = findings_of(validate_tree(repo), "pod-cpu-node-size")
    assert (finding.file, finding.line, str(finding.severity)) == ("deployment.yaml", 17, "error")
    assert finding.message == (
        "container 'classifier' requests cpu '8' (8 cores), more than a node has (3.5 CPUs, the size of each of the"
        " 2 node(s) of the kind cluster 'local' (kind-cluster.yaml) as cluster.nodeCPU declares it): the pod can"
        " never be scheduled")


def test_without_a_kind_config_the_setting_alone_is_named(write_tree) -> None:
    repo = write_tree({".gitops-validate.yaml": "cluster: {nodeCPU: 2}\n", "deployment.yaml": DEPLOYMENT.format(cpu=3)})
    [finding] = findings_of(validate_tree(repo), "pod-cpu-node-size")
    assert "(2 CPUs, the node size cluster.nodeCPU declares)" in finding.message
    fits = write_tree({".gitops-validate.yaml": "cluster: {nodeCPU: 2}\n", "deployment.yaml": DEPLOYMENT.format(cpu=2)})
    assert findings_of(validate_tree(fits), "pod-cpu-node-size") == []  # exactly a node: it schedules


def test_the_pod_request_is_the_schedulers_sum() -> None:
    def container(cpu: str, **extra: str) -> dict[str, object]:
        return {"resources": {"requests": {"cpu": cpu}}, **extra}

    podspec = {"initContainers": [container("3"), container("500m", restartPolicy="Always"), container("2")],
               "containers": [container("1"), {"resources": {"limits": {"cpu": "250m"}}}]}
    # containers 1 + 0.25 with the 0.5 sidecar; the init container started after the sidecar: 2 + 0.5; the first: 3
    assert pod_request(podspec) == 3.0
    podspec["containers"].append(container("2"))
    assert pod_request(podspec) == pytest.approx(3.75)


@pytest.mark.parametrize(("setting", "expected"), [
    ("cluster: {nodeCPU: four}\n", "cluster.nodeCPU: 'four' is not a CPU quantity above zero"),
    ("cluster: {nodeCPU: 0}\n", "cluster.nodeCPU: 0 is not a CPU quantity above zero"),
    ("cluster: {nodeCPUs: 4}\n", "did you mean 'nodeCPU'?"),
])
def test_a_bad_node_size_is_a_one_line_usage_error(write_tree, setting: str, expected: str) -> None:
    repo = write_tree({".gitops-validate.yaml": setting, "deployment.yaml": DEPLOYMENT.format(cpu=1)})
    with pytest.raises(ToolError, match="nodeCPU") as raised:
        validate_tree(repo)
    assert expected in str(raised.value)
    completed = subprocess.run([sys.executable, "-m", "validate", str(repo)], capture_output=True, text=True,
                               timeout=300, cwd=Path(repo))
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    assert expected in completed.stderr and len(completed.stderr.strip().splitlines()) == 1
