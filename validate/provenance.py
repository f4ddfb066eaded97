"""Where a rendered object came from, as kustomize's build annotations say.

The render asks kustomize for ``originAnnotations`` and ``transformerAnnotations``; this module
reads them off every object (and removes them, so that no rule sees them) into a
:class:`~validate.model.RenderedObject`: the resource file an object was read from, or the
kustomization whose generator made it, and every kustomization that transformed it.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from validate.model import RenderedObject
from validate.yaml_events import SAFE_LOADER

ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"


class RenderedLoader(SAFE_LOADER):  # type: ignore[misc]
    """Kustomize output, read as the API server reads it, except that timestamps stay strings."""


RenderedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def provenance(data: dict[str, Any], directory: str, index: int) -> RenderedObject:
    """Pop our build annotations off the object and turn them into repository paths."""
    rendered = RenderedObject(data, directory, index)
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return rendered
    origin = _yaml_annotation(annotations.pop(ORIGIN, None))
    transformations = _yaml_annotation(annotations.pop(TRANSFORMATIONS, None))
    if not annotations and isinstance(metadata, dict):
        del metadata["annotations"]
    if isinstance(origin, dict):
        if isinstance(origin.get("path"), str):
            rendered.source_file = _repo_path(directory, origin["path"])
        elif isinstance(origin.get("configuredIn"), str):
            rendered.generated_in = _repo_path(directory, origin["configuredIn"])
            by = origin.get("configuredBy")
            rendered.generator = by.get("kind") if isinstance(by, dict) else None
    if isinstance(transformations, list):
        for entry in transformations:
            if isinstance(entry, dict) and isinstance(entry.get("configuredIn"), str):
                by = entry.get("configuredBy")
                rendered.transformed_in.append((_repo_path(directory, entry["configuredIn"]),
                                                str(by.get("kind", "")) if isinstance(by, dict) else ""))
    return rendered


def _yaml_annotation(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return yaml.load(value, Loader=RenderedLoader)
    except yaml.YAMLError:
        return None


def _repo_path(directory: str, relative: str) -> str:
    return os.path.normpath(os.path.join(directory, relative)).replace(os.sep, "/")
