"""Domain rules: one module per rule, registered in the table below.

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

The registry is explicit: :data:`RULE_MODULES` names every rule module once, and importing this package
fails (:class:`RegistryError`) when a module of the package is missing from it, when two rules
share an id, when a module defines no ``ID`` or an ``ID`` that is not its module name with
dashes (a renamed id), or when a rule has no check. ``tests/rules/test_registry.py`` proves each.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Iterator
from types import ModuleType
from typing import Any

from validate.context import Context
from validate.model import Checked, Violation

# The registry: every rule module, by module name, listed once (imported below). Adding a rule is
# adding its name here; the import itself and a test fail when a module of this package is missing.
RULE_MODULES: tuple[str, ...] = (
    "api_deprecated",
    "api_duplicate_object",
    "api_labels",
    "api_missing_namespace",
    "api_object_name",
    "api_removed",
    "api_selector_match",
    "argocd_appset_unresolved",
    "argocd_cascade_delete",
    "argocd_crd_order",
    "argocd_duplicate_application",
    "argocd_generator_empty",
    "argocd_helm_version",
    "argocd_project",
    "argocd_project_resources",
    "argocd_repo_url",
    "argocd_shared_resource",
    "argocd_source_path",
    "argocd_sync_retry",
    "argocd_target_revision",
    "argocd_wave_health",
    "pod_capabilities",
    "pod_cpu_node_size",
    "pod_host_namespaces",
    "pod_host_path",
    "pod_image_digest",
    "pod_image_prerelease",
    "pod_image_tag",
    "pod_privilege_escalation",
    "pod_privileged",
    "pod_probes",
    "pod_resources",
    "pod_run_as_non_root",
    "pod_seccomp",
    "repo_appproject_wildcard",
    "repo_coverage",
    "repo_plaintext_secret",
    "seldon_deprecated_api",
    "seldon_derived_names",
    "seldon_graph_container",
    "seldon_graph_names_unique",
    "seldon_graph_type",
    "seldon_hpa_bounds",
    "seldon_hpa_requests",
    "seldon_hpa_static_replicas",
    "seldon_implementation",
    "seldon_model_uri",
    "seldon_names",
    "seldon_predictor_names_unique",
    "seldon_router_children",
    "seldon_traffic",
    "seldon_unused_container",
)

SECTIONS = ("What it does", "Why it matters", "Example", "Use instead")
SUPPRESS_PREFIX = "ignore-check.gitops-validate.io/"


FAMILIES = ("seldon-", "pod-", "argocd-", "api-", "repo-")
SEVERITIES = ("error", "warning", "info")


class RegistryError(Exception):
    """The rule table is wrong: a programming mistake that must stop the validator at import."""


def build_registry(modules: Iterable[ModuleType], package_modules: Iterable[str]) -> dict[str, ModuleType]:
    """Rule id -> module, after checking that every module is a well-formed rule, that no id is
    taken twice, that each id names its module (``pod-image-digest`` lives in
    ``pod_image_digest.py``: a renamed id is caught), and that ``package_modules`` (the public
    modules of the package) are all in the table."""
    found: dict[str, ModuleType] = {}
    for module in modules:
        name = module.__name__.rpartition(".")[2]
        rule_id = getattr(module, "ID", None)
        if not isinstance(rule_id, str) or not rule_id:
            raise RegistryError(f"rule module {name} defines no ID")
        if not rule_id.startswith(FAMILIES) or rule_id.replace("-", "_") != name:
            raise RegistryError(f"rule module {name} has ID {rule_id!r}: the ID must be the module name with"
                                f" dashes, in a family ({', '.join(f + '*' for f in FAMILIES)})")
        if rule_id in found:
            raise RegistryError(f"rule id {rule_id} is defined twice")
        if getattr(module, "DEFAULT", None) not in SEVERITIES:
            raise RegistryError(f"rule {rule_id}: DEFAULT must be one of {', '.join(SEVERITIES)}")
        if not callable(getattr(module, "check", None)) and not callable(getattr(module, "check_repository", None)):
            raise RegistryError(f"rule {rule_id} has neither check(obj, ctx) nor check_repository(ctx)")
        found[rule_id] = module
    registered = {module.__name__.rpartition(".")[2] for module in found.values()}
    missing = sorted(set(package_modules) - registered)
    if missing:
        raise RegistryError(f"rule module(s) {', '.join(missing)} are not in the registry (validate/rules/__init__.py)")
    return dict(sorted(found.items()))


def _package_modules() -> list[str]:
    return [info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]


def import_modules(names: Iterable[str]) -> tuple[ModuleType, ...]:
    """The rule modules of the table, imported; a name without a module fails like any other
    mistake in the table."""
    found: list[ModuleType] = []
    for name in names:
        if name in {module.__name__.rpartition(".")[2] for module in found}:
            raise RegistryError(f"rule module {name} is listed twice in RULE_MODULES")
        try:
            found.append(importlib.import_module(f"{__name__}.{name}"))
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            raise RegistryError(f"RULE_MODULES names {name}, but validate/rules/{name}.py does not exist") from None
    return tuple(found)


# The rule ids, without importing a rule: a module that is not its id with dashes fails the registry.
RULE_IDS: frozenset[str] = frozenset(name.replace("_", "-") for name in RULE_MODULES)

_registry: dict[str, ModuleType] = {}


def registry() -> dict[str, ModuleType]:
    """Every rule module, by rule id. The modules are imported on first use, not with the package:
    the configuration and the reporters need the ids only, and a pre-commit run imports the rules
    while kustomize renders (validate.pipeline)."""
    if not _registry:
        _registry.update(build_registry(import_modules(RULE_MODULES), _package_modules()))
    return _registry


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
    yield from run_objects(ctx, ctx.objects)
    yield from run_repository(ctx)


def run_objects(ctx: Context, among: list[Checked]) -> Iterator[tuple[ModuleType, Violation]]:
    """The per-object rules (``check``) on ``among`` (some of ``ctx.objects``), rule by rule in the
    registry's order, and for each rule object by object."""
    modules = registry()
    # (group, kind) of every object once, not once per rule and object
    kinds_of = [_group_kind(obj.data) for obj in among]
    for module in modules.values():
        check = getattr(module, "check", None)
        if check is None:
            continue
        kinds = getattr(module, "KINDS", None)
        objects = [obj for obj, key in zip(among, kinds_of) if key in kinds] if kinds else among
        for obj in objects:
            for violation in check(obj, ctx):
                yield module, violation if violation.obj is not None else _with_obj(violation, obj)


def run_repository(ctx: Context) -> Iterator[tuple[ModuleType, Violation]]:
    """The repository-wide rules (``check_repository``), once each."""
    for module in registry().values():
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
