"""Seldon Core's own examples: the invalid ones are rejected, the valid ones pass the seldon rules.

The reference data (``../shared/upstream``, see its SOURCES.md) holds Seldon Core 1.18.2's example
SeldonDeployments and the five upstream negative test inputs under ``seldon-examples/invalid``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from validate.model import Severity
from validate.pipeline import Options, run

UPSTREAM = Path(__file__).resolve().parents[3] / "shared" / "upstream"
EXAMPLES = UPSTREAM / "seldon-examples"

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not EXAMPLES.is_dir(), reason=f"upstream reference data not found at {EXAMPLES}"),
]


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def _validate(source: Path, tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(source, repo / source.name)
    return run(Options(paths=[repo]))


@pytest.mark.parametrize("source", _files(EXAMPLES / "invalid"), ids=lambda p: p.name)
def test_upstream_invalid_example_is_rejected(source: Path, tmp_path: Path) -> None:
    result = _validate(source, tmp_path)
    errors = [f for f in result.findings
              if f.severity == Severity.ERROR and f.rule.startswith(("seldon-", "schema-"))]
    assert errors, f"{source.name}: no seldon-* or schema-* error; found {[f.rule for f in result.findings]}"


def test_all_five_upstream_invalid_examples_are_present() -> None:
    assert len(_files(EXAMPLES / "invalid")) == 5


@pytest.mark.parametrize("source", _files(EXAMPLES), ids=lambda p: p.name)
def test_upstream_valid_example_has_no_seldon_error(source: Path, tmp_path: Path) -> None:
    result = _validate(source, tmp_path)
    errors = [f"{f.rule} line {f.line}: {f.message}" for f in result.findings
              if f.severity == Severity.ERROR and f.rule.startswith("seldon-")]
    assert errors == []
