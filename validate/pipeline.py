"""The data path, top to bottom: discover -> load -> lint -> render -> schema -> rules -> findings.

Each stage lives in its own module; this one only strings them together, decides which files
and renders are in scope, and turns every stage's output into findings with severities from
the configuration.
"""

from __future__ import annotations

import dataclasses
import gc
import os
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from validate import classify, discover, environments, lint, lists, load, registry, render, schema
from validate import kustomization as kustomize_diagnostics
from validate.argocd import is_argo
from validate.cache import ChartRenderCache, RenderCache
from validate.cache import default_dir as default_cache_dir
from validate.children import Completed, Interrupted, git_reason, seconds_from_environment
from validate.children import git as run_git
from validate.config import load_config
from validate.context import Context
from validate.helm_engine import identity as helm_identity
from validate.helm_shim import with_helm_command
from validate.model import Checked, ChildLimits, Config, Finding, Location, ObjectRef, Result, Severity, ToolError, Violation
from validate.repo_identity import git_remotes
from validate.repository import read_sources
from validate.schema_ids import OWN_PREFIX
from validate.sources import source_cache

if TYPE_CHECKING:
    from validate.locate import Locator

KUSTOMIZATION_SCHEMAS = {
    "Kustomization": OWN_PREFIX + "kustomization-kustomize-v1beta1.json",
    "Component": OWN_PREFIX + "component-kustomize-v1alpha1.json",
}


@dataclass
class Options:
    paths: list[Path] = field(default_factory=list)
    kubernetes_versions: list[str] = field(default_factory=list)  # overrides the config
    crd_files: list[Path] = field(default_factory=list)
    schema_dirs: list[Path] = field(default_factory=list)
    jobs: int | None = None
    on_render: Callable[[render.RenderResult], None] | None = None  # each checked render, when done
    on_total: Callable[[int], None] | None = None  # how many checked renders there are, before the first
    changed_since: str | None = None  # a git revision: check what changed since it
    changed: list[str] | None = None  # repository-relative files that changed (the pre-commit hook), deleted ones too
    use_cache: bool = True
    cache_dir: Path | None = None
    missing_schemas: str | None = None  # error | warn | skip; overrides the config
    sources_dirs: list[Path] = field(default_factory=list)  # the source cache, then read-only folders
    severities: dict[str, str] = field(default_factory=dict)  # --rule ID=LEVEL: beats the configuration
    child_memory_mib: int | None = None  # overrides kustomize.memoryLimitMiB
    child_cpu_seconds: int | None = None  # overrides kustomize.cpuLimitSeconds


@dataclass
class Run(Result):
    """A :class:`Result` and what the rules saw, for subcommands that reuse a run (diff, new-env)."""

    context: Context | None = None


