"""Applications must belong to an existing AppProject that allows their source and destination.

What it does:
    For every Application, and every Application an ApplicationSet generates, checks that
    ``spec.project`` names an AppProject of this repository (or ``default``, which Argo CD
    creates itself, or one that ``argocd.externalProjects`` in ``.gitops-validate.yaml`` names as
    created outside the repository, whose permissions are then unknown and not checked), that
    the project's ``sourceRepos`` allow each source's ``repoURL`` and that its ``destinations``
    allow the destination (server or name, and namespace), with Argo CD's glob and ``!`` deny
    semantics.

Why it matters:
    Argo CD refuses to sync an Application its project does not permit: the error shows up in
    the UI after the merge, as "application repo ... is not permitted in project" or
    "application destination ... is not permitted", while the old state keeps running.

Example:
    ```yaml
    kind: AppProject
    metadata:
      name: seldon
    spec:
      sourceRepos: [https://github.com/example/seldon-gitops.git]
      destinations:
        - server: https://kubernetes.default.svc
          namespace: seldon
    ---
    kind: Application
    spec:
      project: seldon
      destination:
        server: https://kubernetes.default.svc
        namespace: monitoring
    ```

Use instead:
    ```yaml
      destinations:
        - server: https://kubernetes.default.svc
          namespace: seldon
        - server: https://kubernetes.default.svc
          namespace: monitoring
    ```
    Define the project in the repository and list every repository and destination its Applications use, or
    name a project created outside the repository (by a bootstrap tool) under `argocd.externalProjects` in
    `.gitops-validate.yaml`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import (
    APP_KINDS,
    IN_CLUSTER_NAME,
    IN_CLUSTER_SERVER,
    glob_regex,
    mapping,
    normalize_git_url,
    templated,
    text,
)
from validate.model import Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-project"
DEFAULT = "error"
KINDS = APP_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    known = ctx.projects
    external = set(ctx.config.external_projects)
    for app in ctx.apps_of(obj):
        name = app.spec.get("project")
        if not isinstance(name, str) or not name or templated(name):
            continue
        project = known.get(name)
        if project is None:
            if name != "default" and name not in external:
                yield app_violation(app, f"project {name!r} is not defined in this repository (known: "
                                    f"{', '.join(sorted(known)) or 'none'}, and default); a project created"
                                    " outside the repository is named under argocd.externalProjects in"
                                    " .gitops-validate.yaml", "spec", "project")
            continue
        spec = mapping(project.get("spec"))
        repos = [r for r in spec.get("sourceRepos") or [] if isinstance(r, str)] \
            if isinstance(spec.get("sourceRepos"), list) else []
        for where, source in app.sources():
            url = text(source.get("repoURL"))
            if url is not None and not templated(url) and not source_permitted(repos, url):
                yield app_violation(app, f"project {name} does not allow repository {url} (sourceRepos: "
                                    f"{', '.join(repos) or 'none'})", *where, "repoURL")
        destination = app.destination
        if any(templated(destination.get(k)) for k in ("server", "name", "namespace")):
            continue
        verdict = destination_permitted(spec.get("destinations"), destination)
        if verdict is False:
            shown = text(destination.get("server")) or text(destination.get("name")) or "?"
            namespace = text(destination.get("namespace"))
            yield app_violation(app, f"project {name} does not allow destination {shown}"
                                f"{f' namespace {namespace}' if namespace else ''}", "spec", "destination")


def _glob(pattern: str, value: str, separator: bool) -> bool:
    if pattern == "*":
        return True
    if separator:
        return glob_regex(pattern).match(value) is not None
    if _WILDCARDS.isdisjoint(pattern):  # a plain name: fnmatch would compile a regular expression to say so
        return value == pattern
    return fnmatch.fnmatchcase(value, pattern)


_WILDCARDS = frozenset("*?[")


def _match(pattern: str, value: str, separator: bool = False) -> bool:
    """Argo CD's globMatch with negation: ``!pattern`` matches what ``pattern`` does not."""
    if pattern.startswith("!"):
        return not _glob(pattern[1:], value, separator)
    return _glob(pattern, value, separator)


def source_permitted(patterns: list[str], url: str) -> bool:
    """Argo CD's AppProject.IsSourcePermitted."""
    normalized = normalize_git_url(url)
    matched = False
    for pattern in patterns:
        deny = pattern.startswith("!")
        candidate = ("!" + normalize_git_url(pattern[1:])) if deny else normalize_git_url(pattern)
        if _match(candidate, normalized, separator=True):
            matched = True
        elif deny:
            return False
    return matched


def destination_permitted(entries: Any, destination: dict[str, Any]) -> bool | None:
    """Argo CD's isDestinationMatched; None when the answer needs the cluster list (a destination
    by name checked against server-only entries, or the reverse)."""
    server = text(destination.get("server")) or ""
    name = text(destination.get("name")) or ""
    namespace = text(destination.get("namespace")) or ""
    if name == IN_CLUSTER_NAME and not server:
        server = IN_CLUSTER_SERVER
    if server == IN_CLUSTER_SERVER and not name:
        name = IN_CLUSTER_NAME
    matched_any, denied, unknown = False, False, False
    for entry in entries if isinstance(entries, list) else []:
        entry = mapping(entry)
        e_server, e_name, e_namespace = (str(entry.get(k) or "") for k in ("server", "name", "namespace"))
        name_ok = bool(name) and _match(e_name, name)
        server_ok = bool(server) and _match(e_server, server)
        namespace_ok = _match(e_namespace, namespace)
        if (name_ok or server_ok) and namespace_ok:
            matched_any = True
        elif (not name_ok and e_name.startswith("!")) or (not server_ok and e_server.startswith("!")) or \
                (not namespace_ok and e_namespace.startswith("!")):
            denied = True
        elif namespace_ok and ((not server and e_server and not e_name) or (not name and e_name and not e_server)):
            unknown = True
    if matched_any and not denied:
        return True
    if unknown and not denied:
        return None
    return False
