"""Which repository this is, for Argo CD sources: from facts, never from counting.

An Argo CD source whose ``repoURL`` is this repository has its ``path`` checked here; a source of
any other repository is external (its own fields are checked, its paths are not). This repository is
known by:

1. the configuration's ``repoURL`` (``.gitops-validate.yaml``), when set;
2. the URLs of the work tree's git remotes (``git config remote.<name>.url``);
3. failing both (a copy outside git, a fresh ``git init``): the ``repoURL`` of a source whose ``path``
   names a folder that exists here, other than the root (``.``, ``./`` and ``""`` prove nothing:
   every repository has a root).

The most common ``repoURL`` is never taken as this repository: a repository of Applications for
other repositories (an "app of apps" for external charts and examples) would otherwise see its own
Applications' paths reported missing.

URLs are compared as repositories (:func:`repo_key`: host and path, so ``https://``, ``ssh://`` and
``git@host:`` spellings of one repository are the same repository), and as Argo CD compares them
(:func:`argocd_normal`, Argo CD's ``git.NormalizeGitURL``: case and a ``.git`` suffix do not matter,
the transport does, since Argo CD keeps credentials per URL).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from validate import children
from validate.model import ToolError

_SSH = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")  # Argo CD's sshURLRegex


def argocd_normal(url: str) -> str:
    """Argo CD's ``NormalizeGitURL`` (util/git): trimmed and lower-cased; ``user@host:path`` read as
    ``ssh://user@host/path``; no ``.git`` suffix; the ``ssh://`` prefix dropped again. Two URLs are the
    same to Argo CD (``SameURL``) when these are equal."""
    value = url.strip().lower()
    if _SSH.match(value) and not value.startswith("ssh://"):
        value = "ssh://" + value.replace(":", "/", 1)
    value = value.removesuffix(".git")
    try:
        parts = urlsplit(value)
        value = urlunsplit(parts)
    except ValueError:
        return url.strip()
    return value.removeprefix("ssh://")


def same_url(left: str, right: str) -> bool:
    """Argo CD's ``git.SameURL``."""
    return argocd_normal(left) == argocd_normal(right)


@lru_cache(maxsize=4096)  # asked for every source of every Application, by several rules
def repo_key(url: str) -> str:
    """A repository URL reduced to host/path: the https, ssh and scp-like spellings of one
    repository compare equal; case, credentials, a port, a trailing slash and ``.git`` do not count."""
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


@cache
def git_remotes(root: Path) -> tuple[str, ...]:
    """The URLs of the work tree's git remotes (none outside git, or when git is missing)."""
    if not (root / ".git").exists():
        return ()
    try:
        completed = children.git(root, "config", "--get-regexp", r"^remote\..*\.url$", purpose="git remotes",
                                 timeout=30, output_cap=1 << 20)
    except children.Interrupted:
        raise
    except ToolError:
        return ()  # git missing or hanging: the remotes are a hint, the configuration can say it
    urls = []
    for line in completed.stdout.decode("utf-8", "replace").splitlines():
        _, _, url = line.partition(" ")
        if url.strip():
            urls.append(url.strip())
    return tuple(urls)


def identity(root: Path, configured: str | None, sources: Iterable[tuple[str, str | None]],
             is_dir: Callable[[str], bool] | None = None) -> frozenset[str]:
    """The repo keys of this repository.

    ``sources`` are the (repoURL, path) pairs of the git sources written in the repository; they are
    used only when neither the configuration nor a git remote says which repository this is, and then
    only a path that exists here (``is_dir(path)``) and is not the root counts.
    """
    keys = {repo_key(url) for url in ([configured] if configured else []) + list(git_remotes(root))}
    if keys:
        return frozenset(keys)
    found = set()
    for url, path in sources:
        if path is None or _is_root(path) or is_dir is None:
            continue
        if is_dir(path):
            found.add(repo_key(url))
    return frozenset(found)


def _is_root(path: str) -> bool:
    return path.strip().strip("/") in ("", ".", "./")
