"""``gitops-validate rules --new``: a new rule starts as one module, one registry entry and two fixtures."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, marked_lines
from validate.model import ToolError
from validate.rules import build_registry
from validate.rules._scaffold import scaffold


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    (tmp_path / "validate" / "rules").mkdir(parents=True)
    (tmp_path / "tests" / "rules" / "fixtures").mkdir(parents=True)
    shutil.copy(REPO / "validate" / "rules" / "__init__.py", tmp_path / "validate" / "rules" / "__init__.py")
    return tmp_path


def test_a_new_rule_is_registered_with_both_fixtures(checkout: Path) -> None:
    written = scaffold(checkout, "pod-no-latest", "Images are not tagged latest", "warning")
    module_path = checkout / "validate" / "rules" / "pod_no_latest.py"
    assert module_path in written
    table = (checkout / "validate" / "rules" / "__init__.py").read_text()
    assert table.count("pod_no_latest") == 1  # listed once, in RULE_MODULES
    assert table.index('    "pod_image_tag",\n') < table.index('    "pod_no_latest",\n') \
        < table.index('    "pod_privilege_escalation",\n')
    spec = importlib.util.spec_from_file_location("validate.rules.pod_no_latest", module_path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert list(build_registry([module], ["pod_no_latest"])) == ["pod-no-latest"]
    assert module.DEFAULT == "warning" and module.__doc__.startswith("Images are not tagged latest.")
    fixtures = checkout / "tests" / "rules" / "fixtures" / "pod-no-latest"
    assert marked_lines(fixtures / "negative", "pod-no-latest") == {("deployment.yaml", 5)}
    assert marked_lines(fixtures / "positive", "pod-no-latest") == set()


@pytest.mark.parametrize("rule_id", ["nolatest", "Pod-No-Latest", "web-no-latest", "pod-image-tag"])
def test_a_bad_or_taken_id_is_refused(checkout: Path, rule_id: str) -> None:
    (checkout / "validate" / "rules" / "pod_image_tag.py").write_text("")
    before = (checkout / "validate" / "rules" / "__init__.py").read_text()
    with pytest.raises(ToolError):
        scaffold(checkout, rule_id, "Title", "error")
    assert (checkout / "validate" / "rules" / "__init__.py").read_text() == before
