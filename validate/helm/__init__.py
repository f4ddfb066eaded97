"""Rendering the Helm sources of Argo CD Applications, as Argo CD 3.5's repo-server does.

For every Application source that names a ``chart`` (single or multiple sources), the chart
archive comes from the offline source cache (:mod:`validate.sources`); the values are assembled in
the order the repo-server passes them to ``helm template`` (util/helm/cmd.go): ``valueFiles``,
then ``values``/``valuesObject``, then ``parameters`` (``--set``/``--set-string``), then
``fileParameters`` (``--set-file``); the release name is ``releaseName`` or the Application's
name, the namespace ``helm.namespace`` or the destination's; CRDs of the chart's ``crds/``
folder are included unless ``skipCrds``; ``Capabilities`` carry the newest configured
Kubernetes version and its built-in API versions plus every CRD the repository's charts ship.

Before rendering, the values are checked against the chart: keys its values.yaml does not know
(and no template mentions), types that contradict the default's type, and the chart's
``values.schema.json``. Every finding about a rendered object lands on the Application's values
line when the value came from there, else on the Application's ``chart`` line, naming the chart
and template.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from validate import load
from validate.helm.chart import PARSER, ChartError, ChartFiles, crd_api_versions, documents, read_chart
from validate.helm.values import Locate, Values, check_schema, check_values, object_locator, text_positions
from validate.helm_engine import Engine, HelmError, RenderRequest
from validate.load import LoadedFile
from validate.model import Document, FieldPath, Finding, Location, Severity
from validate.sources import PULL_COMMAND, ChartRef, Lock, SourceCache, check_chart, digest

if TYPE_CHECKING:
    from validate.cache import ChartRenderCache

# --- the run -------------------------------------------------------------------------------------

@dataclass
class ChartObject:
    data: dict[str, Any]
    app: Any  # validate.argocd.App
    label: str  # "Application x, chart c 1.2.3"
    template: str
    locate: Locate
    volatile: tuple[FieldPath, ...] = ()  # fields the chart generates at random on every render
    repository_values: Any = None  # a chart from elsewhere: the values this repository gives it (Checked)


@dataclass
class HelmRun:
    objects: list[ChartObject] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)  # one label per rendered Helm source
    missing: list[ChartRef] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Inputs:
    apps: list[Any]  # validate.argocd.App
    loaded: dict[str, LoadedFile]
    cache: SourceCache
    lock: Lock | None
    engine: Callable[[], Engine]
    kube_version: str  # "1.37"
    api_versions: frozenset[str]
    locate_app: Callable[[Any, FieldPath], Location]  # (App, path in the Application) -> where it is written
    points_here: Callable[[dict[str, Any]], bool]  # does a source name this repository?
    crds_in_repository: list[dict[str, Any]] = field(default_factory=list)
    root: Path | None = None  # the repository: its chart folders render from the work tree
    local_chart: Callable[[dict[str, Any]], str | None] = lambda _source: None  # a source's chart folder here
    render_cache: ChartRenderCache | None = None  # rendered charts of earlier runs
    engine_identity: Callable[[], str] = lambda: "unknown"  # the engine's name and version, for the cache key


def render_applications(inputs: Inputs) -> HelmRun:
    run = HelmRun()
    seen_missing: set[ChartRef] = set()
    sources: list[tuple[Any, FieldPath, dict[str, Any], ChartRef]] = []
    for app in inputs.apps:
        for where, source in app.sources():
            ref = chart_ref(source)
            local = inputs.local_chart(source) if ref is None else None
            if local is not None:
                ref = ChartRef("", local, "")
            if ref is not None:
                sources.append((app, where, source, ref))
    charts: dict[ChartRef, ChartFiles | None] = {}
    paths: dict[ChartRef, Path] = {}
    for app, where, _source, ref in sources:
        if ref in charts:
            continue
        if ref.is_local and inputs.root is not None:
            try:
                charts[ref] = read_chart(inputs.root / ref.chart)
                paths[ref] = inputs.root / ref.chart
            except ChartError as error:
                charts[ref] = None
                run.findings.append(Finding("helm-render", f"{ref}: {error}", f"{ref.chart}/Chart.yaml", 1, None))
            continue
        found = inputs.cache.chart(ref)
        if found is None:
            charts[ref] = None
            if ref not in seen_missing:
                seen_missing.add(ref)
                run.missing.append(ref)
                at = inputs.locate_app(app, (*where, "targetRevision"))
                run.findings.append(Finding(
                    "source-missing", f"{ref} is not in the source cache ({inputs.cache.describe()}): run"
                    f" `{PULL_COMMAND}`; until then what {app.label} deploys is not checked",
                    at.file, at.line, at.column, Severity.WARNING))
            continue
        problem = check_chart(ref, found, inputs.lock)
        if problem is not None:
            at = inputs.locate_app(app, (*where, "targetRevision"))
            run.findings.append(Finding("source-digest", problem.message, at.file, at.line, at.column,
                                        Severity.ERROR if problem.error else Severity.WARNING))
        try:
            charts[ref] = read_chart(found.path)
            paths[ref] = found.path
        except ChartError as error:
            charts[ref] = None
            at = inputs.locate_app(app, (*where, "chart"))
            run.findings.append(Finding("helm-render", f"{ref}: {error}", at.file, at.line, at.column))
    crd_versions = set()
    for files in charts.values():
        for parsed in _documents_of(inputs, dict(files.all_crds())).values() if files else []:
            if isinstance(parsed, yaml.YAMLError):
                continue  # reported when the chart's objects are read
            for crd in parsed:
                crd_versions |= crd_api_versions(crd)
    for crd in inputs.crds_in_repository:
        crd_versions |= crd_api_versions(crd)
    api_versions = tuple(sorted(inputs.api_versions | crd_versions))
    for app, where, source, ref in sources:
        files = charts.get(ref)
        if files is None:
            continue
        started = time.perf_counter()
        # The file first: the configuration's environment paths (and so severities) apply to it.
        label = f"{app.obj.file or '?'}: {app.label}, {ref}" if ref.is_local else \
            f"{app.obj.file or '?'}: {app.label}, chart {ref.chart} {ref.version}"
        _render_source(inputs, run, app, where, source, ref, paths[ref], files, label, api_versions)
        run.seconds[label] = time.perf_counter() - started
    return run


def chart_ref(source: dict[str, Any]) -> ChartRef | None:
    repo, chart, version = (source.get(k) for k in ("repoURL", "chart", "targetRevision"))
    if not all(isinstance(v, str) and v and "{{" not in v for v in (repo, chart, version)):
        return None
    return ChartRef(str(repo), str(chart), str(version))


def _render_source(inputs: Inputs, run: HelmRun, app: Any, where: FieldPath, source: dict[str, Any], ref: ChartRef,
                   chart_path: Path, files: ChartFiles, label: str, api_versions: tuple[str, ...]) -> None:
    helm = source.get("helm") if isinstance(source.get("helm"), dict) else {}
    assert isinstance(helm, dict)
    chart_at = inputs.locate_app(app, (*where, "path" if ref.is_local else "chart"))

    def finding(rule: str, message: str, at: Location, severity: Severity = Severity.ERROR) -> None:
        run.findings.append(Finding(rule, message + at.note, at.file, at.line, at.column, severity, render=label))

    values = _assemble_values(inputs, app, where, helm, files, finding, ref.chart if ref.is_local else None)
    if values is None:
        return
    if ref.is_local:
        _lint(inputs, run, ref, chart_path, values.merged, label)
    check_values(values, files, ref, finding)
    if files.schema is not None and not helm.get("skipSchemaValidation"):
        if not check_schema(values, files, ref, chart_at, finding):
            return  # Helm refuses the values: Argo CD renders nothing
    name = helm.get("releaseName") if isinstance(helm.get("releaseName"), str) and helm.get("releaseName") else app.name
    namespace = helm.get("namespace") if isinstance(helm.get("namespace"), str) and helm.get("namespace") else \
        (app.destination_namespace or "")
    request = RenderRequest(chart_path, values.merged, str(name), str(namespace), f"v{inputs.kube_version}.0",
                            api_versions, skip_schema_validation=True, skip_tests=bool(helm.get("skipTests")))
    outcome = _render_cached(inputs, request, digest(chart_path), bool(_RANDOM.search(files.all_template_text())))
    if isinstance(outcome, HelmError):
        finding("helm-render", f"helm template of {ref} fails: {outcome}", chart_at)
        return
    manifests, volatile = outcome
    run.rendered.append(label)
    printed = {template: text for template, text in manifests.items() if _printed(template)}
    parsed = _documents_of(inputs, printed)
    if not helm.get("skipCrds"):
        crds = files.all_crds()
        parsed.update({f"{files.name}/{file}": found for file, found in _documents_of(inputs, dict(crds)).items()
                       if _printed(f"{files.name}/{file}")})
        printed.update({f"{files.name}/{file}": text for file, text in crds if _printed(f"{files.name}/{file}")})
    for template in sorted(printed):
        rendered_documents = parsed[template]
        if isinstance(rendered_documents, yaml.YAMLError):
            error = rendered_documents
            finding("helm-render", f"{template} of {ref} renders invalid YAML: {' '.join(str(error).split())[:200]}",
                    chart_at)
            continue
        random_fields = volatile.get(template, [])
        for index, data in enumerate(rendered_documents):
            fields = tuple(tuple(p) for p in random_fields[index]) if index < len(random_fields) else ()
            run.objects.append(ChartObject(data, app, label, template,
                                           object_locator(data, values, chart_at, ref, template), fields,
                                           None if ref.is_local else values.merged))


def _printed(template: str) -> bool:
    """Whether ``helm template`` prints the file: neither the notes nor partials."""
    base = template.rsplit("/", 1)[-1]
    return base != "NOTES.txt" and not base.startswith("_")


def _documents_of(inputs: Inputs, texts: dict[str, str]) -> dict[str, list[dict[str, Any]] | yaml.YAMLError]:
    """The documents of each named YAML stream (:func:`validate.helm.chart.documents`), or why it is not YAML;
    read back from the parsed-documents cache when an earlier run parsed the same texts (fresh objects
    either way: nothing is shared between two callers)."""
    cache = inputs.render_cache.parsed if inputs.render_cache is not None else None
    key = cache.key(texts, f"pyyaml {yaml.__version__} {PARSER}") if cache is not None and texts else ""
    stored = cache.get(key) if cache is not None and key else None
    out: dict[str, list[dict[str, Any]] | yaml.YAMLError] = {}
    fresh: dict[str, list[Any]] = {}
    for name, text in texts.items():
        if stored is not None and name in stored:
            out[name] = [d for d in stored[name] if isinstance(d, dict) and d]
            continue
        try:
            out[name] = fresh[name] = documents(text)
        except yaml.YAMLError as error:
            out[name] = error
    if cache is not None and key and stored is None:
        cache.put(key, fresh)
    return out


# Template functions whose output differs between two renders of the same input (Sprig's crypto,
# random and time functions): a chart that calls one is rendered twice to find the fields they feed.
_RANDOM = re.compile(r"\{\{[^}]*\b(?:gen(?:CA|PrivateKey|SelfSignedCert|SignedCert)\w*|rand(?:AlphaNum|Alpha|Numeric"
                     r"|Ascii|Bytes|Int)|uuidv4|shuffle|now)\b")

Volatile = dict[str, list[list[list[Any]]]]  # template -> per document -> field paths that differ per render


def _render_cached(inputs: Inputs, request: RenderRequest, chart_digest: str,
                   random: bool) -> tuple[dict[str, str], Volatile] | HelmError:
    """The engine's render, or the one an earlier run stored under the same inputs (failures are not stored),
    with the fields that differ between two renders when the chart calls a random function."""
    cache = inputs.render_cache
    key = ""
    if cache is not None:
        key = cache.key(inputs.engine_identity(), chart_digest, request.values, request.release_name,
                        request.namespace, request.kube_version, sorted(request.api_versions),
                        request.skip_schema_validation, request.skip_tests)
        stored = cache.get(key)
        if stored is not None:
            return stored["manifests"], stored["volatile"]
    try:
        manifests = dict(inputs.engine().render(request).manifests)
        volatile = volatile_fields(manifests, dict(inputs.engine().render(request).manifests)) if random else {}
    except HelmError as error:
        return error
    if cache is not None:
        cache.put(key, {"manifests": manifests, "volatile": volatile})
    return manifests, volatile


def volatile_fields(first: dict[str, str], second: dict[str, str]) -> Volatile:
    """Per template and document, the field paths whose values differ between two renders of one input."""
    out: Volatile = {}
    for template in sorted(first.keys() & second.keys()):
        if first[template] == second[template]:
            continue
        try:
            a, b = documents(first[template]), documents(second[template])
        except yaml.YAMLError:
            continue
        if len(a) == len(b):
            out[template] = [sorted(_differences(x, y, ()), key=str) for x, y in zip(a, b, strict=True)]
    return out


def _differences(a: Any, b: Any, path: tuple[Any, ...]) -> list[list[Any]]:
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in a.keys() | b.keys():
            if key not in a or key not in b:
                found.append([*path, key])
            else:
                found += _differences(a[key], b[key], (*path, key))
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for index, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, (*path, index))]
    return [] if a == b else [list(path)]


def _lint(inputs: Inputs, run: HelmRun, ref: ChartRef, chart_path: Path, values: dict[str, Any], label: str) -> None:
    """``helm lint`` of a chart folder of this repository: its warnings and errors at the chart's files."""
    for message in inputs.engine().lint(chart_path, values):
        rel, line = f"{ref.chart}/{message.path.rstrip('/')}" if message.path else f"{ref.chart}/Chart.yaml", None
        where = re.search(r"\((?:[^/():]+/)?([^():]+):(\d+)\)", message.message)
        if where is not None:
            rel, line = f"{ref.chart}/{where.group(1)}", int(where.group(2))
        if inputs.root is not None and not (inputs.root / rel).is_file():
            rel = f"{ref.chart}/Chart.yaml"
        run.findings.append(Finding("helm-lint", f"helm lint: {message.message}", rel, line, None,
                                    Severity.ERROR if message.severity == "error" else Severity.WARNING,
                                    render=label))


