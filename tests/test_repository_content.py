"""Invariants of the repository's own manifests: apps/, base/, overlays/ and argocd/.

These tests hold for any value a user is expected to edit (replica counts, HPA bounds,
image tags, traffic shares, which apps an environment runs): they check the shape and the
rules of the repository, never its current numbers. Environments are the folders under
overlays/; which of them are restricted comes from .gitops-validate.yaml (the environments
whose profile is "restricted"), so a forked environment is checked without editing a test.

Every overlay is rendered once, with the kubectl (kustomize) the repository pins, the way
Argo CD's repo-server renders it (plain `kustomize build`, offline).
"""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).parents[1]
APPS = REPO / "apps"
OVERLAYS = REPO / "overlays"
ARGOCD = REPO / "argocd"
CONFIG = REPO / ".gitops-validate.yaml"
OFFLINE_CHARTS = REPO.parent / "shared" / "upstream" / "charts"
BOOTSTRAP_HEALTH = ARGOCD / "bootstrap" / "argocd-cm-health.yaml"
RENDER_TIMEOUT_SECONDS = 120

RESTRICTED_PROFILE = "restricted"
LOCAL_CONFIG = "config.kubernetes.io/local-config"
RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"
HEALTH_PREFIX = "resource.customizations.health."
PRE_RELEASE_TAG = re.compile(r"[-.+_](dev|rc|snapshot|alpha|beta|nightly)(\b|[-.+_0-9])", re.IGNORECASE)
LOAD_GENERATOR_IMAGES = ("locustio/",)
# What an overlay's kustomization may say: it builds on its app and patches it.
OVERLAY_FIELDS = {
    "apiVersion", "kind", "namespace", "resources", "components", "labels", "patches",
    "replicas", "images", "replacements",
}

WORKLOAD_POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Render:
    """The result of rendering one kustomization directory."""

    path: str
    returncode: int
    stderr: str
    objects: tuple[Manifest, ...]


def _kubectl() -> str:
    pinned = REPO / ".venv" / "bin" / "kubectl"
    if pinned.is_file():
        return str(pinned)
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail("kubectl not found: run `make test`, which installs it into .venv")
    return found


def _relative(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _environments() -> list[str]:
    return sorted(d.name for d in OVERLAYS.iterdir() if d.is_dir())


def _restricted_environments() -> list[str]:
    """Environments whose profile in .gitops-validate.yaml is the restricted one."""
    environments = (_load(CONFIG) or {}).get("environments") or {}
    return sorted(name for name, spec in environments.items() if (spec or {}).get("profile") == RESTRICTED_PROFILE)


def _overlay_dirs() -> list[Path]:
    return sorted(p.parent for p in OVERLAYS.glob("*/*/kustomization.yaml"))


def _app_dirs() -> list[Path]:
    return sorted(p.parent for p in APPS.glob("*/kustomization.yaml"))


def _render(kubectl: str, directory: Path) -> Render:
    completed = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT_SECONDS,
        check=False,
    )
    objects: tuple[Manifest, ...] = ()
    if completed.returncode == 0:
        objects = tuple(doc for doc in yaml.safe_load_all(completed.stdout) if doc)
    return Render(_relative(directory), completed.returncode, completed.stderr, objects)


@pytest.fixture(scope="module")
def renders() -> dict[str, Render]:
    """Every overlay and every app base rendered once, in parallel, keyed by repo-relative path."""
    kubectl = _kubectl()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda d: _render(kubectl, d), [*_overlay_dirs(), *_app_dirs()]))
    return {render.path: render for render in results}


def _rendered(renders: dict[str, Render], path: str) -> Render:
    render = renders[path]
    assert render.returncode == 0, f"{path} does not render:\n{render.stderr}"
    return render


def _overlay_paths(environments: list[str] | None = None) -> list[str]:
    return [_relative(d) for d in _overlay_dirs() if environments is None or d.parent.name in environments]