def find_root(start: Path) -> Path:
    """The git work tree that holds ``start``, or ``start`` itself (a folder outside any repository)."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def implicit_root() -> Path:
    """The repository the working directory is in, when no path is given. Outside any git
    repository there is no telling where the repository ends, and a walk of everything below a
    home, temporary or root folder is not a check of anything: refused (exit 2)."""
    cwd = Path.cwd()
    root = find_root(cwd)
    if not (root / ".git").exists():
        raise ToolError(f"{cwd} is not inside a git repository: give the folder to check"
                        " (gitops-validate PATH) to check a folder that is not one")
    return root


def run(options: Options) -> Run:
    started = time.perf_counter()
    targets = [p.resolve() for p in options.paths] or [implicit_root()]
    for target in targets:
        if not target.exists():
            raise ToolError(f"{target}: no such file or directory")
    roots = {find_root(target) for target in targets}
    if len(roots) > 1:
        raise ToolError("the paths belong to different repositories; run once per repository")
    root = roots.pop()
    config = load_config(root)
    if options.severities:
        config = dataclasses.replace(config, overrides=dict(options.severities))
    versions = schema.resolve_versions(options.kubernetes_versions or config.kubernetes_versions)
    scope = _Scope(root, targets)
    with ThreadPoolExecutor(max_workers=1) as early:  # git says what changed while the repository is read
        asked = early.submit(changed_files, root, options.changed_since, child_limits(config, options)) \
            if options.changed_since is not None else None
        files, findings, loaded, inventory = read_sources(root, config, child_limits(config, options),
                                                          options.use_cache, options.cache_dir)
    # What was read lives as long as the run and holds no cycle (validate.load): out of the
    # collector's walks, which on a large stream scanned every node two or three times over.
    gc.freeze()
    if asked is not None and (changed := asked.result()) is not None:  # None: no commit yet, everything is new
        scope = _Scope.of_changes(root, changed)
    if options.changed is not None:
        scope = _Scope.of_changes(root, options.changed)
    cache_dir = options.cache_dir or default_cache_dir()
    sources = source_cache(config, options.sources_dirs)  # one for the renders and the Helm stage (its mirror indexes)
    # In scope: renders whose inputs the run covers, and always those holding Argo CD manifests,
    # whose checks depend on the whole repository. Others are only read back from the cache,
    # for the repository-wide rules, and never rendered or reported on.
    argo_files = {rel for rel, f in loaded.items() if any(is_argo(d.data) for d in f.documents)}
    checked_dirs = [d for d in inventory.rendered
                    if scope.covers_render(d, inventory.inputs[d]) or inventory.inputs[d] & argo_files]
    checked = set(checked_dirs)

    renders: list[render.RenderResult] = []
    cache = None
    if options.use_cache and inventory.rendered:
        cache = RenderCache(cache_dir, root, inventory,
                            f"{render.KUSTOMIZE_VERSION}\0{' '.join(config.build_options)}"
                            + (f"\0{helm_identity()}\0{versions[-1]}" if "--enable-helm" in config.build_options else ""),
                            {rel: f.digest for rel, f in loaded.items() if f.digest is not None})
    if options.on_total is not None:
        options.on_total(len(checked_dirs))
    on_render = None
    if options.on_render is not None:
        tick = options.on_render

        def on_render(result: render.RenderResult) -> None:
            if result.directory in checked:  # renders read back only for the repository-wide rules do not count
                tick(result)
    with ThreadPoolExecutor(max_workers=1) as background:
        pending = None
        if inventory.rendered:
            kubectl = render.find_kubectl()
            limits = child_limits(config, options)
            if checked_dirs:
                render.check_kubectl(kubectl, kubectl_timeout(), remember_in=cache.folder.parent if cache else None,
                                     limits=limits)
            # helmCharts inflation (only with --enable-helm) through an offline helm: the source cache and Helm engine
            build_options = with_helm_command(config.build_options, sources.folders, root, versions[-1])
            pending = background.submit(render.render_all, inventory, loaded, kubectl, build_options,
                                        config.render_timeout, files, options.jobs, on_render, cache,
                                        [d for d in inventory.rendered if d not in checked],
                                        limits=limits, load_limits=config.limits,
                                        sources=sources)
        # Beside kustomize's processes, on this process's two threads: a pool of lint processes would
        # add its three processes' memory (50 MB) to theirs at the run's peak for a few per cent of time.
        findings.extend(_lint(root, config, loaded, scope, 1 if pending is not None else options.jobs))
        # Imported here, while kustomize renders in processes of its own: the stages after the
        # render are a good part of the start-up (0.1 to 0.2 s of a pre-commit run). A short render
        # (what one edit touches) also leaves the time to build the schema registries (0.04 s for
        # two versions); during a long one they would add their 15 MB to the kustomize processes'.
        from validate import helm_stage, object_checks, rules
        from validate.locate import Locator
        from validate.object_checks import locate_in
        rules.registry()  # the rule modules
        if pending is not None:
            if len(checked_dirs) <= _SHORT_RENDER:
                schema.prepare(versions)
            git_remotes(root)  # for this repository's identity (validate.repo_identity), asked after the render
            renders = pending.result()
    checked_renders = [r for r in renders if r.directory in checked]

    findings = [f for f in findings if f.file is None or scope.covers_file(f.file)]
    if cache is not None and cache.warning:
        findings.append(Finding("cache-unwritable", cache.warning, severity=Severity.WARNING))

    locator = Locator(loaded)
    candidates = list(_candidates(inventory, loaded, checked_renders, scope, argo_files, locator))
    first_ctx = Context(config, inventory, loaded, candidates, renders, versions)
    chart_stage = helm_stage.run(first_ctx,
                                 lambda obj, path: locate_in(obj, locator, path), sources,
                                 ChartRenderCache(cache_dir) if options.use_cache else None)
    candidates = [c for c in candidates if c.render not in chart_stage.replaced] + chart_stage.objects
    findings.extend(chart_stage.findings)
    crds = [c.data for c in candidates if c.data.get("kind") == "CustomResourceDefinition"]
    crds += _crd_files(options.crd_files)
    store = schema.SchemaStore(versions, crds, options.schema_dirs, config.skip_kinds)
    missing_schemas = options.missing_schemas or config.missing_schemas
    for crd, problem in store.rejected:
        owner = next((c for c in candidates if c.data is crd), None)
        where = locate_in(owner, locator, ("spec",)) if owner else Location(None, None, None)
        findings.append(Finding("schema-crd", problem, where.file, where.line, where.column,
                                object=ObjectRef.of(crd), render=owner.render if owner else None))
    gated = object_checks.Gated(candidates, store, locator, versions, missing_schemas)
    objects = gated.objects
    ctx = first_ctx.with_objects(objects)
    # On two cores for a large run; the rules too when no render is checked (the diagnosis below changes none).
    checks = object_checks.run(gated, ctx, store, locator, with_rules=not checked_renders)
    findings.extend(checks.schema)
    findings = helm_stage.absorb_unknown_kinds(findings, chart_stage)
    findings.extend(checks.api)
    findings.extend(_check_kustomizations(inventory, store, scope))
    # Render failures at their root cause, once each; explained renders lose their own finding.
    failed: set[str] = set()
    findings.extend(kustomize_diagnostics.diagnose(inventory, loaded, checked_renders, findings,
                                                   config.build_options, scope.covers_file, failed))
    findings.extend(kustomize_diagnostics.transformers(ctx, checked - failed))
    findings.extend(_run_rules(ctx, locator, *(checks.rules or object_checks.rule_violations(ctx))))
    findings.extend(_unknown_suppressions(objects, locator))
    if scope.named:
        findings = [f for f in findings if scope.reports(f)]

    findings = kustomize_diagnostics.name_environments(findings, config)
    final = _apply_config(helm_stage.aggregate(findings, chart_stage), config)
    return Run(root, config, versions, final, checked_dirs, objects, len(loaded), time.perf_counter() - started,
                  {r.directory: r.seconds for r in checked_renders},
                  cache_hits=cache.hits if cache else 0, cache_misses=cache.misses if cache else 0, context=ctx,
               charts=chart_stage.rendered, charts_missing=chart_stage.missing)


def _lint(root: Path, config: Config, loaded: dict[str, load.LoadedFile], scope: _Scope,
          jobs: int | None) -> list[Finding]:
    """Style findings on the files in scope where at least one style rule is on (see validate/lint.py)."""
    linter = lint.plan(root, config, [*config.environments, *config.profiles])
    if linter is None:
        return []
    items = []
    for rel, loaded_file in loaded.items():
        if scope.covers_file(rel) and loaded_file.text is not None and loaded_file.ok and not classify.is_json(rel):
            on = linter.rules_for(rel, environments.environment_of(config.environments, rel))
            if on:
                items.append((rel, loaded_file.text, on))
    return lint.lint_files(linter, items, jobs)


def child_limits(config: Config, options: Options) -> ChildLimits:
    """The configured limits of every child process, with the command line's overrides."""
    return ChildLimits(memory_mib=options.child_memory_mib or config.child_limits.memory_mib,
                       cpu_seconds=options.child_cpu_seconds or config.child_limits.cpu_seconds)


