"""Reading a chart (a .tgz archive or a folder) without rendering it: metadata, values, schema, CRDs, subcharts."""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validate.yaml_events import SAFE_LOADER
from validate.yamlscalar import key_text

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
            merged[name] = merge(sub.defaults(), own if isinstance(own, dict) else {})
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
        try:  # libyaml's parser: a chart's values.yaml runs to thousands of lines (yaml.safe_load is pure Python)
            return yaml.load(text(name), Loader=SAFE_LOADER) if name in files else None
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



def merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's mergeMaps: nested maps merge, anything else is replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class _Loader(SAFE_LOADER):  # type: ignore[misc]
    """Safe loading as Argo CD reads rendered output (sigs.k8s.io/yaml into unstructured objects): a bare ``=`` is
    a string, not YAML 1.1's value key; a timestamp stays a string; mapping keys become strings (``1: x`` is
    ``"1"``), as in JSON. A date or a number key is then an ordinary string, never a value the checks cannot read."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[str, Any]:
        mapping = super().construct_mapping(node, deep)
        return {key if isinstance(key, str) else key_text(key): value for key, value in mapping.items()}


def _binary_text(loader: Any, node: Any) -> str:
    """``!!binary``: the decoded bytes as a string, as Go's YAML decodes it into an interface value."""
    data: bytes = yaml.SafeLoader.construct_yaml_binary(loader, node)
    return data.decode("utf-8", errors="replace")


def _pairs(loader: Any, node: Any) -> Any:
    """``!!set``, ``!!omap`` and ``!!pairs``: the mapping or sequence as written (Go's YAML has no such types)."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return loader.construct_sequence(node, deep=True)


_Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)
_Loader.add_constructor("tag:yaml.org,2002:binary", _binary_text)
for _tag in ("set", "omap", "pairs"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _pairs)
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# What :func:`documents` is, for caches of its results: change it when the loader's rules change.
PARSER = f"{_Loader.__mro__[1].__name__} with '=', timestamps, keys and binary as strings, sets as mappings"


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.load_all(text, Loader=_Loader) if isinstance(d, dict) and d]


def crd_api_versions(crd: Any) -> set[str]:
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
