"""What Applications deploy: the directories of this repository they sync and the objects in them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from validate.argocd.apps import App
from validate.argocd.objects import mapping, templated
from validate.argocd.repository import Tree, points_here, relative
from validate.model import Checked, FieldPath

if TYPE_CHECKING:
    from validate.discover import Kustomization
    from validate.render import RenderResult


def synced_directories(app: App, home: frozenset[str], tree: Tree) -> Iterator[tuple[FieldPath, str, bool]]:
    """(path of the source, repository directory, recurse) of every source of this repository."""
    for where, source in app.sources():
        path = source.get("path", ".")
        if not points_here(source, home) or not isinstance(path, str) or templated(path):
            continue
        directory = relative(path)
        if directory is not None and tree.is_dir(directory):
            recurse = mapping(source.get("directory")).get("recurse") is True
            yield where, directory, recurse


def deployed_objects(directory: str, recurse: bool, renders: Iterable[RenderResult],
                     kustomizations: dict[str, Kustomization], objects: Iterable[Checked]) -> list[dict[str, Any]]:
    """What Argo CD applies from a directory: its render, or the stand-alone manifests in it."""
    for result in renders:
        if result.directory == directory:
            return [obj.data for obj in result.objects]
    if directory in kustomizations:
        return []
    prefix = "" if directory == "." else directory + "/"
    found = []
    for obj in objects:
        if obj.render is None and obj.file and obj.file.startswith(prefix) and \
                (recurse or "/" not in obj.file[len(prefix):]):
            found.append(obj.data)
    return found


def destination_namespaces(apps: Iterable[App], home: frozenset[str], tree: Tree) -> dict[str, set[str | None]]:
    """For every directory an Application syncs, the destination namespaces of those Applications
    (None for an Application without one)."""
    found: dict[str, set[str | None]] = {}
    for app in apps:
        for _, directory, _ in synced_directories(app, home, tree):
            found.setdefault(directory, set()).add(app.destination_namespace)
    return found


def directory_of(obj: Checked) -> str | None:
    """The directory Argo CD would sync to deploy ``obj``: its render, or a stand-alone file's folder."""
    if obj.render is not None:
        return obj.render
    if obj.file is None:
        return None
    return PurePosixPath(obj.file).parent.as_posix()


def deployment_units(apps: list[App], home: frozenset[str], tree: Tree) -> dict[int, frozenset[str]]:
    """Which Applications are deployed together, by ``id`` of each App: the set of units it belongs to.

    An Application that another one syncs (its file, or the render that holds it, lies in a synced
    directory) is deployed with that parent; one that nothing here syncs is a root, applied by hand
    with the other roots of its folder (``kubectl apply -f folder/``). A unit is a root folder, and
    an Application belongs to the units of every root above it. Roots in different folders are
    alternatives (an examples repository's app-of-apps, list and git-generator variants of the same
    deployment): repository-wide rules relate two Applications only when their units meet.
    """
    defined = {id(app): directory_of(app.obj) for app in apps}
    children: dict[int, list[App]] = {}
    synced: set[int] = set()
    for parent in apps:
        for _where, directory, recurse in synced_directories(parent, home, tree):
            for child in apps:
                place = defined[id(child)]
                if child is parent or place is None:
                    continue
                if place == directory or (recurse and (directory == "." or place.startswith(directory + "/"))):
                    children.setdefault(id(parent), []).append(child)
                    synced.add(id(child))
    units: dict[int, set[str]] = {id(app): set() for app in apps}
    for root in (app for app in apps if id(app) not in synced):
        unit = f"folder {defined[id(root)]}"
        pending, seen = [root], set()
        while pending:
            app = pending.pop()
            if id(app) in seen:
                continue
            seen.add(id(app))
            units[id(app)].add(unit)
            pending.extend(children.get(id(app), []))
    for app in apps:  # a cycle of Applications that sync each other, with no root: each stands alone
        if not units[id(app)]:
            units[id(app)].add(f"folder {defined[id(app)]}")
    return {key: frozenset(value) for key, value in units.items()}
