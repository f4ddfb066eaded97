"""What to do about a kustomize failure: one sentence for the failures a list edit causes.

kustomize says what it could not do ("unable to find field ... in replacement target", "doc is
missing path: /spec/predictors/1/traffic"), not why it happened nor what to change. The usual
cause is the same each time: the base removed, renamed or reordered a list item (a predictor, a
container) that an overlay still addresses. :func:`hint` adds that remedy to the render-failed
message; it returns None for any other failure, whose kustomize message stands alone.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from validate.model import Document

# a helmCharts entry the offline helm (validate.helm_shim) could not pull
_HELM_CHART = re.compile(r"helmCharts: chart (?P<name>\S+) (?P<version>\S+) from ")
_REPLACEMENT_FIELD = re.compile(r'unable to find field "(?P<field>[^"]+)" in replacement target')
_SELECTOR = re.compile(r"\[(?P<key>[^=\]]+)=(?P<value>[^\]]+)\]")
_JSON_PATCH_INDEX = re.compile(r"(?:replace|remove|test) operation does not apply: doc is missing path: "
                               r"(?P<path>\S*/\d+(?:/\S*)?)")
_JSON_PATCH_TEST = re.compile(r"testing value (?P<path>\S+) failed")


def hint(message: str) -> str | None:
    """The remedy for a kustomize failure message, or None when there is no specific one."""
    found = _REPLACEMENT_FIELD.search(message)
    if found:
        selector = _SELECTOR.search(found["field"])
        gone = (f"the list item with {selector['key']} {selector['value']!r}" if selector
                else f"the field {found['field']}")
        return (f"{gone} is no longer in the object this replacement targets (removed or renamed in the base):"
                " remove or update the replacement, and the value it copies, in the same commit as the base"
                " change (for a traffic split, keep the shares adding up to 100)")
    found = _JSON_PATCH_INDEX.search(message)
    if found:
        return (f"a JSON patch addresses {found['path']} by list position, and the base no longer has that"
                " position: patch the item by name instead (kustomize replacements with a"
                " fieldPath like spec.predictors.[name=main].traffic), or update the index")
    found = _JSON_PATCH_TEST.search(message)
    if found:
        return (f"a JSON patch test of {found['path']} failed: the base changed under the patch (a list item"
                " moved, was renamed or removed); update the patch to the base in the same commit")
    return None


def line_of(message: str, document: Document | None) -> int | None:
    """The line of the kustomization entry a failure names (a replacement's fieldPath), if it is there."""
    chart = _HELM_CHART.search(message)
    if chart is not None and document is not None and isinstance(document.data, dict):
        charts = document.data.get("helmCharts")
        for index, entry in enumerate(charts if isinstance(charts, list) else []):
            if isinstance(entry, dict) and entry.get("name") == chart["name"] and \
                    str(entry.get("version", "")) == chart["version"]:
                position = document.position(("helmCharts", index, "name"))
                if position is not None:
                    return position[0]
    found = _REPLACEMENT_FIELD.search(message)
    if found is None or document is None or not isinstance(document.data, dict):
        return None
    replacements = document.data.get("replacements")
    for r, replacement in enumerate(replacements if isinstance(replacements, list) else []):
        targets = replacement.get("targets") if isinstance(replacement, dict) else None
        for t, target in enumerate(targets if isinstance(targets, list) else []):
            paths = target.get("fieldPaths") if isinstance(target, dict) else None
            for p, path in enumerate(paths if isinstance(paths, list) else []):
                if path == found["field"]:
                    position = document.position(("replacements", r, "targets", t, "fieldPaths", p))
                    if position is not None:
                        return position[0]
    return None
