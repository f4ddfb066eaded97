"""The per-object stages: schema, API validation and the rules, on two cores for a large run.

Each candidate object first passes the *gate*, here, in order: an identity (apiVersion and kind),
a Kubernetes API, the kinds the configuration skips, a schema on some Kubernetes version of the
matrix. The gate decides which candidates become checked objects (the rules see those as a whole)
and compiles each kind's validators once. What follows is independent from object to object and
costs most of a run on a large stream: the schema issues, the API server's validation and the
per-object rules. From :data:`FORK_MIN_OBJECTS` candidates on, the first half of that work runs
here, with the repository-wide rules, and the second half in a forked child (:mod:`validate.forked`);
the findings and violations are put together in exactly the order one pass gives, so the report
does not depend on the split.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from validate import apivalidation, classify, forked, rules, schema
from validate.context import Context
from validate.locate import Locator
from validate.model import Checked, FieldPath, Finding, Location, ObjectRef, Severity, Violation
from validate.verdicts import encoded, missing_schema, prune_nulls, tool_config, tool_config_message

# From this many candidates on, the per-object work is split over two processes.
FORK_MIN_OBJECTS = 512

_EXCLUDED, _ADMITTED, _SCHEMA = 0, 1, 2  # gate outcomes: not checked; checked without schema; with schema


Pairs = list[tuple[ModuleType, Violation]]


@dataclass
class Checks:
    """What the per-object stages found, in the order of one pass over the candidates."""

    objects: list[Checked]  # the candidates that passed the gate: what the rules see
    schema: list[Finding]  # the gate's findings and the schema issues, candidate by candidate
    api: list[Finding]  # API validation, object by object
    rules: tuple[Pairs, Pairs] | None  # the rules' violations, when found with the rest (see run)


@dataclass
class _Part:
    issues: list[list[Finding]]  # per candidate of the part
    api: list[Finding]
    violations: Pairs | None  # per-object rules on the part's objects, when asked for


class Gated:
    """The gate's verdict on every candidate, and the checked objects it admits."""

    def __init__(self, candidates: list[Checked], store: schema.SchemaStore, locator: Locator, versions: list[str],
                 missing_schemas: str):
        self.candidates = candidates
        self.findings: list[list[Finding]] = []
        self.outcomes: list[int] = []
        for candidate in candidates:
            found: list[Finding] = []
            self.outcomes.append(_gate(candidate, store, locator, versions, missing_schemas, found))
            self.findings.append(found)
        self.objects = [c for c, outcome in zip(candidates, self.outcomes) if outcome != _EXCLUDED]


def run(gated: Gated, ctx: Context, store: schema.SchemaStore, locator: Locator, with_rules: bool) -> Checks:
    """The schema issues and API validation of the gated candidates and, ``with_rules``, the rules'
    violations too (per-object rules, then repository-wide ones). Rules must see the renders as the
    render diagnosis leaves them: with renders in the run, ask for them later (:func:`rule_violations`)."""
    count = len(gated.candidates)
    versions = ctx.versions
    if count < FORK_MIN_OBJECTS:
        parts = [_part(gated, 0, count, ctx, store, locator, versions, with_rules)]
        repository = list(rules.run_repository(ctx)) if with_rules else []
    else:
        # The child takes a little more than half: the parent also runs the repository-wide rules and
        # unpacks what the child sends.
        split = count * 9 // 20
        index = {id(obj): position for position, obj in enumerate(ctx.objects)}

        def here() -> tuple[_Part, Pairs]:
            return (_placed(_part(gated, 0, split, ctx, store, locator, versions, with_rules), locator),
                    list(rules.run_repository(ctx)) if with_rules else [])

        def there() -> _Part:
            return _placed(_part(gated, split, count, ctx, store, locator, versions, with_rules), locator)

        (head, repository), tail = forked.in_two(
            here, there, lambda part: _portable(part, index), lambda plain: _restored(plain, ctx.objects))
        parts = [head, tail]
    issues = [found for part in parts for found in part.issues]
    return Checks(gated.objects, [f for gate, issue in zip(gated.findings, issues) for f in (*gate, *issue)],
                  [f for part in parts for f in part.api],
                  (_by_rule([part.violations or [] for part in parts]), repository) if with_rules else None)


def rule_violations(ctx: Context) -> tuple[Pairs, Pairs]:
    """The per-object rules' violations (rule by rule, then object by object) and the repository-wide
    rules', on two cores from :data:`FORK_MIN_OBJECTS` objects on."""
    objects = ctx.objects
    if len(objects) < FORK_MIN_OBJECTS:
        return list(rules.run_objects(ctx, objects)), list(rules.run_repository(ctx))
    split = len(objects) * 9 // 20
    index = {id(obj): position for position, obj in enumerate(objects)}
    (head, repository), tail = forked.in_two(
        lambda: (list(rules.run_objects(ctx, objects[:split])), list(rules.run_repository(ctx))),
        lambda: list(rules.run_objects(ctx, objects[split:])),
        lambda pairs: _portable_pairs(pairs, index), lambda plain: _restored_pairs(plain, objects))
    return _by_rule([head, tail]), repository


def _by_rule(parts: list[Pairs]) -> Pairs:
    """The parts' violations in one pass's order: rule by rule (the registry's order), part by part."""
    by_rule: dict[str, Pairs] = {}
    for part in parts:
        for module, violation in part:
            by_rule.setdefault(module.ID, []).append((module, violation))
    return [pair for rule_id in rules.registry() if rule_id in by_rule for pair in by_rule[rule_id]]