def _assemble_values(inputs: Inputs, app: Any, where: FieldPath, helm: dict[str, Any], files: ChartFiles,
                     finding: Callable[..., None], chart_dir: str | None = None) -> Values | None:
    values = Values()
    base = (*where, "helm")
    refs = _value_refs(app)
    for index, entry in enumerate(helm.get("valueFiles") or []):
        at = inputs.locate_app(app, (*base, "valueFiles", index))
        if not isinstance(entry, str):
            continue
        loaded = _value_file(inputs, entry, refs, chart_dir)
        if loaded is None:
            if helm.get("ignoreMissingValueFiles"):
                continue
            finding("helm-values-file", f"values file {entry!r} cannot be found (relative files are read from the"
                    f" chart {files.name}; `$ref/path` from the source with that ref)", at)
            return None
        data, document = loaded
        if not isinstance(data, dict):
            finding("helm-values-file", f"values file {entry!r} is not a mapping", at)
            return None

        def in_file(path: FieldPath, document: Document | None = document, at: Location = at) -> Location:
            position = document.position(path) if document is not None else None
            return Location(document.file, *position) if document is not None and position else at
        values.add(data, in_file)
    if isinstance(helm.get("valuesObject"), dict):
        values.add(helm["valuesObject"], lambda path: inputs.locate_app(app, (*base, "valuesObject", *path)))
    elif isinstance(helm.get("values"), str) and helm["values"].strip():
        at = inputs.locate_app(app, (*base, "values"))
        try:
            data = yaml.safe_load(helm["values"])
        except yaml.YAMLError as error:
            finding("helm-values-file", f"spec.source.helm.values is not valid YAML: {' '.join(str(error).split())}",
                    at)
            return None
        if isinstance(data, dict):
            positions = text_positions(helm["values"])
            block = 1 if at.line is not None else 0

            def in_block(path: FieldPath) -> Location:
                position = positions.get(tuple(path))
                if position is None or at.line is None:
                    return at
                return Location(at.file, at.line + block + position[0] - 1, None)
            values.add(data, in_block)
    for index, parameter in enumerate(helm.get("parameters") or []):
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            continue
        at = inputs.locate_app(app, (*base, "parameters", index, "value"))
        expression = f"{parameter['name']}={_parameter_value(parameter.get('value'))}"
        try:
            parsed = inputs.engine().parse_set(expression, as_string=bool(parameter.get("forceString")))
        except HelmError as error:
            finding("helm-values-file", f"parameter {parameter['name']!r} cannot be parsed by Helm: {error}", at)
            return None
        values.add(parsed, _fixed(at))
    for index, parameter in enumerate(helm.get("fileParameters") or []):
        if not isinstance(parameter, dict) or not isinstance(parameter.get("name"), str):
            continue
        at = inputs.locate_app(app, (*base, "fileParameters", index, "path"))
        content = _file_parameter(inputs, str(parameter.get("path", "")), refs)
        if content is None:
            finding("helm-values-file", f"fileParameters {parameter['name']!r}: file {parameter.get('path')!r} cannot"
                    " be read from this repository", at)
            return None
        try:
            parsed = inputs.engine().parse_set(f"{parameter['name']}=x", as_string=True)
        except HelmError as error:
            finding("helm-values-file", f"fileParameters {parameter['name']!r}: {error}", at)
            return None
        values.add(_replace_leaves(parsed, content), _fixed(at))
    return values


