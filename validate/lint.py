"""yamllint on the repository's source files, with the repository's own ``.yamllint``.

yamllint's syntax errors are left out: the loader reports the same problem as ``load-syntax``
at the same position, and one problem should make one finding.
"""

from __future__ import annotations

from pathlib import Path

from yamllint import linter
from yamllint.config import YamlLintConfig, YamlLintConfigError

from validate.findings import Finding, Severity, ToolError

CONFIG_NAMES = (".yamllint", ".yamllint.yaml", ".yamllint.yml")


def lint_config(root: Path) -> YamlLintConfig:
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file():
            try:
                return YamlLintConfig(file=str(path))
            except (YamlLintConfigError, OSError) as error:
                raise ToolError(f"{name}: invalid yamllint configuration: {error}") from None
    return YamlLintConfig("extends: default")


def lint_text(config: YamlLintConfig, rel: str, text: str) -> list[Finding]:
    if config.is_file_ignored(rel):
        return []
    findings = []
    for problem in linter.run(text, config, rel):
        if problem.rule is None:  # a syntax error: the loader has it already
            continue
        severity = Severity.ERROR if problem.level == "error" else Severity.WARNING
        message = problem.desc.removesuffix(f" ({problem.rule})")
        findings.append(Finding(f"yamllint-{problem.rule}", message, rel, problem.line, problem.column,
                                severity=severity))
    return findings
