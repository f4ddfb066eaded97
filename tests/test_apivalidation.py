"""The API-validation stage offline: rules, wording, versions, warnings, source lines.

Its agreement with a real API server is measured by tests/oracle; these tests pin the behaviour
that needs no server.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.conftest import findings_of, validate_tree
from validate import apivalidation
from validate.apivalidation import names, quantity
from validate.apivalidation.field import dotted

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "models"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "main", "image": "registry.example/web:1.0"}]}}}}


def problems(obj: dict[str, Any], version: str = "1.36") -> dict[str, str]:
    return {dotted(p.path): p.message for p in apivalidation.check(obj, version)}


def deployment(**pod: Any) -> dict[str, Any]:
    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["template"]["spec"]["containers"][0].update(pod)
    return obj


def test_a_valid_deployment_has_no_problem() -> None:
    assert problems(DEPLOYMENT) == {}


def test_deployment_rules_use_the_servers_paths_and_words() -> None:
    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["replicas"] = -1
    obj["spec"]["strategy"] = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}
    obj["spec"]["template"]["spec"]["restartPolicy"] = "Never"
    assert problems(obj) == {
        "spec.replicas": "Invalid value: -1: must be greater than or equal to 0",
        "spec.strategy.rollingUpdate.maxUnavailable": 'Invalid value: "0%": may not be 0 when `maxSurge` is 0',
        "spec.template.spec.restartPolicy": 'Unsupported value: "Never": supported values: "Always"',
    }


def test_container_rules() -> None:
    obj = deployment(ports=[{"name": "a-very-long-port-name", "containerPort": 70000}],
                     resources={"requests": {"cpu": "2"}, "limits": {"cpu": "1"}},
                     livenessProbe={"exec": {"command": ["true"]}, "successThreshold": 2})
    found = problems(obj)
    prefix = "spec.template.spec.containers[0]."
    assert found[prefix + "ports[0].name"].startswith('Invalid value: "a-very-long-port-name"')
    assert found[prefix + "ports[0].containerPort"] == "Invalid value: 70000: must be between 1 and 65535, inclusive"
    assert found[prefix + "resources.requests.cpu"] == 'Invalid value: "2": must be less than or equal to cpu limit of 1'
    assert found[prefix + "livenessProbe.successThreshold"] == "Invalid value: 2: must be 1"


def test_environment_variable_names_are_relaxed_from_1_32() -> None:
    obj = deployment(env=[{"name": "1VAR", "value": "x"}])
    held = apivalidation.across(["1.25", "1.31", "1.32", "1.36"], apivalidation.check, obj)
    assert [(dotted(p.path), on) for p, on in held] == [("spec.template.spec.containers[0].env[0].name",
                                                         ("1.25", "1.31"))]


def test_server_warnings_are_warnings() -> None:
    obj = deployment(env=[{"name": "A", "value": "1"}, {"name": "A", "value": "2"}],
                     resources={"requests": {"memory": "0.5", "ephemeral-storage": "100m"}})
    obj["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = -1
    found = {dotted(p.path): p for p in apivalidation.check(obj, "1.36")}
    assert all(p.warning for p in found.values()) and len(found) == 4
    assert found["spec.template.spec.containers[0].resources.requests.memory"].message == \
        'fractional byte value "0.5" is invalid, must be an integer'
    assert found["spec.template.spec.containers[0].resources.requests.ephemeral-storage"].message == \
        'fractional byte value "100m" is invalid, must be an integer'  # the oracle's pod-resources-06


def test_finalizers_are_errors_for_built_in_kinds_and_warnings_for_custom_resources() -> None:
    obj = copy.deepcopy(DEPLOYMENT)
    obj["metadata"]["finalizers"] = ["cleanup"]
    custom = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "finalizers": ["cleanup"]}}
    assert [p.warning for p in apivalidation.check(obj, "1.36")] == [False]
    assert [p.warning for p in apivalidation.check(custom, "1.36")] == [True]


def test_argo_cd_finalizers_written_as_its_documentation_says_are_not_warned_about() -> None:
    """The API server warns about `resources-finalizer.argocd.argoproj.io` (no "/"), but Argo CD
    honours only that name: every AppProject and Application that asks for cascade deletion has it."""
    for kind in ("AppProject", "Application"):
        obj = {"apiVersion": "argoproj.io/v1alpha1", "kind": kind,
               "metadata": {"name": "p", "namespace": "argocd",
                            "finalizers": ["resources-finalizer.argocd.argoproj.io"]}}
        assert apivalidation.check(obj, "1.36") == []
    other = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
             "metadata": {"name": "p", "finalizers": ["resources-finalizer.example.io"]}}
    assert [p.warning for p in apivalidation.check(other, "1.36")] == [True]  # any other one: still the warning


def test_missing_name_on_every_kind_but_not_on_local_configuration() -> None:
    for obj in ({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}},
                {"apiVersion": "example.com/v1", "kind": "Widget"}):
        assert problems(obj) == {"metadata.name": "Required value: name or generateName is required"}
    assert problems({"apiVersion": "kind.x-k8s.io/v1alpha4", "kind": "Cluster"}) == {}


def seldon(container: dict[str, Any], **pod: Any) -> dict[str, Any]:
    return {"apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeployment",
            "metadata": {"name": "m", "namespace": "models"},
            "spec": {"predictors": [{"name": "default", "graph": {"name": "model", "type": "MODEL"},
                                     "componentSpecs": [{"spec": {"containers": [container], **pod}}]}]}}


def test_seldon_crd_refuses_fractional_numbers_and_newer_pod_fields() -> None:
    obj = seldon({"name": "model", "resources": {"limits": {"cpu": 0.5}},
                  "lifecycle": {"preStop": {"sleep": {"seconds": 5}}}})
    found = problems(obj)
    base = "spec.predictors[0].componentSpecs[0].spec.containers[0]."
    assert "must be of type integer,string" in found[base + "resources.limits.cpu"]
    assert found[base + "lifecycle.preStop.sleep"].startswith('unknown field "' + base + "lifecycle.preStop.sleep")
    assert apivalidation.seldon_pod_specs(obj, "1.36") == []  # no image: the operator fills it in


def test_seldon_component_specs_are_checked_as_the_operators_deployment() -> None:
    obj = seldon({"name": "Model", "image": "x"}, restartPolicy="Never")
    found = {dotted(p.path): p.message for p in apivalidation.seldon_pod_specs(obj, "1.36")}
    assert set(found) == {"spec.predictors[0].componentSpecs[0].spec.containers[0].name",
                          "spec.predictors[0].componentSpecs[0].spec.restartPolicy"}
    assert problems(obj) == {}  # the server itself accepts the SeldonDeployment


def test_names_and_quantities() -> None:
    assert names.port_name("http") == [] and names.port_name("123") == ["must contain at least one letter (a-z)"]
    assert names.config_map_key("..x") == ["must not start with '..'"]
    assert names.env_var_name("MY VAR", relaxed=True) == [] and names.env_var_name("a=b", relaxed=True)
    assert quantity.parse("1.5Gi") == 1610612736 and quantity.parse("100m") * 1000 == 100
    assert quantity.parse("1e3") == 1000 and quantity.parse("abc") is None


def test_findings_land_on_the_source_line(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "deployment.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: models\nspec:\n"
        "  replicas: -2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n"
        "      labels: {app: web}\n    spec:\n      containers:\n        - name: main\n          image: x\n"
        "          env:\n            - {name: A, value: '1'}\n            - {name: A, value: '2'}\n")
    result = validate_tree(repo)
    invalid = findings_of(result, "apivalidation-invalid")
    assert [(f.file, f.line, f.message) for f in invalid] == [
        ("deployment.yaml", 7, "spec.replicas: Invalid value: -2: must be greater than or equal to 0")]
    assert [(f.line, str(f.severity)) for f in findings_of(result, "apivalidation-warning")] == [(19, "warning")]


def test_service_names_may_start_with_a_digit_from_1_36(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: 1st-model\n"
                                       "  namespace: models\nspec:\n  ports: [{port: 80}]\n")
    assert findings_of(validate_tree(repo, kubernetes_versions=["1.36"]), "api-object-name") == []
    older = findings_of(validate_tree(repo, kubernetes_versions=["1.35", "1.36"]), "api-object-name")
    assert len(older) == 1 and "before 1.36 (1.35)" in older[0].message


def test_plain_objects_of_every_kind_have_no_problem() -> None:
    from tests.oracle.corpus import builtin_bases

    for _, obj in builtin_bases():
        assert problems(obj) == {}, obj["kind"]


def test_pod_spec_parts() -> None:
    obj = copy.deepcopy(DEPLOYMENT)
    pod = obj["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "data", "secret": {}}]
    pod["tolerations"] = [{"key": "gpu", "operator": "Exists", "value": "x"}]
    pod["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": ""}]}}
    pod["containers"][0]["volumeMounts"] = [{"name": "missing", "mountPath": "/data"}]
    pod["containers"][0]["lifecycle"] = {"preStop": {}}
    pod["containers"][0]["securityContext"] = {"runAsUser": -1}
    prefix = "spec.template.spec."
    assert set(problems(obj)) == {prefix + p for p in (
        "volumes[0].secret.secretName", "tolerations[0].operator",
        "affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey",
        "containers[0].volumeMounts[0].name", "containers[0].lifecycle.preStop", "containers[0].securityContext.runAsUser")}


def test_service_rules() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "models"},
               "spec": {"ports": [{"port": 80, "targetPort": "http"}, {"name": "metrics", "port": 80}],
                        "externalTrafficPolicy": "Local"}}
    assert problems(service) == {
        "spec.ports[0].name": "Required value",
        "spec.ports[1]": 'Duplicate value: {"port": 80, "protocol": "TCP"}',
        "spec.externalTrafficPolicy": 'Invalid value: "Local": may only be set for externally-accessible services',
    }


def test_label_selectors_outside_spec_selector_check_their_match_labels() -> None:
    """A NetworkPolicy's podSelector (the oracle's network-network_policy-03): the server runs ValidateLabels
    on every selector's matchLabels; spec.selector's are the api-labels rule's, so not reported twice."""
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "web"},
              "spec": {"podSelector": {"matchLabels": {"app": "bad value!"}},
                       "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"bad key!": "x"}}}]}]}}
    found = problems(policy)
    assert found["spec.podSelector.matchLabels"].startswith('Invalid value: "bad value!"')
    assert found["spec.ingress[0].from[0].namespaceSelector.matchLabels"].startswith('Invalid value: "bad key!"')
    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["selector"]["matchLabels"]["app"] = "bad value!"
    assert "spec.selector.matchLabels" not in problems(obj)


def test_revision_history_limit_is_non_negative_on_deployments_and_daemon_sets_only() -> None:
    """kubernetes apps validation runs ValidateNonnegativeField on it for Deployment and DaemonSet, not for
    StatefulSet: a real kube-apiserver v1.36 accepts a StatefulSet with ``revisionHistoryLimit: -1``."""
    for kind, refused in (("Deployment", True), ("DaemonSet", True), ("StatefulSet", False)):
        obj = copy.deepcopy(DEPLOYMENT)
        obj["kind"] = kind
        obj["spec"]["revisionHistoryLimit"] = -1
        if kind == "StatefulSet":
            obj["spec"]["serviceName"] = "web"
        assert ("spec.revisionHistoryLimit" in problems(obj)) is refused, kind
