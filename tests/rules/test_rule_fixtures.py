"""Every rule: documented, with positive and negative fixtures that behave as documented.

A fixture is a YAML file or a folder under ``fixtures/<rule id>/positive`` or ``negative``, matched
exactly, yamllint-style (:func:`tests.conftest.check_fixture`): a negative fixture has a finding of
the rule on every line that ends with the comment ``# <- <rule id>`` and on no other; a positive
fixture has none, loads, and has at least one object checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, check_fixture
from validate.rules import SECTIONS, registry, sections, title

FIXTURES = Path(__file__).parent / "fixtures"


def _cases(kind: str) -> list[tuple[str, Path]]:
    cases = []
    for rule_id in registry():
        folder = FIXTURES / rule_id / kind
        for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
            cases.append((rule_id, entry))
    return cases


def _id(case: tuple[str, Path]) -> str:
    return f"{case[0]}/{case[1].name}"


@pytest.mark.parametrize("rule_id", sorted(registry()))
def test_rule_is_documented_and_has_both_kinds_of_fixture(rule_id: str) -> None:
    module = registry()[rule_id]
    assert title(module), f"{rule_id}: the docstring needs a title line"
    found = sections(module)
    for heading in SECTIONS:
        assert found.get(heading), f"{rule_id}: docstring section {heading!r} is missing or empty"
    assert found["Use instead"].rstrip().endswith("."), f"{rule_id}: the remediation must end with a period"
    assert getattr(module, "DEFAULT", None) in ("error", "warning", "info"), f"{rule_id}: DEFAULT"
    assert hasattr(module, "check") or hasattr(module, "check_repository"), f"{rule_id}: no check function"
    for kind in ("positive", "negative"):
        folder = FIXTURES / rule_id / kind
        assert folder.is_dir() and any(folder.iterdir()), f"{rule_id}: no {kind} fixture in {folder}"


@pytest.mark.parametrize("case", _cases("positive"), ids=_id)
def test_positive_fixture_passes(case: tuple[str, Path], tmp_path: Path) -> None:
    check_fixture(case[0], case[1], tmp_path, expect=False)


@pytest.mark.parametrize("case", _cases("negative"), ids=_id)
def test_negative_fixture_fails_on_the_marked_lines(case: tuple[str, Path], tmp_path: Path) -> None:
    check_fixture(case[0], case[1], tmp_path, expect=True)


def test_docs_are_up_to_date() -> None:
    from validate.rules import _docs

    assert (REPO / "docs" / "rules.md").read_text() == _docs.markdown(), \
        "docs/rules.md is stale: run `.venv/bin/gitops-validate rules --format markdown > docs/rules.md`"


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27{first}
        - name: sidecar
          image: busybox:1.36{second}
"""


def test_an_unmarked_violation_fails_a_negative_fixture(tmp_path: Path) -> None:
    fixture = tmp_path / "negative.yaml"
    fixture.write_text(DEPLOYMENT.format(first="  # <- pod-image-digest", second=""))
    with pytest.raises(AssertionError, match="unmarked"):
        check_fixture("pod-image-digest", fixture, tmp_path / "run", expect=True)
    fixture.write_text(DEPLOYMENT.format(first="  # <- pod-image-digest", second="  # <- pod-image-digest"))
    check_fixture("pod-image-digest", fixture, tmp_path / "again", expect=True)


def test_a_positive_fixture_must_load_and_check_an_object(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: [ConfigMap\n")
    with pytest.raises(AssertionError, match="must load"):
        check_fixture("pod-image-digest", broken, tmp_path / "run", expect=False)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing here\n")
    with pytest.raises(AssertionError, match="at least one object"):
        check_fixture("pod-image-digest", empty, tmp_path / "again", expect=False)