KUBECTL_TIMEOUT = "GITOPS_VALIDATE_KUBECTL_TIMEOUT"


def kubectl_timeout(environ: Mapping[str, str] = os.environ) -> float:
    """Seconds ``kubectl version`` may take before kubectl counts as broken (default 30; the
    environment variable overrides, so tests of a hanging kubectl need not wait that long)."""
    return seconds_from_environment(KUBECTL_TIMEOUT, 30.0, environ)


def changed_files(root: Path, ref: str, limits: ChildLimits | None = None) -> list[str] | None:
    """Files changed since ``ref`` (committed, staged, unstaged and untracked, deleted ones included),
    repository-relative; None for ``HEAD`` in a repository without commits (everything is new)."""
    def git(*args: str, check: bool = True) -> Completed:
        try:
            completed = run_git(root, *args, purpose=f"--changed-since {ref}", limits=limits)
        except Interrupted:
            raise
        except ToolError as error:
            if "cannot run" not in str(error):
                raise  # git did not finish within its time-out: the one line says so
            raise ToolError(f"--changed-since needs git: {error}") from None
        if check and not completed.ok:
            raise ToolError(f"--changed-since {ref}: {git_reason(completed)}")
        return completed

    if ref.startswith("-"):
        raise ToolError(f"--changed-since {ref}: not a git revision")
    if not git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False).ok:
        if ref == "HEAD":  # HEAD names no commit: a repository (or not: git says so) without commits yet
            git("rev-parse", "--git-dir")
            return None
        git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")  # raises, saying why
    with ThreadPoolExecutor(max_workers=1) as other:  # the two listings at once: the hook waits for both
        untracked = other.submit(git, "ls-files", "--others", "--exclude-standard", "-z")
        listed = [git("diff", "--name-only", "-z", ref, "--"), untracked.result()]
    return sorted({name for done in listed for name in done.stdout.decode("utf-8", "surrogateescape").split("\0") if name})


