"""Paths of this repository rendered with their Application's ``spec.source.kustomize`` options.

Argo CD applies an Application's kustomize options (``images``, ``replicas``, ``namePrefix``…) to
any kustomize source, this repository's own paths included: it edits the path's kustomization
(:mod:`validate.argocd.kustomize_edit`) and builds that. The render stage builds each path once, as
written; here a path that every Application syncing it edits the same way is built again from a
private mirror with the edited kustomization, and its objects replace the plain render's (what is
checked is what Argo CD syncs). The objects keep their origin annotations, so findings stay in the
files that hold them; an option that ``kustomize edit`` refuses, or a build the edit breaks, is a
``render-failed`` error at the Application's line, and the path then deploys nothing.

Not done: a path that Applications sync with different options (or some with none) keeps its plain
render only (one render per path is what every later stage expects).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import yaml

from validate import helm_inflation, helm_shim, render, safety
from validate.argocd import kustomize_edit
from validate.argocd.sources import relative
from validate.model import Checked, FieldPath, Finding, Location
from validate.remote_bases import RemoteBases
from validate.sources import Lock, SourceCache

if TYPE_CHECKING:
    from validate.argocd import App
    from validate.context import Context

# ``${ARGOCD_APP_REVISION}`` is the commit Argo CD resolved at sync time, unknown offline: a stand-in commit.
STAND_IN_REVISION = "0" * 40


@dataclass
class LocalStage:
    objects: list[Checked] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    replaced: set[str] = field(default_factory=set)  # rendered paths whose plain objects these replace


def build_environment(app: App, source: dict[str, Any]) -> dict[str, str]:
    """The variables Argo CD's repo-server expands in ``images`` and ``commonLabels`` (``newEnv``)."""
    spec = app.spec
    return {"ARGOCD_APP_NAME": app.name, "ARGOCD_APP_NAMESPACE": app.destination_namespace or "",
            "ARGOCD_APP_PROJECT_NAME": str(spec.get("project") or ""),
            "ARGOCD_APP_REVISION": STAND_IN_REVISION, "ARGOCD_APP_REVISION_SHORT": STAND_IN_REVISION[:7],
            "ARGOCD_APP_REVISION_SHORT_8": STAND_IN_REVISION[:8],
            "ARGOCD_APP_SOURCE_REPO_URL": str(source.get("repoURL") or ""),
            "ARGOCD_APP_SOURCE_PATH": str(source.get("path") or ""),
            "ARGOCD_APP_SOURCE_TARGET_REVISION": str(source.get("targetRevision") or "")}


def render_with_options(ctx: Context, cache: SourceCache, lock: Lock | None,
                        locate: Callable[[Checked, FieldPath], Location]) -> LocalStage:
    stage = LocalStage()
    syncers: dict[str, list[tuple[App, FieldPath, dict[str, Any]]]] = {}
    for app in ctx.applications:
        for where, source in app.sources():
            path = source.get("path")
            if "chart" in source or not isinstance(path, str) or not ctx.points_here(source):
                continue
            directory = relative(path)
            if directory is not None and directory in ctx.inventory.kustomizations:
                syncers.setdefault(directory, []).append((app, where, source))
    from validate.locate import Locator  # here: locate imports the kustomization package, which imports locate

    results = {r.directory: r for r in ctx.renders}
    checked = {c.render for c in ctx.objects if c.rendered is not None}  # the renders this run reports on
    locator = Locator(ctx.loaded)
    for directory, apps in sorted(syncers.items()):
        options = {json.dumps(s.get("kustomize"), sort_keys=True, default=str) if kustomize_edit.active(
            s.get("kustomize")) else "" for _a, _w, s in apps}
        result = results.get(directory)
        if len(options) != 1 or "" in options or "{{" in next(iter(options)) or result is None or \
                not result.objects or directory not in checked:
            continue  # unedited, edited differently, templated beyond what the expansion knows, or not checked
        app, where, source = apps[0]
        objects, problem = _render(ctx, cache, lock, directory, app, source)
        stage.replaced.add(directory)
        if problem is not None:  # nothing deploys; the plain render stays for the kustomization's own diagnostics
            message, option = problem
            at = locate(app.obj, app.where(*where, "kustomize", *option))
            stage.findings.append(Finding("render-failed", f"{app.label}: {message}", at.file, at.line, at.column,
                                          render=directory))
            continue
        result.objects = objects  # what Argo CD deploys from the path, for the rules that ask the renders
        for obj in objects:
            location = locator.locate_object(obj)
            stage.objects.append(Checked(obj.data, location.file, location.line, directory, rendered=obj,
                                         document=locator.source_document(obj),
                                         repository_values={} if obj.remote is not None else None))
    return stage


def _render(ctx: Context, cache: SourceCache, lock: Lock | None, directory: str, app: App,
            source: dict[str, Any]) -> tuple[list[Any], tuple[str, tuple[str | int, ...]] | None]:
    """The path's objects as Argo CD renders them with ``source``'s options, or why it cannot."""
    config, inventory = ctx.config, ctx.inventory
    options = source["kustomize"]
    kustomization = inventory.kustomizations[directory]
    unsafe = safety.unsafe_inputs(inventory, ctx.loaded, config.limits)
    remote = RemoteBases.resolve(inventory, cache, lock)
    files = [rel for rel in inventory.files if rel not in unsafe]
    with render.Mirror(inventory.root, files, inventory.kustomizations, ctx.loaded, remote) as mirror:
        target = mirror.tree / kustomization.file
        try:
            data = yaml.safe_load(target.read_text(encoding="utf-8"))
            edited = kustomize_edit.apply(data if isinstance(data, dict) else {}, options, mirror.tree / directory,
                                          mirror.tree, build_environment(app, source))
        except kustomize_edit.EditError as error:
            return [], (f"Argo CD cannot apply the Application's kustomize options to {kustomization.file}:"
                        f" {error.message}", error.option)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            return [], (f"{kustomization.file} cannot be read to apply the Application's kustomize options: {error}",
                        ())
        target.unlink()  # a hard link into the repository, maybe: never written through
        target.write_text(yaml.safe_dump(edited, sort_keys=False), encoding="utf-8")
        build_options = helm_shim.with_helm_command(config.build_options, cache.folders, config.root,
                                                    ctx.versions[-1])
        outcome = render._render_one(mirror, directory, render.find_kubectl(), build_options, config.render_timeout,
                                     config.child_limits)
        helm_inflation.attribute_outcomes(mirror.tree, inventory, [outcome])
        outcome = remote.place(inventory.inputs.get(directory, set()), outcome)
    if not outcome.ok:
        return [], (f"kustomize build of {directory} with the Application's kustomize options fails:"
                    f" {outcome.message.removeprefix('kustomize build failed: ')}", ())
    return outcome.objects, None
