"""The style stage: which yamllint rules run on which file (validate/lint.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

from tests.conftest import validate_tree
from validate import lint
from validate.config import load_config

CM = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: seldon\ndata:\n  a: b   \n"
LONG = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: long\n  namespace: seldon\ndata:\n  a: " + "x" * 100 + "\n"


def style(result) -> list[tuple[str, str | None, int | None, str]]:
    return sorted((f.rule, f.file, f.line, f.severity.name.lower()) for f in result.findings
                  if f.rule.startswith("yamllint-") and not (f.file or "").startswith("."))  # not the config files


def test_no_configuration_means_no_style_rules(write_tree) -> None:
    repo = write_tree({"cm.yaml": CM, "long.yaml": LONG, "nostart.yaml": CM.removeprefix("---\n")})
    assert style(validate_tree(repo)) == []
    assert lint.plan(repo, load_config(repo), []) is None


def test_loader_findings_stay_on_without_configuration(write_tree) -> None:
    repo = write_tree({"dup.yaml": CM + "  a: c\n", "tab.yaml": "a:\n\t- b\n"})
    rules = sorted((f.rule, f.file) for f in validate_tree(repo).findings)
    assert ("load-duplicate-key", "dup.yaml") in rules
    assert ("load-syntax", "tab.yaml") in rules


def test_a_yamllint_file_turns_its_rules_on_at_its_levels(write_tree) -> None:
    repo = write_tree({".yamllint": "extends: default\nrules:\n  line-length: {max: 80, level: warning}\n",
                       "cm.yaml": CM, "long.yaml": LONG})
    assert style(validate_tree(repo)) == [("yamllint-line-length", "long.yaml", 8, "warning"),
                                          ("yamllint-trailing-spaces", "cm.yaml", 8, "error")]


def test_the_validator_config_alone_turns_named_rules_on(write_tree) -> None:
    repo = write_tree({".gitops-validate.yaml": "rules:\n  yamllint-trailing-spaces: warning\n",
                       "cm.yaml": CM, "long.yaml": LONG, "nostart.yaml": CM.removeprefix("---\n")})
    assert style(validate_tree(repo)) == [("yamllint-trailing-spaces", "cm.yaml", 8, "warning"),
                                          ("yamllint-trailing-spaces", "nostart.yaml", 7, "warning")]
    linter = lint.plan(repo, load_config(repo), [])
    assert linter is not None and linter.rules[None] == {"trailing-spaces"}


def test_a_prefix_turns_yamllint_default_rules_on_and_a_full_name_any_rule(write_tree) -> None:
    repo = write_tree({".gitops-validate.yaml": "rules:\n  yamllint-*: info\n", "long.yaml": LONG})
    assert style(validate_tree(repo)) == [("yamllint-line-length", "long.yaml", 8, "info")]
    repo = write_tree({".gitops-validate.yaml": "rules:\n  yamllint-*: info\n  yamllint-key-ordering: warning\n",
                       "long.yaml": LONG})
    assert style(validate_tree(repo)) == [("yamllint-key-ordering", "long.yaml", 7, "warning"),
                                          ("yamllint-line-length", "long.yaml", 8, "info")]


def test_rules_that_are_off_never_run(write_tree) -> None:
    repo = write_tree({".yamllint": "extends: default\n",
                       ".gitops-validate.yaml": "rules:\n  yamllint-line-length: 'off'\n", "long.yaml": LONG})
    linter = lint.plan(repo, load_config(repo), [])
    assert linter is not None
    assert "line-length" not in linter.rules[None] and "trailing-spaces" in linter.rules[None]
    assert "line-length" not in {rule.ID for rule in linter.config_for(linter.rules[None]).enabled_rules("long.yaml")}
    assert style(validate_tree(repo)) == []


def test_files_where_no_rule_is_on_are_not_linted(write_tree) -> None:
    config = ("environments:\n  dev: {paths: ['overlays/dev/**'], profile: relaxed}\n"
              "profiles:\n  relaxed: {yamllint-*: 'off'}\n")
    repo = write_tree({".yamllint": "extends: default\n", ".gitops-validate.yaml": config,
                       "overlays/dev/cm.yaml": CM, "overlays/prod/cm.yaml": CM})
    linter = lint.plan(repo, load_config(repo), ["dev", "relaxed"])
    assert linter is not None
    assert linter.rules_for("overlays/dev/cm.yaml", "dev") == frozenset()
    assert "trailing-spaces" in linter.rules_for("overlays/prod/cm.yaml", None)
    assert style(validate_tree(repo)) == [("yamllint-trailing-spaces", "overlays/prod/cm.yaml", 8, "error")]


def test_yamllint_ignore_is_honoured(write_tree) -> None:
    repo = write_tree({".yamllint": "extends: default\nignore: |\n  vendor/\n", "vendor/cm.yaml": CM, "cm.yaml": CM})
    assert [f[1] for f in style(validate_tree(repo))] == ["cm.yaml"]


def test_parallel_linting_gives_the_serial_findings(tmp_path: Path) -> None:
    (tmp_path / ".yamllint").write_text("extends: default\n")
    linter = lint.plan(tmp_path, load_config(tmp_path), [])
    assert linter is not None
    copy = pickle.loads(pickle.dumps(linter))
    assert copy.rules == linter.rules
    items = [(f"f{index:03}.yaml", (CM if index % 2 else LONG), linter.rules_for(f"f{index:03}.yaml", None))
             for index in range(lint.PARALLEL_MIN_FILES + 6)]
    serial = linter.lint(items)
    parallel = lint.lint_files(linter, items, jobs=2)
    assert serial and [(f.rule, f.file, f.line, f.column) for f in parallel] == \
        [(f.rule, f.file, f.line, f.column) for f in serial]