# At most this many checked renders: a pre-commit run's, which builds the schema registries while kustomize runs.
_SHORT_RENDER = 8

# Marks a finding of a repository-wide rule (no object): not part of a report on named paths.
REPOSITORY_WIDE = ("scope", "repository")


class _Scope:
    """Which files and renders a run covers: everything, or what the given paths touch."""

    def __init__(self, root: Path, targets: list[Path]):
        self.everything = targets == [root]
        self.prefixes = [t.relative_to(root).as_posix() for t in targets]
        self.named = not self.everything  # paths on the command line: the report is about them only

    @classmethod
    def of_changes(cls, root: Path, changed: list[str]) -> _Scope:
        """Changed files; a deleted file stands for its folder, whose renders it may break."""
        scope = cls(root, [root])
        scope.everything = False
        scope.named = False
        scope.prefixes = [rel if (root / rel).exists() else (str(Path(rel).parent) if "/" in rel else ".")
                          for rel in changed]
        return scope

    def covers_file(self, rel: str) -> bool:
        if self.everything:
            return True
        return any(p == "." or rel == p or rel.startswith(p.rstrip("/") + "/") for p in self.prefixes)

    def reports(self, finding: Finding) -> bool:
        """Whether a run on named paths reports this finding: it lies in a named file or folder, or
        belongs to a render the paths name, or is about the run itself (no file, no render); never a
        repository-wide rule (only a whole-repository run reports those)."""
        if REPOSITORY_WIDE in finding.extra:
            return False
        if finding.file is None and finding.render is None:
            return True
        if finding.file is not None and self.covers_file(finding.file):
            return True
        return finding.render is not None and self.covers_file(finding.render + "/x")

    def covers_render(self, directory: str, inputs: set[str]) -> bool:
        if self.everything:
            return True
        return self.covers_file(directory + "/x") or any(self.covers_file(rel) for rel in inputs)


def _candidates(inventory: discover.Inventory, loaded: dict[str, load.LoadedFile],
                renders: list[render.RenderResult], scope: _Scope, always: set[str],
                locator: Locator) -> Iterator[Checked]:
    for result in renders:
        for obj in result.objects:
            location = locator.locate_object(obj)
            yield Checked(obj.data, location.file, location.line, result.directory, rendered=obj,
                          document=locator.source_document(obj),
                          repository_values={} if obj.remote is not None else None)  # a remote base: not ours
    for rel in inventory.standalone:
        if not (scope.covers_file(rel) or rel in always) or rel not in loaded:
            continue
        for document in lists.iter_objects(loaded[rel]):
            if "apiVersion" in document.data or "kind" in document.data:
                yield Checked(document.data, rel, document.line, None, document=document)


def _crd_files(paths: list[Path]) -> list[dict[str, Any]]:
    crds = []
    for path in paths:
        loaded = load.load_file(path, str(path))
        if loaded.findings:
            raise ToolError(f"--crd {path}: {loaded.findings[0].message}")
        crds += [d.data for d in lists.iter_objects(loaded) if d.data.get("kind") == "CustomResourceDefinition"]
        if not crds:
            raise ToolError(f"--crd {path}: no CustomResourceDefinition in the file")
    return crds


def _check_kustomizations(inventory: discover.Inventory, store: schema.SchemaStore,
                          scope: _Scope) -> Iterator[Finding]:
    from validate import object_checks
    for kustomization in inventory.kustomizations.values():
        document = kustomization.document
        if document is None or not scope.covers_file(kustomization.file):
            continue
        if not isinstance(document.data, dict):
            yield Finding("schema-kustomization", "a kustomization file must be a mapping", kustomization.file,
                          document.line, document.column)
            continue
        schema_id = KUSTOMIZATION_SCHEMAS.get(kustomization.kind)
        if schema_id is None:
            line, column = document.position(("kind",)) or (document.line, document.column)
            yield Finding("schema-kustomization", f"kind {kustomization.kind!r} is neither Kustomization nor"
                          " Component", kustomization.file, line, column)
            continue
        data, renamed = kustomize_diagnostics.normalise(document.data, kustomize_diagnostics.known_fields())
        for issue in store.check_with(schema_id, data):
            path = kustomize_diagnostics.original_path(issue.path, renamed)
            line, column = document.position(path) or document.nearest(path)[1]
            message = f"{object_checks.dotted(issue.path)}: {issue.message}" if issue.path else issue.message
            yield Finding(issue.rule if issue.rule != "schema-invalid" else "schema-kustomization", message,
                          kustomization.file, line, column)


