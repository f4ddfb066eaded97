"""The finding record every stage produces and the reporter consumes.

A finding is small and immutable. Stages say *what* is wrong and *where*; the core assigns the
severity from the rule's default and the configuration, so no stage decides how loud it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any


class Severity(IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (use error, warning, info or off)") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class ObjectRef:
    """The identity of a Kubernetes object a finding is about."""

    api_version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""

    @classmethod
    def of(cls, obj: Any) -> ObjectRef | None:
        if not isinstance(obj, dict):
            return None
        meta: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
        return cls(
            api_version=_text(obj.get("apiVersion")),
            kind=_text(obj.get("kind")),
            namespace=_text(meta.get("namespace")),
            name=_text(meta.get("name")),
        )

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind or '?'} {where}{self.name or '?'}"

    def as_json(self) -> dict[str, str]:
        return {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    file: str | None = None  # repository-relative, forward slashes
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    severity: Severity = Severity.ERROR
    object: ObjectRef | None = None
    render: str | None = None  # the rendered path (or Application) the object came from
    extra: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    def sort_key(self) -> tuple[Any, ...]:
        return (self.file or "~", self.line or 0, self.column or 0, self.rule, self.message, self.render or "")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": str(self.severity),
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "object": self.object.as_json() if self.object else None,
            "render": self.render,
        }
        # Optional keys: the tool's original text behind the message, and other places of the same cause.
        detail = [value for key, value in self.extra if key == "detail"]
        if detail:
            out["detail"] = detail[0]
        related = [value for key, value in self.extra if key == "related"]
        if related:
            out["related"] = related
        return out


class ToolError(Exception):
    """The tool cannot do its job (exit 2); the message is one line naming the fix."""
