"""The values of a Helm source: where each key was set, checked against the chart, and traced from rendered objects."""

from __future__ import annotations

import base64
import difflib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs
import yaml

from validate.helm.chart import ChartFiles, merge
from validate.model import MISSING, FieldPath, Location, Severity, value_at
from validate.sources import ChartRef

# --- values and where they came from -----------------------------------------------------------

Locate = Callable[[FieldPath], Location]


@dataclass
class Values:
    """The user-supplied values of one Helm source, merged, and the place each leaf was set."""

    merged: dict[str, Any] = field(default_factory=dict)
    origin: dict[FieldPath, Location] = field(default_factory=dict)

    def add(self, values: dict[str, Any], where: Callable[[FieldPath], Location]) -> None:
        self.merged = merge(self.merged, values)
        for path in paths(values):
            self.origin[path] = where(path)

    def location(self, path: FieldPath) -> Location | None:
        for end in range(len(path), 0, -1):
            found = self.origin.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def leaves(value: Any, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from leaves(sub, (*prefix, str(key)))
    else:
        yield prefix, value


def paths(value: Any, prefix: FieldPath = ()) -> Iterator[FieldPath]:
    """Every key path of a values tree, maps and leaves alike."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*prefix, str(key))
            yield from paths(sub, (*prefix, str(key)))


def text_positions(text: str) -> dict[FieldPath, tuple[int, int]]:
    """Line and column (1-based, within ``text``) of every mapping key of a YAML document."""
    positions: dict[FieldPath, tuple[int, int]] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return positions

    def walk(current: Any, path: FieldPath) -> None:
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    here = (*path, key.value)
                    positions[here] = (key.start_mark.line + 1, key.start_mark.column + 1)
                    walk(value, here)

    walk(node, ())
    return positions


# --- values against the chart -----------------------------------------------------------------

def check_values(values: Values, files: ChartFiles, ref: ChartRef, finding: Callable[..., None]) -> None:
    defaults = files.defaults()
    mentioned = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", files.all_template_text()))
    reported: set[FieldPath] = set()
    for path, value in leaves(values.merged):
        if not path or path[0] == "global":
            continue  # global is shared with every subchart: any key may be meant for one
        node: Any = defaults
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or not node:
                break  # free-form (an empty map) or a list: any key is fine
            if key not in node:
                here = path[:depth + 1]
                if here in reported or key in mentioned:
                    break
                reported.add(here)
                close = difflib.get_close_matches(str(key), [str(k) for k in node], n=1, cutoff=0.75)
                hint = f" (did you mean {dotted((*here[:-1], close[0]))}?)" if close else ""
                at = values.location(here)
                if at is not None:
                    finding("helm-values-unknown", f"values key {dotted(here)} is not in the values.yaml of chart"
                            f" {ref.chart} {ref.version} and no template reads it: Helm ignores it{hint}", at,
                            Severity.WARNING)
                break
            default = node[key]
            if depth == len(path) - 1 and not _same_type(default, value):
                at = values.location(path)
                if at is not None:
                    finding("helm-values-type", f"values key {dotted(path)} is {_type_name(value)}, but the"
                            f" chart's default is {_type_name(default)} ({json.dumps(default, default=str)[:60]})",
                            at, Severity.WARNING)
            node = default


def dotted(path: FieldPath) -> str:
    return ".".join(str(part) for part in path)


def _same_type(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float) and isinstance(value, int | float):
        return True
    if isinstance(default, dict) and isinstance(value, dict) and not value:
        return True
    return type(default) is type(value) or (isinstance(default, str) and isinstance(value, str))


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a map"}.get(type(value), type(value).__name__)


def check_schema(values: Values, files: ChartFiles, ref: ChartRef, chart_at: Location,
                  finding: Callable[..., None]) -> bool:
    """values.schema.json against the chart's defaults coalesced with the user's values; False when it fails."""
    assert files.schema is not None
    try:
        validator = jsonschema_rs.validator_for(files.schema, retriever=_refuse)
    except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError) as error:
        finding("helm-values-schema", f"the values.schema.json of {ref} cannot be used: {' '.join(str(error).split())[:200]}",
                chart_at, Severity.WARNING)
        return True
    ok = True
    for problem in validator.iter_errors(merge(files.defaults(), values.merged)):
        ok = False
        path = tuple(str(p) for p in problem.instance_path)
        at = values.location(path) or chart_at
        where = ".".join(path) or "(top level)"
        finding("helm-values-schema", f"values {where}: {problem.message[:240]} (values.schema.json of chart"
                f" {ref.chart} {ref.version}; Helm refuses to render)", at)
    return ok


def _refuse(uri: str) -> Any:
    raise ValueError(f"{uri}: the validator never downloads schemas")


# --- where a finding on a rendered object goes ----------------------------------------------------

def object_locator(data: dict[str, Any], values: Values, chart_at: Location, ref: ChartRef, template: str) -> Locate:
    template_name = template.split("/", 1)[1] if "/" in template else template
    fallback = Location(chart_at.file, chart_at.line, chart_at.column,
                        f" (rendered by template {template_name} of chart {ref.chart} {ref.version})")
    user = list(leaves(values.merged))

    def locate(path: FieldPath) -> Location:
        node = value_at(data, path, MISSING)
        if node is MISSING:
            return fallback
        if data.get("kind") == "Secret" and len(path) == 2 and path[0] == "data" and isinstance(node, str):
            node = _base64_text(node)  # the chart encoded a value the user wrote in plaintext (b64enc)
        match = _origin_of(node, path[-1] if path else None, user, values)
        if match is None:
            return fallback
        return Location(match.file, match.line, match.column,
                        f" (set here; chart {ref.chart} {ref.version} renders it in template {template_name})")
    return locate


def _origin_of(node: Any, key: str | int | None, user: list[tuple[FieldPath, Any]], values: Values) -> Location | None:
    """The values line that set ``node``: a user leaf with the same key and value, or a distinctive equal value."""
    if not path_has_value(node):
        return None
    best: tuple[int, FieldPath] | None = None
    for path, value in user:
        if not path:
            continue
        same_key = path[-1] == key
        if value == node and type(value) is type(node) and (same_key or _distinctive(value)):
            score = 2 if same_key else 1
            if best is None or score > best[0]:
                best = (score, path)
        elif isinstance(node, dict | list) and same_key and _contains(node, value):
            if best is None:
                best = (1, path)
    if best is None and isinstance(node, dict) and isinstance(key, str):
        for path, value in user:  # a map the template copied from the values (toYaml)
            if len(path) >= 2 and path[-1] in node and node[path[-1]] == value and _distinctive(value):
                return values.location(path)
    return values.location(best[1]) if best else None


def _base64_text(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return value


def path_has_value(node: Any) -> bool:
    return node is not None and node != "" and node != {} and node != []


def _distinctive(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return abs(value) >= 2 and value not in (10, 100)
    if isinstance(value, str):
        return len(value) >= 4 and value.lower() not in ("true", "false", "none", "always", "never")
    return bool(value)


def _contains(node: Any, value: Any) -> bool:
    if node == value:
        return True
    if isinstance(node, dict):
        return any(_contains(v, value) for v in node.values())
    if isinstance(node, list):
        return any(_contains(v, value) for v in node)
    return False
