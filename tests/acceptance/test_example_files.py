"""Acceptance: one folder per error class, ``example-files/<rule>/{positive,negative}/``.

Discovered automatically: a new folder is a new test. Matched exactly, like the rule fixtures:
positive examples load, have an object checked and give no finding of the rule; negative ones
give one on every line marked ``# <- <rule>`` and on no other.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import check_fixture

EXAMPLES = Path(__file__).parent / "example-files"
CASES = [(rule.name, kind == "negative", entry)
         for rule in sorted(EXAMPLES.iterdir()) if rule.is_dir()
         for kind in ("positive", "negative")
         for entry in (sorted((rule / kind).iterdir()) if (rule / kind).is_dir() else [])]


@pytest.mark.parametrize("rule, negative, source", CASES,
                         ids=[f"{r}/{'negative' if n else 'positive'}/{s.name}" for r, n, s in CASES])
def test_example(rule: str, negative: bool, source: Path, tmp_path: Path) -> None:
    check_fixture(rule, source, tmp_path, expect=negative)


def test_every_error_class_has_both_kinds() -> None:
    for rule in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        for kind in ("positive", "negative"):
            assert (rule / kind).is_dir() and any((rule / kind).iterdir()), f"{rule.name} has no {kind} example"
