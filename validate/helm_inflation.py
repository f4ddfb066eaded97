"""Which ``helmCharts:`` entry of a kustomization rendered an object, and where a value of it was set.

Kustomize's origin annotation on an object its ``helmCharts:`` inflation made names the
kustomization and ``HelmChartInflationGenerator``, not the entry (kustomize 5.8.1 creates one
generator per entry, all with the same origin). The offline helm (:mod:`validate.helm_shim`) knows
the entry it renders (release, namespace, chart folder ``<chartHome>/<name>-<version>/<name>``),
so during a render it records, beside the chart folder kustomize unpacked into the render's
mirror, the objects (kind, name, template) that entry produced (:func:`record`). After the build
the render stage reads those records back (:func:`attribute`) and gives each inflated object the
index of its entry: an object whose kind and name only one entry produced. The locator then places
findings at that entry's line, or at the ``valuesInline`` key whose value the field holds (the same
matching as an Application's values, :func:`validate.helm.values.object_locator`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from validate.model import Document, FieldPath, Location, RenderedObject
from validate.yaml_events import SAFE_LOADER

if TYPE_CHECKING:
    from validate.discover import Inventory

# Set in kustomize's environment by the render stage (kustomize passes its environment to helm): only
# then does the offline helm write records, never beside a chart folder of a run by hand.
RECORD_ENV = "GITOPS_VALIDATE_HELM_RECORD"
RECORD_PREFIX = ".gitops-validate-helm-"
GENERATOR = "HelmChartInflationGenerator"
DEFAULT_CHART_HOME = "charts"  # kustomize's types.HelmDefaultHome


def record(chart: Path, release: str, namespace: str, documents: list[tuple[str, str]]) -> None:
    """Write which objects ``template`` of ``chart`` gave (best effort: a failure only loses locations)."""
    if os.environ.get(RECORD_ENV) != "1":
        return
    objects = []
    for template, text in documents:
        try:
            data = yaml.load(text, Loader=SAFE_LOADER)
        except yaml.YAMLError:
            continue
        metadata = data.get("metadata") if isinstance(data, dict) else None
        if isinstance(metadata, dict) and isinstance(metadata.get("name"), str):
            objects.append([str(data.get("kind", "")), metadata["name"], template.split("/", 1)[-1]])
    name = hashlib.sha256(f"{release}\0{namespace}".encode()).hexdigest()[:16]
    target = chart.parent / f"{RECORD_PREFIX}{name}.json"
    try:
        temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"release": release, "namespace": namespace, "objects": objects}),
                             encoding="utf-8")
        os.replace(temporary, target)
    except OSError:
        pass


def _records(folder: Path) -> list[dict[str, Any]]:
    try:
        names = sorted(p for p in folder.iterdir() if p.name.startswith(RECORD_PREFIX) and p.suffix == ".json")
    except OSError:
        return []
    out = []
    for path in names:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("objects"), list):
            out.append(data)
    return out


def entry_objects(tree: Path, kustomization_file: str, data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Per ``helmCharts`` index, the record of what it rendered, read from the mirror ``tree``."""
    globals_ = data.get("helmGlobals")
    home = globals_["chartHome"] if isinstance(globals_, dict) and isinstance(globals_.get("chartHome"), str) \
        else DEFAULT_CHART_HOME
    base = tree / (os.path.dirname(kustomization_file) or ".") / home
    out: dict[int, dict[str, Any]] = {}
    entries = data.get("helmCharts")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        folder = base / (f"{entry['name']}-{entry['version']}" if entry.get("version") else entry["name"])
        release = entry.get("releaseName") or entry.get("nameTemplate") or "release-name"
        records = [r for r in _records(folder) if r.get("release") == release]
        if isinstance(entry.get("namespace"), str) and entry["namespace"]:
            records = [r for r in records if r.get("namespace") == entry["namespace"]]
        if len(records) == 1:
            out[index] = records[0]
    return out


def attribute(tree: Path, documents: dict[str, Document | None], objects: list[RenderedObject]) -> list[RenderedObject]:
    """``objects`` with the ``helmCharts`` entry of each inflated one (``chart_entry``), where exactly one entry
    of its kustomization (``documents``: kustomization file -> its document) rendered its kind and name."""
    cache: dict[str, dict[int, dict[str, Any]]] = {}
    out = []
    for obj in objects:
        file = obj.generated_in
        document = documents.get(file) if file is not None and obj.generator == GENERATOR else None
        if file is None or document is None or not isinstance(document.data, dict):
            out.append(obj)
            continue
        if file not in cache:
            cache[file] = entry_objects(tree, file, document.data)
        kind = obj.data.get("kind")
        metadata = obj.data.get("metadata")
        name = str(metadata.get("name", "")) if isinstance(metadata, dict) else ""
        best: list[tuple[int, int, str]] = []  # (length of the name the chart gave, entry, template)
        for index, found in cache[file].items():
            for entry_kind, entry_name, template in found["objects"]:
                if entry_kind == kind and entry_name and entry_name in name:  # prefixes and suffixes may be added
                    best.append((len(entry_name), index, template))
        best.sort(reverse=True)
        winners = {index for length, index, _t in best if length == best[0][0]} if best else set()
        if len(winners) == 1:
            out.append(replace(obj, chart_entry=(best[0][1], best[0][2])))
        elif len(document.data.get("helmCharts") or []) == 1:
            out.append(replace(obj, chart_entry=(0, "")))  # one entry: it rendered every inflated object
        else:
            out.append(obj)
    return out


def attribute_outcomes(tree: Path, inventory: Inventory, outcomes: Iterable[Any]) -> None:
    """Give the inflated objects of successful renders (``render._Outcome``) their entries, from ``tree``."""
    documents = {k.file: k.document for k in inventory.kustomizations.values()}
    for outcome in outcomes:
        if outcome.ok and any(o.generator == GENERATOR for o in outcome.objects):
            outcome.objects = attribute(tree, documents, outcome.objects)


def locate(obj: RenderedObject, document: Document | None, path: FieldPath) -> Location | None:
    """A finding on inflated ``obj`` at ``path``: the ``valuesInline`` key that set the value, else the entry."""
    if obj.chart_entry is None or obj.generated_in is None or document is None or \
            not isinstance(document.data, dict):
        return None
    index, template = obj.chart_entry
    entries = document.data.get("helmCharts")
    entry = entries[index] if isinstance(entries, list) and 0 <= index < len(entries) else None
    position = document.position(("helmCharts", index))
    if not isinstance(entry, dict) or position is None:
        return None
    from validate.helm.values import Values, object_locator
    from validate.sources import ChartRef

    at = Location(obj.generated_in, position[0], position[1])
    values = Values()
    if isinstance(entry.get("valuesInline"), dict):
        def in_file(value_path: FieldPath) -> Location:
            found = document.position(("helmCharts", index, "valuesInline", *value_path))
            return Location(obj.generated_in, *found) if found else at
        values.add(entry["valuesInline"], in_file)
    ref = ChartRef(str(entry.get("repo") or ""), str(entry.get("name")), str(entry.get("version") or ""))
    found = object_locator(obj.data, values, at, ref, f"{ref.chart}/{template or '?'}")(path)
    if found.line == at.line and found.column == at.column:  # not a value of valuesInline: the entry, and what made it
        what = f"template {template} of chart" if template else "chart"
        return Location(at.file, at.line, at.column, f" (rendered from this entry by {what} {ref.chart}"
                        f" {ref.version})")
    return found
