"""One render must not hold the same object twice.

What it does:
    Reports an object whose API group, kind, namespace and name repeat those of another object
    of the same render, of the same file, or of the same folder of stand-alone manifests that an
    Application syncs (a folder nothing syncs holds alternatives, not one set). An object without a
    namespace counts as being in the destination namespace of the Application that syncs the
    directory, as Argo CD applies it; API versions are ignored, as the API server ignores them.

Why it matters:
    kustomize refuses exact duplicates, but not the same object under two API versions or once
    with and once without a namespace; Argo CD then applies both and the last one wins, at every
    sync, and shows the object as out of sync forever.

Example:
    ```yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: model-settings
      namespace: seldon
    ---
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: model-settings
      namespace: seldon
    ```

Use instead:
    ```yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: model-settings
      namespace: seldon
    ```
    Keep one definition of the object and merge the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.argocd import describe, directory_of
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-duplicate-object"
DEFAULT = "error"


def check_repository(ctx: Context) -> Iterator[Violation]:
    destinations = ctx.destinations
    groups: dict[tuple[bool, str], list[Checked]] = {}
    for obj in ctx.objects:
        directory = directory_of(obj)
        if directory is None:
            continue
        if obj.render is None and directory not in destinations and obj.file is not None:
            # A folder no Application syncs is not applied as one: its files are alternatives (an
            # install.yaml next to a namespace-install.yaml, one example per file). Each file is.
            groups.setdefault((False, obj.file), []).append(obj)
            continue
        groups.setdefault((obj.render is not None, directory), []).append(obj)
    for (rendered, directory), objects in groups.items():
        reported: set[int] = set()
        for namespace in sorted(destinations.get(directory, set()) | {None}, key=lambda n: n or ""):
            first: dict[tuple[str, str, str, str], Checked] = {}
            for obj in objects:
                key = ctx.object_key(obj.data, namespace or "")
                if key is None:
                    continue
                other = first.setdefault(key, obj)
                if other is obj or id(obj) in reported or _same_source(obj, other):
                    continue
                reported.add(id(obj))
                where = "render of " + directory if rendered else \
                    ("folder " + directory if directory in destinations else "file " + directory)
                place = f" ({other.file}:{other.line})" if other.file else ""
                yield Violation(f"{describe(key)} is defined twice in the {where}: first{place}",
                                ("metadata", "name"), obj=obj)


def _same_source(obj: Checked, other: Checked) -> bool:
    """The same rendered object reached twice (not expected, but never a duplicate)."""
    return obj.rendered is not None and obj.rendered is other.rendered
