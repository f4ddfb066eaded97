"""Sources of this repository must use one repository URL, the configured one.

What it does:
    Compares the ``repoURL`` of every git source that points at this repository (in
    Applications, in ApplicationSet templates and generated Applications, and in git
    generators) with the ``repoURL`` of ``.gitops-validate.yaml``; without one, with each other.
    This repository is the configured ``repoURL`` and the git remotes' URLs (else the URL of
    sources whose path, other than the root, exists here). Reported are spellings of this
    repository that Argo CD's ``SameURL`` tells apart (ssh versus https, a trailing slash; not
    case or a ``.git`` suffix, which Argo CD ignores) and sources whose path (not the root) exists
    here but whose URL names another repository.

Why it matters:
    Argo CD matches credentials, AppProject ``sourceRepos`` and webhooks by URL: a second
    spelling needs its own credentials and may miss webhook refreshes, and a stale URL (a fork's
    upstream, a renamed repository) makes Argo CD deploy from somewhere else than this repository.
    With ``repoURL`` configured, a clone from any mirror validates the same way.

Example:
    ```yaml
    # .gitops-validate.yaml: repoURL: https://github.com/example/seldon-gitops.git
    spec:
      source:
        repoURL: git@github.com:example/seldon-gitops
        path: overlays/dev/02-first-deployment
    ```

Use instead:
    ```yaml
    spec:
      source:
        repoURL: https://github.com/example/seldon-gitops.git
        path: overlays/dev/02-first-deployment
    ```
    Spell this repository's URL exactly as configured in every Application, ApplicationSet and generator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import (
    App,
    is_chart,
    is_kind,
    mapping,
    normalize_git_url,
    repo_key,
    templated,
    text,
)
from validate.model import Checked, FieldPath, Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context

ID = "argocd-repo-url"
DEFAULT = "error"


def check_repository(ctx: Context) -> Iterator[Violation]:
    home = ctx.home
    if not home:
        return
    tree = ctx.tree
    entries: list[tuple[str, bool, tuple[App | Checked, FieldPath]]] = []  # (url, path exists here, how to report)
    for app in ctx.applications:
        for where, source in app.sources():
            url = text(source.get("repoURL"))
            if url is None or templated(url) or is_chart(source):
                continue
            path = source.get("path")
            here = isinstance(path, str) and not templated(path) and not _is_root(path) and tree.is_dir(path)
            entries.append((url, here, (app, where + ("repoURL",))))
    for obj in ctx.objects:
        if is_kind(obj.data, "ApplicationSet"):
            for where, url in _generator_urls(mapping(obj.data.get("spec")).get("generators"), ("spec", "generators")):
                entries.append((url, False, (obj, where)))
    configured = ctx.config.repo_url.strip() if ctx.config.repo_url else None
    spellings = Counter(url.strip() for url, _, _ in entries if repo_key(url) in home)
    expected = configured or (spellings.most_common(1)[0][0] if spellings else None)
    if expected is None:
        return
    origin = "the configured repoURL" if configured else "the spelling most sources use"
    for url, here, (owner, where) in entries:
        if repo_key(url) in home:
            if normalize_git_url(url) != normalize_git_url(expected):
                yield _violation(owner, where, f"repoURL {url} spells this repository differently from {origin}"
                                 f" ({expected}): Argo CD keeps credentials, project rules and webhooks per URL")
        elif here:
            yield _violation(owner, where, f"repoURL {url} names another repository, yet the path exists here;"
                             f" this repository is {expected} ({origin}): Argo CD would sync from {url}")


def _is_root(path: str) -> bool:
    """``.``, ``./`` and ``""`` exist in every repository: they prove nothing about which one this is."""
    return path.strip().strip("/") in ("", ".")


def _violation(owner: App | Checked, where: FieldPath, message: str) -> Violation:
    if isinstance(owner, App):
        return app_violation(owner, message, *where)
    return Violation(message, where, obj=owner)


def _generator_urls(generators: Any, prefix: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    for index, generator in enumerate(generators if isinstance(generators, list) else []):
        generator = mapping(generator)
        url = text(mapping(generator.get("git")).get("repoURL"))
        if url is not None and not templated(url):
            yield prefix + (index, "git", "repoURL"), url
        for combinator in ("matrix", "merge"):
            yield from _generator_urls(mapping(generator.get(combinator)).get("generators"),
                                       prefix + (index, combinator, "generators"))