def _fixed(at: Location) -> Locate:
    return lambda _path: at


def _parameter_value(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith("{") and text.endswith("}"):
        return text
    return re.sub(r"(?<!\\),", r"\\,", text)  # Argo CD's cleanSetParameters


def _replace_leaves(value: Any, content: str) -> Any:
    if isinstance(value, dict):
        return {k: _replace_leaves(v, content) for k, v in value.items()}
    return content


def _value_refs(app: Any) -> dict[str, dict[str, Any]]:
    """Sources with a ``ref``, by ref name: what ``$name/path`` in valueFiles means."""
    refs = {}
    for _where, source in app.sources():
        if isinstance(source.get("ref"), str):
            refs[source["ref"]] = source
    return refs


def _repository_file(inputs: Inputs, reference: str, refs: dict[str, dict[str, Any]]) -> str | None:
    """The repository-relative file a ``$ref/path`` names, when that source is this repository."""
    if not reference.startswith("$"):
        return None
    name, _, rest = reference[1:].partition("/")
    source = refs.get(name)
    if source is None or not inputs.points_here(source) or not rest:
        return None
    parts = [p for p in rest.split("/") if p not in ("", ".")]
    if ".." in parts:
        return None
    return "/".join(parts)


def _value_file(inputs: Inputs, entry: str, refs: dict[str, dict[str, Any]],
                chart_dir: str | None) -> tuple[Any, Document | None] | None:
    rel = _repository_file(inputs, entry, refs)
    if rel is None and chart_dir is not None and not entry.startswith("$") and inputs.root is not None:
        rel = _chart_relative(chart_dir, entry)
        if rel is None:
            return None
        if not (inputs.root / rel).is_file():
            return None
        chart_file = load.load_file(inputs.root / rel, rel)  # chart folders are not loaded as manifests
        if not chart_file.ok:
            return None
        # an empty (or comments-only) values file sets nothing, for Helm as here
        return (chart_file.documents[0].data, chart_file.documents[0]) if chart_file.documents else ({}, None)
    if rel is None:
        return None
    loaded = inputs.loaded.get(rel)
    if loaded is None or not loaded.ok:
        return None
    return (loaded.documents[0].data, loaded.documents[0]) if loaded.documents else ({}, None)


def _chart_relative(chart_dir: str, entry: str) -> str | None:
    """The repository file a values file of a chart of this repository names, as Argo CD resolves it
    (``ResolveValueFilePathOrUrl``): relative to the chart's folder, or to the repository root when it starts
    with ``/``; ``..`` may climb out of the chart but not out of the repository (None then)."""
    parts: list[str] = []
    for part in f"{'' if entry.startswith('/') else chart_dir}/{entry}".split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return "/".join(parts) or None


def _file_parameter(inputs: Inputs, path: str, refs: dict[str, dict[str, Any]]) -> str | None:
    rel = _repository_file(inputs, path, refs)
    loaded = inputs.loaded.get(rel) if rel else None
    return loaded.text if loaded is not None else None


