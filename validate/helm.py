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

import difflib
import io
import json
import re
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from validate.findings import Finding, ObjectRef, Severity
from validate.helm_engine import Engine, HelmError, RenderRequest
from validate.load import Document, LoadedFile, Path_
from validate.locate import Location
from validate.sources import PULL_COMMAND, ChartRef, Lock, SourceCache, digest

MAX_CHART_BYTES = 64 << 20  # uncompressed; a bigger archive is refused, not unpacked
_MAX_FILE_BYTES = 8 << 20


# --- reading charts ----------------------------------------------------------------------------

@dataclass
class ChartFiles:
    """What a packaged or unpacked chart holds, read without rendering anything."""

    name: str
    version: str
    metadata: dict[str, Any]
    values: dict[str, Any]
    values_text: str
    schema: dict[str, Any] | None
    templates: dict[str, str]  # "templates/x.yaml" -> text (this chart only)
    crds: list[tuple[str, str]]  # ("crds/x.yaml", text)
    subcharts: dict[str, ChartFiles] = field(default_factory=dict)  # by name (alias applied)

    def all_template_text(self) -> str:
        return "\n".join([*self.templates.values(), *(s.all_template_text() for s in self.subcharts.values())])

    def all_crds(self) -> list[tuple[str, str]]:
        found = list(self.crds)
        for name, sub in self.subcharts.items():
            found += [(f"charts/{name}/{file}", text) for file, text in sub.all_crds()]
        return found

    def defaults(self) -> dict[str, Any]:
        """values.yaml with each subchart's defaults under its name, as Helm coalesces them."""
        merged: dict[str, Any] = dict(self.values)
        for name, sub in self.subcharts.items():
            own = merged.get(name)
            merged[name] = _merge(sub.defaults(), own if isinstance(own, dict) else {})
        return merged


class ChartError(Exception):
    pass


def read_chart(path: Path) -> ChartFiles:
    """Read a chart archive (.tgz) or directory."""
    if path.is_dir():
        files: dict[str, bytes] = {}
        total = 0
        for file in sorted(path.rglob("*")):
            if file.is_file() and not file.is_symlink():
                total += file.stat().st_size
                if total > MAX_CHART_BYTES:
                    raise ChartError(f"the chart folder holds more than {MAX_CHART_BYTES >> 20} MB")
                files[file.relative_to(path).as_posix()] = file.read_bytes()
        return _chart_from_files(files)
    try:
        return _chart_from_archive(path.read_bytes())
    except OSError as error:
        raise ChartError(f"cannot read {path.name}: {error.strerror or error}") from None


def _chart_from_archive(data: bytes) -> ChartFiles:
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                total += member.size
                if total > MAX_CHART_BYTES or member.size > _MAX_FILE_BYTES:
                    raise ChartError(f"the archive unpacks to more than {MAX_CHART_BYTES >> 20} MB")
                name = member.name.split("/", 1)[1] if "/" in member.name else member.name
                handle = archive.extractfile(member)
                if handle is not None:
                    files[name] = handle.read()
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ChartError(f"not a readable chart archive: {error}") from None
    return _chart_from_files(files)


