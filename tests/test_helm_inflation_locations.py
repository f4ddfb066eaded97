"""Findings on objects of kustomize ``helmCharts:`` land on the entry that rendered them, or on the
``valuesInline`` key that set the value (validate/helm_inflation.py)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import findings_of, validate_tree
from tests.test_helm_charts_inflation import CHART_REPO, ENABLED, helm_repository

TWO_ENTRIES = f"""\
resources: []
helmCharts:
  - name: greeter
    repo: {CHART_REPO}
    version: 0.3.0
    releaseName: hello
    namespace: demo
    valuesInline:
      replicaCount: two
  - name: greeter
    repo: {CHART_REPO}
    version: 0.3.0
    releaseName: second
    valuesInline:
      replicaCount: 1
      image: "nginx:latest"
"""


def _by_object(result, rule: str) -> dict[str, tuple[str | None, int | None, str]]:  # type: ignore[no-untyped-def]
    return {f.object.name: (f.file, f.line, f.message) for f in findings_of(result, rule) if f.object is not None}


def test_each_entry_owns_the_findings_on_what_it_rendered(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": TWO_ENTRIES})
    result = validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror])
    # a field the chart's template sets: the entry's line, naming the template
    [replicas] = [f for f in findings_of(result, "schema-type") if "replicas" in f.message]
    assert (replicas.file, replicas.line) == ("app/kustomization.yaml", 3)
    assert "template templates/deployment.yaml of chart greeter 0.3.0" in replicas.message
    # a value given in valuesInline: its key's line; the same rule on the first entry's object: that entry
    tags = _by_object(result, "pod-image-tag")
    assert tags == {"second-greeter": ("app/kustomization.yaml", 16, tags["second-greeter"][2])}
    assert "set here" in tags["second-greeter"][2]
    probes = _by_object(result, "pod-probes")
    assert {name: line for name, (_f, line, _m) in probes.items()} == {"hello-greeter": 3, "second-greeter": 10}
    # read back from the render cache: the same places
    again = validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror])
    assert again.cache_hits >= 1
    assert [(f.rule, f.file, f.line, f.message) for f in again.findings] == \
        [(f.rule, f.file, f.line, f.message) for f in result.findings]


def test_one_entry_owns_every_inflated_object(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    single = "\n".join(TWO_ENTRIES.splitlines()[:9]) + "\n"
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": "namePrefix: x-\n" + single})
    result = validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror])
    located = {(f.file, f.line) for f in result.findings if f.object is not None}
    assert located == {("app/kustomization.yaml", 4)}
    assert any(f.object is not None and f.object.name == "x-hello-greeter" for f in result.findings)


def test_the_offline_helm_records_nothing_outside_a_render(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from validate import helm_inflation

    monkeypatch.delenv(helm_inflation.RECORD_ENV, raising=False)
    chart = tmp_path / "greeter-0.3.0" / "greeter"
    chart.mkdir(parents=True)
    helm_inflation.record(chart, "r", "default", [("greeter/templates/a.yaml", "kind: ConfigMap\nmetadata: {name: a}\n")])
    assert list(chart.parent.iterdir()) == [chart]
    monkeypatch.setenv(helm_inflation.RECORD_ENV, "1")
    helm_inflation.record(chart, "r", "default", [("greeter/templates/a.yaml", "kind: ConfigMap\nmetadata: {name: a}\n"),
                                                 ("greeter/templates/b.yaml", "{not yaml")])
    [record] = helm_inflation._records(chart.parent)
    assert record == {"release": "r", "namespace": "default", "objects": [["ConfigMap", "a", "templates/a.yaml"]]}