def _run_rules(ctx: Context, locator: Locator,
               per_object: list[tuple[ModuleType, Violation]] | None = None,
               repository: list[tuple[ModuleType, Violation]] | None = None) -> Iterator[Finding]:
    """Rule violations as findings at source positions; suppressions honoured, and checked. The
    rules' violations when already found (validate.object_checks), else found here."""
    from validate import rules
    from validate.object_checks import locate_in
    reasons_checked: set[int] = set()
    violations = rules.run(ctx) if per_object is None else chain(per_object, repository or ())
    for module, violation in violations:
        default = Severity.parse(getattr(module, "DEFAULT", "error"))
        obj = violation.obj
        if obj is None:  # repository-wide: reported on changes, as a change anywhere may cause it; not on named paths
            yield Finding(module.ID, violation.message, violation.file, violation.line, severity=default,
                          extra=(REPOSITORY_WIDE,))
            continue
        reason = _suppression(obj, module.ID)
        if reason is not None:
            if not reason.strip() and id(obj) not in reasons_checked:
                reasons_checked.add(id(obj))
                location = locate_in(obj, locator, ("metadata", "annotations", rules.SUPPRESS_PREFIX + module.ID))
                yield Finding("suppression-reason", f"suppression of {module.ID} gives no reason: the annotation's"
                              " value must say why the rule does not apply", location.file, location.line,
                              location.column, object=ObjectRef.of(obj.data), render=obj.render)
            if reason.strip():
                continue
        location = violation.located or locate_in(obj, locator, violation.path)
        yield Finding(module.ID, violation.message + location.note, violation.file or location.file,
                      violation.line or location.line, location.column if violation.line is None else None,
                      severity=default, object=ObjectRef.of(obj.data), render=obj.render)


def _unknown_suppressions(objects: list[Checked], locator: Locator) -> Iterator[Finding]:
    """A finding at every suppression annotation that names no domain rule: it suppresses nothing
    (stage findings cannot be suppressed, and a misspelt id would otherwise pass silently)."""
    from validate import rules
    from validate.object_checks import locate_in
    for obj in objects:
        metadata = obj.data.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        for key in annotations if isinstance(annotations, dict) else {}:
            if not isinstance(key, str) or not key.startswith(rules.SUPPRESS_PREFIX):
                continue
            rule_id = key[len(rules.SUPPRESS_PREFIX):]
            if registry.is_rule(rule_id):
                continue
            why = "a stage finding, which cannot be suppressed" if registry.is_known(rule_id) else \
                f"no rule{registry.did_you_mean(rule_id, sorted(rules.RULE_IDS))}"
            location = locate_in(obj, locator, ("metadata", "annotations", key))
            yield Finding("suppression-unknown-rule", f"annotation {key} names {why}: it suppresses nothing",
                          location.file, location.line, location.column, object=ObjectRef.of(obj.data),
                          render=obj.render)


def _suppression(obj: Checked, rule_id: str) -> str | None:
    from validate import rules
    metadata = obj.data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return None
    value = annotations.get(rules.SUPPRESS_PREFIX + rule_id)
    if value is None:
        return None
    return value if isinstance(value, str) else ""


def _apply_config(findings: list[Finding], config: Config) -> list[Finding]:
    """Severity from the configuration, rules turned off dropped, one finding per place."""
    merged: dict[tuple[Any, ...], Finding] = {}
    for finding in findings:
        if not registry.is_known(finding.rule):
            raise RuntimeError(f"finding id {finding.rule!r} is not registered (validate/registry.py)")
        environment = environments.environment_of(config.environments, finding.render or finding.file or "")
        severity = config.severity(finding.rule, finding.severity, environment)
        if severity is None:
            continue
        key = (finding.rule, finding.file, finding.line, finding.column, finding.message)
        if key in merged and merged[key].severity >= severity:
            continue  # the same place seen through another render: keep the strictest environment's verdict
        merged[key] = Finding(finding.rule, finding.message, finding.file, finding.line, finding.column, severity,
                              finding.object, finding.render, finding.extra)
    return sorted(merged.values(), key=Finding.sort_key)