def _argocd_documents() -> list[Manifest]:
    documents: list[Manifest] = []
    for path in sorted(ARGOCD.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            documents.extend(doc for doc in yaml.safe_load_all(handle) if isinstance(doc, dict))
    return documents


def _of_kind(kind: str) -> list[Manifest]:
    return [d for d in _argocd_documents() if d.get("kind") == kind]


def _git_generators(node: Any) -> Iterator[Manifest]:
    """Git generators anywhere below an ApplicationSet's generators (matrix, merge, ...)."""
    if isinstance(node, dict):
        git = node.get("git")
        if isinstance(git, dict):
            yield git
        for value in node.values():
            yield from _git_generators(value)
    elif isinstance(node, list):
        for item in node:
            yield from _git_generators(item)


def _path_matches(pattern: str, path: str) -> bool:
    """Argo CD's directory matching: `*` never crosses a `/` (Go's path.Match)."""
    pattern_parts = pattern.strip("/").split("/")
    path_parts = path.strip("/").split("/")
    return len(pattern_parts) == len(path_parts) and all(
        fnmatch.fnmatchcase(part, glob) for part, glob in zip(path_parts, pattern_parts)
    )


def _generates(application_set: Manifest, path: str) -> bool:
    """Whether one of the ApplicationSet's git directory generators yields ``path``."""
    for git in _git_generators((application_set.get("spec") or {}).get("generators", [])):
        entries = git.get("directories") or []
        included = any(_path_matches(e["path"], path) for e in entries if not e.get("exclude", False))
        excluded = any(_path_matches(e["path"], path) for e in entries if e.get("exclude", False))
        if included and not excluded:
            return True
    return False


def _application_specs() -> Iterator[tuple[str, Manifest]]:
    """(name, Application spec) for every Application and ApplicationSet template in argocd/."""
    for doc in _argocd_documents():
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        if doc.get("kind") == "Application":
            yield name, doc.get("spec") or {}
        elif doc.get("kind") == "ApplicationSet":
            yield name, ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def _sources(spec: Manifest) -> list[Manifest]:
    return [s for s in [spec.get("source"), *(spec.get("sources") or [])] if isinstance(s, dict)]


def _pod_specs(obj: Manifest) -> Iterator[tuple[str, Manifest]]:
    """(description, pod spec) for a workload or for each SeldonDeployment componentSpec."""
    kind = obj.get("kind")
    name = obj.get("metadata", {}).get("name")
    if kind in WORKLOAD_POD_SPEC_PATHS:
        node: Any = obj
        for key in WORKLOAD_POD_SPEC_PATHS[kind]:
            node = (node or {}).get(key)
        yield f"{kind}/{name}", node or {}
    elif kind == "SeldonDeployment":
        for predictor in obj["spec"].get("predictors", []):
            for index, component in enumerate(predictor.get("componentSpecs") or []):
                where = f"SeldonDeployment/{name} predictor {predictor['name']} componentSpecs[{index}]"
                yield where, component.get("spec") or {}


def _containers(pod_spec: Manifest) -> list[Manifest]:
    return [*(pod_spec.get("initContainers") or []), *(pod_spec.get("containers") or [])]


def _all_objects(renders: dict[str, Render], paths: list[str] | None = None) -> Iterator[tuple[str, Manifest]]:
    for path in sorted(paths if paths is not None else _overlay_paths()):
        for obj in _rendered(renders, path).objects:
            yield path, obj


def _graph_nodes(node: Manifest) -> Iterator[Manifest]:
    yield node
    for child in node.get("children") or []:
        yield from _graph_nodes(child)


def _group(obj: Manifest) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _image_tag(image: str) -> str:
    return image.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]


# --- layout --------------------------------------------------------------------------------


def test_there_are_apps_and_environments() -> None:
    assert _app_dirs(), "apps/ holds no app with a kustomization"
    assert _environments(), "overlays/ holds no environment"


@pytest.mark.parametrize("app", [d.name for d in _app_dirs()])
def test_app_has_an_overlay_in_every_environment(app: str) -> None:
    missing = [env for env in _environments() if not (OVERLAYS / env / app / "kustomization.yaml").is_file()]
    assert not missing, f"apps/{app} has no overlay in {', '.join(missing)}"


