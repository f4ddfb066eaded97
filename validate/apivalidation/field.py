"""Field errors and warnings, worded as k8s.io/apimachinery/pkg/util/validation/field words them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from validate.model import as_dict as as_dict
from validate.model import as_list as as_list

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str  # the server's wording after the field path: "Invalid value: -1: must be ..."
    warning: bool = False


def show(value: Any) -> str:
    """A value as Go's %q / %v print it in field errors."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True)


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class Errors:
    """Collects the problems of one object for one Kubernetes version."""

    version: tuple[int, int]
    problems: list[Problem] = field(default_factory=list)

    def at_least(self, version: str) -> bool:
        major, minor = version.split(".")
        return self.version >= (int(major), int(minor))

    def invalid(self, path: Path, value: Any, detail: str) -> None:
        self.problems.append(Problem(path, f"Invalid value: {show(value)}: {detail}"))

    def invalid_all(self, path: Path, value: Any, details: Iterable[str]) -> None:
        for detail in details:
            self.invalid(path, value, detail)

    def required(self, path: Path, detail: str = "") -> None:
        self.problems.append(Problem(path, "Required value" + (f": {detail}" if detail else "")))

    def not_supported(self, path: Path, value: Any, supported: Iterable[str]) -> None:
        listed = ", ".join(json.dumps(s) for s in sorted(supported))
        self.problems.append(Problem(path, f"Unsupported value: {show(value)}: supported values: {listed}"))

    def duplicate(self, path: Path, value: Any) -> None:
        self.problems.append(Problem(path, f"Duplicate value: {show(value)}"))

    def forbidden(self, path: Path, detail: str) -> None:
        self.problems.append(Problem(path, f"Forbidden: {detail}"))

    def not_found(self, path: Path, value: Any) -> None:
        self.problems.append(Problem(path, f"Not found: {show(value)}"))

    def too_long(self, path: Path, limit: int) -> None:
        self.problems.append(Problem(path, f"Too long: may not be more than {limit} bytes"))

    def warn(self, path: Path, detail: str) -> None:
        self.problems.append(Problem(path, detail, warning=True))

    def non_negative(self, path: Path, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            self.invalid(path, value, "must be greater than or equal to 0")

    def positive(self, path: Path, value: Any) -> None:
        if isinstance(value, int) and not isinstance(value, bool) and value <= 0:
            self.invalid(path, value, "must be greater than 0")

    def enum(self, path: Path, value: Any, supported: Iterable[str]) -> None:
        supported = list(supported)
        if isinstance(value, str) and value not in supported:
            self.not_supported(path, value, supported)






def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
