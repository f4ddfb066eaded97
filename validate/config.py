"""The one configuration file: ``.gitops-validate.yaml`` at the repository root.

Everything has a default, so a repository without the file is validated sensibly. The file
is itself checked against a strict schema: a misspelt key is a usage error (exit 2), not a
silently ignored setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from validate.findings import Severity, ToolError
from validate.load import Limits, load_file

CONFIG_NAMES = (".gitops-validate.yaml", ".gitops-validate.yml")

# Options of Argo CD's `kustomize.buildOptions` that are safe offline. Anything else (exec
# plugins, alpha functions) could run code from the repository, which the validator never does.
ALLOWED_BUILD_OPTIONS = {
    "--load-restrictor=LoadRestrictionsNone",
    "--load-restrictor LoadRestrictionsNone",
    "--enable-helm",
}

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "kubernetesVersions": {"type": "array", "minItems": 1,
                               "items": {"type": "string", "pattern": r"^v?1\.\d+(\.\d+)?$"}},
        "repoURL": {"type": "string", "minLength": 1},
        "ignore": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "skipKinds": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "kustomize": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "buildOptions": {"type": "string"},
                "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
            },
        },
        "sources": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "cache": {"type": "string", "minLength": 1},
                "readOnly": {"type": "array", "items": {"type": "string", "minLength": 1}},
            },
        },
        "limits": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "maxFileBytes": {"type": "integer", "minimum": 1},
                "maxDocuments": {"type": "integer", "minimum": 1},
                "maxDepth": {"type": "integer", "minimum": 1, "maximum": 1000},
            },
        },
        "rules": {
            "type": "object",
            "additionalProperties": {"enum": ["error", "warning", "info", "off"]},
        },
        "environments": {
            "type": "object",
            "additionalProperties": {
                "type": "object", "additionalProperties": False,
                "properties": {
                    "paths": {"type": "array", "items": {"type": "string"}},
                    "profile": {"type": "string"},
                },
            },
        },
        "profiles": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": {"enum": ["error", "warning", "info", "off"]},
            },
        },
    },
}
_VALIDATOR = jsonschema_rs.validator_for(_SCHEMA)


@dataclass
class Config:
    root: Path
    kubernetes_versions: list[str] = field(default_factory=list)  # empty: oldest and newest shipped
    repo_url: str | None = None
    ignore: list[str] = field(default_factory=list)
    skip_kinds: list[str] = field(default_factory=list)
    build_options: list[str] = field(default_factory=list)
    render_timeout: float = 60.0
    limits: Limits = field(default_factory=Limits)
    rules: dict[str, str] = field(default_factory=dict)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    source: str | None = None  # the config file, repository-relative
    sources_cache: Path | None = None  # the source cache folder (validate.sources)
    sources_read_only: list[Path] = field(default_factory=list)  # extra read-only source folders

    def severity(self, rule: str, default: Severity, environment: str | None = None) -> Severity | None:
        """The configured severity of ``rule`` (None when turned off).

        The environment's profile is consulted first, then the top-level ``rules``. A setting
        names a rule id or a prefix of one ending in ``*`` (``schema-*``); the most specific
        setting wins.
        """
        profile_name = self.environments.get(environment or "", {}).get("profile", environment)
        profile = self.profiles.get(profile_name or "", {})
        for settings in (profile, self.rules):
            chosen = _most_specific(settings, rule)
            if chosen is not None:
                return None if chosen == "off" else Severity.parse(chosen)
        return default


def _most_specific(settings: dict[str, str], rule: str) -> str | None:
    if rule in settings:
        return settings[rule]
    best: tuple[int, str] | None = None
    for name, value in settings.items():
        if name.endswith("*") and rule.startswith(name[:-1]) and (best is None or len(name) > best[0]):
            best = (len(name), value)
    return best[1] if best else None


def load_config(root: Path) -> Config:
    for name in CONFIG_NAMES:
        path = root / name
        if path.is_file():
            return _parse(root, path)
    return Config(root=root)


def _parse(root: Path, path: Path) -> Config:
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        raise ToolError(f"{path.name} is a link that leaves the repository; the configuration must live in it"
                        ) from None
    loaded = load_file(path, path.name)
    if loaded.findings:
        first = loaded.findings[0]
        raise ToolError(f"{path.name}:{first.line or 1}: {first.message}")
    data = loaded.documents[0].data if loaded.documents else {}
    errors = list(_VALIDATOR.iter_errors(data))
    if errors:
        error = errors[0]
        where = ".".join(str(part) for part in error.instance_path) or "(top level)"
        raise ToolError(f"{path.name}: {where}: {error.message}")
    kustomize = data.get("kustomize", {})
    options = _build_options(kustomize.get("buildOptions", ""), path.name)
    limits = data.get("limits", {})
    return Config(
        root=root,
        kubernetes_versions=[version.lstrip("v") for version in data.get("kubernetesVersions", [])],
        repo_url=data.get("repoURL"),
        ignore=list(data.get("ignore", [])),
        skip_kinds=list(data.get("skipKinds", [])),
        build_options=options,
        render_timeout=float(kustomize.get("timeoutSeconds", 60.0)),
        limits=Limits(
            max_file_bytes=limits.get("maxFileBytes", Limits.max_file_bytes),
            max_documents=limits.get("maxDocuments", Limits.max_documents),
            max_depth=limits.get("maxDepth", Limits.max_depth),
        ),
        rules=dict(data.get("rules", {})),
        environments=dict(data.get("environments", {})),
        profiles=dict(data.get("profiles", {})),
        source=path.name,
        sources_cache=_folder(root, data.get("sources", {}).get("cache")),
        sources_read_only=[p for p in (_folder(root, f) for f in data.get("sources", {}).get("readOnly", [])) if p],
    )


def _folder(root: Path, value: str | None) -> Path | None:
    """A configured folder: ``~`` expanded, relative to the repository root."""
    if value is None:
        return None
    return (root / Path(value).expanduser()).resolve()


def _build_options(text: str, where: str) -> list[str]:
    """Split Argo CD-style build options, refusing anything that could execute code."""
    words = text.split()
    options: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "--load-restrictor" and index + 1 < len(words):
            word = f"--load-restrictor={words[index + 1]}"
            index += 1
        if word not in ALLOWED_BUILD_OPTIONS:
            raise ToolError(f"{where}: kustomize.buildOptions {word!r} is not allowed offline"
                            f" (allowed: --load-restrictor=LoadRestrictionsNone, --enable-helm)")
        options.append(word)
        index += 1
    return options