def test_every_overlay_is_an_app_in_an_environment() -> None:
    strays = [_relative(d) for d in _overlay_dirs() if not (APPS / d.name / "kustomization.yaml").is_file()]
    assert not strays, f"overlays without an app of the same name under apps/: {strays}"


def test_restricted_environments_exist() -> None:
    restricted = _restricted_environments()
    assert restricted, f"{_relative(CONFIG)} names no environment with profile {RESTRICTED_PROFILE!r}"
    missing = [env for env in restricted if not (OVERLAYS / env).is_dir()]
    assert not missing, f"restricted environments without an overlays/ folder: {missing}"


def _local_config_file(path: Path) -> bool:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return bool(documents) and all(
        str(((d.get("metadata") or {}).get("annotations") or {}).get(LOCAL_CONFIG, "")).lower() == "true"
        for d in documents
        if isinstance(d, dict)
    )


@pytest.mark.parametrize("path", _overlay_paths())
def test_overlay_holds_only_patches(path: str) -> None:
    """An overlay builds on its own app and changes it; it adds no object of its own."""
    overlay = REPO / path
    app = overlay.name
    kustomization = _load(overlay / "kustomization.yaml") or {}
    problems = [f"field {field!r} (overlays only patch)" for field in sorted(set(kustomization) - OVERLAY_FIELDS)]
    base = f"../../../apps/{app}"
    resources = kustomization.get("resources") or []
    if base not in resources:
        problems.append(f"does not build on {base}")
    for resource in resources:
        if resource == base:
            continue
        target = (overlay / resource).resolve()
        if not (target.is_file() and target.parent == overlay.resolve() and _local_config_file(target)):
            problems.append(f"resource {resource!r} is neither {base} nor a local-config value file of the overlay")
    for component in kustomization.get("components") or []:
        if not str(component).startswith(f"{base}/"):
            problems.append(f"component {component!r} is not one of apps/{app}'s own")
    listed = {str(p.get("path")) for p in kustomization.get("patches") or [] if isinstance(p, dict) and p.get("path")}
    listed |= {str(r) for r in resources}
    for file in sorted(overlay.iterdir()):
        if file.name != "kustomization.yaml" and file.name not in listed:
            problems.append(f"{file.name} is used by nothing in kustomization.yaml")
    assert not problems, f"{path}:\n" + "\n".join(problems)


def test_kind_cluster_config_is_not_a_kustomize_resource() -> None:
    roots = (APPS, REPO / "base", OVERLAYS, ARGOCD)
    for kustomization in (k for root in roots for k in root.rglob("kustomization.yaml")):
        text = _load(kustomization) or {}
        listed = [*text.get("resources", []), *text.get("components", [])]
        assert not any(str(item).endswith("kind-cluster.yaml") for item in listed), (
            f"{_relative(kustomization)} lists the kind Cluster config as a resource"
        )


# --- rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*_overlay_paths(), *(_relative(d) for d in _app_dirs())])
def test_renders(renders: dict[str, Render], path: str) -> None:
    render = _rendered(renders, path)
    assert render.objects, f"{path} renders no object"


@pytest.mark.parametrize("path", _overlay_paths())
def test_overlay_renders_the_objects_of_its_app(renders: dict[str, Render], path: str) -> None:
    """Same objects as the base (plus the app's own optional components): a patch never renames or drops one."""
    app = Path(path).name

    def identities(render: Render) -> set[tuple[str, str, str]]:
        return {(str(o.get("apiVersion", "")).split("/")[0], o["kind"], o["metadata"]["name"]) for o in render.objects}

    overlay = identities(_rendered(renders, path))
    base = identities(_rendered(renders, f"apps/{app}"))
    names_in_namespace = {(group, kind, name) for group, kind, name in base if kind != "Namespace"}
    missing = sorted(names_in_namespace - overlay)
    assert not missing, f"{path} lost objects of apps/{app}: {missing}"


# --- Argo CD -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", _overlay_paths())
def test_overlay_is_synced_by_exactly_one_application_set(path: str) -> None:
    generating = [d["metadata"]["name"] for d in _of_kind("ApplicationSet") if _generates(d, path)]
    assert len(generating) == 1, f"{path} is generated by {len(generating)} ApplicationSets: {generating}"


