"""Names are checked against the registry, and one severity precedence holds everywhere.

Precedence (``Config.severity``): the command line (``--rule``) > the top-level ``rules:`` > the
environment's profile > the default. Unknown ids: exit 2 with a suggestion (configuration and
command line), a finding at its line (suppression annotation).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import findings_of, validate_tree
from tests.rules.test_suppression_and_config import secret
from validate.cli import main
from validate.model import Config, Severity


def test_a_misspelt_rule_id_in_the_configuration_is_exit_2_naming_the_rule(write_tree, capsys) -> None:
    repo = write_tree({"s.yaml": secret(), ".gitops-validate.yaml": 'rules: {pod-image-digst: "off"}\n'})
    assert main([str(repo)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "unknown rule id 'pod-image-digst'" in err and "did you mean pod-image-digest?" in err


@pytest.mark.parametrize(("config", "expected"), [
    ("profiles:\n  lax: {pod-probe: info}\n", "profiles.lax: unknown rule id 'pod-probe' (did you mean pod-probes?)"),
    ("rules:\n  nothing-*: info\n", "rules: 'nothing-*' matches no rule id"),
    ("environments:\n  dev: {profile: relaxd}\nprofiles:\n  relaxed: {}\n",
     "environments.dev.profile: no profile 'relaxd' under profiles (did you mean relaxed?)"),
])
def test_every_name_in_the_configuration_is_checked(write_tree, capsys, config: str, expected: str) -> None:
    repo = write_tree({"s.yaml": secret(), ".gitops-validate.yaml": config})
    assert main([str(repo)]) == 2
    assert expected in capsys.readouterr().err


def test_stage_ids_and_prefixes_are_valid_settings(write_tree) -> None:
    config = "rules:\n  schema-*: warning\n  load-duplicate-key: error\n  yamllint-line-length: 'off'\n"
    assert validate_tree(write_tree({"s.yaml": secret(), ".gitops-validate.yaml": config})).exit_code == 1


def test_a_misspelt_rule_id_on_the_command_line_is_exit_2(write_tree, capsys) -> None:
    assert main([str(write_tree({"s.yaml": secret()})), "--rule", "repo-plaintext-secrets=off"]) == 2
    assert "did you mean repo-plaintext-secret?" in capsys.readouterr().err
    assert main([str(write_tree({"s.yaml": secret()})), "--rule", "repo-plaintext-secret=loud"]) == 2


def test_an_annotation_naming_an_unknown_rule_is_a_finding_at_its_line(write_tree) -> None:
    repo = write_tree({"s.yaml": secret("  annotations:\n    ignore-check.gitops-validate.io/repo-plaintext-secrets:"
                                        " \"a demo token\"\n")})
    result = validate_tree(repo)
    [finding] = findings_of(result, "suppression-unknown-rule")
    assert (finding.file, finding.line) == ("s.yaml", 7)
    assert "did you mean repo-plaintext-secret?" in finding.message
    assert findings_of(result, "repo-plaintext-secret"), "a misspelt suppression suppresses nothing"


def test_an_annotation_naming_a_stage_finding_says_it_cannot_be_suppressed(write_tree) -> None:
    repo = write_tree({"s.yaml": secret("  annotations:\n    ignore-check.gitops-validate.io/schema-type: \"x\"\n")})
    [finding] = findings_of(validate_tree(repo), "suppression-unknown-rule")
    assert "a stage finding, which cannot be suppressed" in finding.message


def _config(**levels: dict[str, str]) -> Config:
    return Config(root=Path("."), overrides=levels.get("command_line", {}), rules=levels.get("rules", {}),
                  environments={"prod": {"profile": "strict"}}, profiles={"strict": levels.get("profile", {})})


@pytest.mark.parametrize(("levels", "expected"), [
    ({}, Severity.WARNING),  # the default
    ({"profile": {"pod-probes": "error"}}, Severity.ERROR),
    ({"profile": {"pod-probes": "error"}, "rules": {"pod-probes": "info"}}, Severity.INFO),  # rules: beats profile
    ({"rules": {"pod-probes": "info"}, "command_line": {"pod-probes": "error"}}, Severity.ERROR),
    ({"profile": {"pod-probes": "error"}, "command_line": {"pod-*": "off"}}, None),
    ({"rules": {"pod-*": "info", "pod-probes": "error"}}, Severity.ERROR),  # most specific within one level
])
def test_the_severity_precedence(levels: dict[str, dict[str, str]], expected: Severity | None) -> None:
    assert _config(**levels).severity("pod-probes", Severity.WARNING, "prod") == expected


def test_the_command_line_beats_the_configuration_end_to_end(write_tree) -> None:
    repo = write_tree({"s.yaml": secret(), ".gitops-validate.yaml": "rules:\n  repo-plaintext-secret: info\n"})
    from validate.config import check_overrides

    [finding] = findings_of(validate_tree(repo, severities=check_overrides(["repo-plaintext-secret=error"])),
                            "repo-plaintext-secret")
    assert finding.severity == Severity.ERROR
    [finding] = findings_of(validate_tree(repo), "repo-plaintext-secret")
    assert finding.severity == Severity.INFO
