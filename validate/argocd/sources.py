"""Where Argo CD objects point inside the repository, read from the sources as written (nothing
rendered, nothing expanded): discovery uses it to decide which directories get rendered."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from validate.model import as_list

if TYPE_CHECKING:
    from validate.load import LoadedFile


@dataclass
class ArgoSource:
    """A directory in this repository that Argo CD renders (from an Application or ApplicationSet)."""

    path: str  # repository-relative directory
    file: str  # the manifest that points at it
    line: int | None
    owner: str  # "Application name" or "ApplicationSet name"


def argo_sources(directories: list[str], loaded: dict[str, LoadedFile]) -> Iterator[ArgoSource]:
    """Every directory an Application's source or an ApplicationSet's git directory generator names."""
    for rel, loaded_file in sorted(loaded.items()):
        for document in loaded_file.documents:
            data = document.data
            if not isinstance(data, dict) or not str(data.get("apiVersion", "")).startswith("argoproj.io/"):
                continue
            kind, spec = data.get("kind"), data.get("spec")
            name = str((data.get("metadata") or {}).get("name", "?")) if isinstance(data.get("metadata"), dict) else "?"
            if not isinstance(spec, dict):
                continue
            if kind == "Application":
                for index, source in application_sources(spec):
                    path = source.get("path")
                    if isinstance(path, str) and not source.get("chart"):
                        target = relative(path)
                        where = ("spec", "source", "path") if index is None else ("spec", "sources", index, "path")
                        position = document.position(where)
                        if target is not None:
                            yield ArgoSource(target, rel, position[0] if position else document.line,
                                             f"Application {name}")
            elif kind == "ApplicationSet":
                for pattern_path, patterns, excludes in git_directory_generators(spec.get("generators")):
                    position = document.position(pattern_path)
                    for directory in match_directories(directories, patterns, excludes):
                        yield ArgoSource(directory, rel, position[0] if position else document.line,
                                         f"ApplicationSet {name}")


def application_sources(spec: dict[str, Any]) -> Iterator[tuple[int | None, dict[str, Any]]]:
    if isinstance(spec.get("source"), dict):
        yield None, spec["source"]
    for index, source in enumerate(as_list(spec.get("sources"))):
        if isinstance(source, dict):
            yield index, source


def ref_only(where: tuple[str | int, ...], source: dict[str, Any]) -> bool:
    """A source of a multi-source Application (``where`` is ``("spec", "sources", i)``) that only lends its files
    to ``$ref/...`` values files: Argo CD's repo-server generates no manifests for a source with ``ref`` and neither
    ``path`` nor ``chart`` nor an ``oci://`` URL (reposerver ``GenerateManifest``: "ref only source")."""
    return len(where) > 1 and where[1] == "sources" and bool(source.get("ref")) and not source.get("path") and \
        not source.get("chart") and not str(source.get("repoURL", "")).startswith("oci://")


def git_directory_generators(generators: Any, prefix: tuple[str | int, ...] = ("spec", "generators")
                             ) -> Iterator[tuple[tuple[str | int, ...], list[str], list[str]]]:
    """(position path, include patterns, exclude patterns) of every git directory generator, nested too."""
    for index, generator in enumerate(as_list(generators)):
        if not isinstance(generator, dict):
            continue
        git = generator.get("git")
        if isinstance(git, dict) and isinstance(git.get("directories"), list):
            includes = [d["path"] for d in git["directories"] if isinstance(d, dict) and isinstance(d.get("path"), str)
                        and not d.get("exclude")]
            excludes = [d["path"] for d in git["directories"] if isinstance(d, dict) and isinstance(d.get("path"), str)
                        and d.get("exclude")]
            yield prefix + (index, "git", "directories"), includes, excludes
        for combinator in ("matrix", "merge"):
            nested = generator.get(combinator)
            if isinstance(nested, dict):
                yield from git_directory_generators(nested.get("generators"), prefix + (index, combinator, "generators"))


_REGEX_OF = {"*": "[^/]*", "?": "[^/]"}


class GlobPattern:
    """A compiled directory pattern; ``match`` mirrors ``re.Pattern.match`` (truthy or None).

    Matching simulates the pattern as an automaton, in time linear in pattern x text: a
    backtracking regular expression (``.*/.*/.*...``) takes exponential time on deep paths, and
    both patterns and directory names come from the repository.
    """

    def __init__(self, pattern: str):
        self.pattern = pattern
        tokens: list[str] = []
        index = 0
        while index < len(pattern):
            if pattern.startswith("**", index):
                if not tokens or tokens[-1] != "**":
                    tokens.append("**")
                index += 2
                continue
            tokens.append(pattern[index])
            index += 1
        self._tokens = tokens
        literal = []
        for token in tokens:  # the part before the first wildcard: most directories fail on it at once
            if token in ("*", "**", "?"):
                break
            literal.append(token)
        self._prefix = "".join(literal)
        self._exact = len(literal) == len(tokens)
        # Without ``**`` and with at most one ``*`` per path segment, no star can take a character
        # another star could: the regular expression cannot backtrack more than one segment's
        # length, and it runs in C. ``overlays/*/*`` is of that kind; the rest use the automaton.
        segments = "".join(tokens).split("/")
        self._regex = re.compile("".join(_REGEX_OF.get(t) or re.escape(t) for t in tokens), re.DOTALL) \
            if "**" not in tokens and all(segment.count("*") <= 1 for segment in segments) else None

    def _closure(self, states: set[int]) -> set[int]:
        pending = list(states)
        while pending:
            state = pending.pop()
            if state < len(self._tokens) and self._tokens[state] in ("*", "**") and state + 1 not in states:
                states.add(state + 1)
                pending.append(state + 1)
        return states

    def match(self, text: str) -> bool | None:
        if self._exact:
            return True if text == self._prefix else None
        if not text.startswith(self._prefix):
            return None
        if self._regex is not None:
            return True if self._regex.fullmatch(text) else None
        tokens = self._tokens
        states = self._closure({0})
        for char in text:
            following: set[int] = set()
            for state in states:
                if state >= len(tokens):
                    continue
                token = tokens[state]
                if token == "**" or (token == "*" and char != "/"):
                    following.add(state)
                elif (token == "?" and char != "/") or token == char:
                    following.add(state + 1)
            if not following:
                return None
            states = self._closure(following)
        return True if len(tokens) in states else None


@lru_cache(maxsize=4096)
def glob_regex(pattern: str) -> GlobPattern:
    """Argo CD's directory patterns: ``*`` within one path segment, ``**`` across segments. Compiled
    once per pattern (a pattern never changes once compiled): the AppProject checks ask for the same
    few patterns once per Application and destination."""
    return GlobPattern(pattern)


def match_directories(directories: list[str], includes: list[str], excludes: list[str]) -> list[str]:
    include_res = [glob_regex(p.strip("/")) for p in includes]
    exclude_res = [glob_regex(p.strip("/")) for p in excludes]
    return [d for d in directories
            if any(r.match(d) for r in include_res) and not any(r.match(d) for r in exclude_res)]





def relative(path: str) -> str | None:
    """A source path as a repository-relative directory ("." for the root); None when absolute or
    when it leaves the repository."""
    if path.startswith("/"):
        return None
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return "/".join(parts) or "."
