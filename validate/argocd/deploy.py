"""What Applications deploy: the directories of this repository they sync and the objects in them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from validate.argocd.apps import App
from validate.argocd.objects import mapping, templated
from validate.argocd.repository import Tree, points_here, relative
from validate.argocd.sources import ref_only
from validate.model import Checked, FieldPath

if TYPE_CHECKING:
    from validate.discover import Kustomization
    from validate.render import RenderResult


def synced_directories(app: App, home: frozenset[str], tree: Tree) -> Iterator[tuple[FieldPath, str, bool]]:
    """(path of the source, repository directory, recurse) of every source of this repository."""
    for where, source in app.sources():
        path = source.get("path", ".")
        if ref_only(where, source) or not points_here(source, home) or not isinstance(path, str) or templated(path):
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
    return _folder(obj.file)


@lru_cache(maxsize=4096)
def _folder(file: str) -> str:
    return PurePosixPath(file).parent.as_posix()  # a stream's thousands of objects share one file


# The namespace each Argo CD distribution installs its control plane in, and reads its Applications
# and ApplicationSets from: upstream's manifests/install.yaml (``argocd``) and the OpenShift GitOps
# operator's default instance (``openshift-gitops``). An Application written once for each is one
# Application for two kinds of cluster (christianh814/gitops-examples keeps ``appset-bgd-0.2.yaml`` and
# ``appset-bgd-0.2-ocp.yaml`` side by side), never two Applications of one cluster.
INSTALL_NAMESPACES = frozenset({"argocd", "openshift-gitops"})


@dataclass(frozen=True)
class Root:
    """Where a tree of Applications enters the cluster: an Application or ApplicationSet that no
    Application of this repository syncs, so someone applies it by hand (``kubectl apply -f`` its
    folder, or its file)."""

    directory: str  # the folder it is in ("." for the repository root)
    written: tuple[str | None, int | None]  # its file and line
    identity: tuple[str, str, str]  # kind, namespace, name

    def together(self, other: Root) -> bool:
        """Whether two roots are deployed together: the same root, or roots in one folder or in
        nested folders (applied as one tree), unless they are the same object written twice (two
        versions of one ApplicationSet, say: only one of them can exist), or the same object
        written once for each of two Argo CD distributions (same kind and name, one in
        ``argocd``, the other in ``openshift-gitops``: one Argo CD reads each, and a cluster runs
        one of them)."""
        if self.written == other.written:
            return True
        kind, namespace, name = self.identity
        other_kind, other_namespace, other_name = other.identity
        if (kind, name) == (other_kind, other_name) and (namespace == other_namespace or "" in (namespace,
                                                                                                other_namespace)):
            return False  # (no namespace: the one kubectl's context names, often the other's)
        if (kind, name) == (other_kind, other_name) and namespace != other_namespace and \
                {namespace, other_namespace} <= INSTALL_NAMESPACES:
            return False
        a, b = self.directory, other.directory
        return a == b or "." in (a, b) or a.startswith(b + "/") or b.startswith(a + "/")


def deployment_roots(apps: list[App], home: frozenset[str], tree: Tree) -> dict[tuple[Any, ...], frozenset[Root]]:
    """For every Application (by identity), the roots whose sync deploys it: follow "which Application
    syncs the folder this one is written or rendered in" up to Applications nothing syncs."""
    synced = [(app, directory, recurse) for app in apps for _, directory, recurse in synced_directories(app, home, tree)]

    def parents(app: App) -> list[App]:
        here = directory_of(app.obj)
        if here is None:
            return []
        found = []
        for parent, directory, recurse in synced:
            if parent.obj is app.obj:
                continue  # an Application (or the ApplicationSet that makes it) that syncs its own folder
            if here == directory or (recurse and (directory == "." or here.startswith(directory + "/"))):
                found.append(parent)
        return found

    roots: dict[tuple[Any, ...], frozenset[Root]] = {}
    visiting: set[tuple[Any, ...]] = set()

    def walk(app: App) -> frozenset[Root]:
        key = app.identity
        if key in roots:
            return roots[key]
        if key in visiting:
            return frozenset()  # a cycle of Applications syncing each other: the others decide
        visiting.add(key)
        found: frozenset[Root] = frozenset().union(*(walk(parent) for parent in parents(app)))
        visiting.discard(key)
        if not found:
            metadata = mapping(app.obj.data.get("metadata"))
            found = frozenset({Root(directory_of(app.obj) or ".", (app.obj.file, app.obj.line),
                                    (str(app.obj.data.get("kind")), str(metadata.get("namespace") or ""),
                                     str(metadata.get("name") or "")))})
        roots[key] = found
        return found

    for app in apps:
        walk(app)
    return roots


def deployed_together(a: frozenset[Root], b: frozenset[Root]) -> bool:
    """Whether Applications with these roots can be in the cluster at the same time (no roots: unknown, yes)."""
    return not a or not b or any(x.together(y) for x in a for y in b)
