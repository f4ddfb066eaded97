"""Repository URLs as Argo CD compares them, which repository is this one, and its file tree."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from validate.argocd.objects import is_kind, mapping, templated, text
from validate.argocd.sources import application_sources, relative
from validate.model import Checked


def repo_key(url: str) -> str:
    """A repository URL reduced to host/path: https, ssh and scp-like spellings compare equal."""
    value = url.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    had_scheme = value != url.strip().lower()
    value = re.sub(r"^[^@/]+@", "", value)
    if not had_scheme:
        value = value.replace(":", "/", 1)  # git@host:org/repo
    value = re.sub(r"^([^/:]+):\d+/", r"\1/", value)
    value = value.rstrip("/")
    if value.endswith(".git"):
        value = value[:-4]
    return value.rstrip("/")


def normalize_git_url(url: str) -> str:
    """Argo CD's ``git.NormalizeGitURL``: lower case, ssh scp form as a path, no ``.git``."""
    value = url.strip().lower()
    if re.match(r"^[\w.-]+@[\w.-]+:", value) and not value.startswith("ssh://"):
        value = "ssh://" + value.replace(":", "/", 1)
    if value.endswith(".git"):
        value = value[:-4]
    return value.removeprefix("ssh://")


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


def home_repository(repo_url: str | None, objects: Iterable[Checked], tree: Tree) -> str | None:
    """The repo key of this repository: the configured ``repoURL``, else the URL most git sources
    whose path exists here use. Never ``git remote``: a fresh clone from any remote must pass."""
    if repo_url:
        return repo_key(repo_url)
    here: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    for url, path in _written_sources(objects):
        anywhere[repo_key(url)] += 1
        if path is not None and tree.is_dir(path):
            here[repo_key(url)] += 1
    counts = here or anywhere
    return counts.most_common(1)[0][0] if counts else None


def points_here(source: dict[str, Any], home: str | None) -> bool:
    """A git source of this repository (charts and other repositories are not)."""
    url = text(source.get("repoURL"))
    if url is None or templated(url) or is_chart(source):
        return False
    return home is not None and repo_key(url) == home


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
