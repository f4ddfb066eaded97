"""The schema stage: version matrix, CRD-derived schemas, kubeconform-layout folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import findings_of, validate_tree
from validate.crd import crd_schemas
from validate.model import ToolError
from validate.schema import SchemaStore, available_versions, resolve_versions

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {
                "size": {"type": "integer"},
                "port": {"x-kubernetes-int-or-string": True},
                "note": {"type": "string", "nullable": True},
                "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            }}},
        }}}],
    },
}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
          "spec": {"size": 1, "port": "http", "note": None, "extra": {"anything": [1]}}}


def rules_of(store: SchemaStore, data: dict) -> list[tuple[str, tuple]]:
    return [(issue.rule, issue.path) for issue, _ in store.check(data).issues]


def test_the_matrix_defaults_to_oldest_and_newest_shipped() -> None:
    shipped = available_versions()
    assert shipped[0] == "1.25" and shipped[-1] == "1.37"
    assert resolve_versions([]) == ["1.25", "1.37"]
    assert resolve_versions(["v1.30.2", "1.30"]) == ["1.30"]
    with pytest.raises(ToolError):
        resolve_versions(["1.20"])


def test_crd_schemas_are_as_strict_as_pruning() -> None:
    [(gvk, schema)] = list(crd_schemas(CRD))
    assert gvk == ("example.com", "v1", "Widget")
    store = SchemaStore(["1.37"], crds=[CRD])
    assert rules_of(store, WIDGET) == []
    assert rules_of(store, {**WIDGET, "spec": {"size": 1, "colour": "red"}}) == [
        ("schema-unknown-field", ("spec", "colour"))]
    assert rules_of(store, {**WIDGET, "spec": {"port": 8080}}) == []
    assert rules_of(store, {**WIDGET, "spec": {"port": 1.5}}) != []
    assert rules_of(store, {**WIDGET, "metadata": {"name": "w", "labelz": {}}}) == [
        ("schema-unknown-field", ("metadata", "labelz"))]


def test_seldon_component_spec_is_checked_as_that_versions_podspec() -> None:
    store = SchemaStore(["1.25", "1.37"])
    sdep = {"apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeployment",
            "metadata": {"name": "s"}, "spec": {"predictors": [{"name": "p", "graph": {"name": "m"},
                                                                 "componentSpecs": [{"spec": {"containers": [
                                                                     {"name": "m", "image": "x:1"}],
                                                                     "resources": {}}}]}]}}
    # PodSpec.resources (pod-level resources) exists in 1.37's definitions, not in 1.25's
    verdict = store.check(sdep)
    [(issue, versions)] = verdict.issues
    assert issue.rule == "schema-unknown-field" and versions == ("1.25",)


def test_a_kubeconform_schema_dir_serves_unknown_kinds(write_tree, tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "widget-example-v1.json").write_text(json.dumps({
        "type": "object", "required": ["spec"],
        "properties": {"apiVersion": {}, "kind": {}, "metadata": {}, "spec": {"type": "object"}},
        "additionalProperties": False}))
    repo = write_tree({"w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: []\n"})
    assert findings_of(validate_tree(repo), "schema-unknown-kind")
    result = validate_tree(repo, schema_dirs=[schemas])
    assert findings_of(result, "schema-unknown-kind") == []
    assert [f.line for f in findings_of(result, "schema-type")] == [4]


def test_a_crd_file_from_the_command_line(write_tree, tmp_path: Path) -> None:
    crd_file = tmp_path / "crd.json"
    crd_file.write_text(json.dumps(CRD))
    repo = write_tree({"w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"
                                 "spec: {size: big}\n"})
    result = validate_tree(repo, crd_files=[crd_file])
    assert [(f.rule, f.line) for f in result.findings if f.rule.startswith("schema")] == [("schema-type", 4)]


def test_skip_kinds_from_the_config(write_tree) -> None:
    repo = write_tree({"w.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
                       ".gitops-validate.yaml": "skipKinds: [example.com/v1/Widget]\n"})
    assert findings_of(validate_tree(repo), "schema-unknown-kind") == []


@pytest.mark.parametrize("spec_schema, reason", [
    ({"$ref": "http://127.0.0.1:9/remote.json"}, "uses $ref"),
    ({"type": 42}, "cannot be used"),
    ({"type": "string", "pattern": "(a+"}, "cannot be used"),
])
def test_an_unusable_crd_schema_is_rejected_not_fetched_or_crashed(spec_schema: dict, reason: str) -> None:
    crd = json.loads(json.dumps(CRD))
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"] = spec_schema
    store = SchemaStore(["1.37"], crds=[crd])
    [(rejected, message)] = store.rejected
    assert rejected is crd and reason in message
    assert store.check(WIDGET).missing == ("1.37",)


def test_stores_without_crds_share_one_registry_per_version_and_judge_alike() -> None:
    """Built once per process (``prepare`` builds it while kustomize renders); a store with CRD
    schemas builds its own, which still checks the built-in kinds the same way."""
    from validate import schema

    schema.prepare(["1.37"])
    plain, other, with_crd = SchemaStore(["1.37"]), SchemaStore(["1.37"]), SchemaStore(["1.37"], crds=[CRD])
    assert plain._registry("1.37") is other._registry("1.37") is schema._shared_registry("1.37")
    assert with_crd._registry("1.37") is not plain._registry("1.37")
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "imagee": "x"}]}}}}
    assert rules_of(plain, deployment) == rules_of(with_crd, deployment) != []
    assert plain.check(WIDGET).missing == ("1.37",) and with_crd.check(WIDGET).missing == ()
