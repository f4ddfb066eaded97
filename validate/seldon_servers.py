"""Prepackaged model servers a repository registers with its Seldon Core operator.

The operator knows the servers listed under ``predictor_servers`` in its ``seldon-config``
ConfigMap, which the seldon-core-operator chart writes from its values. A repository that adds a
custom server (Seldon's own LightGBM example does) registers it in one of these places, all read here:

* a ``seldon-config`` ConfigMap whose ``data.predictor_servers`` is JSON (or YAML);
* Helm values with a top-level ``predictor_servers`` mapping: a values file, an Argo CD
  Application's ``helm.values`` / ``helm.valuesObject``, a kustomization's ``helmCharts[].valuesInline``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from validate.load import LoadedFile
    from validate.model import Checked

_KEY = "predictor_servers"


def registered_servers(objects: list[Checked], loaded: dict[str, LoadedFile]) -> frozenset[str]:
    """Names of every prepackaged server the repository registers."""
    names: set[str] = set()
    for servers in _registrations(objects, loaded):
        names |= {name for name in servers if isinstance(name, str)}
    return frozenset(names)


def _registrations(objects: list[Checked], loaded: dict[str, LoadedFile]) -> Iterator[dict[Any, Any]]:
    datas = [obj.data for obj in objects]
    for loaded_file in loaded.values():
        datas += [document.data for document in loaded_file.documents]
    for data in datas:
        if not isinstance(data, dict):
            continue
        yield from _values(data)  # a values file
        kind = data.get("kind")
        if kind == "ConfigMap" and _name(data) == "seldon-config":
            config = data.get("data")
            if isinstance(config, dict) and isinstance(config.get(_KEY), str):
                yield from _mapping(_parse(config[_KEY]))
        elif kind == "Application" and isinstance(data.get("spec"), dict):
            spec = data["spec"]
            sources = [spec.get("source")] + (spec.get("sources") if isinstance(spec.get("sources"), list) else [])
            for source in sources:
                helm = source.get("helm") if isinstance(source, dict) else None
                if isinstance(helm, dict):
                    yield from _values(helm.get("valuesObject"))
                    if isinstance(helm.get("values"), str):
                        yield from _values(_parse(helm["values"]))
        elif kind in ("Kustomization", None) and isinstance(data.get("helmCharts"), list):
            for chart in data["helmCharts"]:
                if isinstance(chart, dict):
                    yield from _values(chart.get("valuesInline"))


def _values(values: Any) -> Iterator[dict[Any, Any]]:
    if isinstance(values, dict):
        yield from _mapping(values.get(_KEY))


def _mapping(value: Any) -> Iterator[dict[Any, Any]]:
    if isinstance(value, dict):
        yield value


def _parse(text: str) -> Any:
    try:
        return yaml.safe_load(text[:1_000_000])  # JSON is YAML; the size bound keeps a hostile string cheap
    except yaml.YAMLError:
        return None


def _name(data: dict[str, Any]) -> str | None:
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None
