"""The registry of rules and stage findings: a missing, duplicate or renamed id fails loudly."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from validate import registry, rules
from validate.rules import RegistryError, build_registry, import_modules


def _rule(name: str, **attributes: object) -> types.ModuleType:
    module = types.ModuleType(f"validate.rules.{name}")
    module.__dict__.update({"DEFAULT": "error", "check": lambda obj, ctx: iter(())} | attributes)
    return module


def test_a_well_formed_table_registers_every_rule() -> None:
    found = build_registry([_rule("pod_a", ID="pod-a"), _rule("seldon_b", ID="seldon-b")], ["pod_a", "seldon_b"])
    assert list(found) == ["pod-a", "seldon-b"]


def test_two_rules_sharing_an_id_fail() -> None:
    with pytest.raises(RegistryError, match="pod-a is defined twice"):
        build_registry([_rule("pod_a", ID="pod-a"), _rule("pod_a", ID="pod-a")], ["pod_a"])


def test_a_module_without_an_id_fails() -> None:
    with pytest.raises(RegistryError, match="defines no ID"):
        build_registry([_rule("pod_a")], ["pod_a"])


def test_a_renamed_id_fails() -> None:
    with pytest.raises(RegistryError, match="must be the module name"):
        build_registry([_rule("pod_image_digest", ID="pod-image-digests")], ["pod_image_digest"])


def test_a_module_missing_from_the_table_fails() -> None:
    with pytest.raises(RegistryError, match="pod_b are not in the registry"):
        build_registry([_rule("pod_a", ID="pod-a")], ["pod_a", "pod_b"])


def test_the_table_names_each_rule_module_once_and_only_existing_ones() -> None:
    assert len(rules.RULE_MODULES) == len(set(rules.RULE_MODULES)) == len(rules.registry())
    with pytest.raises(RegistryError, match="pod_image_digest is listed twice"):
        import_modules(["pod_image_digest", "pod_image_digest"])
    with pytest.raises(RegistryError, match="validate/rules/pod_no_such_rule.py does not exist"):
        import_modules(["pod_image_digest", "pod_no_such_rule"])


def test_a_rule_without_a_check_or_with_a_bad_default_fails() -> None:
    with pytest.raises(RegistryError, match="neither check"):
        build_registry([_rule("pod_a", ID="pod-a", check=None)], ["pod_a"])
    with pytest.raises(RegistryError, match="DEFAULT must be"):
        build_registry([_rule("pod_a", ID="pod-a", DEFAULT="fatal")], ["pod_a"])


def test_the_registry_holds_every_rule_module_of_the_package() -> None:
    folder = Path(rules.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if not p.stem.startswith("_")}
    assert {m.__name__.rpartition(".")[2] for m in rules.registry().values()} == modules


def test_stage_ids_and_rule_ids_do_not_collide() -> None:
    assert not set(registry.STAGES) & set(rules.registry())


def test_every_registered_id_has_a_remediation() -> None:
    """Rules (their "Use instead" prose), stages (their registered fix) and yamllint's rules: each id a
    report can show has a sentence saying what to do, which the text report prints as ``fix:``."""
    missing = [rule_id for rule_id in registry.known() if not registry.remediation(rule_id).strip()]
    assert not missing, missing
    for stage_id, stage in registry.STAGES.items():
        assert stage.title.strip() and stage.fix.strip(), stage_id
        assert stage.fix != stage.title and not stage.fix.endswith("."), stage_id  # the reporters add the full stop
    assert set(rules.registry()) < set(registry.known()) and set(registry.STAGES) < set(registry.known())
    assert registry.remediation("no-such-rule") == ""


def test_every_stage_id_the_code_reports_is_registered() -> None:
    """Scan the stage modules for the finding ids they write: none may be missing from the registry."""
    import re

    package = Path(rules.__file__).parents[1]
    written: set[str] = set()
    for path in package.glob("*.py"):
        written |= set(re.findall(r'"((?:load|discover|render|schema|suppression)-[a-z][a-z-]*[a-z])"',
                                  path.read_text(encoding="utf-8")))
    assert written and written <= set(registry.STAGES), sorted(written - set(registry.STAGES))


@pytest.mark.parametrize(("setting", "expected"), [
    ("pod-image-digest", None), ("schema-*", None), ("yamllint-line-length", None),
    ("pod-image-digst", "unknown rule id 'pod-image-digst' (did you mean pod-image-digest?)"),
    ("nothing-*", "'nothing-*' matches no rule id"),
])
def test_settings_are_checked_against_the_registry(setting: str, expected: str | None) -> None:
    assert registry.problem(setting) == expected
