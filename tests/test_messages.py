"""Messages users can act on: did-you-mean, quoted quantities with a fix, implausible units, fields
located inside JSON 6902 patches, a fix on every rule finding, SARIF helpUri, rules ID, TAP, progress."""

from __future__ import annotations

import io
import json

import pytest

from tests.conftest import REPO, validate_tree
from validate import suggest
from validate.cli import main
from validate.commands.check import Progress
from validate.report import REPORTERS

SELDON = """apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata:
  name: model
  namespace: dev
spec:
  predictors:
    - name: default
      graph:
        name: classifier
        implementation: SKLEARN_SERVER
        modelURI: gs://bucket/model
      componentSpecs:
        - hpaSpec:
            minReplicas: 1
            maxReplica: 3
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: {kind}
metadata:
  name: web
  namespace: dev
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          resources:
            limits:
              memory: {memory}
"""


def messages(result, rule: str) -> list[str]:
    return [f.message for f in result.findings if f.rule == rule]


def test_unknown_fields_suggest_the_name_the_schema_accepts(write_tree) -> None:
    result = validate_tree(write_tree({"sd.yaml": SELDON}))
    found = messages(result, "schema-unknown-field")
    assert any("'modelURI'" in m and "did you mean 'modelUri'?" in m for m in found), found
    assert any("'maxReplica'" in m and "did you mean 'maxReplicas'?" in m for m in found), found


def test_a_malformed_quantity_is_quoted_with_its_fix(write_tree) -> None:
    result = validate_tree(write_tree({"d.yaml": DEPLOYMENT.format(kind="Deployment", memory="500mi")}))
    found = messages(result, "schema-quantity")
    assert any("'500mi' is not a Kubernetes quantity (did you mean '500Mi'?)" in m for m in found), found


@pytest.mark.parametrize(("memory", "ok"), [("500m", False), ("1000", False), ("512Ki", False), ("1Mi", True),
                                            ("256Mi", True), ("1G", True)])
def test_memory_below_one_mebibyte_is_implausible(write_tree, memory: str, ok: bool) -> None:
    result = validate_tree(write_tree({"d.yaml": DEPLOYMENT.format(kind="Deployment", memory=f'"{memory}"')}))
    found = messages(result, "schema-quantity")
    assert (found == []) == ok, found
    if not ok:
        assert f"memory '{memory}'" in found[0] and "less than 1Mi" in found[0]


def test_quantity_fixes() -> None:
    assert suggest.quantity_fix("500mi") == "500Mi"
    assert suggest.quantity_fix("2GB") == "2Gi"
    assert suggest.quantity_fix("1.5MiB") == "1.5Mi"
    assert suggest.quantity_fix("lots") is None
    assert suggest.quantity_fix("100M ") == "100M"  # only the space is wrong: the unit stays
    assert suggest.quantity_fix("0.5cpu") == "0.5" and suggest.quantity_fix("2 cores") == "2"
    assert suggest.quantity_value("500m") == pytest.approx(0.5) and suggest.quantity_value("1Ki") == 1024


def test_unknown_kinds_and_api_versions_suggest_known_ones(write_tree) -> None:
    result = validate_tree(write_tree({"d.yaml": DEPLOYMENT.format(kind="Deploymnet", memory="1Gi"),
                                       "e.yaml": DEPLOYMENT.format(kind="Deployment", memory="1Gi")
                                       .replace("apps/v1", "apps/v1beta9")}))
    found = messages(result, "schema-unknown-kind")
    assert any("Deploymnet" in m and "did you mean kind 'Deployment'?" in m for m in found), found
    assert any("apps/v1beta9" in m and "did you mean apiVersion 'apps/v1'?" in m for m in found), found


def test_a_misspelt_configuration_key_gets_a_suggestion(write_tree, capsys) -> None:
    repo = write_tree({".gitops-validate.yaml": "repoUrl: https://example.com/x.git\n", "d.yaml": "{}\n"})
    assert main([str(repo)]) == 2
    assert "did you mean 'repoURL'?" in capsys.readouterr().err


