"""YAML style (yamllint) on the repository's source files, only where the repository asks for it.

Style rules run only when the repository opts in: it has a yamllint configuration (``.yamllint``,
``.yamllint.yaml``, ``.yamllint.yml``), or its ``.gitops-validate.yaml`` gives a ``yamllint-*`` rule
a severity other than ``off`` (in ``rules`` or a profile). Without either, no style rule runs: a
repository laid out the way kubectl and kustomize write YAML is not failed on style. Syntax errors,
duplicate keys and tabs are the loader's findings (``load-*``) and are reported always.

Which rules run, and where:

* with a yamllint configuration, the rules it enables, with its options; its ``level`` is the
  default severity, and ``.gitops-validate.yaml`` may still change it or turn a rule ``off``;
* without one, the ``yamllint-*`` rules ``.gitops-validate.yaml`` turns on, with yamllint's default
  options, at the configured severity;
* a rule that is ``off`` for a file (top-level ``rules`` or the profile of the file's environment)
  is never run on it, and a file on which no rule is on is not linted at all.

yamllint's syntax errors are left out: the loader reports the same problem as ``load-syntax``
at the same position, and one problem should make one finding. yamllint is imported only when a
file is linted, so a run without style rules never pays for it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from validate.load import load_file
from validate.model import Finding, Severity, ToolError

if TYPE_CHECKING:
    from yamllint.config import YamlLintConfig

    from validate.model import Config

CONFIG_NAMES = (".yamllint", ".yamllint.yaml", ".yamllint.yml")


RULE_PREFIX = "yamllint-"
# Below this many files, starting worker processes costs more than linting in this one.
PARALLEL_MIN_FILES = 24


def _builtin() -> set[str]:
    import yamllint

    return {p.stem for p in (Path(yamllint.__file__).parent / "conf").glob("*.yaml")}


def config_file(root: Path) -> str | None:
    """The name of the repository's yamllint configuration file, if it has one."""
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file() or path.is_symlink():
            return name
    return None


def config_text(root: Path) -> str:
    """The text of the repository's yamllint configuration (yamllint's default without one), checked.

    Read through our own loader first: a broken file is one line of error, and ``extends`` may name
    a built-in configuration or a file inside the repository, never one elsewhere on the machine.
    """
    from yamllint.config import YamlLintConfigError

    name = config_file(root)
    if name is None:
        return "extends: default"
    try:
        text = _checked_text(root, root / name, name, depth=0)
        _parsed(text)
    except (YamlLintConfigError, OSError, yaml.YAMLError) as error:
        raise ToolError(f"{name}: invalid yamllint configuration: {' '.join(str(error).split())}") from None
    return text


@lru_cache(maxsize=8)
def _parsed(text: str) -> YamlLintConfig:
    """yamllint's configuration object for ``text``, made once: making one compiles every rule's
    ignore patterns and reads the configurations it extends."""
    from yamllint.config import YamlLintConfig

    return YamlLintConfig(content=text)


def lint_config(root: Path) -> YamlLintConfig:
    """The repository's yamllint configuration (yamllint's default without one).

    Read through our own loader first: a broken file is one line of error, and ``extends`` may name
    a built-in configuration or a file inside the repository, never one elsewhere on the machine.
    """
    return _parsed(config_text(root))


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
    if isinstance(extends, str) and extends not in (builtin := _builtin()):
        target = (root / extends) if not Path(extends).is_absolute() else Path(extends)
        if not _inside(target, root) or not target.is_file():
            raise ToolError(f"{name}: extends {extends!r} is neither a built-in yamllint configuration"
                            f" ({', '.join(sorted(builtin))}) nor a file in the repository")
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
    from yamllint import linter

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


@dataclass
class Linter:
    """Which yamllint rules run on which file, from the yamllint and the validator configuration.

    Picklable (the yamllint configuration is rebuilt from its text), so worker processes can lint
    a share of the files with exactly the same rules.
    """

    text: str  # the yamllint configuration every rule set is cut from
    rules: dict[str | None, frozenset[str]]  # environment -> the rules on there
    _configs: dict[frozenset[str], Any] = field(default_factory=dict, repr=False, compare=False)
    _base: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {"text": self.text, "rules": self.rules, "_configs": {}, "_base": None}

    def base(self) -> YamlLintConfig:
        if self._base is None:
            self._base = _parsed(self.text)
        return self._base

    def rules_for(self, rel: str, environment: str | None) -> frozenset[str]:
        """The rules on for ``rel``: on in its environment, enabled and not ignored by yamllint."""
        on = self.rules.get(environment, self.rules.get(None, frozenset()))
        if not on:
            return on
        base = self.base()
        if base.is_file_ignored(rel):
            return frozenset()
        return frozenset(rule for rule in on if rule in {r.ID for r in base.enabled_rules(rel)})

    def config_for(self, rules: frozenset[str]) -> YamlLintConfig:
        """The yamllint configuration with only ``rules`` enabled (made once per set of rules)."""
        found = self._configs.get(rules)
        if found is None:
            found = copy.copy(self.base())
            found.rules = {rule: (value if rule in rules else False) for rule, value in self.base().rules.items()}
            self._configs[rules] = found
        return found

    def lint(self, items: Iterable[tuple[str, str, frozenset[str]]]) -> list[Finding]:
        return [finding for rel, text, rules in items for finding in lint_text(self.config_for(rules), rel, text)]


