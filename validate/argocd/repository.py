"""Repository URLs as Argo CD compares them, which repository is this one, and its file tree."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from validate.argocd.objects import is_kind, mapping, templated, text
from validate.argocd.sources import application_sources, relative
from validate.model import Checked
from validate.repo_identity import argocd_normal as normalize_git_url
from validate.repo_identity import identity, repo_key

__all__ = ["Tree", "home_repository", "is_chart", "normalize_git_url", "points_here", "repo_key"]


def is_chart(source: dict[str, Any]) -> bool:
    return bool(source.get("chart"))


@dataclass
class Tree:
    """The repository's files and directories, as a fresh clone would have them."""

    files: list[str]
    directories: list[str]
    _dirs: set[str] = field(default_factory=set)
    _files: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._dirs = set(self.directories) | {"."}
        self._files = set(self.files)

    def is_dir(self, rel: str) -> bool:
        normal = relative(rel)
        return normal is not None and normal in self._dirs

    def is_file(self, rel: str) -> bool:
        normal = relative(rel)
        return normal is not None and normal in self._files

    def files_in(self, directory: str, recurse: bool = False) -> list[str]:
        prefix = "" if directory == "." else directory.rstrip("/") + "/"
        return [f for f in self.files if f.startswith(prefix) and (recurse or "/" not in f[len(prefix):])]


def home_repository(repo_url: str | None, objects: Iterable[Checked], tree: Tree, root: Path | None = None
                    ) -> frozenset[str]:
    """The repo keys of this repository (:func:`validate.repo_identity.identity`): the configured
    ``repoURL`` and the git remotes; failing both, the URLs of sources whose path (not the root)
    exists here. Never the most common URL. Empty when nothing tells."""
    return identity(root or Path("/nonexistent"), repo_url, list(_written_sources(objects)), tree.is_dir)


def points_here(source: dict[str, Any], home: frozenset[str]) -> bool:
    """A git source of this repository (charts and other repositories are not)."""
    url = text(source.get("repoURL"))
    if url is None or templated(url) or is_chart(source):
        return False
    return repo_key(url) in home


def _written_sources(objects: Iterable[Checked]) -> Iterator[tuple[str, str | None]]:
    """(repoURL, path) of the git sources written in Applications and ApplicationSet templates, and
    the repoURL of git generators; templated values left out. Used before any expansion."""
    for obj in objects:
        spec = mapping(obj.data.get("spec"))
        if is_kind(obj.data, "ApplicationSet"):
            spec = mapping(mapping(spec.get("template")).get("spec"))
            yield from _generator_urls(mapping(obj.data.get("spec")).get("generators"))
        elif not is_kind(obj.data, "Application"):
            continue
        for _, source in application_sources(spec):
            url, path = text(source.get("repoURL")), source.get("path")
            if url is not None and not templated(url) and not is_chart(source):
                yield url, path if isinstance(path, str) and not templated(path) else None


def _generator_urls(generators: Any) -> Iterator[tuple[str, str | None]]:
    for generator in generators if isinstance(generators, list) else []:
        generator = mapping(generator)
        url = text(mapping(generator.get("git")).get("repoURL"))
        if url is not None and not templated(url):
            yield url, None
        for combinator in ("matrix", "merge"):
            yield from _generator_urls(mapping(generator.get(combinator)).get("generators"))