def test_every_environment_namespace_is_a_project_destination() -> None:
    """The namespace each ApplicationSet derives from an overlay folder is allowed by its project."""
    projects = {d["metadata"]["name"]: d for d in _of_kind("AppProject")}
    problems = []
    for path in _overlay_paths():
        env = Path(path).parent.name
        namespace = (_load(REPO / path / "kustomization.yaml") or {}).get("namespace")
        for application_set in (d for d in _of_kind("ApplicationSet") if _generates(d, path)):
            template = application_set["spec"]["template"]["spec"]
            project = projects.get(template.get("project"))
            if project is None:
                problems.append(f"{path}: project {template.get('project')!r} is not in argocd/")
                continue
            allowed = {d.get("namespace") for d in project["spec"].get("destinations") or []}
            if namespace not in allowed:
                problems.append(f"{path}: namespace {namespace!r} (environment {env}) is not a destination"
                                f" of AppProject {project['metadata']['name']}")
    assert not problems, "\n".join(problems)


def test_repository_url_is_consistent() -> None:
    roots = [d for d in _of_kind("Application") if (d["spec"].get("source") or {}).get("path") == "argocd"]
    assert len(roots) == 1, "expected one root Application with source path argocd"
    repo_url = roots[0]["spec"]["source"]["repoURL"]
    assert (_load(CONFIG) or {}).get("repoURL") == repo_url, f"{_relative(CONFIG)} repoURL differs from the root's"
    for doc in _of_kind("ApplicationSet"):
        name = doc["metadata"]["name"]
        for git in _git_generators(doc["spec"]["generators"]):
            assert git["repoURL"] == repo_url, f"ApplicationSet {name} generator repoURL differs"
        for source in _sources(doc["spec"]["template"]["spec"]):
            assert source["repoURL"] == repo_url, f"ApplicationSet {name} template repoURL differs"
    assert any(repo_url in d["spec"]["sourceRepos"] for d in _of_kind("AppProject")), f"no AppProject allows {repo_url}"


def test_app_projects_use_no_wildcards() -> None:
    for doc in _of_kind("AppProject"):
        spec = doc["spec"]
        name = doc["metadata"]["name"]
        assert all("*" not in repo for repo in spec["sourceRepos"]), f"AppProject {name} sourceRepos has a wildcard"
        for destination in spec["destinations"]:
            assert "*" not in destination.get("namespace", "*"), f"AppProject {name} destination namespace wildcard"
            assert "*" not in destination.get("server", destination.get("name", "*")), (
                f"AppProject {name} destination cluster wildcard"
            )
        for field in ("clusterResourceWhitelist", "namespaceResourceWhitelist"):
            for entry in spec.get(field) or []:
                assert "*" not in f"{entry.get('group', '')}{entry.get('kind', '')}", (
                    f"AppProject {name} {field} has a wildcard: {entry}"
                )


def test_every_automated_sync_retries_with_backoff() -> None:
    automated = [(name, spec) for name, spec in _application_specs() if "automated" in (spec.get("syncPolicy") or {})]
    assert automated, "no automated sync in argocd/"
    for name, spec in automated:
        retry = spec["syncPolicy"].get("retry") or {}
        assert retry.get("limit", 0) != 0, f"{name}: automated sync without retry"
        assert (retry.get("backoff") or {}).get("duration"), f"{name}: retry without backoff"


def test_deleting_an_application_set_never_cascades() -> None:
    """All Applications of an environment share its namespace: deleting one ApplicationSet must not empty it."""
    application_sets = _of_kind("ApplicationSet")
    assert application_sets, "no ApplicationSet in argocd/"
    for doc in application_sets:
        name = doc["metadata"]["name"]
        spec = doc["spec"]
        assert (spec.get("syncPolicy") or {}).get("preserveResourcesOnDeletion") is True, (
            f"ApplicationSet {name}: deleting it deletes every generated Application's resources"
            " (set spec.syncPolicy.preserveResourcesOnDeletion: true)"
        )
        finalizers = ((spec.get("template") or {}).get("metadata") or {}).get("finalizers") or []
        assert RESOURCES_FINALIZER not in finalizers, (
            f"ApplicationSet {name}: the template's {RESOURCES_FINALIZER} cascades deletes"
            " even with preserveResourcesOnDeletion"
        )


