"""The one configuration file: ``.gitops-validate.yaml`` at the repository root.

Everything has a default, so a repository without the file is validated sensibly. The file
is itself checked against a strict schema: a misspelt key is a usage error (exit 2), not a
silently ignored setting.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema_rs

from validate import registry, suggest
from validate.load import load_file
from validate.model import ChildLimits, Config, Limits, ToolError, WalkLimits

CONFIG_NAMES = (".gitops-validate.yaml", ".gitops-validate.yml")
LEVELS = ("error", "warning", "info", "off")

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
        "missingSchemas": {"enum": ["error", "warn", "skip"]},
        "kustomize": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "buildOptions": {"type": "string"},
                "timeoutSeconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
                "memoryLimitMiB": {"type": "integer", "minimum": 128, "maximum": 1048576},
                "cpuLimitSeconds": {"type": "integer", "minimum": 1, "maximum": 86400},
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
                "maxWalkFiles": {"type": "integer", "minimum": 1},
                "maxWalkBytes": {"type": "integer", "minimum": 1},
            },
        },
        "cluster": {
            "type": "object", "additionalProperties": False,
            "properties": {"nodeCPU": {"type": ["string", "number"]}},
        },
        "argocd": {
            "type": "object", "additionalProperties": False,
            "properties": {
                "externalProjects": {"type": "array", "items": {"type": "string", "minLength": 1}},
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
        raise ToolError(f"{path.name}: {where}: {error.message}{_key_hint(error)}")
    _check_names(data, path.name)
    kustomize = data.get("kustomize", {})
    options = _build_options(kustomize.get("buildOptions", ""), path.name)
    limits = data.get("limits", {})
    return Config(
        root=root,
        kubernetes_versions=[version.lstrip("v") for version in data.get("kubernetesVersions", [])],
        repo_url=data.get("repoURL"),
        ignore=list(data.get("ignore", [])),
        skip_kinds=list(data.get("skipKinds", [])),
        missing_schemas=data.get("missingSchemas", "warn"),
        build_options=options,
        render_timeout=float(kustomize.get("timeoutSeconds", 60.0)),
        child_limits=ChildLimits(memory_mib=kustomize.get("memoryLimitMiB", ChildLimits.memory_mib),
                                 cpu_seconds=kustomize.get("cpuLimitSeconds", ChildLimits.cpu_seconds)),
        limits=Limits(
            max_file_bytes=limits.get("maxFileBytes", Limits.max_file_bytes),
            max_documents=limits.get("maxDocuments", Limits.max_documents),
            max_depth=limits.get("maxDepth", Limits.max_depth),
        ),
        walk_limits=WalkLimits(files=limits.get("maxWalkFiles", WalkLimits.files),
                               bytes=limits.get("maxWalkBytes", WalkLimits.bytes)),
        rules=dict(data.get("rules", {})),
        environments=dict(data.get("environments", {})),
        profiles=dict(data.get("profiles", {})),
        source=path.name,
        sources_cache=_folder(root, data.get("sources", {}).get("cache")),
        sources_read_only=[p for p in (_folder(root, f) for f in data.get("sources", {}).get("readOnly", [])) if p],
        node_cpu=_node_cpu(data.get("cluster", {}).get("nodeCPU"), path.name),
        external_projects=list(data.get("argocd", {}).get("externalProjects", [])),
    )


def _node_cpu(value: str | float | None, where: str) -> float | None:
    """``cluster.nodeCPU`` in cores: a CPU quantity (``4``, ``"3500m"``) above zero."""
    if value is None:
        return None
    cores = suggest.quantity_value(str(value)) if not isinstance(value, bool) else None
    if cores is None or cores <= 0:
        raise ToolError(f"{where}: cluster.nodeCPU: {value!r} is not a CPU quantity above zero (such as 4 or 3500m)")
    return cores


def _key_hint(error: Any) -> str:
    """`` (did you mean 'repoURL'?)`` for a misspelt configuration key."""
    if type(error.kind).__name__ != "AdditionalProperties":
        return ""
    node: Any = _SCHEMA
    for step in error.instance_path:
        properties = node.get("properties", {}) if isinstance(node, dict) else {}
        node = properties.get(step, node.get("additionalProperties") if isinstance(node, dict) else None)
        if not isinstance(node, dict):
            return ""
    known = list(node.get("properties", {}))
    for name in getattr(error.kind, "unexpected", ()) or ():
        near = suggest.closest(str(name), known, cutoff=0.6)
        if near:
            return f" ({name!r}: did you mean {near!r}?)"
    return ""


def _folder(root: Path, value: str | None) -> Path | None:
    """A configured folder: ``~`` expanded, relative to the repository root."""
    if value is None:
        return None
    return (root / Path(value).expanduser()).resolve()
def _check_names(data: dict[str, Any], where: str) -> None:
    """Every rule id a severity setting names is registered, and every profile an environment
    names exists: a misspelt name is a usage error, never a silently ignored setting."""
    sections = [("rules", data.get("rules", {}))]
    sections += [(f"profiles.{name}", settings) for name, settings in data.get("profiles", {}).items()]
    for section, settings in sections:
        for setting in settings:
            problem = registry.problem(setting)
            if problem is not None:
                raise ToolError(f"{where}: {section}: {problem}")
    profiles = sorted(data.get("profiles", {}))
    for name, settings in data.get("environments", {}).items():
        profile = settings.get("profile")
        if profile is not None and profile not in profiles:
            raise ToolError(f"{where}: environments.{name}.profile: no profile {profile!r} under profiles"
                            f"{registry.did_you_mean(profile, profiles)}")


def check_overrides(settings: list[str]) -> dict[str, str]:
    """``--rule ID=LEVEL`` settings from the command line, checked like the configuration's."""
    found: dict[str, str] = {}
    for setting in settings:
        rule, _, level = setting.partition("=")
        rule, level = rule.strip(), level.strip().lower()
        if not rule or level not in LEVELS:
            raise ToolError(f"--rule {setting}: give ID=LEVEL, LEVEL one of {', '.join(LEVELS)}")
        problem = registry.problem(rule)
        if problem is not None:
            raise ToolError(f"--rule {setting}: {problem}")
        found[rule] = level
    return found


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
