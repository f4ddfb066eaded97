"""Remote git sources of Applications rendered from the offline source cache.

An Application whose source is another git repository (Argo CD itself at a pinned tag, say) is
rendered from the cached tree of that repository at that revision, as the repo-server would:
``kustomize build <path>`` with the kustomize Argo CD 3.5 bundles, after applying the
Application's ``spec.source.kustomize`` options to a private copy as Argo CD's ``kustomize edit``
calls do (:mod:`validate.argocd.kustomize_edit`); an option they refuse is a finding at its line.
The network is closed to kustomize, so a remote base inside the remote source is a finding, never a download. Findings on the
objects land on the Application's ``path`` line.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from validate import children, render
from validate.argocd import kustomize_edit
from validate.argocd.sources import ref_only
from validate.local_options import build_environment
from validate.model import Checked, ChildLimits, FieldPath, Finding, Location, ToolError
from validate.sources import GitRef, SourceCache, tree_digest
from validate.yaml_events import SAFE_LOADER

if TYPE_CHECKING:
    from validate.cache import ParsedDocuments
    from validate.context import Context

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass
class RemoteStage:
    objects: list[Checked] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)


def render_git_sources(ctx: Context, cache: SourceCache, git_ref: Callable[[dict[str, Any]], GitRef | None],
                       locate: Callable[[Checked, FieldPath], Location], timeout: float,
                       parsed: ParsedDocuments | None = None) -> RemoteStage:
    """Every remote git source with a kustomization, rendered; with ``parsed``, a render an earlier run
    made of the same tree, path and options is read back instead (successful renders only)."""
    stage = RemoteStage()
    kubectl: Path | None = None
    for app in ctx.applications:
        for where, source in app.sources():
            ref = None if ref_only(where, source) else git_ref(source)
            found = cache.git(ref) if ref is not None else None
            if ref is None or found is None:
                continue
            path_at = locate(app.obj, app.where(*where, "path"))
            label = f"{app.obj.file or '?'}: {app.label}, {ref}"

            def problem(message: str, at: Location = path_at, label: str = label) -> None:
                stage.findings.append(Finding("render-failed", message, at.file, at.line, at.column, render=label))

            rel = "/".join(p for p in str(source.get("path") or ".").split("/") if p not in ("", "."))
            if ".." in rel.split("/"):
                problem(f"path {source.get('path')!r} leaves the repository {ref.repo_url}")
                continue
            directory = found.path / rel if rel else found.path
            if not any((directory / name).is_file() for name in KUSTOMIZATION_NAMES):
                continue  # plain manifests or a chart of another repository: not rendered yet
            options = source.get("kustomize")
            options = options if kustomize_edit.active(options) else None
            environment = build_environment(app, source)
            key = parsed.key({"tree": tree_digest(found.path), "links": json.dumps(_links(found.path)), "path": rel,
                              "kustomize": json.dumps(options, sort_keys=True, default=str),
                              "environment": json.dumps(environment, sort_keys=True)},
                             f"remote kustomize build {render.KUSTOMIZE_VERSION} {_code_identity()}") \
                if parsed is not None else ""
            stored = parsed.get(key) if parsed is not None else None
            if stored is not None and "objects" in stored:
                data, error = [d for d in stored["objects"] if isinstance(d, dict)], None
            else:
                kubectl = kubectl or render.find_kubectl()
                data, error = _build(found.path, rel, options, kubectl, timeout, environment)
                if parsed is not None and error is None:
                    parsed.put(key, {"objects": data})
            if isinstance(error, kustomize_edit.EditError):  # Argo CD's `kustomize edit` refuses an option
                problem(f"Argo CD cannot apply the Application's kustomize options to {ref} path {rel or '.'}:"
                        f" {error.message}", locate(app.obj, app.where(*where, "kustomize", *error.option)))
                continue
            if error is not None:
                problem(f"kustomize build of {ref} path {rel or '.'} fails: {error}")
                continue
            stage.rendered.append(label)
            fixed = Location(path_at.file, path_at.line, path_at.column, f" (rendered from {ref} path {rel or '.'})")
            for obj in data:
                stage.objects.append(Checked(obj, path_at.file, path_at.line, label, locate=_fixed(fixed), owner=app,
                                             repository_values={}))
    return stage


@cache
def _code_identity() -> str:
    """What a cached remote build depends on besides its inputs: this module and the ``kustomize edit``
    emulation that applies the Application's options (a change to either builds afresh)."""
    digest = hashlib.sha256()
    for module in (__file__, kustomize_edit.__file__):
        try:
            digest.update(Path(module).read_bytes())
        except OSError:
            digest.update(b"unreadable")
    return digest.hexdigest()[:16]


def _links(tree: Path) -> list[tuple[str, str]]:
    """The symbolic links of a tree and their targets (a tree's digest covers regular files only, and
    kustomize follows the links of the copy it builds)."""
    found = []
    for path in sorted(tree.rglob("*")):
        if path.is_symlink() and ".git" not in path.relative_to(tree).parts:
            try:
                found.append((path.relative_to(tree).as_posix(), os.readlink(path)))
            except OSError:
                found.append((path.relative_to(tree).as_posix(), ""))
    return found


def _fixed(at: Location) -> Callable[[FieldPath], Location]:
    return lambda _path: at


def _build(tree: Path, rel: str, options: Any, kubectl: Path, timeout: float, env: dict[str, str]
           ) -> tuple[list[dict[str, Any]], str | kustomize_edit.EditError | None]:
    with tempfile.TemporaryDirectory(prefix="gitops-validate-remote-") as folder:
        copy = Path(folder) / "tree"
        shutil.copytree(tree, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        target = copy / rel if rel else copy
        if isinstance(options, dict):
            path = next(target / name for name in KUSTOMIZATION_NAMES if (target / name).is_file())
            try:
                kustomization = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
                return [], f"its kustomization cannot be read: {error}"
            if not isinstance(kustomization, dict):
                return [], "its kustomization is not a mapping"
            try:
                edited = kustomize_edit.apply(kustomization, options, target, copy, env)
            except kustomize_edit.EditError as error:
                return [], error
            path.write_text(yaml.safe_dump(edited, sort_keys=False), encoding="utf-8")
        home = Path(folder) / "home"
        home.mkdir()
        limits = ChildLimits()
        try:
            done = children.run([str(kubectl), "kustomize", str(target)], limits=limits, timeout=timeout,
                                env=render._child_env(str(home)), output_cap=1 << 30)
        except children.Interrupted:
            raise
        except ToolError as error:
            return [], str(error)
        if done.exhausted:
            return [], children.describe(done, limits, timeout)
        if done.returncode != 0:
            stderr = done.stderr.decode("utf-8", "replace")
            return [], " ".join(stderr.replace(str(copy) + "/", "").split())[:400]
        try:
            documents = [d for d in yaml.load_all(done.stdout.decode("utf-8", "replace"),
                                                   Loader=SAFE_LOADER)
                         if isinstance(d, dict)]
        except yaml.YAMLError as error:
            return [], f"kustomize printed invalid YAML: {error}"
        return documents, None
