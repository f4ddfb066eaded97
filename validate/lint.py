"""yamllint on the repository's source files, with the repository's own ``.yamllint``.

yamllint's syntax errors are left out: the loader reports the same problem as ``load-syntax``
at the same position, and one problem should make one finding.
"""

from __future__ import annotations

from pathlib import Path

import yaml
import yamllint
from yamllint import linter
from yamllint.config import YamlLintConfig, YamlLintConfigError

from validate.load import load_file
from validate.model import Finding, Severity, ToolError

CONFIG_NAMES = (".yamllint", ".yamllint.yaml", ".yamllint.yml")


BUILTIN = {p.stem for p in (Path(yamllint.__file__).parent / "conf").glob("*.yaml")}


def lint_config(root: Path) -> YamlLintConfig:
    """The repository's yamllint configuration (yamllint's default without one).

    Read through our own loader first: a broken file is one line of error, and ``extends`` may name
    a built-in configuration or a file inside the repository, never one elsewhere on the machine.
    """
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file() or path.is_symlink():
            try:
                return YamlLintConfig(content=_checked_text(root, path, name, depth=0))
            except (YamlLintConfigError, OSError, yaml.YAMLError) as error:
                raise ToolError(f"{name}: invalid yamllint configuration: {' '.join(str(error).split())}") from None
    return YamlLintConfig("extends: default")


def _checked_text(root: Path, path: Path, name: str, depth: int) -> str:
    if not _inside(path, root):
        raise ToolError(f"{name}: the yamllint configuration must be inside the repository")
    if depth > 5:
        raise ToolError(f"{name}: yamllint configurations extend each other more than 5 levels deep")
    loaded = load_file(path, name)
    if loaded.findings:
        first = loaded.findings[0]
        raise ToolError(f"{name}:{first.line or 1}: {first.message}")
    data = loaded.documents[0].data if loaded.documents else {}
    if not isinstance(data, dict):
        raise ToolError(f"{name}: invalid yamllint configuration: not a mapping")
    extends = data.get("extends")
    if isinstance(extends, str) and extends not in BUILTIN:
        target = (root / extends) if not Path(extends).is_absolute() else Path(extends)
        if not _inside(target, root) or not target.is_file():
            raise ToolError(f"{name}: extends {extends!r} is neither a built-in yamllint configuration"
                            f" ({', '.join(sorted(BUILTIN))}) nor a file in the repository")
        _checked_text(root, target, name, depth + 1)
        data = {**data, "extends": str(target.resolve())}
        return yaml.safe_dump(data)
    return loaded.text or ""


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


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
