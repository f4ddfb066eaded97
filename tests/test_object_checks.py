"""The per-object stages on two cores (validate.object_checks, validate.forked) report exactly
what one pass reports, in the same order, and fall back to one pass when the child fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from validate import forked, object_checks, pipeline
from validate.model import Finding

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


def _findings(root: Path) -> list[Finding]:
    return pipeline.run(pipeline.Options(paths=[root], use_cache=False, kubernetes_versions=["1.30", "1.37"])).findings


@pytest.mark.skipif(not forked.can_fork(), reason="this process cannot fork (no second core, or threads running)")
def test_two_cores_report_what_one_pass_reports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repository(tmp_path, 12)
    monkeypatch.setattr(object_checks, "FORK_MIN_OBJECTS", 10**9)
    one_pass = _findings(root)
    assert {f.rule for f in one_pass} >= {"schema-unknown-field", "schema-quantity", "apivalidation-invalid",
                                          "pod-image-digest", "suppression-reason", "schema-unknown-kind"}
    forks: list[int] = []
    real_fork = os.fork

    def counted_fork() -> int:
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(object_checks, "FORK_MIN_OBJECTS", 2)
    monkeypatch.setattr(forked.os, "fork", counted_fork)
    assert _findings(root) == one_pass
    assert len(forks) == 1


@pytest.mark.skipif(not forked.can_fork(), reason="this process cannot fork (no second core, or threads running)")
def test_a_failing_child_leaves_the_work_to_the_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repository(tmp_path, 6)
    monkeypatch.setattr(object_checks, "FORK_MIN_OBJECTS", 10**9)
    one_pass = _findings(root)

    def broken(part: object, index: dict[int, int]) -> object:
        raise RuntimeError("the child cannot send its part")

    monkeypatch.setattr(object_checks, "FORK_MIN_OBJECTS", 2)
    monkeypatch.setattr(object_checks, "_portable", broken)
    assert _findings(root) == one_pass


def test_in_two_computes_both_parts() -> None:
    assert forked.in_two(lambda: [1, 2], lambda: {"three": 3}) == ([1, 2], {"three": 3})


def test_in_two_without_a_second_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    seen: list[int] = []
    assert forked.in_two(lambda: seen.append(1) or "here", lambda: seen.append(2) or "there") == ("here", "there")
    assert seen == [1, 2]


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
