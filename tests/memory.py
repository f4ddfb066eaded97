"""An in-memory repository model for rule unit tests: no files, no kustomize, no schema stage.

``repository(...)`` builds the :class:`~validate.context.Context` a rule sees (the repository
model of one run) from Python objects: manifests as dicts, the files and kustomization folders
the repository would have. ``violations(rule_id, ctx)`` runs one registered rule on it the way
the pipeline does (``check`` on the objects of its ``KINDS``, ``check_repository`` once) and
returns what it found. See CONTRIBUTING.md, "Unit tests of a rule".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from validate.context import Context
from validate.discover import Inventory, Kustomization
from validate.model import Checked, Config, FieldPath
from validate.rules import applies, registry

# No repository on disk: nothing may read it (a rule that reads files is a bug the test shows).
ROOT = Path("/nonexistent/in-memory-repository")
REPO_URL = "https://git.example.com/org/gitops.git"


@dataclass(frozen=True)
class Found:
    """One violation, reduced to what a unit test asserts on."""

    message: str
    path: FieldPath
    file: str | None  # the object's file, or the file a repository-wide rule names
    line: int | None = None  # only a repository-wide rule's


def manifest_file(data: dict[str, Any]) -> str:
    """A file name for a manifest given without one: ``manifests/<kind>-<name>.yaml``."""
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return f"manifests/{str(data.get('kind', 'object')).lower()}-{metadata.get('name', 'unnamed')}.yaml"


def repository(*manifests: dict[str, Any] | tuple[str, dict[str, Any]], files: Iterable[str] = (),
               kustomizations: Iterable[str] = (), repo_url: str | None = REPO_URL,
               config: Config | None = None, render: str | None = None) -> Context:
    """The repository model holding ``manifests`` (a dict, or ``(file, dict)`` to choose its file),
    with ``files`` and ``kustomizations`` (folders, each given a ``kustomization.yaml``) as the
    tree, and this repository's URL. ``render`` marks every manifest as rendered from that folder."""
    objects = []
    for entry in manifests:
        rel, data = entry if isinstance(entry, tuple) else (manifest_file(entry), entry)
        objects.append(Checked(data, rel, 1, render))
    folders = sorted(set(kustomizations))
    all_files = sorted({*files, *(obj.file for obj in objects if obj.file), *(f"{d}/kustomization.yaml" for d in folders)})
    directories = sorted({parent.as_posix() for rel in all_files for parent in PurePosixPath(rel).parents
                          if parent.as_posix() != "."})
    inventory = Inventory(
        root=ROOT, yaml_files=[f for f in all_files if f.endswith((".yaml", ".yml"))],
        kustomizations={d: Kustomization(d, f"{d}/kustomization.yaml", None) for d in folders},
        rendered=folders, argo_sources=[], inputs={d: set() for d in folders},
        standalone=[obj.file for obj in objects if obj.file and render is None], findings=[],
        files=all_files, directories=directories)
    return Context(config or Config(root=ROOT, repo_url=repo_url), inventory, {}, objects, [], [])


def violations(rule_id: str, ctx: Context) -> list[Found]:
    """What the rule ``rule_id`` reports on the model, in the order it reports it."""
    module = registry()[rule_id]
    found = []
    check = getattr(module, "check", None)
    if check is not None:
        for obj in ctx.objects:
            if applies(module, obj.data):
                found += [Found(v.message, v.path, (v.obj or obj).file) for v in check(obj, ctx)]
    check_repository = getattr(module, "check_repository", None)
    if check_repository is not None:
        found += [Found(v.message, v.path, v.file, v.line) for v in check_repository(ctx)]
    return found
