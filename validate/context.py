"""The repository model of one run: what rules, ``graph``, ``diff`` and ``new-env`` look at.

Built once per run from the stages' output (the inventory, the loaded sources, the checked
objects and the renders). The facts several rules need (every Argo CD Application, this
repository's key, the AppProjects, the CRD scopes, each ApplicationSet's expansion) are
computed here on first use and kept in typed fields; the :mod:`validate.argocd` helpers that
compute them take plain arguments and know nothing of this class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validate import argocd, environments
from validate.argocd import App, Expansion, Tree
from validate.argocd.deploy import Root, deployed_together, deployment_roots
from validate.model import Checked, Document, FieldPath

if TYPE_CHECKING:
    from collections.abc import Iterator

    from validate.discover import Inventory
    from validate.load import LoadedFile
    from validate.model import Config
    from validate.render import RenderResult


@dataclass
class Context:
    config: Config
    inventory: Inventory
    loaded: dict[str, LoadedFile]
    objects: list[Checked]
    renders: list[RenderResult]
    versions: list[str]
    # By the ApplicationSet's identity: the object, the repository keys it was expanded with, what it generates
    _expansions: dict[int, tuple[Checked, frozenset[str], Expansion]] = field(default_factory=dict, init=False,
                                                                          repr=False)

    def with_objects(self, objects: list[Checked]) -> Context:
        """The same run with other checked objects (the gate's, after the Helm stage's candidates).
        ApplicationSet expansions carry over: an ApplicationSet found in both, with the same
        repository keys (:attr:`home`), generates the same Applications."""
        narrowed = Context(self.config, self.inventory, self.loaded, objects, self.renders, self.versions)
        narrowed._expansions = self._expansions
        return narrowed

    @property
    def root(self) -> Path:
        return self.config.root

    def environment(self, obj: Checked) -> str | None:
        """The environment an object belongs to (:mod:`validate.environments`)."""
        return environments.environment_of(self.config.environments, obj.render or obj.file or "")

    def documents(self, rel: str) -> list[Document]:
        loaded = self.loaded.get(rel)
        return list(loaded.documents) if loaded else []

    def _all_data(self) -> list[Any]:
        """The checked objects, then every document of every loaded file (so that a run on a
        sub-folder still knows what is defined next to it)."""
        candidates = [obj.data for obj in self.objects]
        for loaded in self.loaded.values():
            candidates += [document.data for document in loaded.documents]
        return candidates

    # --- the repository ------------------------------------------------------------------------

    @cached_property
    def tree(self) -> Tree:
        """The repository's files and directories, as a fresh clone would have them."""
        return Tree(self.inventory.files, self.inventory.directories)

    @cached_property
    def environments(self) -> list[str]:
        return environments.names(self.tree.directories)

    @cached_property
    def home(self) -> frozenset[str]:
        """This repository's keys (:func:`validate.argocd.repo_key`): the configured repoURL and the git
        remotes, else sources whose path exists here (:mod:`validate.repo_identity`); empty when nothing tells."""
        return argocd.home_repository(self.config.repo_url, self.objects, self.tree, self.root)

    def points_here(self, source: dict[str, Any]) -> bool:
        """A git source of this repository."""
        return argocd.points_here(source, self.home)

    # --- Argo CD -------------------------------------------------------------------------------

    def expansion(self, appset: Checked) -> Expansion:
        """What an ApplicationSet generates, expanded once per run."""
        found = self._expansions.get(id(appset))
        if found is None or found[0] is not appset or found[1] != self.home:
            found = (appset, self.home, argocd.expand(appset, self.home, self.tree, self.documents, self.root))
            self._expansions[id(appset)] = found
        return found[2]

    def apps_of(self, obj: Checked) -> list[App]:
        """The Applications ``obj`` stands for: itself, or what an ApplicationSet generates."""
        return argocd.apps_of(obj, lambda appset: self.expansion(appset).apps)

    @cached_property
    def applications(self) -> list[App]:
        """Every Application, written or generated, once each."""
        return argocd.applications(self.objects, lambda appset: self.expansion(appset).apps)

    @cached_property
    def projects(self) -> dict[str, dict[str, Any]]:
        """AppProjects by name."""
        return argocd.projects(self._all_data())

    def synced_directories(self, app: App) -> Iterator[tuple[FieldPath, str, bool]]:
        return argocd.synced_directories(app, self.home, self.tree)

    def deployed_objects(self, directory: str, recurse: bool) -> list[dict[str, Any]]:
        return argocd.deployed_objects(directory, recurse, self.renders, self.inventory.kustomizations, self.objects)

    @cached_property
    def deployment_roots(self) -> dict[tuple[Any, ...], frozenset[Root]]:
        """For every Application (by identity), the hand-applied roots whose sync deploys it."""
        return deployment_roots(self.applications, self.home, self.tree)

    def deployed_together(self, a: App, b: App) -> bool:
        """Whether two Applications are deployed by one tree, not by independent examples of one repository."""
        roots = self.deployment_roots
        return deployed_together(roots.get(a.identity, frozenset()), roots.get(b.identity, frozenset()))

    @cached_property
    def destinations(self) -> dict[str, set[str | None]]:
        """For every directory an Application syncs, the destination namespaces of those Applications."""
        return argocd.destination_namespaces(self.applications, self.home, self.tree)

    # --- Seldon --------------------------------------------------------------------------------

    @cached_property
    def seldon_servers(self) -> frozenset[str]:
        """Custom prepackaged servers the repository registers (:mod:`validate.seldon_servers`)."""
        from validate.seldon_servers import registered_servers

        return registered_servers(self.objects, self.loaded)

    # --- Kubernetes scope ----------------------------------------------------------------------

    @cached_property
    def crd_scopes(self) -> dict[tuple[str, str], str]:
        return argocd.crd_scopes(self._all_data())

    def namespaced(self, data: Any) -> bool | None:
        return argocd.namespaced(data, self.crd_scopes)

    def object_key(self, data: Any, default_namespace: str) -> tuple[str, str, str, str] | None:
        return argocd.object_key(data, default_namespace, self.crd_scopes)
