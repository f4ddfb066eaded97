"""The Helm stage of the pipeline: Applications' chart sources rendered into checked objects.

Kept apart from :mod:`validate.pipeline` so that the pipeline only calls :func:`run` and adds
what it returns to the objects and findings of the run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from validate import classify, helm, schema
from validate.helm_engine import engine, identity
from validate.local_options import render_with_options
from validate.model import Checked, FieldPath, Finding, Location, Severity
from validate.remote import render_git_sources
from validate.sources import PULL_COMMAND, GitRef, Lock, SourceCache, check_git

if TYPE_CHECKING:
    from validate.cache import ChartRenderCache
    from validate.context import Context



@dataclass
class ChartStage:
    objects: list[Checked] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    # Paths of this repository rendered again with their Application's kustomize options: the pipeline
    # checks those objects (in ``objects``) instead of the plain render's.
    replaced: set[str] = field(default_factory=set)


def run(ctx: Context, locate: Callable[[Checked, FieldPath], Location], cache: SourceCache,
        render_cache: ChartRenderCache | None = None) -> ChartStage:
    """Render every Helm source of the Applications among the context's (not yet checked) objects."""
    config, versions = ctx.config, ctx.versions
    every_app = ctx.applications
    def local_chart(source: dict[str, Any]) -> str | None:
        """The chart folder of this repository a git source points at (Argo CD detects Helm by Chart.yaml)."""
        path = source.get("path")
        if "chart" in source or not isinstance(path, str) or not ctx.points_here(source):
            return None
        rel = "/".join(p for p in path.split("/") if p not in ("", "."))
        return rel if rel and ".." not in rel.split("/") and (config.root / rel / "Chart.yaml").is_file() else None

    apps = [app for app in every_app if any(helm.chart_ref(s) or local_chart(s) for _w, s in app.sources())]
    stage = ChartStage()
    lock = Lock.read(config.root)
    stage.findings += _git_sources(every_app, ctx, cache, lock, locate)
    remote = render_git_sources(ctx, cache, lambda source: git_ref(source, ctx), locate, config.render_timeout,
                                render_cache.parsed if render_cache is not None else None)
    stage.objects += remote.objects
    stage.findings += remote.findings
    stage.rendered += remote.rendered
    local = render_with_options(ctx, cache, lock, locate)
    stage.objects += local.objects
    stage.findings += local.findings
    stage.replaced = local.replaced
    if not apps:
        return stage
    inputs = helm.Inputs(
        apps=apps, loaded=ctx.loaded, cache=cache, lock=lock,
        engine=engine, kube_version=versions[-1], api_versions=schema.api_versions(versions[-1]),
        locate_app=lambda app, path: locate(app.obj, app.where(*path)),
        points_here=ctx.points_here,
        crds_in_repository=[c.data for c in ctx.objects if c.data.get("kind") == "CustomResourceDefinition"],
        root=config.root, local_chart=local_chart, render_cache=render_cache, engine_identity=identity,
        unread_chart_files=frozenset(classify.chart_data_files(ctx.inventory.files)) - ctx.loaded.keys())
    result = helm.render_applications(inputs)
    for obj in result.objects:
        at = obj.locate(())
        stage.objects.append(Checked(obj.data, at.file, at.line, obj.label, locate=obj.locate, owner=obj.app,
                                     volatile=obj.volatile, repository_values=obj.repository_values))
    stage.findings += result.findings
    stage.rendered += result.rendered
    stage.missing = [str(ref) for ref in result.missing]
    stage.seconds = result.seconds
    return stage


