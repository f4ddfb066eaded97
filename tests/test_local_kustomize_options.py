"""An Application's ``spec.source.kustomize`` options applied to paths of this repository, as Argo CD 3.5
does (validate/argocd/kustomize_edit.py, validate/local_options.py)."""

from __future__ import annotations

import pytest

from tests.conftest import findings_of, validate_tree
from validate.argocd.kustomize_edit import EditError, apply, envsubst, parse_image, split_image

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:latest
          ports:
            - containerPort: "http"
"""

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://github.com/example/gitops
    targetRevision: HEAD
    path: app
    kustomize:
{options}
  destination:
    server: https://kubernetes.default.svc
    namespace: web
"""

OPTIONS = """\
      namePrefix: edited-
      images:
        - nginx:1.27.3
      replicas:
        - name: web
          count: 3
      commonLabels:
        team: payments
      namespace: web
"""


def _repo(write_tree, options: str = OPTIONS, kustomization: str = "resources:\n  - deployment.yaml\n"):  # type: ignore[no-untyped-def]
    return write_tree({"argocd/web.yaml": APP.format(options=options), "app/kustomization.yaml": kustomization,
                       "app/deployment.yaml": DEPLOYMENT})


def test_options_change_what_is_checked_and_findings_stay_in_the_source_file(write_tree) -> None:  # type: ignore[no-untyped-def]
    result = validate_tree(_repo(write_tree))
    [deployment] = [o for o in result.objects if o.data.get("kind") == "Deployment"]
    assert deployment.data["metadata"]["name"] == "edited-web"
    assert deployment.data["metadata"]["namespace"] == "web"
    assert deployment.data["metadata"]["labels"] == {"team": "payments"}
    assert deployment.data["spec"]["replicas"] == 3
    assert deployment.data["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27.3"
    # the image the Application pins is what Argo CD deploys: no :latest finding
    assert findings_of(result, "pod-image-tag") == []
    # a finding on the edited object is still located in the file that holds it
    [port] = [f for f in result.findings if "containerPort" in f.message]
    assert (port.file, port.line) == ("app/deployment.yaml", 17)
    assert findings_of(result, "render-failed") == []


def test_without_options_the_plain_render_is_checked(write_tree) -> None:  # type: ignore[no-untyped-def]
    result = validate_tree(_repo(write_tree, options="      version: v5.8.1\n"))
    [deployment] = [o for o in result.objects if o.data.get("kind") == "Deployment"]
    assert deployment.data["metadata"]["name"] == "web"
    [tag] = findings_of(result, "pod-image-tag")
    assert tag.file == "app/deployment.yaml"


@pytest.mark.parametrize(("options", "line", "says"), [
    ("      images:\n        - nginx:1.27.3\n        - nginx\n", 15, "invalid format of image"),
    ("      replicas:\n        - name: web\n          count: three\n", 15, "expected integer value for count"),
    ("      commonLabels:\n        app: other\n", 14, "label app already in kustomization file"),
    ("      components:\n        - ../missing\n", 14, "has no match"),
    ("      namespace: Not_A_Namespace\n", 13, "not a valid namespace name"),
])
def test_an_option_kustomize_edit_refuses_is_an_error_at_its_line(write_tree, options: str, line: int,  # type: ignore[no-untyped-def]
                                                                   says: str) -> None:
    result = validate_tree(_repo(write_tree, options=options,
                                 kustomization="commonLabels:\n  app: web\nresources:\n  - deployment.yaml\n"))
    [failure] = findings_of(result, "render-failed")
    assert (failure.file, failure.line) == ("argocd/web.yaml", line) and says in failure.message
    assert "Application web" in failure.message
    # Argo CD deploys nothing from the path then: nothing of it is checked
    assert [o for o in result.objects if o.data.get("kind") == "Deployment"] == []


def test_forced_labels_and_components_are_applied(write_tree) -> None:  # type: ignore[no-untyped-def]
    repo = write_tree({
        "argocd/web.yaml": APP.format(options="      forceCommonLabels: true\n      commonLabels:\n        app: other\n"
                                              "      components:\n        - ../components/probes\n"
                                              "        - ../components/absent\n      ignoreMissingComponents: true\n"),
        "app/kustomization.yaml": "commonLabels:\n  app: web\nresources:\n  - deployment.yaml\n",
        "app/deployment.yaml": DEPLOYMENT,
        "components/probes/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                                "commonAnnotations:\n  probes: added\n",
    })
    result = validate_tree(repo)
    assert findings_of(result, "render-failed") == []
    [deployment] = [o for o in result.objects if o.data.get("kind") == "Deployment"]
    assert deployment.data["metadata"]["labels"] == {"app": "other"}
    assert deployment.data["metadata"]["annotations"] == {"probes": "added"}


def test_paths_synced_with_different_options_keep_their_plain_render(write_tree) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(write_tree)
    other = APP.format(options="      namePrefix: other-\n").replace("name: web\n  namespace: argocd", "name: other\n"
                                                                     "  namespace: argocd")
    (repo / "argocd" / "other.yaml").write_text(other)
    [deployment] = [o for o in validate_tree(repo).objects if o.data.get("kind") == "Deployment"]
    assert deployment.data["metadata"]["name"] == "web"


# --- kustomize edit, as kustomize 5.8.1 does it --------------------------------------------------------

@pytest.mark.parametrize(("image", "parts"), [
    ("nginx", ("nginx", "", "")), ("nginx:1.27", ("nginx", "1.27", "")),
    ("localhost:5000/app:v1", ("localhost:5000/app", "v1", "")),
    ("app@sha256:abc", ("app", "", "sha256:abc")), ("reg:5000/app:v1@sha256:abc", ("reg:5000/app", "v1", "sha256:abc")),
])
def test_images_split_as_kustomize_splits_them(image: str, parts: tuple[str, str, str]) -> None:
    assert split_image(image) == parts


def test_set_image_arguments_as_kustomize_reads_them() -> None:
    assert parse_image("nginx") is None  # neither a tag, a digest nor a new name
    assert parse_image("postgres=eu.gcr.io/p/postgres:latest") == \
        {"name": "postgres", "newName": "eu.gcr.io/p/postgres", "newTag": "latest", "digest": ""}
    assert parse_image("node:8.15.0") == {"name": "node", "newName": "", "newTag": "8.15.0", "digest": ""}


def test_set_image_replaces_entries_keeps_others_sorted_and_preserves_stars(tmp_path) -> None:  # type: ignore[no-untyped-def]
    before = {"images": [{"name": "redis", "newTag": "7"}, {"name": "nginx", "newName": "mirror/nginx", "newTag": "1"}]}
    after = apply(before, {"images": ["nginx:2", "alpine=*:3"]}, tmp_path, tmp_path, {})
    # the argument replaces the whole entry (newName is gone), as `kustomize edit set image` does
    assert after["images"] == [{"name": "alpine", "newTag": "3"}, {"name": "nginx", "newTag": "2"},
                               {"name": "redis", "newTag": "7"}]
    kept = apply(before, {"images": ["nginx=*:2"]}, tmp_path, tmp_path, {})
    assert kept["images"][0] == {"name": "nginx", "newName": "mirror/nginx", "newTag": "2"}
    assert before["images"][1]["newTag"] == "1"  # the input is not changed


def test_labels_without_selector_go_to_labels_and_annotations_conflict_without_force(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = apply({}, {"commonLabels": {"a": "1"}, "labelWithoutSelector": True, "labelIncludeTemplates": True},
                tmp_path, tmp_path, {})
    assert out["labels"] == [{"pairs": {"a": "1"}, "includeTemplates": True}]
    with pytest.raises(EditError) as refused:
        apply({"commonAnnotations": {"a": "x"}}, {"commonAnnotations": {"a": "y"}}, tmp_path, tmp_path, {})
    assert refused.value.option == ("commonAnnotations", "a")
    assert apply({"commonAnnotations": {"a": "x"}}, {"commonAnnotations": {"a": "y"}, "forceCommonAnnotations": True},
                 tmp_path, tmp_path, {})["commonAnnotations"] == {"a": "y"}


def test_replicas_merge_by_name_and_patches_append(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = apply({"replicas": [{"name": "b", "count": 1}, {"name": "a", "count": 1}], "patches": [{"path": "p.yaml"}]},
                {"replicas": [{"name": "b", "count": "4"}], "patches": [{"patch": "x"}]}, tmp_path, tmp_path, {})
    assert out["replicas"] == [{"name": "a", "count": 1}, {"name": "b", "count": 4}]
    assert out["patches"] == [{"path": "p.yaml"}, {"patch": "x"}]


def test_envsubst_is_go_os_expand() -> None:
    env = {"ARGOCD_APP_NAME": "web"}
    assert envsubst("img:${ARGOCD_APP_NAME}-$ARGOCD_APP_NAME-$UNKNOWN-$$", env) == "img:web-web--$"
