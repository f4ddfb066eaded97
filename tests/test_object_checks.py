"""The per-object stages on two cores (validate.object_checks, validate.forked) report exactly
what one pass reports, in the same order, and fall back to one pass when the child fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from validate import forked

# Objects that give every kind of per-object finding: schema issues, API validation, per-object rules,
# a suppression without a reason, a missing schema, a stand-alone tool configuration and an object
# that is not Kubernetes at all.
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-{n}
  namespace: shop
  annotations:
    ignore-check.gitops-validate.io/pod-image-digest: "{reason}"
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: web-{n}}}
  template:
    metadata:
      labels: {{app: web-{n}}}
    spec:
      containers:
        - name: web
          image: nginx:1.{n}
          resources:
            limits: {{memory: 500m, cpu: "1"}}
          unknownField: {n}
"""
OTHERS = """apiVersion: v1
kind: ConfigMap
metadata:
  name: Bad_Name-{n}
data:
  key: value
---
apiVersion: example.com/v1
kind: Widget
metadata:
  name: widget-{n}
---
apiVersion: not-kubernetes
kind: Thing
---
kind: Service
metadata:
  name: no-api-version-{n}
"""


def _repository(root: Path, count: int) -> Path:
    documents = []
    for n in range(count):
        documents.append(DEPLOYMENT.format(n=n, reason="" if n % 3 == 0 else "pinned elsewhere",
                                           replicas=-1 if n % 2 else 2))
        documents.append(OTHERS.format(n=n))
    (root / "manifests.yaml").write_text("---\n".join(documents))
    (root / ".git").mkdir()
    return root


# Run in a process of its own: one with threads running (a test runner's worker) never forks.
SCRIPT = r"""
import json, os, sys
from pathlib import Path
from validate import forked, object_checks, pipeline

root, minimum, broken = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "broken"
object_checks.FORK_MIN_OBJECTS = minimum
forks = []
real_fork = os.fork
def counted_fork():
    pid = real_fork()
    if pid:
        forks.append(pid)
    return pid
forked.os.fork = counted_fork
if broken:
    def cannot_send(part, index):
        raise RuntimeError("the child cannot send its part")
    object_checks._portable = cannot_send
run = pipeline.run(pipeline.Options(paths=[root], use_cache=False, kubernetes_versions=["1.30", "1.37"]))
print(json.dumps({"forks": len(forks), "findings": [dict(f.as_json(), severity=str(f.severity)) for f in run.findings]}))
"""


def _run(root: Path, minimum: int, broken: bool = False) -> tuple[int, list[dict[str, Any]]]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root), str(minimum), "broken" if broken else "-"],
                          capture_output=True, text=True, timeout=600, check=True)
    result = json.loads(done.stdout)
    return result["forks"], result["findings"]


needs_two_cores = pytest.mark.skipif(not hasattr(os, "fork") or (os.cpu_count() or 1) < 2,
                                     reason="one core, or no fork: the per-object stages run in one process")


@needs_two_cores
def test_two_cores_report_what_one_pass_reports(tmp_path: Path) -> None:
    root = _repository(tmp_path, 12)
    forks, one_pass = _run(root, 10**9)
    assert forks == 0
    assert {f["rule"] for f in one_pass} >= {"schema-unknown-field", "schema-quantity", "apivalidation-invalid",
                                             "pod-image-digest", "suppression-reason", "schema-unknown-kind",
                                             "schema-not-kubernetes", "schema-identity"}
    forks, split = _run(root, 2)
    assert forks == 1
    assert split == one_pass


@needs_two_cores
def test_a_failing_child_leaves_the_work_to_the_parent(tmp_path: Path) -> None:
    root = _repository(tmp_path, 6)
    _, one_pass = _run(root, 10**9)
    forks, split = _run(root, 2, broken=True)
    assert forks == 1
    assert split == one_pass


def test_in_two_computes_both_parts() -> None:
    assert forked.in_two(lambda: [1, 2], lambda: {"three": 3}) == ([1, 2], {"three": 3})


def test_in_two_without_a_second_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    seen: list[str] = []

    def part(name: str) -> str:
        seen.append(name)
        return name

    assert forked.in_two(lambda: part("here"), lambda: part("there")) == ("here", "there")
    assert seen == ["here", "there"]


def test_in_two_a_failing_child_is_computed_here() -> None:
    computed_here = [False]

    def there() -> int:
        if os.getpid() != parent:
            raise RuntimeError("only the parent can do this")
        computed_here[0] = True
        return 2

    parent = os.getpid()
    assert forked.in_two(lambda: 1, there) == (1, 2)
    assert computed_here[0] or not forked.can_fork()


@pytest.mark.parametrize("memory", ["500m", "1Gi", "512Mi", "1000", "1e3", "0.5Ki", '5"m', "5\\m", "5µ", "1048575",
                                    "1048576", "0", "-1", "abc", "1e999999", ""])
def test_the_encoded_text_spares_only_walks_that_find_nothing(memory: str) -> None:
    """The memory check's shortcut through the object's JSON text finds what the walk finds."""
    from validate.schema import implausible_quantities
    from validate.verdicts import encoded

    data = {"spec": {"containers": [{"resources": {"limits": {"memory": memory, "cpu": "1"},
                                                   "requests": {"memory": memory}}}],
                     "memory": memory, "labels": {"memory": memory}}}
    assert list(implausible_quantities(data, encoded(data))) == list(implausible_quantities(data))
