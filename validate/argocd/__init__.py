"""Argo CD, offline: Applications as Argo CD would see them, ApplicationSets expanded without a cluster.

One module per concern; each returns facts (Applications, directories, keys, scopes, expansion
issues) and none builds a finding: the ``argocd-*`` rules do that. The per-run answers (every
Application, this repository's key, the CRD scopes...) are computed once, by
:class:`validate.context.Context`.

* :mod:`~validate.argocd.objects`: kinds and small accessors;
* :mod:`~validate.argocd.sources`: where Argo CD objects point, as written (used by discovery);
* :mod:`~validate.argocd.apps`: :class:`App`, written or generated;
* :mod:`~validate.argocd.repository`: repository URLs, which repository is this one, the file tree;
* :mod:`~validate.argocd.scope`: which kinds are namespaced;
* :mod:`~validate.argocd.appset` and :mod:`~validate.argocd.gotemplate`: ApplicationSet expansion;
* :mod:`~validate.argocd.deploy`: what Applications deploy;
* :mod:`~validate.argocd.health`: which kinds Argo CD can assess the health of.
"""

from validate.argocd.apps import App, applications, apps_of, projects
from validate.argocd.appset import MANIFEST_SUFFIXES, Expansion, Issue, expand, git_path_params
from validate.argocd.deploy import deployed_objects, destination_namespaces, directory_of, synced_directories
from validate.argocd.gotemplate import render_fast, render_go, sanitize_name
from validate.argocd.objects import (
    APP_KINDS,
    GROUP,
    IN_CLUSTER_NAME,
    IN_CLUSTER_SERVER,
    group_kind,
    is_argo,
    is_kind,
    mapping,
    templated,
    text,
)
from validate.argocd.repository import Tree, home_repository, is_chart, normalize_git_url, points_here, repo_key
from validate.argocd.scope import (
    crd_scopes,
    describe,
    namespaced,
    object_key,
)
from validate.argocd.sources import (
    ArgoSource,
    GlobPattern,
    application_sources,
    argo_sources,
    git_directory_generators,
    glob_regex,
    match_directories,
    relative,
    value_files,
)

__all__ = [
    "APP_KINDS", "GROUP", "IN_CLUSTER_NAME", "IN_CLUSTER_SERVER",
    "MANIFEST_SUFFIXES", "App", "ArgoSource", "Expansion", "GlobPattern", "Issue", "Tree",
    "application_sources", "applications", "apps_of", "argo_sources", "crd_scopes", "deployed_objects", "describe",
    "destination_namespaces", "directory_of", "expand", "git_directory_generators", "git_path_params", "glob_regex", "group_kind",
    "home_repository", "is_argo", "is_chart", "is_kind", "mapping", "match_directories", "namespaced",
    "normalize_git_url", "object_key", "points_here", "projects", "relative", "render_fast", "render_go",
    "repo_key", "sanitize_name", "synced_directories", "templated", "text", "value_files",
]