def _chart_from_files(files: dict[str, bytes]) -> ChartFiles:
    def text(name: str) -> str:
        return files[name].decode("utf-8", errors="replace") if name in files else ""

    def parse(name: str) -> Any:
        try:
            return yaml.safe_load(text(name)) if name in files else None
        except yaml.YAMLError as error:
            raise ChartError(f"{name} is not valid YAML: {' '.join(str(error).split())}") from None

    metadata = parse("Chart.yaml")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("name"), str):
        raise ChartError("Chart.yaml is missing or names no chart")
    values = parse("values.yaml") or {}
    schema = None
    if "values.schema.json" in files:
        try:
            schema = json.loads(files["values.schema.json"])
        except ValueError as error:
            raise ChartError(f"values.schema.json is not valid JSON: {error}") from None
    templates = {n: text(n) for n in files if n.startswith("templates/")}
    crds = [(n, text(n)) for n in sorted(files) if n.startswith("crds/") and n.endswith((".yaml", ".yml", ".json"))]
    chart = ChartFiles(str(metadata["name"]), str(metadata.get("version", "")), metadata,
                       values if isinstance(values, dict) else {}, text("values.yaml"),
                       schema if isinstance(schema, dict) else None, templates, crds)
    aliases = {str(d.get("name")): str(d.get("alias") or d.get("name"))
               for d in metadata.get("dependencies") or [] if isinstance(d, dict)}
    nested: dict[str, dict[str, bytes]] = {}
    for name, data in files.items():
        if not name.startswith("charts/"):
            continue
        rest = name[len("charts/"):]
        if "/" not in rest and rest.endswith(".tgz"):
            sub = _chart_from_archive(data)
            chart.subcharts[aliases.get(sub.name, sub.name)] = sub
        elif "/" in rest:
            folder, inner = rest.split("/", 1)
            nested.setdefault(folder, {})[inner] = data
    for folder_files in nested.values():
        if "Chart.yaml" in folder_files:
            sub = _chart_from_files(folder_files)
            chart.subcharts[aliases.get(sub.name, sub.name)] = sub
    return chart


# --- values and where they came from -----------------------------------------------------------

Locate = Callable[[Path_], Location]


@dataclass
class Values:
    """The user-supplied values of one Helm source, merged, and the place each leaf was set."""

    merged: dict[str, Any] = field(default_factory=dict)
    origin: dict[Path_, Location] = field(default_factory=dict)

    def add(self, values: dict[str, Any], where: Callable[[Path_], Location]) -> None:
        self.merged = _merge(self.merged, values)
        for path in _paths(values):
            self.origin[path] = where(path)

    def location(self, path: Path_) -> Location | None:
        for end in range(len(path), 0, -1):
            found = self.origin.get(tuple(path[:end]))
            if found is not None:
                return found
        return None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's mergeMaps: nested maps merge, anything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _leaves(value: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from _leaves(sub, (*prefix, str(key)))
    else:
        yield prefix, value