def test_rules_id_prints_the_whole_documentation_and_suggests_on_a_typo(capsys) -> None:
    assert main(["rules", "repo-coverage"]) == 0
    out = capsys.readouterr().out
    for heading in ("What it does:", "Why it matters:", "Use instead:", "default severity:"):
        assert heading in out
    assert main(["rules", "repo-coverag"]) == 2
    assert "did you mean 'repo-coverage'?" in capsys.readouterr().err


def test_rules_id_explains_a_stage_finding_too(capsys) -> None:
    """Every id a report shows can be looked up: a stage's (schema-quantity) names its section."""
    from validate.commands.rules import STAGE_DOCS

    assert main(["rules", "schema-quantity"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("schema-quantity: A field is not a Kubernetes quantity.") and '"Schemas"' in out
    validator = (REPO / "docs" / "validator.md").read_text()
    for where in STAGE_DOCS.values():  # every section named exists
        document, _, section = where.partition(", ")
        assert (REPO / document).is_file(), document
        if section.startswith('"'):
            assert f"## {section.split(chr(34))[1]}" in validator, section
    assert main(["rules", "schema-quantty"]) == 2
    assert "did you mean 'schema-quantity'?" in capsys.readouterr().err


def test_every_rule_finding_in_text_carries_a_fix(write_tree) -> None:
    repo = write_tree({"apps/a/kustomization.yaml": "resources: []\n",
                       "overlays/dev/b/kustomization.yaml": "resources: []\n"})
    result = validate_tree(repo)
    out = io.StringIO()
    REPORTERS["text"](out).report(result)
    lines = out.getvalue().splitlines()
    rule_lines = [i for i, line in enumerate(lines) if " repo-coverage " in line]
    assert rule_lines and all(lines[i + 1].startswith("    fix: ") for i in rule_lines), lines


def test_a_schema_finding_in_text_carries_its_registered_fix(write_tree) -> None:
    """Stage findings get the fix line too, from the stage registry (not only domain rules)."""
    from validate import registry

    repo = write_tree({"d.yaml": DEPLOYMENT.format(kind="Deployment", memory="1Gi").replace(
        "          image: nginx:1.27\n", "          image: nginx:1.27\n          imagePullPolicyy: Always\n")})
    out = io.StringIO()
    REPORTERS["text"](out).report(validate_tree(repo))
    lines = out.getvalue().splitlines()
    [at] = [i for i, line in enumerate(lines) if " schema-unknown-field " in line]
    assert "imagePullPolicyy" in lines[at]
    assert lines[at + 1] == (f"    fix: {registry.STAGES['schema-unknown-field'].fix}."
                             " (gitops-validate rules schema-unknown-field)")


def test_sarif_describes_a_stage_id_with_its_fix_and_rules_id_prints_it(write_tree, capsys) -> None:
    from validate import registry

    repo = write_tree({".gitops-validate.yaml": "repoURL: https://github.com/o/r.git\n",
                       "d.yaml": DEPLOYMENT.format(kind="Deployment", memory="500mi")})
    out = io.StringIO()
    REPORTERS["sarif"](out).report(validate_tree(repo))
    [rule] = [r for r in json.loads(out.getvalue())["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "schema-quantity"]
    fix = registry.STAGES["schema-quantity"].fix
    assert fix in rule["help"]["text"] and fix in rule["help"]["markdown"]
    assert rule["helpUri"] == "https://github.com/o/r/blob/HEAD/docs/rules.md#stage-findings"
    assert "## Stage findings" in (REPO / "docs" / "rules.md").read_text()
    assert main(["rules", "schema-quantity"]) == 0
    assert f"Fix: {fix}." in capsys.readouterr().out


def test_sarif_rules_point_at_their_documentation(write_tree) -> None:
    repo = write_tree({".gitops-validate.yaml": "repoURL: https://github.com/o/r.git\n",
                       "apps/a/kustomization.yaml": "resources: []\n",
                       "overlays/dev/b/kustomization.yaml": "resources: []\n"})
    out = io.StringIO()
    REPORTERS["sarif"](out).report(validate_tree(repo))
    [rule] = [r for r in json.loads(out.getvalue())["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "repo-coverage"]
    assert rule["helpUri"] == "https://github.com/o/r/blob/HEAD/docs/rules.md#repo-coverage"


def test_tap_output_has_a_plan_and_a_verdict_per_file(write_tree) -> None:
    repo = write_tree({"d.yaml": DEPLOYMENT.format(kind="Deployment", memory="500mi"),
                       "e.yaml": DEPLOYMENT.format(kind="Deployment", memory="1Gi").replace("name: web\n", "name: api\n", 1)})
    out = io.StringIO()
    REPORTERS["tap"](out).report(validate_tree(repo))
    lines = out.getvalue().splitlines()
    assert lines[0] == "TAP version 13" and lines[1] == "1..2"
    assert "not ok 1 - d.yaml" in lines and "ok 2 - e.yaml" in lines


def test_progress_shows_done_of_total() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    progress.set_total(3)
    progress.tick(None)
    assert "rendering: 1/3 paths done" in stream.getvalue()


def test_a_value_set_by_a_json6902_patch_is_located_at_the_field(write_tree) -> None:
    patch = """- op: add
  path: /spec/template/spec/containers/0/resources
  value:
    limits:
      cpu: 100m
      memory: 500mi
"""
    repo = write_tree({"base/kustomization.yaml": "resources: [d.yaml]\n",
                       "base/d.yaml": DEPLOYMENT.format(kind="Deployment", memory="1Gi"),
                       "overlay/kustomization.yaml": "resources: [../base]\npatches:\n  - path: patch.yaml\n"
                                                     "    target: {kind: Deployment, name: web}\n",
                       "overlay/patch.yaml": patch})
    found = [(f.file, f.line) for f in validate_tree(repo).findings if f.rule == "schema-quantity"]
    assert ("overlay/patch.yaml", 6) in found, found


INLINE_JSON6902 = """resources: [../base]
patches:
  - target: {kind: Deployment, name: web}
    patch: |-
      - op: replace
        path: /spec/template/spec/containers/0/resources
        value:
          limits:
            cpu: 100m
            memory: 500mi
"""

INLINE_STRATEGIC = """resources: [../base]
patches:
  - patch: |
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: web
        namespace: dev
      spec:
        template:
          spec:
            containers:
              - name: web
                resources:
                  limits:
                    memory: 500mi
"""


@pytest.mark.parametrize(("kustomization", "line", "column"), [(INLINE_JSON6902, 10, 13), (INLINE_STRATEGIC, 16, 21)],
                         ids=["json6902", "strategic-merge"])
def test_a_value_set_by_an_inline_patch_is_located_at_its_line_in_the_kustomization(
        write_tree, kustomization: str, line: int, column: int) -> None:
    repo = write_tree({"base/kustomization.yaml": "resources: [d.yaml]\n",
                       "base/d.yaml": DEPLOYMENT.format(kind="Deployment", memory="1Gi"),
                       "overlay/kustomization.yaml": kustomization})
    [finding] = [f for f in validate_tree(repo).findings if f.rule == "schema-quantity"]
    assert (finding.file, finding.line, finding.column) == ("overlay/kustomization.yaml", line, column)
    assert "'500mi'" in finding.message and "inline patch of overlay/kustomization.yaml" in finding.message
    assert (repo / finding.file).read_text().splitlines()[line - 1].strip() == "memory: 500mi"


def test_a_folded_inline_patch_is_located_at_its_patch_key(write_tree) -> None:
    folded = INLINE_STRATEGIC.replace("patch: |", "patch: >")  # folded lines do not map to the file's
    folded = folded.replace("\n      kind:", "\n\n      kind:").replace("\n      metadata:", "\n\n      metadata:")
    folded = folded.replace("\n      spec:", "\n\n      spec:")  # folding joins lines; blank lines keep them apart
    repo = write_tree({"base/kustomization.yaml": "resources: [d.yaml]\n",
                       "base/d.yaml": DEPLOYMENT.format(kind="Deployment", memory="1Gi"),
                       "overlay/kustomization.yaml": folded})
    found = [(f.file, f.line) for f in validate_tree(repo).findings if f.rule == "schema-quantity"]
    assert found == [("overlay/kustomization.yaml", 3)], found  # the patch's key: `- patch: >`


@pytest.mark.parametrize(("api_version", "kind", "suggestion"), [
    ("app/v1", "Deployment", "(did you mean apiVersion 'apps/v1'?)"),
    ("autoscalling/v2", "HorizontalPodAutoscaler", "(did you mean apiVersion 'autoscaling/v2'?)"),
])
def test_a_misspelt_kubernetes_group_is_an_error_with_a_suggestion(write_tree, api_version: str, kind: str,
                                                                   suggestion: str) -> None:
    """Not "not a Kubernetes API, not checked": a group one typo away from a Kubernetes group is a
    typo, whatever --missing-schemas says about custom resources."""
    text = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: typo\n  namespace: dev\n"
    result = validate_tree(write_tree({"typo.yaml": text}), missing_schemas="skip")
    [finding] = [f for f in result.findings if f.rule == "schema-unknown-kind"]
    assert str(finding.severity) == "error" and finding.message.endswith(suggestion), finding.message
    assert not [f for f in result.findings if f.rule == "schema-not-kubernetes"]
    custom = validate_tree(write_tree({"typo.yaml": text.replace(api_version, "skaffold/v4beta6")}))
    assert [f.rule for f in custom.findings if f.rule.startswith("schema-")] == ["schema-not-kubernetes"]


def test_a_strategic_merge_patch_in_the_wrong_namespace_says_so(write_tree) -> None:
    patch = INLINE_STRATEGIC.replace("        namespace: dev\n", "")
    repo = write_tree({"base/kustomization.yaml": "resources: [d.yaml]\n",
                       "base/d.yaml": DEPLOYMENT.format(kind="Deployment", memory="1Gi"),
                       "overlay/kustomization.yaml": patch})
    [finding] = [f for f in validate_tree(repo).findings if f.rule == "kustomize-patch-target"]
    assert (finding.file, finding.line) == ("overlay/kustomization.yaml", 7)  # the patch's metadata.name
    assert "Deployment 'web' there has namespace 'dev', the patch none; set the patch's metadata.namespace" \
        in finding.message, finding.message


def test_a_misspelt_seldon_implementation_gets_a_suggestion(write_tree) -> None:
    sdep = ("apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nmetadata:\n  name: iris\n"
            "  namespace: dev\nspec:\n  predictors:\n    - name: default\n      graph:\n        name: classifier\n"
            "        implementation: SKLEARN_SERVERR\n        modelUri: gs://seldon-models/sklearn/iris\n")
    [message] = messages(validate_tree(write_tree({"sdep.yaml": sdep})), "seldon-implementation")
    assert message.startswith("graph node 'classifier' has unknown implementation 'SKLEARN_SERVERR' (did you mean"
                              " 'SKLEARN_SERVER'?); a custom server must be registered under predictor_servers"), message


def test_an_unknown_kustomization_field_gets_a_suggestion(write_tree) -> None:
    repo = write_tree({"app/kustomization.yaml": "resource: [cm.yaml]\nnamePrefx: dev-\n",
                       "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: dev\n"})
    found = [(f.line, f.message) for f in validate_tree(repo).findings if f.rule == "schema-unknown-field"]
    assert found == [(1, "resource: unknown field 'resource' (did you mean 'resources'?)"),
                     (2, "namePrefx: unknown field 'namePrefx' (did you mean 'namePrefix'?)")], found