def _chart_sources() -> list[tuple[str, Manifest]]:
    return [(name, s) for name, spec in _application_specs() for s in _sources(spec) if s.get("chart")]


def _git_sources_outside_this_repository() -> list[tuple[str, Manifest]]:
    own = (_load(CONFIG) or {}).get("repoURL")
    return [(name, s) for name, spec in _application_specs() for s in _sources(spec)
            if not s.get("chart") and s.get("repoURL") != own]


@pytest.mark.parametrize(("name", "source"), _chart_sources(), ids=lambda v: v if isinstance(v, str) else "")
def test_pinned_chart_version_exists(name: str, source: Manifest) -> None:
    """Each Helm chart is pinned to a version its repository publishes (checked against the offline copies)."""
    version = str(source.get("targetRevision", ""))
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: chart {source['chart']} is not pinned to a version"
    index = OFFLINE_CHARTS / "repositories.yaml"
    if not index.is_file():
        pytest.skip(f"{OFFLINE_CHARTS} is absent: chart versions cannot be checked offline")
    folders = {h["repoURL"]: h["path"] for h in (_load(index) or {}).get("helm") or []}
    if source["repoURL"] not in folders:
        pytest.skip(f"no offline copy of the Helm repository {source['repoURL']}")
    entries = (_load(OFFLINE_CHARTS / folders[source["repoURL"]] / "index.yaml") or {}).get("entries") or {}
    published = sorted(str(e.get("version")) for e in entries.get(source["chart"]) or [])
    assert version in published, (
        f"{name}: {source['chart']} {version} is not in {source['repoURL']} (published there: {published})"
    )


