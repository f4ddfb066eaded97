"""Units of validate/kustomization/: kustomize's decoder semantics and the parsers of its texts."""

from __future__ import annotations

from validate.kustomization import known_fields, normalise, original_path
from validate.kustomization.errors import ResId, failing_kustomization
from validate.kustomization.noop import split_image
from validate.kustomization.patches import inline_patch, patch_entries
from validate.load import load_text


def test_field_names_match_case_insensitively_as_in_go_but_user_keys_stay() -> None:
    data = {"vars": [{"name": "S", "fieldref": {"fieldpath": "metadata.name"}}],
            "commonLabels": {"FieldPath": "x"}, "components": None}
    normalised, renamed = normalise(data, known_fields())
    assert normalised == {"vars": [{"name": "S", "fieldref": {"fieldPath": "metadata.name"}}],
                          "commonLabels": {"FieldPath": "x"}}
    assert original_path(("vars", 0, "fieldref", "fieldPath"), renamed) == ("vars", 0, "fieldref", "fieldpath")
    assert original_path(("vars", 0, "name"), renamed) == ("vars", 0, "name")


def test_kustomize_resource_ids_are_parsed() -> None:
    assert ResId.parse("Deployment.v1.apps/web.[noNs]") == ResId("Deployment", "apps", "web", "")
    assert ResId.parse("Service.v1.[noGrp]/my.svc.shop") == ResId("Service", "", "my.svc", "shop")
    assert ResId.parse("Service.[noVer].[noGrp]/web.[noNs]") == ResId("Service", "", "web", "")


def test_the_innermost_kustomization_kustomize_was_building_is_found() -> None:
    text = ("accumulating resources from '../../../apps/web': 'apps/web' must resolve to a file': recursed"
            " accumulation of path 'apps/web': trouble configuring builtin HelmChartInflationGenerator")
    assert failing_kustomization(text, {"apps/web": object()}) == "apps/web"  # type: ignore[dict-item]
    assert failing_kustomization(text, {}) is None


def test_image_references_split_at_the_right_colon() -> None:
    assert split_image("registry:5000/team/web:1.2@sha256:abc") == ("registry:5000/team/web", "1.2", "sha256:abc")
    assert split_image("registry:5000/team/web") == ("registry:5000/team/web", None, None)
    assert split_image("nginx:latest") == ("nginx", "latest", None)


KUSTOMIZATION_WITH_PATCHES = """\
patches:
  - path: file-patch.yaml
  - target: {kind: ConfigMap}
    patch: |-

      - op: add
        path: /data/a
        value: b
patchesStrategicMerge:
  - other.yaml
  - >
    kind: ConfigMap
"""


def test_patches_are_listed_in_order_and_inline_ones_placed_on_the_files_lines() -> None:
    """One reading of a kustomization's patches serves the locator and kustomize's error texts
    (validate.kustomization.patches.patch_entries and inline_patch)."""
    loaded = load_text(KUSTOMIZATION_WITH_PATCHES, "app/kustomization.yaml")
    entries = patch_entries(loaded.documents[0].data)
    assert [(e.key, e.path, e.text is not None, e.target) for e in entries] == [
        (("patches", 0, "path"), "file-patch.yaml", False, None),
        (("patches", 1, "patch"), None, True, {"kind": "ConfigMap"}),
        (("patchesStrategicMerge", 0), "other.yaml", False, None),
        (("patchesStrategicMerge", 1), None, True, None)]
    literal = inline_patch(loaded.file, loaded.documents[0], KUSTOMIZATION_WITH_PATCHES, entries[1])
    assert literal.placed and literal.start == (4, 5)
    [document] = literal.parsed.documents
    assert document.position((0, "path")) == (7, 9)  # past the blank line, at the file's own line and column
    folded = inline_patch(loaded.file, loaded.documents[0], KUSTOMIZATION_WITH_PATCHES, entries[3])
    assert not folded.placed and folded.start == (11, 5)  # folded lines are not the file's: the entry stands