def absorb_unknown_kinds(findings: list[Finding], stage: ChartStage) -> list[Finding]:
    """While a chart source is missing, a custom resource without a schema may be one whose CRD that
    chart installs: it is named once, on the missing source, instead of one error per object."""
    if not stage.missing:
        return findings
    unknown = [f for f in findings if f.rule == "schema-unknown-kind" and f.object is not None
               and "." in f.object.api_version.partition("/")[0]]
    if not unknown:
        return findings
    kinds = sorted({f"{f.object.kind} {f.object.api_version}" for f in unknown if f.object is not None})
    note = (f"; {len(unknown)} custom resource(s) without a schema ({', '.join(kinds)}) are not checked either,"
            " as their CRD may come from a missing chart")
    kept = [f for f in findings if f not in unknown]
    first = next((i for i, f in enumerate(kept) if f.rule == "source-missing"), None)
    if first is not None:
        old = kept[first]
        kept[first] = Finding(old.rule, old.message + note, old.file, old.line, old.column, old.severity, old.object,
                              old.render, old.extra)
    return kept


def aggregate(findings: list[Finding], stage: ChartStage) -> list[Finding]:
    """One finding per chart and cause instead of one per rendered object.

    A chart default (no resources on its Jobs, say) or one values key makes every object the chart
    renders from it fail the same rule, and all those findings land on the same Application line.
    They become one finding that names the first object, counts and names the others in its
    message, and lists every object with its own message under ``objects`` in JSON."""
    rendered = set(stage.rendered)
    groups: dict[tuple[Any, ...], list[Finding]] = {}
    for finding in findings:
        if finding.render in rendered and finding.object is not None:
            key = (finding.rule, finding.severity, finding.file, finding.line, finding.column, finding.render)
            groups.setdefault(key, []).append(finding)
    out = []
    for finding in findings:
        group = groups.get((finding.rule, finding.severity, finding.file, finding.line, finding.column,
                            finding.render)) if finding.render in rendered and finding.object is not None else None
        if group is None or len(group) == 1:
            out.append(finding)
            continue
        if finding is not group[0]:
            continue
        members = sorted(group, key=lambda f: (str(f.object), f.message))
        first = members[0]
        counts = Counter(str(f.object) for f in members[1:])
        others = ", ".join(name if n == 1 else f"{name} ({n} times)" for name, n in sorted(counts.items()))
        message = (f"{first.message}; the same rule fails {len(members) - 1} more time(s) on what this source"
                   f" renders: {others}")
        listed = tuple(("object", f"{f.object}: {f.message}") for f in members)
        out.append(Finding(first.rule, message, first.file, first.line, first.column, first.severity, first.object,
                           first.render, first.extra + listed))
    return out


def git_ref(source: dict[str, Any], ctx: Context) -> GitRef | None:
    """A git source of another repository (this repository's own sources are read from the work tree)."""
    url, revision = source.get("repoURL"), source.get("targetRevision") or "HEAD"
    if not isinstance(url, str) or not isinstance(revision, str) or "{{" in url + revision or "chart" in source:
        return None
    if ctx.points_here(source):
        return None
    return GitRef(url, revision)


def _git_sources(apps: list[Any], ctx: Context, cache: SourceCache, lock: Lock | None,
                 locate: Callable[[Checked, FieldPath], Location]) -> list[Finding]:
    """One finding per remote git source the cache lacks (what it deploys is not rendered yet either way),
    or whose cached commit differs from the lock's."""
    findings, seen = [], set()
    for app in apps:
        for where, source in app.sources():
            ref = git_ref(source, ctx)
            if ref is None or ref in seen:
                continue
            seen.add(ref)
            found = cache.git(ref)
            if found is None:
                at = locate(app.obj, app.where(*where, "repoURL"))
                findings.append(Finding("source-missing", f"{ref} is not in the source cache ({cache.describe()}):"
                                        f" run `{PULL_COMMAND}`", at.file, at.line, at.column, Severity.WARNING))
                continue
            problem = check_git(ref, found, lock)
            if problem is not None:
                at = locate(app.obj, app.where(*where, "targetRevision"))
                findings.append(Finding("source-digest", problem.message, at.file, at.line, at.column,
                                        Severity.ERROR if problem.error else Severity.WARNING))
    return findings


def owner_of(obj: Checked) -> Any:
    """The Application whose chart rendered ``obj``, or None."""
    return obj.owner
