"""Unit tests of representative rules against an in-memory repository model (tests/memory.py).

No file is written and nothing is rendered: each test builds the model a rule sees from Python
objects and asserts exactly what the rule reports (message and field path), so these run in
the fast tier. The fixtures under tests/rules/fixtures/ check the same rules end to end.
"""

from __future__ import annotations

from typing import Any

from tests.memory import REPO_URL, Found, repository, violations

# --- Argo CD: project permissions (argocd-project) ------------------------------------------------

def project(name: str, repos: list[str], destinations: list[dict[str, str]]) -> tuple[str, dict[str, Any]]:
    return "argocd/projects.yaml", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"sourceRepos": repos, "destinations": destinations}}


def application(name: str, project_name: str, namespace: str, repo: str = REPO_URL,
                path: str = "overlays/dev/app") -> tuple[str, dict[str, Any]]:
    return f"argocd/{name}.yaml", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"project": project_name,
                 "source": {"repoURL": repo, "path": path, "targetRevision": "main"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace}}}


SERIES = project("series", [REPO_URL], [{"server": "https://kubernetes.default.svc", "namespace": "seldon-*"}])


def test_an_application_inside_its_project_is_accepted() -> None:
    ctx = repository(SERIES, application("demo", "series", "seldon-dev"), kustomizations=["overlays/dev/app"])
    assert violations("argocd-project", ctx) == []


def test_a_destination_the_project_does_not_allow_is_reported_on_the_destination() -> None:
    ctx = repository(SERIES, application("demo", "series", "kube-system"))
    assert violations("argocd-project", ctx) == [Found(
        "project series does not allow destination https://kubernetes.default.svc namespace kube-system",
        ("spec", "destination"), "argocd/demo.yaml")]


def test_a_repository_the_project_does_not_allow_is_reported_on_the_source() -> None:
    ctx = repository(SERIES, application("demo", "series", "seldon-dev", repo="https://git.example.com/other.git"))
    assert violations("argocd-project", ctx) == [Found(
        f"project series does not allow repository https://git.example.com/other.git (sourceRepos: {REPO_URL})",
        ("spec", "source", "repoURL"), "argocd/demo.yaml")]


def test_an_undefined_project_is_reported_and_default_is_not() -> None:
    ctx = repository(SERIES, application("demo", "serie", "seldon-dev"), application("other", "default", "x"))
    assert violations("argocd-project", ctx) == [Found(
        "project 'serie' is not defined in this repository (known: series, and default); a project created"
        " outside the repository is named under argocd.externalProjects in .gitops-validate.yaml",
        ("spec", "project"), "argocd/demo.yaml")]


def test_generated_applications_are_checked_on_the_template_of_their_applicationset() -> None:
    """A git directory generator over the tree: every overlay gives an Application, and the one whose
    namespace the project refuses is reported on the ApplicationSet's template."""
    appset = ("argocd/series.yaml", {
        "apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet",
        "metadata": {"name": "series", "namespace": "argocd"},
        "spec": {"generators": [{"git": {"repoURL": REPO_URL, "revision": "main",
                                         "directories": [{"path": "overlays/*/*"}]}}],
                 "template": {"metadata": {"name": "{{path[1]}}-{{path.basename}}"},
                              "spec": {"project": "series",
                                       "source": {"repoURL": REPO_URL, "path": "{{path}}", "targetRevision": "main"},
                                       "destination": {"server": "https://kubernetes.default.svc",
                                                       "namespace": "{{path[1]}}"}}}}})
    ctx = repository(SERIES, appset, kustomizations=["overlays/seldon-dev/app", "overlays/prod/app"])
    assert sorted(app.name for app in ctx.applications) == ["prod-app", "seldon-dev-app"]
    found = violations("argocd-project", ctx)
    assert [(f.file, f.path) for f in found] == [("argocd/series.yaml", ("spec", "template", "spec", "destination"))]
    assert "namespace prod" in found[0].message


# --- Seldon: traffic over the predictors (seldon-traffic) ---------------------------------------

def seldon(*predictors: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeployment",
            "metadata": {"name": "model", "namespace": "seldon-dev"},
            "spec": {"predictors": [{"graph": {"name": "classifier", "type": "MODEL"},
                                     "componentSpecs": [], **predictor} for predictor in predictors]}}


def test_weights_that_add_up_to_100_are_accepted() -> None:
    ctx = repository(seldon({"name": "a", "traffic": 75}, {"name": "b", "traffic": 25},
                            {"name": "c", "shadow": True, "traffic": 100}))
    assert violations("seldon-traffic", ctx) == []


def test_weights_that_do_not_add_up_are_reported_on_every_serving_predictor() -> None:
    ctx = repository(seldon({"name": "a", "traffic": 70}, {"name": "b", "traffic": 20}))
    found = violations("seldon-traffic", ctx)
    assert [f.path for f in found] == [("spec", "predictors", 0, "traffic"), ("spec", "predictors", 1, "traffic")]
    assert all("sums to 90 (a=70 + b=20), not 100" in f.message for f in found)


def test_a_lone_shadow_is_reported() -> None:
    ctx = repository(seldon({"name": "a", "shadow": True}))
    assert violations("seldon-traffic", ctx) == [Found(
        "the only predictor is a shadow: add the predictor it shadows, or drop shadow: true",
        ("spec", "predictors", 0, "shadow"), "manifests/seldondeployment-model.yaml")]


# --- Pods: privileged containers (pod-privileged), on every workload kind -----------------------

def deployment(security: dict[str, Any], init: bool = False) -> dict[str, Any]:
    container = {"name": "app", "image": "registry.example.com/app:1.0.0", "securityContext": security}
    pod: dict[str, Any] = {"initContainers" if init else "containers": [container]}
    if init:
        pod["containers"] = [{"name": "main", "image": "registry.example.com/app:1.0.0"}]
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "namespace": "seldon-dev"},
            "spec": {"selector": {"matchLabels": {"app": "app"}},
                     "template": {"metadata": {"labels": {"app": "app"}}, "spec": pod}}}


def test_a_privileged_init_container_is_reported_at_its_field() -> None:
    ctx = repository(deployment({"privileged": True}, init=True), deployment({"privileged": False}))
    assert violations("pod-privileged", ctx) == [Found(
        "container 'app' is privileged: remove privileged: true and grant only the capability it needs",
        ("spec", "template", "spec", "initContainers", 0, "securityContext", "privileged"),
        "manifests/deployment-app.yaml")]


def test_a_privileged_container_of_a_seldon_predictor_is_reported() -> None:
    model = seldon({"name": "a", "componentSpecs": [{"spec": {"containers": [
        {"name": "classifier", "image": "registry.example.com/model:1.0.0",
         "securityContext": {"privileged": True}}]}}]})
    found = violations("pod-privileged", repository(model))
    assert [f.path for f in found] == [("spec", "predictors", 0, "componentSpecs", 0, "spec", "containers", 0,
                                        "securityContext", "privileged")]


# --- Repository-wide: an overlay per app and environment (repo-coverage) ------------------------

def test_an_app_missing_an_environment_is_reported_on_its_base() -> None:
    ctx = repository(kustomizations=["apps/demo", "apps/other", "overlays/dev/demo", "overlays/prod/demo",
                                     "overlays/dev/other"])
    assert violations("repo-coverage", ctx) == [Found(
        "app other has no overlay in environment(s) prod: expected overlays/prod/other/kustomization.yaml",
        (), "apps/other/kustomization.yaml", 1)]