def plan(root: Path, config: Config, environments: Iterable[str | None]) -> Linter | None:
    """The style rules this run applies, or None when the repository asks for none (see the module doc)."""
    has_file = config_file(root) is not None
    if not has_file and not _names_style_rules(config):
        return None  # decided without importing yamllint
    import yamllint.rules

    environments = {None, *environments}
    every = sorted(yamllint.rules._RULES)
    if has_file:
        text = config_text(root)
    else:
        # Opted in through .gitops-validate.yaml only: yamllint's default options; a prefix
        # (yamllint-*) turns on the rules yamllint's default configuration enables, a rule named in
        # full any rule.
        text = "extends: default\nrules:\n" + "".join(f"  {rule}: enable\n" for rule in every)
        defaults = {rule for rule, value in _parsed("extends: default").rules.items() if value is not False}
    on: dict[str | None, frozenset[str]] = {}
    for environment in environments:
        chosen = set()
        for rule in every:
            setting = config.setting(RULE_PREFIX + rule, environment)
            if setting == "off" or (setting is None and not has_file):
                continue
            if not has_file and rule not in defaults and not config.names(RULE_PREFIX + rule, environment):
                continue
            chosen.add(rule)
        on[environment] = frozenset(chosen)
    if not any(on.values()):
        return None
    if has_file:  # only what the yamllint configuration enables somewhere
        enabled = {rule for rule, value in _parsed(text).rules.items() if value is not False}
        on = {environment: rules & enabled for environment, rules in on.items()}
        if not any(on.values()):
            return None
    return Linter(text, on)


def _names_style_rules(config: Config) -> bool:
    """Whether a setting of the command line or the configuration may name a ``yamllint-*`` rule: in
    full, or through a prefix ending in ``*`` (``yamllint-*``, ``yaml*``, ``*``)."""
    settings = [config.overrides, config.rules, *config.profiles.values()]
    return any(name.startswith(RULE_PREFIX) or (name.endswith("*") and RULE_PREFIX.startswith(name[:-1]))
               for found in settings for name in found)


def _lint_share(linter: Linter, items: list[tuple[str, str, frozenset[str]]]) -> list[Finding]:
    return linter.lint(items)


def _stop(*helpers: object) -> None:
    """Stop multiprocessing's fork server and resource tracker now the pool is done. Left alone,
    they exit only once they see this process gone, and on a busy machine outlive it by a moment
    (the hostile suite counts every process that does). Private in the standard library, so only
    when present (3.11 to 3.13 have both)."""
    for helper in helpers:
        stop = getattr(helper, "_stop", None)
        if stop is not None:
            try:
                stop()
            except (OSError, ValueError):
                pass


def lint_files(linter: Linter, items: list[tuple[str, str, frozenset[str]]], jobs: int | None = None) -> list[Finding]:
    """Findings of every (file, text, rules) item, in the items' order; on several cores when it pays."""
    workers = min(jobs or os.cpu_count() or 1, 4)
    if workers < 2 or len(items) < PARALLEL_MIN_FILES:
        return linter.lint(items)
    # Files of similar size in each share: deal them out round-robin, largest first.
    order = sorted(range(len(items)), key=lambda i: -len(items[i][1]))
    shares = [[items[i] for i in order[k::workers]] for k in range(workers)]
    from concurrent.futures import ProcessPoolExecutor  # here: importing it costs more than most runs lint
    from multiprocessing import forkserver, get_context, resource_tracker

    # forkserver: the render stage runs threads, and forking a threaded process is unsafe.
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver")) as pool:
            results = list(pool.map(_lint_share, [linter] * workers, shares))
    except (OSError, RuntimeError):  # no worker processes here (no /dev/shm, a process limit): one core
        return linter.lint(items)
    finally:
        _stop(getattr(forkserver, "_forkserver", None), getattr(resource_tracker, "_resource_tracker", None))
    rank = {rel: index for index, (rel, _, _) in enumerate(items)}
    return sorted((f for result in results for f in result), key=lambda f: rank.get(f.file or "", 0))
