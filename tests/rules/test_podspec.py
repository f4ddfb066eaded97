"""The pod-spec and Seldon-graph helpers, and the pod-*/seldon-* rules on malformed objects."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from validate.context import Context
from validate.discover import Inventory
from validate.model import Checked, Config
from validate.rules import applies, registry
from validate.rules._podspec import (
    dns1123_label_problem,
    image_reference,
    iter_all_containers,
    iter_pod_specs,
    iter_units,
)

SDEP: dict[str, Any] = {
    "apiVersion": "machinelearning.seldon.io/v1",
    "kind": "SeldonDeployment",
    "metadata": {"name": "iris"},
    "spec": {"predictors": [{
        "name": "main",
        "componentSpecs": [{"spec": {"containers": [{"name": "classifier", "image": "r/iris:1"},
                                                    {"name": "sidecar", "image": "r/side:1"}],
                                     "initContainers": [{"name": "init", "image": "r/init:1"}]}}],
        "explainer": {"type": "AnchorTabular", "containerSpec": {"name": "explainer", "image": "r/alibi:1"}},
        "graph": {"name": "classifier", "type": "MODEL",
                  "children": [{"name": "child", "implementation": "SKLEARN_SERVER", "modelUri": "gs://m"}]},
    }]},
}


def test_pod_specs_of_each_kind() -> None:
    pod = {"containers": [{"name": "c"}]}
    template = {"metadata": {"labels": {"app": "a"}}, "spec": pod}
    cases = {
        ("v1", "Pod"): ({"spec": pod, "metadata": {"labels": {"app": "a"}}}, ("spec",)),
        ("apps/v1", "Deployment"): ({"spec": {"template": template}}, ("spec", "template", "spec")),
        ("batch/v1", "Job"): ({"spec": {"template": template}}, ("spec", "template", "spec")),
        ("batch/v1", "CronJob"): ({"spec": {"jobTemplate": {"spec": {"template": template}}}},
                                  ("spec", "jobTemplate", "spec", "template", "spec")),
        ("v1", "PodTemplate"): ({"template": template}, ("template", "spec")),
    }
    for (api_version, kind), (body, path) in cases.items():
        found = list(iter_pod_specs({"apiVersion": api_version, "kind": kind, **body}))
        assert found == [(path, pod, {"app": "a"})], kind


def test_seldon_containers_include_explainer_and_know_graph_nodes() -> None:
    refs = list(iter_all_containers(SDEP))
    assert [(r.name, r.kind) for r in refs] == [("init", "initContainers"), ("classifier", "containers"),
                                                 ("sidecar", "containers"), ("explainer", "explainer")]
    assert refs[1].graph_unit is not None and refs[2].graph_unit is None
    assert refs[3].path == ("spec", "predictors", 0, "explainer", "containerSpec") and refs[3].pod_path is None


def test_graph_walk_is_depth_first_with_paths() -> None:
    units = list(iter_units(SDEP["spec"]["predictors"][0], 0))
    assert [(path, unit["name"]) for path, unit in units] == [
        (("spec", "predictors", 0, "graph"), "classifier"),
        (("spec", "predictors", 0, "graph", "children", 0), "child")]


def test_image_reference() -> None:
    assert image_reference("nginx") == ("nginx", None, None)
    assert image_reference("registry:5000/team/app") == ("registry:5000/team/app", None, None)
    assert image_reference("registry:5000/app:1.2@sha256:abc") == ("registry:5000/app", "1.2", "sha256:abc")


def test_dns1123_label() -> None:
    assert dns1123_label_problem("iris-model-2") is None
    assert dns1123_label_problem("Iris") and dns1123_label_problem("a_b") and dns1123_label_problem("-a")
    assert dns1123_label_problem("a" * 64) and dns1123_label_problem("") and dns1123_label_problem(3)


MODULES = [m for rule_id, m in registry().items() if rule_id.startswith(("pod-", "seldon-"))]
KINDS = [("machinelearning.seldon.io/v1", "SeldonDeployment"), ("apps/v1", "Deployment"), ("v1", "Pod"),
         ("batch/v1", "CronJob"), ("v1", "PodTemplate")]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 200), st.text(max_size=8),
                    st.sampled_from(["ALL", "ROUTER", "SKLEARN_SERVER", "UNKNOWN_TYPE", "cpu", "Utilization"]))
keys = st.sampled_from(["spec", "methods", "seccompProfile", "runAsNonRoot", "hostNetwork", "predictors", "graph", "children", "componentSpecs", "containers", "name",
                        "image", "securityContext", "hpaSpec", "metrics", "metricsv2", "resource", "template",
                        "jobTemplate", "traffic", "shadow", "implementation", "type", "explainer", "containerSpec",
                        "capabilities", "drop", "add", "volumes", "hostPath", "resources", "requests", "metadata"])
garbage = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(keys, inner, max_size=4)), max_leaves=30)


def _run_all(data: dict[str, Any]) -> None:
    obj = Checked(data, "x.yaml", 1, None)
    ctx = Context(Config(root=Path(".")), Inventory(Path("."), [], {}, [], [], {}, [], []), {}, [obj], [], ["1.37"])
    for module in MODULES:
        if applies(module, data):
            for violation in module.check(obj, ctx):
                assert isinstance(violation.message, str)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(KINDS), body=st.dictionaries(keys, garbage, max_size=4))
def test_rules_never_raise_on_garbage(kind: tuple[str, str], body: dict[str, Any]) -> None:
    _run_all({"apiVersion": kind[0], "kind": kind[1], **body})


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        found += _paths(child, (*prefix, key))
    return found


DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
    "spec": {"template": {"spec": {**SDEP["spec"]["predictors"][0]["componentSpecs"][0]["spec"],
                                   "securityContext": {"runAsNonRoot": True}, "volumes": [{"name": "v"}]}}},
}
# apiVersion and kind are checked by the core before any rule runs.
CORRUPTIBLE = [(obj, path) for obj in (SDEP, DEPLOYMENT) for path in _paths(obj)
               if path[0] not in ("apiVersion", "kind")]


@settings(max_examples=500, deadline=None)
@given(case=st.sampled_from(CORRUPTIBLE), value=garbage)
def test_rules_never_raise_on_a_corrupted_object(case: tuple[dict[str, Any], tuple[Any, ...]], value: Any) -> None:
    data = copy.deepcopy(case[0])
    node: Any = data
    for part in case[1][:-1]:
        node = node[part]
    node[case[1][-1]] = value
    _run_all(data)
