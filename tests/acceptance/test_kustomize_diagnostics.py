"""Acceptance: kustomize mistakes on a base used by dev, staging and prod, each at its root cause, once.

Every case starts from the same realistic layout (tests/acceptance/kustomize_layout.py), makes
one mistake a user makes, and asserts the exact set of error-level findings (rule, file, line):
the cause and nothing else (no ``render-failed`` per overlay, no ``argocd-source-path`` per
Application). The untouched layout is the positive example for all of them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.acceptance.kustomize_layout import BASE_KUSTOMIZATION, DEPLOYMENT, LAYOUT, line_of, overlay, write
from tests.conftest import validate_tree
from validate.model import Finding, Severity
from validate.pipeline import Result

PROD = "overlays/prod/web/kustomization.yaml"
STAGING = "overlays/staging/web/kustomization.yaml"
BASE = "apps/web/kustomization.yaml"
ALL_OVERLAYS = ("overlays/dev/web", "overlays/prod/web", "overlays/staging/web")


def errors(result: Result) -> set[tuple[str, str | None, int | None]]:
    return {(f.rule, f.file, f.line) for f in result.findings if f.severity == Severity.ERROR}


def only(result: Result, rule: str) -> Finding:
    found = [f for f in result.findings if f.rule == rule]
    assert len(found) == 1, found
    return found[0]


def check(tmp_path: Path, changes: dict[str, str | None]) -> Result:
    return validate_tree(write(tmp_path, changes))


def test_the_layout_itself_has_no_error(tmp_path: Path) -> None:
    result = check(tmp_path, {})
    assert errors(result) == set()
    assert sorted(result.rendered) == ["argocd", *ALL_OVERLAYS]
    assert not [f for f in result.findings if f.rule.startswith(("kustomize-", "render-"))]


# --- paths that name nothing ---------------------------------------------------------------------

def test_a_missing_resource_of_the_base_is_one_finding_naming_every_overlay(tmp_path: Path) -> None:
    text = BASE_KUSTOMIZATION.replace("  - deployment.yaml", "  - deploymnet.yaml")
    result = check(tmp_path, {BASE: text})
    assert errors(result) == {("kustomize-missing-path", BASE, line_of(text, "deploymnet.yaml"))}
    finding = only(result, "kustomize-missing-path")
    assert "did you mean 'deployment.yaml'?" in finding.message
    for directory in ALL_OVERLAYS:
        assert directory in finding.message
    assert "ApplicationSet shop" in finding.message
    detail = finding.as_json()["detail"]
    assert "no such file or directory" in detail  # kustomize's own words, kept


def test_a_missing_base_path_in_one_overlay(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("../../../apps/web", "../../../apps/wbe")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-missing-path", PROD, line_of(text, "apps/wbe"))}
    assert "did you mean '../../../apps/web'?" in only(result, "kustomize-missing-path").message


def test_a_missing_component(tmp_path: Path) -> None:
    text = BASE_KUSTOMIZATION.replace("common-labels", "common-label")
    result = check(tmp_path, {BASE: text})
    assert errors(result) == {("kustomize-missing-path", BASE, line_of(text, "common-label"))}
    assert "did you mean '../../base/components/common-labels'?" in only(result, "kustomize-missing-path").message


def test_a_missing_patch_file(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("path: replicas.yaml", "path: replica.yaml")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-missing-path", PROD, line_of(text, "replica.yaml"))}
    assert "did you mean 'replicas.yaml'?" in only(result, "kustomize-missing-path").message


def test_a_missing_config_map_generator_file(tmp_path: Path) -> None:
    text = LAYOUT[STAGING] + "configMapGenerator:\n  - name: web-config\n    files:\n      - app.propertes\n"
    result = check(tmp_path, {STAGING: text, "overlays/staging/web/app.properties": "a=1\n"})
    assert errors(result) == {("kustomize-missing-path", STAGING, line_of(text, "app.propertes"))}
    assert "did you mean 'app.properties'?" in only(result, "kustomize-missing-path").message


def test_a_correct_config_map_generator_file_is_fine(tmp_path: Path) -> None:
    text = LAYOUT[STAGING] + "configMapGenerator:\n  - name: web-config\n    files:\n      - app.properties\n"
    result = check(tmp_path, {STAGING: text, "overlays/staging/web/app.properties": "a=1\n"})
    assert errors(result) == set()


# --- patches whose target is not there -------------------------------------------------------------

def test_a_strategic_merge_patch_for_an_object_that_does_not_exist(tmp_path: Path) -> None:
    patch = overlay("prod", 3)["overlays/prod/web/replicas.yaml"].replace("name: web", "name: webb")
    result = check(tmp_path, {"overlays/prod/web/replicas.yaml": patch})
    assert errors(result) == {("kustomize-patch-target", "overlays/prod/web/replicas.yaml",
                               line_of(patch, "name: webb"))}
    finding = only(result, "kustomize-patch-target")
    assert "Deployment 'webb'" in finding.message and "'web'" in finding.message
    assert "no matches for Id Deployment.v1.apps/webb" in finding.as_json()["detail"]


def test_a_strategic_merge_patch_of_the_base_breaks_every_overlay_once(tmp_path: Path) -> None:
    base = BASE_KUSTOMIZATION + "patches:\n  - path: probe.yaml\n"
    patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: wbe\nspec:\n  minReadySeconds: 5\n"
    result = check(tmp_path, {BASE: base, "apps/web/probe.yaml": patch})
    assert errors(result) == {("kustomize-patch-target", "apps/web/probe.yaml", 4)}
    finding = only(result, "kustomize-patch-target")
    for directory in ALL_OVERLAYS:
        assert directory in finding.message


def test_a_json_patch_op_whose_path_does_not_exist(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + "  - path: limits.yaml\n    target:\n      kind: Deployment\n      name: web\n"
    ops = ("- op: replace\n  path: /spec/replicas\n  value: 4\n"
           "- op: replace\n  path: /spec/template/spec/containers/0/resourcs/limits/cpu\n  value: '1'\n")
    result = check(tmp_path, {PROD: text, "overlays/prod/web/limits.yaml": ops})
    assert errors(result) == {("kustomize-json-patch-path", "overlays/prod/web/limits.yaml", 5)}
    message = only(result, "kustomize-json-patch-path").message
    assert "has no 'resourcs' under /spec/template/spec/containers/0" in message
    assert "resources" in message  # what is there instead


def test_a_json_patch_that_applies_is_fine(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + "  - path: limits.yaml\n    target:\n      kind: Deployment\n      name: web\n"
    ops = "- op: replace\n  path: /spec/template/spec/containers/0/resources/limits/cpu\n  value: '1'\n"
    assert errors(check(tmp_path, {PROD: text, "overlays/prod/web/limits.yaml": ops})) == set()


# --- structure ---------------------------------------------------------------------------------------

def test_the_same_object_added_twice_is_reported_at_both_sources(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("  - ../../../apps/web\n", "  - ../../../apps/web\n  - deployment.yaml\n")
    result = check(tmp_path, {PROD: text, "overlays/prod/web/deployment.yaml": DEPLOYMENT})
    assert errors(result) == {("kustomize-duplicate-object", "overlays/prod/web/deployment.yaml", 4),
                              ("kustomize-duplicate-object", "apps/web/deployment.yaml", 4)}


def test_a_cycle_is_one_finding_at_the_include_that_closes_it(tmp_path: Path) -> None:
    text = BASE_KUSTOMIZATION.replace("  - service.yaml\n", "  - service.yaml\n  - ../../overlays/dev/web\n")
    result = check(tmp_path, {BASE: text})
    # Either include of the cycle may be the one that closes it; it is one finding, nothing else.
    dev = "overlays/dev/web/kustomization.yaml"
    assert errors(result) in ({("discover-include-cycle", BASE, line_of(text, "overlays/dev/web"))},
                              {("discover-include-cycle", dev, line_of(LAYOUT[dev], "apps/web"))})
    assert "apps/web -> overlays/dev/web" in only(result, "discover-include-cycle").message \
        or "overlays/dev/web -> apps/web" in only(result, "discover-include-cycle").message


def test_a_file_outside_the_kustomization_violates_the_load_restrictor(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("path: replicas.yaml", "path: ../../staging/web/replicas.yaml")
    result = check(tmp_path, {PROD: text, "overlays/prod/web/replicas.yaml": None})
    assert errors(result) == {("kustomize-load-restrictor", PROD, line_of(text, "staging/web/replicas.yaml"))}


def test_the_load_restrictor_can_be_turned_off_as_in_argo_cd(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("path: replicas.yaml", "path: ../../staging/web/replicas.yaml")
    config = LAYOUT[".gitops-validate.yaml"] + "kustomize:\n  buildOptions: --load-restrictor LoadRestrictionsNone\n"
    changes = {PROD: text, ".gitops-validate.yaml": config, "overlays/prod/web/replicas.yaml": None}
    assert errors(check(tmp_path, changes)) == set()


def test_a_component_listed_as_a_resource(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("  - ../../../apps/web\n",
                                "  - ../../../apps/web\n  - ../../../base/components/common-labels\n")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-wrong-kind", PROD, line_of(text, "common-labels"))}
    assert "move the entry under components" in only(result, "kustomize-wrong-kind").message


def test_a_kustomization_listed_as_a_component(tmp_path: Path) -> None:
    text = LAYOUT[STAGING] + "components:\n  - ../../dev/web\n"
    result = check(tmp_path, {STAGING: text})
    assert errors(result) == {("kustomize-wrong-kind", STAGING, line_of(text, "../../dev/web"))}


def test_a_malformed_kustomization_is_reported_once_at_the_offending_line(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("resources:", "resource:")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("schema-unknown-field", PROD, line_of(text, "resource:"))}


def test_a_kustomization_that_is_not_yaml_is_reported_once(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("namespace: shop-prod", " namespace: shop-prod")
    result = check(tmp_path, {PROD: text})
    assert {rule for rule, _, _ in errors(result)} == {"load-syntax"}


# --- kustomize's own semantics ------------------------------------------------------------------------

def test_null_lists_and_case_insensitive_fields_are_accepted(tmp_path: Path) -> None:
    base = BASE_KUSTOMIZATION.replace("components:\n  - ../../base/components/common-labels\n",
                                      "components:\n#  - ../../base/components/common-labels\n")
    base += ("vars:\n  - name: SERVICE\n    objref:\n      kind: Service\n      name: web\n      apiVersion: v1\n"
             "    fieldref:\n      fieldpath: metadata.name\n")
    result = check(tmp_path, {BASE: base})
    assert errors(result) == set()
    [warning] = [f for f in result.findings if f.rule == "kustomize-deprecated"]
    assert (warning.file, warning.line, warning.severity) == (BASE, line_of(base, "vars:"), Severity.WARNING)
    assert "'replacements'" in warning.message


@pytest.mark.parametrize("field, text, modern", [
    ("commonLabels", "commonLabels:\n  team: shop\n", "labels"),
    ("patchesStrategicMerge", "patchesStrategicMerge:\n  - replicas.yaml\n", "patches"),
    ("bases", "bases:\n  - ../../../apps/web\n", "resources"),
])
def test_deprecated_fields_are_warnings_with_the_modern_replacement(tmp_path: Path, field: str, text: str,
                                                                    modern: str) -> None:
    kustomization = LAYOUT[STAGING].replace("patches:\n  - path: replicas.yaml\n", "")
    if field == "bases":
        kustomization = kustomization.replace("resources:\n  - ../../../apps/web\n", "")
    kustomization += text
    changes: dict[str, str | None] = {STAGING: kustomization}
    if field != "patchesStrategicMerge":
        changes["overlays/staging/web/replicas.yaml"] = None
    result = check(tmp_path, changes)
    assert errors(result) == set()
    [warning] = [f for f in result.findings if f.rule == "kustomize-deprecated"]
    assert (warning.file, warning.line) == (STAGING, line_of(kustomization, field + ":"))
    assert f"'{modern}'" in warning.message


def test_a_replacement_whose_source_does_not_exist(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + ("replacements:\n  - source:\n      kind: Service\n      name: wbe\n"
                           "      fieldPath: metadata.name\n    targets:\n      - select:\n"
                           "          kind: Deployment\n        fieldPaths:\n"
                           "          - spec.template.metadata.annotations.service\n")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-replacement-source", PROD, line_of(text, "- source:"))}


# --- transformers that change nothing -----------------------------------------------------------------

def findings(result: Result, rule: str) -> set[tuple[str | None, int | None, Severity]]:
    return {(f.file, f.line, f.severity) for f in result.findings if f.rule == rule}


def test_a_patch_target_that_matches_nothing(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + "  - path: limits.yaml\n    target:\n      kind: Deployment\n      name: api\n"
    ops = "- op: replace\n  path: /spec/replicas\n  value: 4\n"
    result = check(tmp_path, {PROD: text, "overlays/prod/web/limits.yaml": ops})
    assert errors(result) == {("kustomize-noop-patch", PROD, line_of(text, "target:"))}
    message = only(result, "kustomize-noop-patch").message
    assert "name: api" in message and "web" in message and "overlays/prod/web" in message


def test_a_patch_target_that_matches_through_an_outer_prefix_is_fine(tmp_path: Path) -> None:
    base = BASE_KUSTOMIZATION + ("patches:\n  - patch: |-\n      - op: replace\n        path: /spec/replicas\n"
                                 "        value: 2\n    target:\n      kind: Deployment\n      name: web\n")
    prod = LAYOUT[PROD] + "namePrefix: prod-\n"
    result = check(tmp_path, {BASE: base, PROD: prod})
    assert errors(result) == set()
    assert not [f for f in result.findings if f.rule.startswith("kustomize-noop")]


def test_an_images_entry_that_matches_no_container(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + "images:\n  - name: ghcr.io/example/wbe\n    newTag: 1.5.0\n"
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-noop-image", PROD, line_of(text, "ghcr.io/example/wbe"))}
    assert "ghcr.io/example/web" in only(result, "kustomize-noop-image").message


def test_an_images_entry_that_applies_is_fine(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + "images:\n  - name: ghcr.io/example/web\n    newTag: 1.5.0\n"
    result = check(tmp_path, {PROD: text})
    assert not [f for f in result.findings if f.rule == "kustomize-noop-image"]


def test_a_replacement_target_that_selects_nothing(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + ("replacements:\n  - source:\n      kind: Service\n      name: web\n"
                           "      fieldPath: metadata.name\n    targets:\n      - select:\n"
                           "          kind: StatefulSet\n        fieldPaths:\n"
                           "          - spec.serviceName\n")
    result = check(tmp_path, {PROD: text})
    assert findings(result, "kustomize-noop-replacement") == {(PROD, line_of(text, "- select:"), Severity.WARNING)}


def test_labels_on_a_kustomization_without_objects(tmp_path: Path) -> None:
    text = ("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../../apps/web\n"
            "components:\n  - ../../../apps/extras\n")
    component = ("apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                 "commonAnnotations:\n  team: shop\n")
    empty = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nlabels:\n" \
            "  - pairs:\n      team: shop\n"
    result = check(tmp_path, {"apps/extras/kustomization.yaml": component, PROD: text,
                              "overlays/prod/web/replicas.yaml": None, "overlays/prod/empty/kustomization.yaml": empty})
    assert findings(result, "kustomize-noop-metadata") == {
        ("overlays/prod/empty/kustomization.yaml", 4, Severity.WARNING)}


def test_a_namespace_the_argo_cd_destination_contradicts(tmp_path: Path) -> None:
    text = LAYOUT[PROD].replace("namespace: shop-prod", "namespace: shop-production")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-namespace-mismatch", PROD, line_of(text, "namespace:"))}
    message = only(result, "kustomize-namespace-mismatch").message
    assert "'shop-prod'" in message and "prod-web" in message


def test_a_name_prefix_an_application_overrides(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + "namePrefix: prod-\n"
    appset = LAYOUT["argocd/shop.yaml"].replace("        path: '{{.path.path}}'\n",
                                                "        path: '{{.path.path}}'\n        kustomize:\n"
                                                "          namePrefix: shop-\n")
    result = check(tmp_path, {PROD: text, "argocd/shop.yaml": appset})
    assert findings(result, "kustomize-overridden") == {(PROD, line_of(text, "namePrefix:"), Severity.WARNING)}


# --- attribution ---------------------------------------------------------------------------------------

def test_a_latest_tag_set_by_the_prod_overlay_is_reported_at_its_images_entry(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + "images:\n  - name: ghcr.io/example/web\n    newTag: latest\n"
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("pod-image-tag", PROD, line_of(text, "newTag: latest"))}
    assert "apps/web/deployment.yaml" in only(result, "pod-image-tag").message


def test_an_invalid_label_value_set_by_an_overlay_is_reported_at_its_line(tmp_path: Path) -> None:
    text = LAYOUT[STAGING].replace("app.kubernetes.io/environment: staging",
                                   "app.kubernetes.io/environment: staging env")
    result = check(tmp_path, {STAGING: text})
    assert {(rule, file) for rule, file, _ in errors(result)} == {("api-labels", STAGING)}
    assert {line for _, _, line in errors(result)} == {line_of(text, "staging env")}


@pytest.mark.parametrize("field, text, needle", [
    ("namePrefix", "namePrefix: Prod-\n", "namePrefix:"),
    ("commonAnnotations", "commonAnnotations:\n  example.com/team/x: shop\n", "example.com/team/x"),
])
def test_names_and_annotations_set_by_an_overlay_are_reported_at_its_line(tmp_path: Path, field: str, text: str,
                                                                          needle: str) -> None:
    kustomization = LAYOUT[PROD] + text
    result = check(tmp_path, {PROD: kustomization})
    lines = {(file, line) for _, file, line in errors(result)}
    assert lines and lines == {(PROD, line_of(kustomization, needle))}, errors(result)


def test_replicas_set_by_an_overlay_are_attributed_to_it(tmp_path: Path) -> None:
    from validate.kustomization import attribution

    text = LAYOUT[PROD].replace("patches:\n  - path: replicas.yaml\n", "replicas:\n  - name: web\n    count: 5\n")
    result = validate_tree(write(tmp_path, {PROD: text, "overlays/prod/web/replicas.yaml": None}))
    [deployment] = [c for c in result.objects if c.render == "overlays/prod/web" and c.data["kind"] == "Deployment"]
    assert deployment.rendered is not None
    found = attribution.locate(deployment.rendered.transformed_in, deployment.data, deployment.document,
                               ("spec", "replicas"), result.context.loaded if result.context else {})
    assert found is not None and found[:2] == (PROD, line_of(text, "count: 5"))


def test_a_base_problem_is_reported_once_at_the_base_naming_the_environments(tmp_path: Path) -> None:
    deployment = DEPLOYMENT.replace("image: ghcr.io/example/web:1.4.2", "image: ghcr.io/example/web:latest")
    result = check(tmp_path, {"apps/web/deployment.yaml": deployment})
    assert errors(result) == {("pod-image-tag", "apps/web/deployment.yaml", line_of(deployment, "image:"))}
    message = only(result, "pod-image-tag").message
    assert "(in the environments dev, prod, staging)" in message


def test_a_base_container_problem_is_not_reported_through_each_overlays_patch(tmp_path: Path) -> None:
    deployment = DEPLOYMENT.replace("          securityContext:\n            allowPrivilegeEscalation: false\n"
                                    "            capabilities:\n              drop: [ALL]\n", "")
    changes: dict[str, str | None] = {"apps/web/deployment.yaml": deployment}
    for env in ("dev", "staging", "prod"):
        changes[f"overlays/{env}/web/replicas.yaml"] = (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n"
            "      containers:\n        - name: web\n          resources:\n            limits:\n"
            "              memory: 512Mi\n")
    result = check(tmp_path, changes)
    escalation = [f for f in result.findings if f.rule == "pod-privilege-escalation"]
    assert [(f.file, f.line) for f in escalation] == [("apps/web/deployment.yaml", line_of(deployment, "- name: web"))]
    assert "(in the environments dev, prod, staging)" in escalation[0].message


def test_an_inline_json_patch_op_whose_path_does_not_exist(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + ("  - patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 4\n"
                           "      - op: remove\n        path: /spec/strategy\n"
                           "    target:\n      kind: Deployment\n      name: web\n")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-json-patch-path", PROD, line_of(text, "path: /spec/strategy"))}
    assert "has no 'strategy' under /spec" in only(result, "kustomize-json-patch-path").message


def test_an_inline_strategic_merge_patch_for_a_missing_object(tmp_path: Path) -> None:
    text = LAYOUT[PROD] + ("  - patch: |-\n      apiVersion: v1\n      kind: Service\n      metadata:\n"
                           "        name: api\n      spec:\n        type: ClusterIP\n")
    result = check(tmp_path, {PROD: text})
    assert errors(result) == {("kustomize-patch-target", PROD, line_of(text, "name: api"))}


def test_an_unexplained_failure_of_the_base_is_one_render_failed_at_the_base(tmp_path: Path) -> None:
    base = BASE_KUSTOMIZATION + "helmCharts:\n  - name: extras\n    repo: https://charts.example.com\n" \
                                "    version: 1.0.0\n"
    result = check(tmp_path, {BASE: base})
    assert errors(result) == {("render-failed", BASE, 1)}
    finding = only(result, "render-failed")
    for directory in ALL_OVERLAYS:
        assert directory in finding.message
    assert "enable-helm" in finding.message and "enable-helm" in finding.as_json()["detail"]
