"""Remote git sources of Applications rendered from the offline source cache.

An Application whose source is another git repository (Argo CD itself at a pinned tag, say) is
rendered from the cached tree of that repository at that revision, as the repo-server would:
``kustomize build <path>`` with the kustomize Argo CD 3.5 bundles, after applying the
Application's ``spec.source.kustomize`` options that change the kustomization (``patches``,
``namePrefix``, ``nameSuffix``, ``namespace``, ``commonLabels``, ``commonAnnotations``,
``images``, ``replicas``, ``components``) to a private copy. The network is closed to kustomize,
so a remote base inside the remote source is a finding, never a download. Findings on the
objects land on the Application's ``path`` line.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from validate import children, render
from validate.model import Checked, ChildLimits, FieldPath, Finding, Location, ToolError
from validate.sources import GitRef, SourceCache, tree_digest

if TYPE_CHECKING:
    from validate.cache import ParsedDocuments
    from validate.context import Context

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_OPTIONS = ("namePrefix", "nameSuffix", "namespace")


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
            ref = git_ref(source)
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
            key = parsed.key({"tree": tree_digest(found.path), "links": json.dumps(_links(found.path)), "path": rel,
                              "kustomize": json.dumps(source.get("kustomize"), sort_keys=True, default=str)},
                             f"remote kustomize build {render.KUSTOMIZE_VERSION}") if parsed is not None else ""
            stored = parsed.get(key) if parsed is not None else None
            if stored is not None and "objects" in stored:
                data, error = [d for d in stored["objects"] if isinstance(d, dict)], None
            else:
                kubectl = kubectl or render.find_kubectl()
                data, error = _build(found.path, rel, source.get("kustomize"), kubectl, timeout)
                if parsed is not None and error is None:
                    parsed.put(key, {"objects": data})
            if error is not None:
                problem(f"kustomize build of {ref} path {rel or '.'} fails: {error}")
                continue
            stage.rendered.append(label)
            fixed = Location(path_at.file, path_at.line, path_at.column, f" (rendered from {ref} path {rel or '.'})")
            for obj in data:
                stage.objects.append(Checked(obj, path_at.file, path_at.line, label, locate=_fixed(fixed), owner=app,
                                             repository_values={}))
    return stage


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


def _build(tree: Path, rel: str, options: Any, kubectl: Path, timeout: float) -> tuple[list[dict[str, Any]], str | None]:
    with tempfile.TemporaryDirectory(prefix="gitops-validate-remote-") as folder:
        copy = Path(folder) / "tree"
        shutil.copytree(tree, copy, symlinks=True, ignore=shutil.ignore_patterns(".git"))
        target = copy / rel if rel else copy
        if isinstance(options, dict):
            problem = _apply_options(target, options, copy)
            if problem is not None:
                return [], problem
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
                                                   Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
                         if isinstance(d, dict)]
        except yaml.YAMLError as error:
            return [], f"kustomize printed invalid YAML: {error}"
        return documents, None


def kustomize_image(entry: str) -> dict[str, str] | None:
    """An Application's ``kustomize.images`` entry (``[old=]name[:tag][@digest]``, as ``kustomize edit
    set image`` takes it) as a kustomization ``images`` entry."""
    old, _, new = entry.rpartition("=")
    name, _, digest = new.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = name[colon + 1:] if colon > slash else ""
    new_name = name[:colon] if colon > slash else name
    if not new_name or " " in entry:
        return None
    image = {"name": old or new_name}
    if old and new_name != old:
        image["newName"] = new_name
    if tag:
        image["newTag"] = tag
    if digest:
        image["digest"] = digest
    return image


def _apply_options(directory: Path, options: dict[str, Any], tree: Path) -> str | None:
    """What Argo CD's ``kustomize edit`` calls do, written into the private copy's kustomization."""
    path = next(directory / name for name in KUSTOMIZATION_NAMES if (directory / name).is_file())
    try:
        kustomization = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return f"its kustomization cannot be read: {error}"
    if not isinstance(kustomization, dict):
        return "its kustomization is not a mapping"
    for key in _OPTIONS:
        if isinstance(options.get(key), str) and options[key]:
            kustomization[key] = options[key]
    if isinstance(options.get("patches"), list):
        kustomization["patches"] = list(kustomization.get("patches") or []) + options["patches"]
    for option, key in (("commonLabels", "commonLabels"), ("commonAnnotations", "commonAnnotations")):
        if isinstance(options.get(option), dict):
            kustomization[key] = {**(kustomization.get(key) or {}), **options[option]}
    if isinstance(options.get("images"), list):
        images = {str(i.get("name")): i for i in kustomization.get("images") or [] if isinstance(i, dict)}
        for entry in options["images"]:
            image = kustomize_image(entry) if isinstance(entry, str) else None
            if image is None:
                return f"kustomize.images entry {entry!r} is not [name=]image[:tag][@digest]"
            images[image["name"]] = image
        kustomization["images"] = list(images.values())
    if isinstance(options.get("replicas"), list):
        replicas = {str(r.get("name")): r for r in kustomization.get("replicas") or [] if isinstance(r, dict)}
        for entry in options["replicas"]:
            count = entry.get("count") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or \
                    not str(count).isdigit():
                return f"kustomize.replicas entry {entry!r} needs a name and a whole-number count"
            replicas[entry["name"]] = {"name": entry["name"], "count": int(str(count))}
        kustomization["replicas"] = list(replicas.values())
    if isinstance(options.get("components"), list):
        components = list(kustomization.get("components") or [])
        for component in options["components"]:
            inside = isinstance(component, str) and not component.startswith("/") and \
                (directory / component).resolve().is_relative_to(tree.resolve())
            if not inside or not (directory / component).is_dir() and not options.get("ignoreMissingComponents"):
                return f"kustomize.components entry {component!r} is not a folder of the source"
            if (directory / component).is_dir() and component not in components:
                components.append(component)
        kustomization["components"] = components
    path.write_text(yaml.safe_dump(kustomization, sort_keys=False), encoding="utf-8")
    return None
