"""The shared types of the validator: every stage, rule, command and reporter speaks these.

This module imports nothing else from the package (a test walks the import graph), so any
module may import it without creating a cycle. It holds records only: what a source document
is, what a render produced, what the schema stage checked, what a rule found, and the finding
every stage produces and the reporters consume.

A finding is small and immutable. Stages say *what* is wrong and *where*; the core assigns the
severity from the rule's default and the configuration, so no stage decides how loud it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

FieldPath = tuple[str | int, ...]
"""A path to a field of a YAML or JSON document: mapping keys and sequence indices."""


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


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one: loaded data read without trusting its shape."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty one."""
    return value if isinstance(value, list) else []


MISSING: Any = object()  # value_at's default where "no node there" must differ from a null value


def value_at(data: Any, path: FieldPath, default: Any = None) -> Any:
    """The node at ``path`` in loaded YAML or JSON data (mappings by key, lists by index), or ``default``
    when there is none."""
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return default
    return data


def metadata_name(data: Any) -> str:
    """An object's ``metadata.name`` as text ("" when it has no metadata mapping or no name)."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return str(metadata.get("name", "")) if isinstance(metadata, dict) else ""


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
        objects = [value for key, value in self.extra if key == "object"]
        if objects:
            out["objects"] = objects  # the objects of one chart that fail the same way, each with its message
        return out


class ToolError(Exception):
    """The tool cannot do its job (exit 2); the message is one line naming the fix."""


# --- where things are ------------------------------------------------------------------------

@dataclass(frozen=True)
class Location:
    """A place in the files the user edits."""

    file: str | None
    line: int | None
    column: int | None
    note: str = ""  # appended to the message when the value is not where the user wrote it


class Document:
    """One YAML document of a file: its data and where each node of it stands.

    ``positions`` maps every path (keys and list indexes) to the 1-based line and column of the key
    or item. A document read by the native parser (validate.fastyaml) finds them on first use,
    through ``deferred``: most documents never have a finding to place.
    """

    __slots__ = ("_positions", "column", "data", "deferred", "file", "index", "line", "shared")

    def __init__(self, file: str, index: int, data: Any, line: int, column: int,
                 positions: dict[FieldPath, tuple[int, int]] | None = None, shared: bool = False, *,
                 deferred: Callable[[], dict[FieldPath, tuple[int, int]]] | None = None):
        self.file = file  # repository-relative path
        self.index = index  # 0-based position of the document in its file
        self.data = data
        self.line = line  # 1-based line where the document's root node starts
        self.column = column
        self._positions = positions if positions is not None or deferred is not None else {}
        self.shared = shared  # written with aliases: a subtree may appear in several places (walk it once)
        self.deferred = deferred if positions is None else None

    @property
    def positions(self) -> dict[FieldPath, tuple[int, int]]:
        if self._positions is None:
            assert self.deferred is not None
            self._positions, self.deferred = self.deferred(), None
        return self._positions

    @positions.setter
    def positions(self, value: dict[FieldPath, tuple[int, int]]) -> None:
        self._positions, self.deferred = value, None

    def __repr__(self) -> str:
        return f"Document(file={self.file!r}, index={self.index}, line={self.line}, column={self.column})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Document):
            return NotImplemented
        return (self.file, self.index, self.data, self.line, self.column, self.shared) == \
            (other.file, other.index, other.data, other.line, other.column, other.shared) \
            and self.positions == other.positions

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it replaces

    def _on(self, path: FieldPath) -> dict[FieldPath, tuple[int, int]]:
        """Positions that hold those of ``path`` and its ancestors: all of them once found, else
        those of the path alone when the deferred finder can tell them (a finding's few paths
        cost a fraction of a whole document's)."""
        if self._positions is None:
            along = getattr(self.deferred, "along", None)
            found = along(path) if along is not None else None
            if found is not None:
                return found
        return self.positions

    def moved(self, lines: int, columns: int) -> Document:
        """This document as if its text started ``lines`` and ``columns`` further on."""
        return Document(self.file, self.index, self.data, self.line + lines, self.column + columns,
                        {key: (line + lines, column + columns) for key, (line, column) in self.positions.items()},
                        self.shared)

    def position(self, path: FieldPath) -> tuple[int, int] | None:
        """The exact position of ``path``, or None when the source has no such node."""
        if not path:
            return (self.line, self.column)
        return self._on(tuple(path)).get(tuple(path))

    def nearest(self, path: FieldPath) -> tuple[FieldPath, tuple[int, int]]:
        """The deepest existing ancestor of ``path`` (the root at worst) and its position."""
        path = tuple(path)
        positions = self._on(path)
        for end in range(len(path), 0, -1):
            found = positions.get(path[:end])
            if found is not None:
                return path[:end], found
        return (), (self.line, self.column)


@dataclass
class RenderedObject:
    """One object of a render's output, with what kustomize's annotations say about its origin."""

    data: dict[str, Any]
    render: str  # the rendered directory, repository-relative
    index: int  # position in the render's output
    source_file: str | None = None  # the resource file it came from, repository-relative
    generated_in: str | None = None  # the kustomization file of the generator that made it
    generator: str | None = None  # e.g. "ConfigMapGenerator"
    transformed_in: list[tuple[str, str]] = field(default_factory=list)  # (kustomization file, transformer)
    # Read from a remote base in the source cache: (the entry as written, its line in source_file,
    # which is then the kustomization that lists it).
    remote: tuple[str, int | None] | None = None
    # Inflated by kustomize's helmCharts: (the index of its entry in generated_in, the chart template), when known
    # (validate/helm_inflation.py).
    chart_entry: tuple[int, str] | None = None

    def entry(self) -> dict[str, Any]:
        """As a render cache entry stores it (JSON)."""
        return {"data": self.data, "source_file": self.source_file, "generated_in": self.generated_in,
                "generator": self.generator, "transformed_in": self.transformed_in,
                **({"remote": list(self.remote)} if self.remote else {}),
                **({"chart_entry": list(self.chart_entry)} if self.chart_entry else {})}

    @classmethod
    def from_entry(cls, render: str, index: int, item: dict[str, Any]) -> RenderedObject:
        """The object a render cache entry stored with ``entry``."""
        return cls(item["data"], render, index, item.get("source_file"), item.get("generated_in"),
                   item.get("generator"), [tuple(t) for t in item.get("transformed_in", [])],
                   tuple(item["remote"]) if isinstance(item.get("remote"), list) else None,
                   tuple(item["chart_entry"]) if isinstance(item.get("chart_entry"), list) else None)


# --- settings -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """Bounds on what one file may cost. The defaults are far above any real manifest."""

    max_file_bytes: int = 8 * 1024 * 1024
    max_documents: int = 10_000
    max_depth: int = 200
    max_nodes_per_document: int = 1_000_000  # after alias expansion


@dataclass(frozen=True)
class ChildLimits:
    """What one child process (kustomize, git) may use. The defaults are far above any real render
    and far below a build machine: four parallel renders at the cap fit in 8 GiB."""

    memory_mib: int = 2048
    cpu_seconds: int = 120

    @property
    def memory_bytes(self) -> int:
        return self.memory_mib * 2**20


@dataclass(frozen=True)
class WalkLimits:
    """How much of a folder the walk looks at before it stops with an error: a repository of
    manifests is far smaller; a home folder, a temporary folder or ``/`` is far larger."""

    files: int = 50_000  # files and folders
    bytes: int = 2 * 2**30  # their total size


@dataclass
class Config:
    root: Path
    kubernetes_versions: list[str] = field(default_factory=list)  # empty: oldest and newest shipped
    repo_url: str | None = None
    ignore: list[str] = field(default_factory=list)
    skip_kinds: list[str] = field(default_factory=list)
    missing_schemas: str = "warn"  # a custom resource kind with no schema: error, warn or skip
    build_options: list[str] = field(default_factory=list)
    render_timeout: float = 60.0
    child_limits: ChildLimits = field(default_factory=ChildLimits)  # every kustomize (or git) process
    limits: Limits = field(default_factory=Limits)
    walk_limits: WalkLimits = field(default_factory=WalkLimits)
    rules: dict[str, str] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str | None = None  # the config file, repository-relative
    sources_cache: Path | None = None  # the source cache folder (validate.sources)
    sources_read_only: list[Path] = field(default_factory=list)  # extra read-only source folders
    overrides: dict[str, str] = field(default_factory=dict)  # from the command line: --rule ID=LEVEL
    node_cpu: float | None = None  # cluster.nodeCPU: the CPUs of one node, in cores (pod-cpu-node-size)
    external_projects: list[str] = field(default_factory=list)  # argocd.externalProjects: AppProjects not here

    def setting(self, rule: str, environment: str | None = None) -> str | None:
        """What the command line or configuration says about ``rule`` (``error`` ... ``off``), None when nothing."""
        for settings in (self.overrides, self.rules, self.profile(environment)):
            chosen = _most_specific(settings, rule)
            if chosen is not None:
                return chosen
        return None

    def names(self, rule: str, environment: str | None = None) -> bool:
        """True when the command line or configuration names ``rule`` in full (not through a prefix)."""
        return rule in self.overrides or rule in self.rules or rule in self.profile(environment)

    def severity(self, rule: str, default: Severity, environment: str | None = None) -> Severity | None:
        """The severity of a finding of ``rule`` in ``environment`` (None: turned off).

        The one precedence, used for every finding: the command line (``--rule``), then the
        top-level ``rules:``, then the environment's profile, then ``default`` (the rule's
        ``DEFAULT``, or the stage's). The first of them that names the rule decides. A setting
        names a rule id or a prefix of one ending in ``*`` (``schema-*``); within one of them
        the most specific setting wins.
        """
        chosen = self.setting(rule, environment)
        if chosen is None:
            return default
        return None if chosen == "off" else Severity.parse(chosen)

    def profile(self, environment: str | None) -> dict[str, str]:
        """The severity profile of an environment: the one it names, else the profile named like it."""
        profile_name = self.environments.get(environment or "", {}).get("profile", environment)
        return self.profiles.get(profile_name or "", {})


def _most_specific(settings: dict[str, str], rule: str) -> str | None:
    if rule in settings:
        return settings[rule]
    best: tuple[int, str] | None = None
    for name, value in settings.items():
        if name.endswith("*") and rule.startswith(name[:-1]) and (best is None or len(name) > best[0]):
            best = (len(name), value)
    return best[1] if best else None


# --- what the stages produce -----------------------------------------------------------------

@dataclass
class Checked:
    """One object that went through the schema stage: what rules look at."""

    data: dict[str, Any]
    file: str | None
    line: int | None
    render: str | None  # the rendered directory, None for a stand-alone manifest
    rendered: RenderedObject | None = None
    document: Document | None = None
    locate: Callable[[FieldPath], Location] | None = None  # a chart object: where its fields came from
    owner: Any = None  # a chart object: the Application (validate.argocd.App) whose chart renders it
    volatile: tuple[FieldPath, ...] = ()  # a chart object: fields the chart sets at random on every render
    # An object rendered from sources outside this repository (a chart of a Helm repository, a remote
    # git source): the values this repository gives them ({} when none). None: its source is here.
    repository_values: Any = None


@dataclass(frozen=True)
class Violation:
    """What a rule found. ``obj`` and ``path`` place it on an object's field; ``file`` and
    ``line`` place it directly (repository-wide rules)."""

    message: str
    path: FieldPath = ()
    obj: Checked | None = None
    file: str | None = None
    line: int | None = None
    located: Location | None = field(default=None, compare=False)  # where obj's path stands, once found


@dataclass
class Result:
    """One run of the checks: what every reporter prints."""

    root: Path
    config: Config
    versions: list[str]
    findings: list[Finding]
    rendered: list[str]
    objects: list[Checked]
    files: int
    seconds: float
    render_seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    charts: list[str] = field(default_factory=list)  # the Helm sources rendered, one label each
    charts_missing: list[str] = field(default_factory=list)  # the chart sources the source cache lacks

    def count(self, severity: Severity) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    @property
    def exit_code(self) -> int:
        return 1 if self.count(Severity.ERROR) else 0