@pytest.mark.parametrize(("name", "source"), _git_sources_outside_this_repository(),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_pinned_git_source_exists(name: str, source: Manifest) -> None:
    index = OFFLINE_CHARTS / "repositories.yaml"
    if not index.is_file():
        pytest.skip(f"{OFFLINE_CHARTS} is absent: git sources cannot be checked offline")
    copies = [g for g in (_load(index) or {}).get("git") or [] if g["repoURL"] == source["repoURL"]]
    if not copies:
        pytest.skip(f"no offline copy of {source['repoURL']}")
    revisions = {str(g["targetRevision"]): g for g in copies}
    revision = str(source.get("targetRevision", ""))
    assert revision in revisions, f"{name}: {source['repoURL']} has no revision {revision!r} ({sorted(revisions)})"
    folder = OFFLINE_CHARTS / revisions[revision]["path"] / str(source.get("path", ""))
    assert folder.is_dir(), f"{name}: {source['repoURL']}@{revision} has no path {source.get('path')!r}"


# --- bootstrap -----------------------------------------------------------------------------


def _self_managed_argocd_cm_data() -> dict[str, str]:
    """argocd-cm data that the Application syncing Argo CD itself patches in."""
    data: dict[str, str] = {}
    for doc in _of_kind("Application"):
        kustomize = (doc["spec"].get("source") or {}).get("kustomize") or {}
        for patch in kustomize.get("patches") or []:
            body = yaml.safe_load(patch.get("patch") or "") or {}
            if body.get("kind") == "ConfigMap" and (body.get("metadata") or {}).get("name") == "argocd-cm":
                data.update(body.get("data") or {})
    return data


def test_bootstrap_health_checks_equal_the_self_managed_ones() -> None:
    bootstrap = _load(BOOTSTRAP_HEALTH)
    installed = {k: v for k, v in (bootstrap.get("data") or {}).items() if k.startswith(HEALTH_PREFIX)}
    managed = {k: v for k, v in _self_managed_argocd_cm_data().items() if k.startswith(HEALTH_PREFIX)}
    assert installed, f"{_relative(BOOTSTRAP_HEALTH)} holds no health customization"
    assert installed == managed, (
        "the health checks merged at bootstrap and the ones the self-managed argo-cd Application keeps differ:"
        f" only at bootstrap {sorted(set(installed) - set(managed))},"
        f" only self-managed {sorted(set(managed) - set(installed))},"
        f" different {sorted(k for k in installed.keys() & managed.keys() if installed[k] != managed[k])}"
    )


def test_readme_bootstrap_merges_the_health_checks_before_the_root() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Bootstrap"):]
    root_step = section.index("argocd/root-application.yaml")
    patch_step = section.find(f"--patch-file {_relative(BOOTSTRAP_HEALTH)}")
    assert 0 <= patch_step < root_step, "README's bootstrap must merge the health checks before applying the root"


def test_sync_waves_order_only_kinds_with_a_health_check(renders: dict[str, Render]) -> None:
    """A wave waits only for what Argo CD can assess: Applications and SeldonDeployments need argocd-cm's checks."""
    checked = {key[len(HEALTH_PREFIX):].replace("_", "/", 1) for key in _load(BOOTSTRAP_HEALTH)["data"]}
    objects = [o for _, o in _all_objects(renders)] + _argocd_documents()
    waved = {f"{_group(o)}/{o.get('kind')}" for o in objects
             if "argocd.argoproj.io/sync-wave" in ((o.get("metadata") or {}).get("annotations") or {})}
    needing = {"machinelearning.seldon.io/SeldonDeployment", "argoproj.io/Application"} & waved
    assert needing <= checked, f"sync waves on {sorted(needing - checked)} without a health check in argocd-cm"


# --- restricted environments ------------------------------------------------------------------


@pytest.mark.parametrize("path", _overlay_paths(_restricted_environments()))
def test_restricted_containers_are_restricted_and_bounded(renders: dict[str, Render], path: str) -> None:
    problems: list[str] = []
    for obj in _rendered(renders, path).objects:
        for where, pod_spec in _pod_specs(obj):
            pod_security = pod_spec.get("securityContext") or {}
            for container in _containers(pod_spec):
                label = f"{where} container {container.get('name')}"
                security = container.get("securityContext") or {}
                run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
                if run_as_non_root is not True:
                    problems.append(f"{label}: runAsNonRoot is {run_as_non_root!r}, not true")
                if security.get("allowPrivilegeEscalation") is not False:
                    problems.append(f"{label}: allowPrivilegeEscalation is not false")
                if "ALL" not in ((security.get("capabilities") or {}).get("drop") or []):
                    problems.append(f"{label}: capabilities.drop does not contain ALL")
                resources = container.get("resources") or {}
                for bound in ("requests", "limits"):
                    for resource in ("cpu", "memory"):
                        if resource not in (resources.get(bound) or {}):
                            problems.append(f"{label}: no {bound}.{resource}")
    assert not problems, f"{path}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", _overlay_paths(_restricted_environments()))
def test_restricted_environments_run_release_images(renders: dict[str, Render], path: str) -> None:
    found = [
        f"{where} container {container.get('name')}: {container.get('image')}"
        for obj in _rendered(renders, path).objects
        for where, pod_spec in _pod_specs(obj)
        for container in _containers(pod_spec)
        if PRE_RELEASE_TAG.search(_image_tag(str(container.get("image", ""))))
    ]
    assert not found, f"{path} runs pre-release images:\n" + "\n".join(found)


@pytest.mark.parametrize("path", _overlay_paths(_restricted_environments()))
def test_restricted_environments_run_no_load_generator(renders: dict[str, Render], path: str) -> None:
    found = [
        f"{obj['kind']}/{obj['metadata']['name']}"
        for obj in _rendered(renders, path).objects
        for _, pod_spec in _pod_specs(obj)
        for container in _containers(pod_spec)
        if str(container.get("image", "")).startswith(LOAD_GENERATOR_IMAGES)
    ]
    assert not found, f"load generators in {path}: {found}"


# --- Seldon --------------------------------------------------------------------------------


