"""What a file is, before anything checks it.

A real repository holds much more than Kubernetes manifests: Helm charts (``Chart.yaml``, Go
templates under ``templates/``, values files), CI workflows, tool configurations, compose files,
OpenAPI documents. Only manifests and kustomizations are checked as such; a Helm template is not
even YAML until Helm renders it, and a CI workflow is YAML that no API server will ever see.

The classification is by path first (what the tools that read the file go by), then by content
for YAML and JSON files in ordinary places: a document is a manifest candidate when it has an
``apiVersion`` or a ``kind``. ``apiVersion`` values that no Kubernetes API server could serve
(``skaffold/v4beta6``, ``v2``) are recognised by :func:`kubernetes_like`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from functools import cache
from pathlib import Path, PurePosixPath

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIX = ".json"
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CHART_NAMES = ("Chart.yaml", "Chart.yml")
# The files at a chart's root that Helm's chart loader parses as YAML (helm pkg/chart/v2/loader,
# LoadFiles); every other file there is `.Files` data, which a template may read but Helm never parses.
HELM_PARSED_NAMES = frozenset({*CHART_NAMES, "values.yaml", "requirements.yaml", "Chart.lock", "requirements.lock"})


class FileKind(Enum):
    MANIFEST = "manifest"  # YAML or JSON that may hold Kubernetes objects
    KUSTOMIZATION = "kustomization"
    HELM_CHART = "helm-chart"  # Chart.yaml, values files, requirements, lock files of a chart
    HELM_TEMPLATE = "helm-template"  # a Go template: not YAML until Helm renders it
    HELM_FILE = "helm-file"  # any other file at a chart's root: `.Files` data, never parsed by Helm
    PATCH = "patch"  # a partial object for `kubectl patch` or a kustomization: never checked whole
    OTHER = "other"  # CI workflows, tool configurations, compose files, everything else


# Files that name themselves: tool configurations and CI definitions, never Kubernetes objects.
_OTHER_NAMES = {
    ".gitlab-ci.yml", ".gitlab-ci.yaml", ".travis.yml", ".travis.yaml", "azure-pipelines.yml", "azure-pipelines.yaml",
    "bitbucket-pipelines.yml", "cloudbuild.yaml", "cloudbuild.yml", "appveyor.yml", "codecov.yml", "codecov.yaml",
    ".codecov.yml", "mkdocs.yml", "mkdocs.yaml", ".pre-commit-config.yaml", ".pre-commit-hooks.yaml",
    ".goreleaser.yml", ".goreleaser.yaml", ".golangci.yml", ".golangci.yaml", ".yamllint", ".yamllint.yaml",
    ".yamllint.yml", ".markdownlint.yaml", ".markdownlint.yml", "renovate.json", ".renovaterc.json", "package.json",
    "package-lock.json", "tsconfig.json", "composer.json", ".eslintrc.json", "jenkins-x.yml", "jenkins-x.yaml",
    "buildspec.yml", "buildspec.yaml", "Taskfile.yml", "Taskfile.yaml", "ct.yaml", "lintconf.yaml",
    "chart_schema.yaml", ".gitops-validate.yaml", ".gitops-validate.yml", "devfile.yaml", "tilt_config.json",
    "environment.yml", "environment.yaml", "conda.yaml", "conda.yml", "dvc.yaml", "params.yaml",
    "model-settings.json", "settings.json", ".fluxschema.yml", ".fluxschema.yaml", ".sops.yaml", ".sops.yml",
}
_OTHER_PATTERNS = [re.compile(p) for p in (
    r"(^|/)\.github/",  # workflows, actions, dependabot, issue templates
    r"(^|/)\.circleci/", r"(^|/)\.buildkite/", r"(^|/)\.vscode/", r"(^|/)\.devcontainer/",
    r"(^|/)(docker-)?compose(\.[^/]*)?\.ya?ml$", r"(^|/)skaffold(\.[^/]*)?\.ya?ml$",
    r"(^|/)\.?(openapi|swagger)(\.[^/]*)?\.(ya?ml|json)$",
)]


# A file named as a patch (`patch.yaml`, `deployment-patch.yaml`, `2.repo-server_patch.yml`): a
# partial object, applied with `kubectl patch --patch-file` or named by a kustomization.
_PATCH = re.compile(r"(^|[-_.])patch(es)?([-_.]|$)", re.I)


def kind_of(rel: str, charts: Iterable[str] = ()) -> FileKind:
    """What ``rel`` is; ``charts`` are the folders that hold a Helm ``Chart.yaml``."""
    path = PurePosixPath(rel)
    if path.name in KUSTOMIZATION_NAMES:
        return FileKind.KUSTOMIZATION
    chart = chart_of(rel, charts)
    if chart is not None:
        inside = PurePosixPath(rel).relative_to(chart) if chart != "." else path
        if inside.parts[0] == "templates" or path.suffix == ".tpl":
            return FileKind.HELM_TEMPLATE
        if len(inside.parts) == 1:
            return FileKind.HELM_CHART if is_chart_metadata_or_values(path.name) else FileKind.HELM_FILE
        if inside.parts[0] == "charts":  # a packed or unpacked dependency without its own Chart.yaml
            return FileKind.HELM_CHART
    if path.name in CHART_NAMES:
        return FileKind.HELM_CHART
    if path.name in _OTHER_NAMES or any(p.search(rel) for p in _OTHER_PATTERNS):
        return FileKind.OTHER
    if _PATCH.search(path.name) and path.suffix in (".yaml", ".yml", ".json"):
        return FileKind.PATCH
    if rel.endswith(YAML_SUFFIXES) or rel.endswith(JSON_SUFFIX):
        return FileKind.MANIFEST
    return FileKind.OTHER


def is_chart_metadata_or_values(name: str) -> bool:
    """A file at a chart's root that is read as YAML: what Helm's loader parses (Chart.yaml, values.yaml,
    requirements.yaml, the lock files), ``values.schema.json``, and the other values files by their
    usual names (``values-prod.yaml``, ``prod.values.yaml``), which ``helm -f`` and Argo CD's
    ``valueFiles`` read. A values file with another name counts when an Application names it
    (:func:`validate.argocd.value_files`)."""
    return name in HELM_PARSED_NAMES or name == "values.schema.json" or "values" in name.lower()


def chart_data_files(files: Iterable[str]) -> list[str]:
    """The YAML files at the root of a chart folder that are neither chart metadata nor values by
    name (:attr:`FileKind.HELM_FILE`): read only when an Application names one as a values file."""
    charts = chart_folders(files)
    return [rel for rel in files if rel.endswith(YAML_SUFFIXES) and kind_of(rel, charts) is FileKind.HELM_FILE]


def chart_folders(files: Iterable[str]) -> list[str]:
    """Folders that hold a Helm chart (a ``Chart.yaml``), deepest first."""
    found = {folder or "." for folder, _, name in (rel.rpartition("/") for rel in files) if name in CHART_NAMES}
    return sorted(found, key=lambda f: (-f.count("/"), f))


def chart_of(rel: str, charts: Iterable[str]) -> str | None:
    """The innermost chart folder that holds ``rel``, or None."""
    for chart in charts:
        if chart == "." or rel.startswith(chart + "/"):
            return chart
    return None


def readable_files(root: Path, files: list[str], max_bytes: int) -> list[str]:
    """The files the validator reads: YAML outside Helm templates, kustomizations, Helm chart
    metadata and values, and JSON files that name an apiVersion and a kind (as Argo CD reads them).
    A chart's other files (:attr:`FileKind.HELM_FILE`) are not, unless named as values files: see
    :func:`chart_data_files`."""
    charts = chart_folders(files)
    wanted = []
    for rel in files:
        kind = kind_of(rel, charts)
        if kind in (FileKind.HELM_TEMPLATE, FileKind.HELM_FILE, FileKind.OTHER):
            continue
        if kind is FileKind.HELM_CHART and not rel.endswith(YAML_SUFFIXES):
            continue
        if is_json(rel):
            try:
                with open(root / rel, "rb") as handle:
                    head = handle.read(max_bytes + 1)
            except OSError:
                head = b""  # unreadable: the loader reports it
            if head and not looks_like_manifest_json(head.decode("utf-8", "replace")):
                continue
        wanted.append(rel)
    return wanted


def is_json(rel: str) -> bool:
    return rel.endswith(JSON_SUFFIX)


def looks_like_manifest_json(text: str) -> bool:
    """A JSON file is read as a manifest only when it names an apiVersion and a kind: JSON files in
    a repository are mostly dashboards, package metadata and schemas, some with comments (JSONC)."""
    return '"apiVersion"' in text and '"kind"' in text


# --- apiVersion ------------------------------------------------------------------------------

_VERSION = re.compile(r"^v\d+((alpha|beta)\d+)?$")


@cache
def builtin_groups() -> frozenset[str]:
    """API groups that Kubernetes itself serves (or served): every group in kubernetes-validate's
    schema data, on every version it ships, plus the groups of the API lifecycle table."""
    from validate import schema

    groups: set[str] = set(_lifecycle_groups())
    for version in schema.available_versions():
        groups |= schema.served_groups(version)
    return frozenset(groups)


@cache
def is_builtin_group(group: str) -> bool:
    """``group in builtin_groups()``, reading the schema data of as few versions as it takes: the
    lifecycle table first, then the newest version (which the run has usually loaded already),
    then older ones. Each version's definitions are 1.8 MB of JSON; loading all thirteen to learn
    that ``apps`` is a Kubernetes group cost a stream run half a second and tens of megabytes."""
    from validate import schema

    if group in _lifecycle_groups():
        return True
    return any(group in schema.served_groups(version) for version in reversed(schema.available_versions()))


@cache
def _lifecycle_groups() -> frozenset[str]:
    from validate.lifecycle import TABLE

    return frozenset({""} | {api_version.rpartition("/")[0] for api_version, *_ in TABLE})


def misspelt_builtin_group(api_version: str) -> str | None:
    """The Kubernetes group that the group of an apiVersion no API server serves is a typo of
    (``app/v1``: ``apps``; ``autoscalling/v2``: ``autoscaling``), None when it is not close to one."""
    from validate import suggest

    group, _, version = api_version.strip().rpartition("/")
    if not group or "." in group or not _VERSION.match(version) or group in builtin_groups():
        return None
    return suggest.closest(group, sorted(g for g in builtin_groups() if g and "." not in g), cutoff=0.75)


def kubernetes_like(api_version: str) -> bool:
    """Whether an API server could serve ``api_version``: a Kubernetes group (``apps``,
    ``networking.k8s.io``) or a domain-style custom group (``argoproj.io``), with a version of the
    Kubernetes form (``v1``, ``v2beta1``). ``skaffold/v4beta6``, ``v2`` or ``config/v1`` are not:
    the core group only ever served ``v1``, and a custom group is always a domain name."""
    group, _, version = api_version.strip().rpartition("/")
    if not _VERSION.match(version):
        return False
    if group == "":
        return version == "v1"
    return "." in group or is_builtin_group(group)