def _part(gated: Gated, start: int, stop: int, ctx: Context, store: schema.SchemaStore, locator: Locator,
          versions: list[str], with_rules: bool) -> _Part:
    candidates = gated.candidates[start:stop]
    outcomes = gated.outcomes[start:stop]
    issues = [_schema_issues(c, store, locator, versions) if outcome == _SCHEMA else []
              for c, outcome in zip(candidates, outcomes)]
    objects = [c for c, outcome in zip(candidates, outcomes) if outcome != _EXCLUDED]
    api = list(apivalidation.findings(objects, versions, lambda c, path: locate_in(c, locator, path)))
    return _Part(issues, api, list(rules.run_objects(ctx, objects)) if with_rules else None)


def _placed(part: _Part, locator: Locator) -> _Part:
    """The part with its violations placed, while the other process works too (placing may parse a
    document's positions: validate.fastyaml)."""
    if part.violations:
        part.violations = [(module, v if v.obj is None else
                            dataclasses.replace(v, located=locate_in(v.obj, locator, v.path)))
                           for module, v in part.violations]
    return part


def _portable(part: _Part, index: dict[int, int]) -> tuple[Any, ...]:
    """A part as the child sends it (see :func:`_portable_pairs`)."""
    return part.issues, part.api, None if part.violations is None else _portable_pairs(part.violations, index)


def _restored(plain: tuple[Any, ...], objects: list[Checked]) -> _Part:
    issues, api, violations = plain
    return _Part(issues, api, None if violations is None else _restored_pairs(violations, objects))


def _portable_pairs(pairs: Pairs, index: dict[int, int]) -> list[tuple[Any, ...]]:
    """Violations as the child sends them: each names its object by its place in the checked objects
    (a KeyError for an object outside them makes the parent do the child's share itself)."""
    return [(module.ID, v.message, v.path, index[id(v.obj)], v.file, v.line,
             None if v.located is None else dataclasses.astuple(v.located)) for module, v in pairs]


def _restored_pairs(plain: list[tuple[Any, ...]], objects: list[Checked]) -> Pairs:
    return [(rules.registry()[rule_id], Violation(message, path, objects[at], file, line,
                                             None if located is None else Location(*located)))
            for rule_id, message, path, at, file, line, located in plain]


def _adder(candidate: Checked, locator: Locator, found: list[Finding]) -> Callable[..., None]:
    def add(rule: str, message: str, path: FieldPath = (), severity: Severity = Severity.ERROR) -> None:
        location = locate_in(candidate, locator, path)
        found.append(Finding(rule, message + location.note, location.file, location.line, location.column,
                             severity=severity, object=ObjectRef.of(candidate.data), render=candidate.render))
    return add


def _gate(candidate: Checked, store: schema.SchemaStore, locator: Locator, versions: list[str],
          missing_schemas: str, found: list[Finding]) -> int:
    data = candidate.data
    add = _adder(candidate, locator, found)
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not isinstance(api_version, str) or not api_version or not isinstance(kind, str) or not kind:
        missing = [name for name, value in (("apiVersion", api_version), ("kind", kind))
                   if not isinstance(value, str) or not value]
        add("schema-identity", f"object has no valid {' and no '.join(missing)}: nothing can tell what it is")
        return _EXCLUDED
    if not classify.kubernetes_like(api_version) and classify.misspelt_builtin_group(api_version) is None:
        add("schema-not-kubernetes", f"{kind} {api_version} is not a Kubernetes API (no API server serves"
            " that group and version): not checked", ("apiVersion",), Severity.INFO)
        return _EXCLUDED
    if store.skipped(api_version, kind):
        return _ADMITTED
    missing_on = store.missing(data)
    if missing_on and tool_config(candidate, missing_on, versions):
        add("schema-not-kubernetes", tool_config_message(kind, api_version), ("kind",), Severity.INFO)
        return _EXCLUDED
    if missing_on:
        for rule, message, severity in missing_schema(api_version, kind, missing_on, versions, missing_schemas):
            if rule == "schema-unknown-kind":
                message += store.known_hint(api_version, kind)
            add(rule, message, ("apiVersion",) if rule == "api-removed" else ("kind",), severity)
    return _SCHEMA


def _schema_issues(candidate: Checked, store: schema.SchemaStore, locator: Locator,
                   versions: list[str]) -> list[Finding]:
    found: list[Finding] = []
    add = _adder(candidate, locator, found)
    # Rendered and chart objects may carry a renderer's anchors; a source document says whether it has any.
    shared = candidate.rendered is not None or candidate.document is None or candidate.document.shared
    text = None if shared else encoded(candidate.data)  # one encoding serves both
    verdict = store.check(prune_nulls(candidate.data, shared, text), text)
    for issue, on_versions in verdict.issues:
        suffix = "" if len(on_versions) == len(versions) - len(verdict.missing) else \
            f" (on Kubernetes {', '.join(on_versions)})"
        add(issue.rule, f"{dotted(issue.path)}: {issue.message}{suffix}" if issue.path else issue.message + suffix,
            issue.path, issue.severity)
    return found


def locate_in(candidate: Checked, locator: Locator, path: FieldPath) -> Location:
    """Where a field of a checked object stands in the files the user edits."""
    if candidate.locate is not None:
        return candidate.locate(path)
    if candidate.rendered is not None:
        return locator.locate(candidate.rendered, path)
    if candidate.document is not None:
        exact = candidate.document.position(path)
        if exact is not None:
            return Location(candidate.file, exact[0], exact[1])
        _, (line, column) = candidate.document.nearest(path)
        return Location(candidate.file, line, column)
    return Location(candidate.file, candidate.line, None)


def dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
