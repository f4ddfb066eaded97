"""Checks on the repository's own manifests: apps/, base/, overlays/ and argocd/.

Every overlay is rendered once, with the kubectl (kustomize) the repository pins,
the way Argo CD's repo-server renders it (plain `kustomize build`, offline). The
tests then read the rendered objects.
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
ENVIRONMENTS = ("dev", "staging", "prod")
LOAD_TEST_APP = "07-analytics-loadtest"
RENDER_TIMEOUT_SECONDS = 60

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


def _overlay_dirs() -> list[Path]:
    return sorted(p.parent for p in OVERLAYS.glob("*/*/kustomization.yaml"))


def _app_dirs_with_kustomization() -> list[Path]:
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
    """Every overlay rendered once, in parallel, keyed by repo-relative path."""
    kubectl = _kubectl()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda d: _render(kubectl, d), _overlay_dirs()))
    return {render.path: render for render in results}


def _rendered(renders: dict[str, Render], path: str) -> Render:
    render = renders[path]
    assert render.returncode == 0, f"{path} does not render:\n{render.stderr}"
    return render


def _prod_paths() -> list[str]:
    return [_relative(d) for d in _overlay_dirs() if d.parent.name == "prod"]


def _argocd_documents() -> list[Manifest]:
    documents: list[Manifest] = []
    for path in sorted(ARGOCD.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            documents.extend(doc for doc in yaml.safe_load_all(handle) if isinstance(doc, dict))
    return documents


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


def _synced_by_argocd(path: str, documents: list[Manifest]) -> bool:
    for doc in documents:
        spec = doc.get("spec") or {}
        if doc.get("kind") == "ApplicationSet":
            for git in _git_generators(spec.get("generators", [])):
                entries = git.get("directories") or []
                included = any(_path_matches(e["path"], path) for e in entries if not e.get("exclude", False))
                excluded = any(_path_matches(e["path"], path) for e in entries if e.get("exclude", False))
                if included and not excluded:
                    return True
        if doc.get("kind") == "Application":
            sources = [spec.get("source") or {}, *(spec.get("sources") or [])]
            if any(str(s.get("path", "")).strip("/") == path for s in sources):
                return True
    return False


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


def _all_objects(renders: dict[str, Render]) -> Iterator[tuple[str, Manifest]]:
    for path in sorted(renders):
        for obj in _rendered(renders, path).objects:
            yield path, obj


# --- rendering -------------------------------------------------------------


def test_there_are_overlays_for_every_environment() -> None:
    for env in ENVIRONMENTS:
        assert list((OVERLAYS / env).glob("*/kustomization.yaml")), f"overlays/{env} has no app"


@pytest.mark.parametrize("path", [_relative(d) for d in _overlay_dirs()])
def test_overlay_renders(renders: dict[str, Render], path: str) -> None:
    render = _rendered(renders, path)
    assert render.objects, f"{path} renders no object"


# --- layout ------------------------------------------------------------------


@pytest.mark.parametrize("app", [d.name for d in _app_dirs_with_kustomization()])
def test_app_has_an_overlay_in_every_environment(app: str) -> None:
    missing = [env for env in ENVIRONMENTS if not (OVERLAYS / env / app / "kustomization.yaml").is_file()]
    assert not missing, f"apps/{app} has no overlay in {', '.join(missing)}"


def test_every_overlay_points_at_an_app_of_the_same_name() -> None:
    for overlay in _overlay_dirs():
        kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text(encoding="utf-8"))
        assert f"../../../apps/{overlay.name}" in kustomization.get("resources", []), (
            f"{_relative(overlay)} does not build on apps/{overlay.name}"
        )


def test_kind_cluster_config_is_not_a_kustomize_resource() -> None:
    roots = (APPS, REPO / "base", OVERLAYS, ARGOCD)
    for kustomization in (k for root in roots for k in root.rglob("kustomization.yaml")):
        text = yaml.safe_load(kustomization.read_text(encoding="utf-8")) or {}
        listed = [*text.get("resources", []), *text.get("components", [])]
        assert not any(str(item).endswith("kind-cluster.yaml") for item in listed), (
            f"{_relative(kustomization)} lists the kind Cluster config as a resource"
        )


# --- Argo CD -------------------------------------------------------------------


@pytest.mark.parametrize("path", [_relative(d) for d in _overlay_dirs()])
def test_overlay_is_synced_by_argocd(path: str) -> None:
    assert _synced_by_argocd(path, _argocd_documents()), (
        f"{path} is matched by no ApplicationSet git directory generator and no Application source path"
    )


def test_repository_url_is_consistent() -> None:
    documents = _argocd_documents()
    roots = [
        d for d in documents if d.get("kind") == "Application" and d["spec"]["source"].get("path") == "argocd"
    ]
    assert len(roots) == 1, "expected one root Application with source path argocd"
    repo_url = roots[0]["spec"]["source"]["repoURL"]
    for doc in documents:
        if doc.get("kind") == "ApplicationSet":
            name = doc["metadata"]["name"]
            for git in _git_generators(doc["spec"]["generators"]):
                assert git["repoURL"] == repo_url, f"ApplicationSet {name} generator repoURL differs"
            assert doc["spec"]["template"]["spec"]["source"]["repoURL"] == repo_url, (
                f"ApplicationSet {name} template repoURL differs"
            )
    series_projects = {
        d["metadata"]["name"]
        for d in documents
        if d.get("kind") == "AppProject" and repo_url in d["spec"]["sourceRepos"]
    }
    assert series_projects, f"no AppProject allows {repo_url}"


def test_app_projects_use_no_wildcards() -> None:
    for doc in _argocd_documents():
        if doc.get("kind") != "AppProject":
            continue
        spec = doc["spec"]
        name = doc["metadata"]["name"]
        assert all("*" not in repo for repo in spec["sourceRepos"]), (
            f"AppProject {name} sourceRepos has a wildcard"
        )
        for destination in spec["destinations"]:
            assert "*" not in destination.get("namespace", "*"), (
                f"AppProject {name} destination namespace wildcard"
            )
            assert "*" not in destination.get("server", destination.get("name", "*")), (
                f"AppProject {name} destination cluster wildcard"
            )


# --- prod security and resources --------------------------------------------------------


@pytest.mark.parametrize("path", _prod_paths())
def test_prod_containers_are_restricted_and_bounded(renders: dict[str, Render], path: str) -> None:
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


def test_prod_covers_seldon_deployments_and_deployments(renders: dict[str, Render]) -> None:
    kinds = {obj["kind"] for path in _prod_paths() for obj in _rendered(renders, path).objects}
    assert {"SeldonDeployment", "Deployment"} <= kinds


# --- load testing -------------------------------------------------------------------


def _locust_objects(render: Render) -> list[str]:
    found = []
    for obj in render.objects:
        name = obj.get("metadata", {}).get("name", "")
        images = [c.get("image", "") for _, spec in _pod_specs(obj) for c in _containers(spec)]
        if "locust" in name or any(image.startswith("locustio/") for image in images):
            found.append(f"{obj['kind']}/{name}")
    return found


def test_prod_has_no_load_testing(renders: dict[str, Render]) -> None:
    render = _rendered(renders, f"overlays/prod/{LOAD_TEST_APP}")
    assert not _locust_objects(render), f"Locust objects in prod: {_locust_objects(render)}"


@pytest.mark.parametrize("env", ["dev", "staging"])
def test_dev_and_staging_run_load_testing(renders: dict[str, Render], env: str) -> None:
    render = _rendered(renders, f"overlays/{env}/{LOAD_TEST_APP}")
    assert _locust_objects(render), f"no Locust objects in overlays/{env}/{LOAD_TEST_APP}"


# --- Seldon ---------------------------------------------------------------------------


def test_every_seldon_deployment_is_v1(renders: dict[str, Render]) -> None:
    seen = 0
    for path, obj in _all_objects(renders):
        if obj.get("kind") == "SeldonDeployment":
            seen += 1
            assert obj["apiVersion"] == "machinelearning.seldon.io/v1", (
                f"{path}: SeldonDeployment/{obj['metadata']['name']} is {obj['apiVersion']}"
            )
    assert seen, "no SeldonDeployment rendered"


def test_hpa_owned_components_have_no_static_replicas(renders: dict[str, Render]) -> None:
    hpa_components = 0
    for path, obj in _all_objects(renders):
        if obj.get("kind") != "SeldonDeployment":
            continue
        name = obj["metadata"]["name"]
        for predictor in obj["spec"].get("predictors", []):
            components = predictor.get("componentSpecs") or []
            owned = [c for c in components if c.get("hpaSpec")]
            hpa_components += len(owned)
            for component in owned:
                assert "replicas" not in component, f"{path}: {name} componentSpec with hpaSpec sets replicas"
            if owned:
                assert "replicas" not in predictor, (
                    f"{path}: {name} predictor {predictor['name']} sets replicas"
                )
                assert "replicas" not in obj["spec"], f"{path}: {name} sets spec.replicas"
    assert hpa_components, "no componentSpec with an hpaSpec rendered"


def test_every_seldon_graph_node_has_a_container(renders: dict[str, Render]) -> None:
    def nodes(node: Manifest) -> Iterator[Manifest]:
        yield node
        for child in node.get("children") or []:
            yield from nodes(child)

    for path, obj in _all_objects(renders):
        if obj.get("kind") != "SeldonDeployment":
            continue
        for predictor in obj["spec"]["predictors"]:
            names = {
                c["name"]
                for component in predictor.get("componentSpecs") or []
                for c in (component.get("spec") or {}).get("containers", [])
            }
            for node in nodes(predictor["graph"]):
                assert node["name"] in names, (
                    f"{path}: {obj['metadata']['name']} graph node {node['name']} has no container"
                )


# --- general hygiene --------------------------------------------------------------------


def test_every_rendered_object_has_a_namespace(renders: dict[str, Render]) -> None:
    cluster_scoped = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition"}
    for path, obj in _all_objects(renders):
        if obj["kind"] in cluster_scoped:
            continue
        assert obj["metadata"].get("namespace"), (
            f"{path}: {obj['kind']}/{obj['metadata']['name']} has no namespace"
        )


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


# --- bootstrap -------------------------------------------------------------------------

BOOTSTRAP_HEALTH = ARGOCD / "bootstrap" / "argocd-cm-health.yaml"
HEALTH_PREFIX = "resource.customizations.health."


def _self_managed_argocd_cm_data() -> dict[str, str]:
    """argocd-cm data that the Application syncing Argo CD itself patches in."""
    data: dict[str, str] = {}
    for doc in _argocd_documents():
        if doc.get("kind") != "Application":
            continue
        kustomize = (doc["spec"].get("source") or {}).get("kustomize") or {}
        for patch in kustomize.get("patches") or []:
            body = yaml.safe_load(patch.get("patch") or "") or {}
            if body.get("kind") == "ConfigMap" and (body.get("metadata") or {}).get("name") == "argocd-cm":
                data.update(body.get("data") or {})
    return data


def test_bootstrap_health_checks_equal_the_self_managed_ones() -> None:
    bootstrap = yaml.safe_load(BOOTSTRAP_HEALTH.read_text(encoding="utf-8"))
    installed = {k: v for k, v in (bootstrap.get("data") or {}).items() if k.startswith(HEALTH_PREFIX)}
    managed = {k: v for k, v in _self_managed_argocd_cm_data().items() if k.startswith(HEALTH_PREFIX)}
    assert installed, f"{_relative(BOOTSTRAP_HEALTH)} holds no health customization"
    assert installed == managed, (
        "the health checks merged at bootstrap and the ones the self-managed argo-cd Application keeps differ:"
        f" only at bootstrap {sorted(set(installed) - set(managed))},"
        f" only self-managed {sorted(set(managed) - set(installed))},"
        f" different {sorted(k for k in installed.keys() & managed.keys() if installed[k] != managed[k])}"
    )


def test_readme_bootstrap_merges_the_health_checks() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Bootstrap"):]
    root_step = section.index("argocd/root-application.yaml")
    patch_step = section.find(f"--patch-file {_relative(BOOTSTRAP_HEALTH)}")
    assert 0 <= patch_step < root_step, "README's bootstrap must merge the health checks before applying the root"


# --- sync policies ----------------------------------------------------------------------


def _application_specs() -> Iterator[tuple[str, Manifest]]:
    """(name, Application spec) for every Application and ApplicationSet template in argocd/."""
    for doc in _argocd_documents():
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        if doc.get("kind") == "Application":
            yield name, doc.get("spec") or {}
        elif doc.get("kind") == "ApplicationSet":
            yield name, ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}


def test_every_automated_sync_retries_with_backoff() -> None:
    automated = 0
    for name, spec in _application_specs():
        policy = spec.get("syncPolicy") or {}
        if "automated" not in policy:
            continue
        automated += 1
        retry = policy.get("retry") or {}
        assert retry.get("limit", 0) != 0, f"{name}: automated sync without retry"
        assert (retry.get("backoff") or {}).get("duration"), f"{name}: retry without backoff"
    assert automated, "no automated sync in argocd/"


PRE_RELEASE_TAG = re.compile(r"[-.+_](dev|rc|snapshot|alpha|beta|nightly)(\b|[-.+_0-9])", re.IGNORECASE)


@pytest.mark.parametrize("path", _prod_paths())
def test_prod_runs_release_images(renders: dict[str, Render], path: str) -> None:
    found = []
    for obj in _rendered(renders, path).objects:
        for where, pod_spec in _pod_specs(obj):
            for container in _containers(pod_spec):
                image = str(container.get("image", ""))
                tag = image.split("@", 1)[0].rsplit("/", 1)[-1].partition(":")[2]
                if PRE_RELEASE_TAG.search(tag):
                    found.append(f"{where} container {container.get('name')}: {image}")
    assert not found, f"{path} runs pre-release images:\n" + "\n".join(found)


RESOURCES_FINALIZER = "resources-finalizer.argocd.argoproj.io"


def test_deleting_an_application_set_never_cascades() -> None:
    """All Applications of an environment share its namespace: deleting one ApplicationSet must not empty it."""
    application_sets = [d for d in _argocd_documents() if d.get("kind") == "ApplicationSet"]
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
