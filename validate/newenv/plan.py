"""What ``new-env`` plans before it writes anything: the records, and how it reads the repository."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validate import discover
from validate.argocd import is_kind
from validate.context import Context
from validate.environments import OVERLAYS
from validate.model import Document

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Keys whose value names the environment itself.
ENVIRONMENT_KEYS = r"(?:[\w.-]+/)?(?:environment|env)"
_TOKEN = r"A-Za-z0-9_-"  # characters that continue a name: "seldon-staging-db" is another name
TEMP_PREFIX = discover.WORK_DIR_PREFIX + "new-env-"


def token_pattern(word: str) -> re.Pattern[str]:
    """``word`` as a whole token: not part of a longer name (dots and slashes separate tokens)."""
    return re.compile(rf"(?<![{_TOKEN}]){re.escape(word)}(?![{_TOKEN}])")


@dataclass
class ProjectEdit:
    file: str
    project: str
    namespace: str  # added
    after: str  # the namespace of the entry it is inserted after
    line: int  # 1-based line of the inserted entry in the new text
    original: str
    text: str


@dataclass
class ConfigEdit:
    """The new environment written into ``.gitops-validate.yaml``, with the source's profile."""

    file: str
    environment: str
    profile: str | None
    line: int  # 1-based line of the new entry in the new text
    original: str
    text: str


@dataclass
class PlannedApplication:
    name: str
    path: str
    namespace: str | None
    owner: str  # "ApplicationSet <name> (<pattern>)"


@dataclass
class Plan:
    root: Path
    name: str
    source: str
    files: dict[str, bytes] = field(default_factory=dict)  # overlays/NAME/... -> content
    links: dict[str, str] = field(default_factory=dict)  # overlays/NAME/... -> symbolic link target
    modes: dict[str, int] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)  # old -> new (namespaces, then the env name)
    namespaces: dict[str, str] = field(default_factory=dict)  # old -> new, as AppProject destinations
    counts: dict[str, int] = field(default_factory=dict)  # "seldon-staging -> seldon-qa" -> files changed
    project_edits: list[ProjectEdit] = field(default_factory=list)
    config_edit: ConfigEdit | None = None
    applications: list[PlannedApplication] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # lines of the copy that still mention ENV

    @property
    def target(self) -> str:
        return f"{OVERLAYS}/{self.name}"

    @property
    def source_dir(self) -> str:
        return f"{OVERLAYS}/{self.source}"


def documents(repo: Context, kind: str) -> list[tuple[str, Document]]:
    """The Argo CD objects of ``kind`` of the repository model, with their files and documents."""
    return [(obj.file, obj.document) for obj in repo.objects
            if is_kind(obj.data, kind) and obj.file is not None and obj.document is not None]




def name_of(data: dict[str, Any]) -> str:
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else "?"