def _paths(value: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every key path of a values tree, maps and leaves alike."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*prefix, str(key))
            yield from _paths(sub, (*prefix, str(key)))


def _text_positions(text: str) -> dict[Path_, tuple[int, int]]:
    """Line and column (1-based, within ``text``) of every mapping key of a YAML document."""
    positions: dict[Path_, tuple[int, int]] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return positions

    def walk(current: Any, path: Path_) -> None:
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    here = (*path, key.value)
                    positions[here] = (key.start_mark.line + 1, key.start_mark.column + 1)
                    walk(value, here)

    walk(node, ())
    return positions


# --- the run -------------------------------------------------------------------------------------

@dataclass
class ChartObject:
    data: dict[str, Any]
    app: Any  # validate.argocd.App
    label: str  # "Application x, chart c 1.2.3"
    template: str
    locate: Locate


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
    locate_app: Callable[[Any, Path_], Location]  # (App, path in the Application) -> where it is written
    points_here: Callable[[dict[str, Any]], bool]  # does a source name this repository?
    crds_in_repository: list[dict[str, Any]] = field(default_factory=list)


def render_applications(inputs: Inputs) -> HelmRun:
    run = HelmRun()
    seen_missing: set[ChartRef] = set()
    sources: list[tuple[Any, Path_, dict[str, Any], ChartRef]] = []
    for app in inputs.apps:
        for where, source in app.sources():
            ref = chart_ref(source)
            if ref is not None:
                sources.append((app, where, source, ref))
    charts: dict[ChartRef, ChartFiles | None] = {}
    for app, where, _source, ref in sources:
        if ref in charts:
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
        if inputs.lock is not None:
            actual = digest(found.path)
            locked = inputs.lock.charts.get(ref)
            if locked is not None and locked != actual:
                at = inputs.locate_app(app, (*where, "targetRevision"))
                run.findings.append(Finding(
                    "source-digest", f"the cached archive of {ref} has digest {actual}, the lock records {locked}:"
                    f" the published chart changed, or the cache is corrupt; rerun `{PULL_COMMAND}` and review",
                    at.file, at.line, at.column))
        try:
            charts[ref] = read_chart(found.path)
        except ChartError as error:
            charts[ref] = None
            at = inputs.locate_app(app, (*where, "chart"))
            run.findings.append(Finding("helm-render", f"{ref}: {error}", at.file, at.line, at.column))
    crd_versions = set()
    for files in charts.values():
        for _name, text in files.all_crds() if files else []:
            try:
                for crd in _documents(text):
                    crd_versions |= _crd_api_versions(crd)
            except yaml.YAMLError:
                continue  # reported when the chart's objects are read
    for crd in inputs.crds_in_repository:
        crd_versions |= _crd_api_versions(crd)
    api_versions = tuple(sorted(inputs.api_versions | crd_versions))
    for app, where, source, ref in sources:
        files = charts.get(ref)
        if files is None:
            continue
        started = time.perf_counter()
        # The file first: the configuration's environment paths (and so severities) apply to it.
        label = f"{app.obj.file or '?'}: {app.label}, chart {ref.chart} {ref.version}"
        _render_source(inputs, run, app, where, source, ref, files, label, api_versions)
        run.seconds[label] = time.perf_counter() - started
    return run


def chart_ref(source: dict[str, Any]) -> ChartRef | None:
    repo, chart, version = (source.get(k) for k in ("repoURL", "chart", "targetRevision"))
    if not all(isinstance(v, str) and v and "{{" not in v for v in (repo, chart, version)):
        return None
    return ChartRef(str(repo), str(chart), str(version))


def _render_source(inputs: Inputs, run: HelmRun, app: Any, where: Path_, source: dict[str, Any], ref: ChartRef,
                   files: ChartFiles, label: str, api_versions: tuple[str, ...]) -> None:
    helm = source.get("helm") if isinstance(source.get("helm"), dict) else {}
    assert isinstance(helm, dict)
    chart_at = inputs.locate_app(app, (*where, "chart"))

    def finding(rule: str, message: str, at: Location, severity: Severity = Severity.ERROR) -> None:
        run.findings.append(Finding(rule, message + at.note, at.file, at.line, at.column, severity, render=label))

    values = _assemble_values(inputs, app, where, helm, files, finding)
    if values is None:
        return
    _check_values(values, files, ref, finding)
    if files.schema is not None and not helm.get("skipSchemaValidation"):
        if not _check_schema(values, files, ref, chart_at, finding):
            return  # Helm refuses the values: Argo CD renders nothing
    name = helm.get("releaseName") if isinstance(helm.get("releaseName"), str) and helm.get("releaseName") else app.name
    namespace = helm.get("namespace") if isinstance(helm.get("namespace"), str) and helm.get("namespace") else \
        (app.destination_namespace or "")
    found = inputs.cache.chart(ref)
    assert found is not None
    request = RenderRequest(found.path, values.merged, str(name), str(namespace), f"v{inputs.kube_version}.0",
                            api_versions, skip_schema_validation=True, skip_tests=bool(helm.get("skipTests")))
    try:
        rendered = inputs.engine().render(request)
    except HelmError as error:
        finding("helm-render", f"helm template of {ref} fails: {error}", chart_at)
        return
    run.rendered.append(label)
    manifests = dict(rendered.manifests)
    if not helm.get("skipCrds"):
        for file, text in files.all_crds():
            manifests[f"{files.name}/{file}"] = text
    for template, text in sorted(manifests.items()):
        base = template.rsplit("/", 1)[-1]
        if base == "NOTES.txt" or base.startswith("_"):
            continue  # helm template prints neither the notes nor partials
        try:
            documents = _documents(text)
        except yaml.YAMLError as error:
            finding("helm-render", f"{template} of {ref} renders invalid YAML: {' '.join(str(error).split())[:200]}",
                    chart_at)
            continue
        for data in documents:
            run.objects.append(ChartObject(data, app, label, template,
                                           _object_locator(data, values, chart_at, ref, template)))


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loading as Go's YAML library reads rendered output: a bare ``=`` is a string, not YAML 1.1's value key."""


_Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


def _documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(text, Loader=_Loader) if isinstance(d, dict) and d]


def _crd_api_versions(crd: Any) -> set[str]:
    if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
        return set()
    spec = crd.get("spec") if isinstance(crd.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    group = spec.get("group")
    kind = spec.get("names", {}).get("kind") if isinstance(spec.get("names"), dict) else None
    found = set()
    for entry in spec.get("versions") or []:
        if isinstance(entry, dict) and isinstance(group, str) and isinstance(entry.get("name"), str):
            found.add(f"{group}/{entry['name']}")
            if isinstance(kind, str):
                found.add(f"{group}/{entry['name']}/{kind}")
    return found


def _assemble_values(inputs: Inputs, app: Any, where: Path_, helm: dict[str, Any], files: ChartFiles,
                     finding: Callable[..., None]) -> Values | None:
    values = Values()
    base = (*where, "helm")
    refs = _value_refs(app)
    for index, entry in enumerate(helm.get("valueFiles") or []):
        at = inputs.locate_app(app, (*base, "valueFiles", index))
        if not isinstance(entry, str):
            continue
        loaded = _value_file(inputs, entry, refs)
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

        def in_file(path: Path_, document: Document | None = document, at: Location = at) -> Location:
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
            positions = _text_positions(helm["values"])
            block = 1 if at.line is not None else 0

            def in_block(path: Path_) -> Location:
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


def _value_file(inputs: Inputs, entry: str, refs: dict[str, dict[str, Any]]) -> tuple[Any, Document | None] | None:
    rel = _repository_file(inputs, entry, refs)
    if rel is None:
        return None
    loaded = inputs.loaded.get(rel)
    if loaded is None or not loaded.ok or not loaded.documents:
        return None
    return loaded.documents[0].data, loaded.documents[0]


def _file_parameter(inputs: Inputs, path: str, refs: dict[str, dict[str, Any]]) -> str | None:
    rel = _repository_file(inputs, path, refs)
    loaded = inputs.loaded.get(rel) if rel else None
    return loaded.text if loaded is not None else None


# --- values against the chart -----------------------------------------------------------------

def _check_values(values: Values, files: ChartFiles, ref: ChartRef, finding: Callable[..., None]) -> None:
    defaults = files.defaults()
    mentioned = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", files.all_template_text()))
    reported: set[Path_] = set()
    for path, value in _leaves(values.merged):
        if not path or path[0] == "global":
            continue  # global is shared with every subchart: any key may be meant for one
        node: Any = defaults
        for depth, key in enumerate(path):
            if not isinstance(node, dict) or not node:
                break  # free-form (an empty map) or a list: any key is fine
            if key not in node:
                here = path[:depth + 1]
                if here in reported or key in mentioned:
                    break
                reported.add(here)
                close = difflib.get_close_matches(str(key), [str(k) for k in node], n=1, cutoff=0.75)
                hint = f" (did you mean {_dotted((*here[:-1], close[0]))}?)" if close else ""
                at = values.location(here)
                if at is not None:
                    finding("helm-values-unknown", f"values key {_dotted(here)} is not in the values.yaml of chart"
                            f" {ref.chart} {ref.version} and no template reads it: Helm ignores it{hint}", at,
                            Severity.WARNING)
                break
            default = node[key]
            if depth == len(path) - 1 and not _same_type(default, value):
                at = values.location(path)
                if at is not None:
                    finding("helm-values-type", f"values key {_dotted(path)} is {_type_name(value)}, but the"
                            f" chart's default is {_type_name(default)} ({json.dumps(default, default=str)[:60]})",
                            at, Severity.WARNING)
            node = default


def _dotted(path: Path_) -> str:
    return ".".join(str(part) for part in path)


def _same_type(default: Any, value: Any) -> bool:
    if default is None or value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, int | float) and isinstance(value, int | float):
        return True
    if isinstance(default, dict) and isinstance(value, dict) and not value:
        return True
    return type(default) is type(value) or (isinstance(default, str) and isinstance(value, str))


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "a map"}.get(type(value), type(value).__name__)


def _check_schema(values: Values, files: ChartFiles, ref: ChartRef, chart_at: Location,
                  finding: Callable[..., None]) -> bool:
    """values.schema.json against the chart's defaults coalesced with the user's values; False when it fails."""
    assert files.schema is not None
    try:
        validator = jsonschema_rs.validator_for(files.schema, retriever=_refuse)
    except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError) as error:
        finding("helm-values-schema", f"the values.schema.json of {ref} cannot be used: {' '.join(str(error).split())[:200]}",
                chart_at, Severity.WARNING)
        return True
    ok = True
    for problem in validator.iter_errors(_merge(files.defaults(), values.merged)):
        ok = False
        path = tuple(str(p) for p in problem.instance_path)
        at = values.location(path) or chart_at
        where = ".".join(path) or "(top level)"
        finding("helm-values-schema", f"values {where}: {problem.message[:240]} (values.schema.json of chart"
                f" {ref.chart} {ref.version}; Helm refuses to render)", at)
    return ok


def _refuse(uri: str) -> Any:
    raise ValueError(f"{uri}: the validator never downloads schemas")


# --- where a finding on a rendered object goes ----------------------------------------------------

def _object_locator(data: dict[str, Any], values: Values, chart_at: Location, ref: ChartRef, template: str) -> Locate:
    template_name = template.split("/", 1)[1] if "/" in template else template
    fallback = Location(chart_at.file, chart_at.line, chart_at.column,
                        f" (rendered by template {template_name} of chart {ref.chart} {ref.version})")
    user = list(_leaves(values.merged))

    def locate(path: Path_) -> Location:
        node: Any = data
        for part in path:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                return fallback
        match = _origin_of(node, path[-1] if path else None, user, values)
        if match is None:
            return fallback
        return Location(match.file, match.line, match.column,
                        f" (set here; chart {ref.chart} {ref.version} renders it in template {template_name})")
    return locate


def _origin_of(node: Any, key: str | int | None, user: list[tuple[Path_, Any]], values: Values) -> Location | None:
    """The values line that set ``node``: a user leaf with the same key and value, or a distinctive equal value."""
    if not path_has_value(node):
        return None
    best: tuple[int, Path_] | None = None
    for path, value in user:
        if not path:
            continue
        same_key = path[-1] == key
        if value == node and type(value) is type(node) and (same_key or _distinctive(value)):
            score = 2 if same_key else 1
            if best is None or score > best[0]:
                best = (score, path)
        elif isinstance(node, dict | list) and same_key and _contains(node, value):
            if best is None:
                best = (1, path)
    if best is None and isinstance(node, dict) and isinstance(key, str):
        for path, value in user:  # a map the template copied from the values (toYaml)
            if len(path) >= 2 and path[-1] in node and node[path[-1]] == value and _distinctive(value):
                return values.location(path)
    return values.location(best[1]) if best else None


def path_has_value(node: Any) -> bool:
    return node is not None and node != "" and node != {} and node != []


def _distinctive(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return abs(value) >= 2 and value not in (10, 100)
    if isinstance(value, str):
        return len(value) >= 4 and value.lower() not in ("true", "false", "none", "always", "never")
    return bool(value)


def _contains(node: Any, value: Any) -> bool:
    if node == value:
        return True
    if isinstance(node, dict):
        return any(_contains(v, value) for v in node.values())
    if isinstance(node, list):
        return any(_contains(v, value) for v in node)
    return False


def object_ref(data: dict[str, Any]) -> ObjectRef | None:
    return ObjectRef.of(data)