def test_every_seldon_deployment_is_v1(renders: dict[str, Render]) -> None:
    for path, obj in _all_objects(renders):
        if obj.get("kind") == "SeldonDeployment":
            assert obj["apiVersion"] == "machinelearning.seldon.io/v1", (
                f"{path}: SeldonDeployment/{obj['metadata']['name']} is {obj['apiVersion']}"
            )


def test_hpa_owned_components_have_no_static_replicas(renders: dict[str, Render]) -> None:
    for path, obj in _all_objects(renders):
        if obj.get("kind") != "SeldonDeployment":
            continue
        name = obj["metadata"]["name"]
        for predictor in obj["spec"].get("predictors", []):
            owned = [c for c in predictor.get("componentSpecs") or [] if c.get("hpaSpec")]
            for component in owned:
                assert "replicas" not in component, f"{path}: {name} componentSpec with hpaSpec sets replicas"
            if owned:
                assert "replicas" not in predictor, f"{path}: {name} predictor {predictor['name']} sets replicas"
                assert "replicas" not in obj["spec"], f"{path}: {name} sets spec.replicas"


def test_every_seldon_graph_node_has_a_container(renders: dict[str, Render]) -> None:
    for path, obj in _all_objects(renders):
        if obj.get("kind") != "SeldonDeployment":
            continue
        for predictor in obj["spec"]["predictors"]:
            names = {
                c["name"]
                for component in predictor.get("componentSpecs") or []
                for c in (component.get("spec") or {}).get("containers", [])
            }
            for node in _graph_nodes(predictor["graph"]):
                assert node["name"] in names, (
                    f"{path}: {obj['metadata']['name']} graph node {node['name']} has no container"
                )


def test_random_routers_pick_only_children_that_exist(renders: dict[str, Render]) -> None:
    """seldonio/metadata-generic-node routes to random.randint(0, NUMBER_OF_ROUTES), bounds included."""
    for path, obj in _all_objects(renders):
        if obj.get("kind") != "SeldonDeployment":
            continue
        for predictor in obj["spec"]["predictors"]:
            containers = {
                c["name"]: c
                for component in predictor.get("componentSpecs") or []
                for c in (component.get("spec") or {}).get("containers", [])
            }
            for node in _graph_nodes(predictor["graph"]):
                container = containers.get(node["name"]) or {}
                if node.get("type") != "ROUTER" or "metadata-generic-node" not in str(container.get("image", "")):
                    continue
                env = {e.get("name"): e.get("value") for e in container.get("env") or []}
                highest = int(env.get("NUMBER_OF_ROUTES", "2"))
                children = len(node.get("children") or [])
                assert highest == children - 1, (
                    f"{path}: {obj['metadata']['name']} router {node['name']} has {children} children but picks"
                    f" routes 0..{highest}: set NUMBER_OF_ROUTES to {children - 1}"
                )


def test_traffic_adds_up_to_100(renders: dict[str, Render]) -> None:
    """The operator's webhook rejects a split that does not (shadows aside)."""
    for path, obj in _all_objects(renders):
        if obj.get("kind") != "SeldonDeployment":
            continue
        live = [p for p in obj["spec"]["predictors"] if not p.get("shadow")]
        total = sum(int(p.get("traffic", 0)) for p in live)
        if len(live) > 1 or total:
            assert total == 100, f"{path}: {obj['metadata']['name']} traffic adds up to {total}, not 100"


# --- general hygiene -----------------------------------------------------------------------


def test_every_rendered_object_has_a_namespace(renders: dict[str, Render]) -> None:
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
    for path, obj in _all_objects(renders):
        if obj["kind"] in cluster_scoped:
            continue
        assert obj["metadata"].get("namespace"), f"{path}: {obj['kind']}/{obj['metadata']['name']} has no namespace"


def test_every_image_is_pinned(renders: dict[str, Render]) -> None:
    for path, obj in _all_objects(renders):
        for where, pod_spec in _pod_specs(obj):
            for container in _containers(pod_spec):
                image = container.get("image", "")
                assert image, f"{path}: {where} container {container['name']} has no image"
                last = image.rsplit("/", 1)[-1]
                assert "@sha256:" in image or (":" in last and not last.endswith(":latest")), (
                    f"{path}: {where} image {image} is not pinned"
                )
