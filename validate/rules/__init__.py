"""Domain rules: one module per rule, discovered automatically.

A rule module has:

* a docstring whose first line is a title, followed by the sections ``What it does``,
  ``Why it matters``, ``Example`` and ``Use instead`` (``docs/rules.md`` is generated from them);
* ``ID``: the rule id (kebab-case, prefixed by its family: ``seldon-``, ``pod-``, ``argocd-``,
  ``api-``, ``repo-``);
* ``DEFAULT``: ``"error"``, ``"warning"`` or ``"info"`` (the configuration may change it);
* either ``check(obj, ctx)``, called for every checked object (optionally filtered by a
  ``KINDS`` set of ``(group, kind)`` pairs), or ``check_repository(ctx)``, called once; both
  yield :class:`Violation` records.

Rules never read files themselves, never set severities, and never know about another stage's
internals: they see the :class:`Context` (the inventory, the loaded sources and the checked
objects) and describe what is wrong and at which path of which object.
Fixtures live in ``tests/rules/fixtures/<ID>/{positive,negative}/``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validate.config import Config
    from validate.discover import Inventory
    from validate.load import LoadedFile
    from validate.pipeline import Checked
    from validate.render import RenderResult

SECTIONS = ("What it does", "Why it matters", "Example", "Use instead")
SUPPRESS_PREFIX = "ignore-check.gitops-validate.io/"


@dataclass(frozen=True)
class Violation:
    """What a rule found. ``obj`` and ``path`` place it on an object's field; ``file`` and
    ``line`` place it directly (repository-wide rules)."""

    message: str
    path: tuple[str | int, ...] = ()
    obj: Checked | None = None
    file: str | None = None
    line: int | None = None


@dataclass
class Context:
    config: Config
    inventory: Inventory
    loaded: dict[str, LoadedFile]
    objects: list[Checked]
    renders: list[RenderResult]
    versions: list[str]
    cache: dict[str, Any] = field(default_factory=dict)  # for rules that share expensive derived data

    @property
    def root(self) -> Any:
        return self.config.root

    def environment(self, obj: Checked) -> str | None:
        """The environment an object belongs to, from the configuration or ``overlays/<env>/``."""
        return environment_of(self.config, obj.render or obj.file or "")

    def documents(self, rel: str) -> list[Any]:
        loaded = self.loaded.get(rel)
        return list(loaded.documents) if loaded else []


def environment_of(config: Config, rel: str) -> str | None:
    import fnmatch

    for name, settings in config.environments.items():
        for pattern in settings.get("paths", []):
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel + "/", pattern) or rel.startswith(
                    pattern.rstrip("*").rstrip("/") + "/"):
                return name
    parts = rel.split("/")
    if len(parts) >= 2 and parts[0] == "overlays":
        return parts[1]
    return None


@cache
def registry() -> dict[str, ModuleType]:
    """Every rule module of this package, by rule id."""
    found: dict[str, ModuleType] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule_id = getattr(module, "ID", None)
        if isinstance(rule_id, str):
            if rule_id in found:
                raise RuntimeError(f"rule id {rule_id} is defined twice")
            found[rule_id] = module
    return dict(sorted(found.items()))


def title(module: ModuleType) -> str:
    return (module.__doc__ or "").strip().splitlines()[0].rstrip(".") if module.__doc__ else ""


def sections(module: ModuleType) -> dict[str, str]:
    """The docstring's sections, by heading."""
    text = (module.__doc__ or "").strip()
    lines = text.splitlines()[1:]
    found: dict[str, list[str]] = {}
    current = None
    for line in lines:
        stripped = line.strip()
        heading = stripped.rstrip(":")
        if stripped.endswith(":") and heading in SECTIONS:
            current = heading
            found[current] = []
            continue
        if current is not None:
            found[current].append(line)
    return {name: _dedent("\n".join(body)).strip() for name, body in found.items()}


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text)


def applies(module: ModuleType, data: dict[str, Any]) -> bool:
    kinds = getattr(module, "KINDS", None)
    if not kinds:
        return True
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return False
    return (api_version.rpartition("/")[0], kind) in kinds


def run(ctx: Context) -> Iterator[tuple[ModuleType, Violation]]:
    modules = registry()
    # (group, kind) of every object once, not once per rule and object
    kinds_of = [_group_kind(obj.data) for obj in ctx.objects]
    for module in modules.values():
        check = getattr(module, "check", None)
        if check is None:
            continue
        kinds = getattr(module, "KINDS", None)
        objects = [obj for obj, key in zip(ctx.objects, kinds_of) if key in kinds] if kinds else ctx.objects
        for obj in objects:
            for violation in check(obj, ctx):
                yield module, violation if violation.obj is not None else _with_obj(violation, obj)
    for module in modules.values():
        check_repository = getattr(module, "check_repository", None)
        if check_repository is not None:
            for violation in check_repository(ctx):
                yield module, violation


def _group_kind(data: dict[str, Any]) -> tuple[str, str] | None:
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    return api_version.rpartition("/")[0], kind


def _with_obj(violation: Violation, obj: Checked) -> Violation:
    return Violation(violation.message, violation.path, obj, violation.file, violation.line)
