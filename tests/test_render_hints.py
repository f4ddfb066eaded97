"""What to do about a kustomize failure that a list edit in a base causes."""

from __future__ import annotations

from validate.model import Document
from validate.render_hints import hint, line_of

REPLACEMENT = 'error: unable to find field "spec.predictors.[name=main].traffic" in replacement target'


def test_a_replacement_whose_list_item_is_gone_says_which_item_and_what_to_change() -> None:
    said = hint(REPLACEMENT)
    assert said is not None
    assert "name 'main'" in said and "remove or update the replacement" in said


def test_a_json_patch_by_position_suggests_patching_by_name() -> None:
    said = hint("error: replace operation does not apply: doc is missing path: /spec/predictors/1/traffic: missing value")
    assert said is not None
    assert "/spec/predictors/1/traffic" in said and "[name=main]" in said


def test_a_failed_json_patch_test_says_the_base_changed() -> None:
    said = hint("error: testing value /spec/predictors/0/name failed: test failed")
    assert said is not None and "/spec/predictors/0/name" in said


def test_other_failures_get_no_hint() -> None:
    assert hint("error: accumulating resources: open missing.yaml: no such file or directory") is None


def test_the_failure_is_placed_on_the_replacement_field_path() -> None:
    data = {"replacements": [{"source": {"kind": "X", "name": "x", "fieldPath": "spec.a"},
                              "targets": [{"fieldPaths": ["spec.other", "spec.predictors.[name=main].traffic"]}]}]}
    document = Document("k.yaml", 0, data, 1, 1,
                        {("replacements", 0, "targets", 0, "fieldPaths", 1): (12, 13)})
    assert line_of(REPLACEMENT, document) == 12
    assert line_of("error: something else", document) is None
    assert line_of(REPLACEMENT, None) is None
