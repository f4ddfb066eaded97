"""False alarms found on real repositories (docs/realworld.md), each as a minimal reproduction.

Every case is written here, small, in the shape the real repository has it; none is copied from
those repositories. The assertions are exact: the false alarm is gone and what remains is what
the real tools would say.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from tests.conftest import validate_tree
from validate.model import Checked, Severity
from validate.rules import repo_plaintext_secret

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def rules_by_severity(result: Any, *severities: Severity) -> set[tuple[str, str | None]]:
    return {(f.rule, f.file) for f in result.findings if f.severity in severities}


def deployment(name: str) -> str:
    return (f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n"
            f"  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n"
            f"        app: {name}\n    spec:\n      containers:\n        - name: manager\n"
            f"          image: ghcr.io/fluxcd/{name}:v1.0.0\n          args: [--log-level=info]\n")


# flux2-kustomize-helm-example: `.fluxschema.yml` configures flux-schema, in the Kubernetes style.

def test_a_tool_configuration_in_the_kubernetes_style_is_not_an_object(tmp_path: Path) -> None:
    config = ("apiVersion: schema.plugin.fluxcd.io/v1beta1\nkind: Config\nvalidate:\n  skipMissingSchemas: true\n")
    runner = "apiVersion: kuttl.dev/v1beta1\nkind: TestSuite\ntestDirs:\n  - tests/e2e\n"
    repo = write(tmp_path, {".fluxschema.yml": config, "tests/kuttl-test.yaml": runner})
    result = validate_tree(repo)
    assert rules_by_severity(result, Severity.ERROR, Severity.WARNING) == set()
    # the file named as flux-schema's is not read at all; any other such document is said to be skipped
    assert {(f.rule, f.file, f.severity) for f in result.findings} == {
        ("schema-not-kubernetes", "tests/kuttl-test.yaml", Severity.INFO)}


def test_a_custom_resource_with_metadata_but_no_name_is_still_refused(tmp_path: Path) -> None:
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  labels:\n    app: w\n"
    result = validate_tree(write(tmp_path, {"widget.yaml": widget}))
    assert ("apivalidation-invalid", "widget.yaml") in rules_by_severity(result, Severity.ERROR)


# flux2-kustomize-helm-example: clusters/*/flux-system, whose resources flux bootstrap writes.

FLUX_SYSTEM = KUSTOMIZATION + """resources:
  - gotk-components.yaml
  - gotk-sync.yaml
labels:
  - pairs:
      toolkit.fluxcd.io/tenant: sre-team
patches:
  - patch: |
      - op: add
        path: /spec/template/spec/containers/0/args/-
        value: --concurrent=20
    target:
      kind: Deployment
      name: "(kustomize-controller|helm-controller|source-controller)"
"""


def test_a_kustomization_of_placeholder_files_is_one_information(tmp_path: Path) -> None:
    placeholder = "# This file will be generated automatically by flux bootstrap.\n"
    repo = write(tmp_path, {"clusters/prod/flux-system/kustomization.yaml": FLUX_SYSTEM,
                            "clusters/prod/flux-system/gotk-components.yaml": placeholder,
                            "clusters/prod/flux-system/gotk-sync.yaml": placeholder})
    result = validate_tree(repo)
    assert rules_by_severity(result, Severity.ERROR, Severity.WARNING) == set()
    noop = [f for f in result.findings if f.rule.startswith("kustomize-noop")]
    assert [(f.rule, f.severity, f.line) for f in noop] == [("kustomize-noop-metadata", Severity.INFO, 6)]
    assert "labels, patches" in noop[0].message and "gotk-components.yaml" in noop[0].message


def test_a_patch_target_name_is_an_anchored_regular_expression(tmp_path: Path) -> None:
    """kustomize (api/types/selector.go) compiles name, namespace, kind, group and version as
    ``^(?:pattern)$``: the alternation selects both controllers; a name that is not there, nothing."""
    objects = deployment("kustomize-controller") + "---\n" + deployment("helm-controller")
    repo = write(tmp_path, {"flux-system/kustomization.yaml": FLUX_SYSTEM,
                            "flux-system/gotk-components.yaml": objects,
                            "flux-system/gotk-sync.yaml": "# placeholder\n"})
    result = validate_tree(repo)
    assert not [f for f in result.findings if f.rule.startswith("kustomize-noop")]
    partial = FLUX_SYSTEM.replace('"(kustomize-controller|helm-controller|source-controller)"', "source-controller")
    write(tmp_path, {"flux-system/kustomization.yaml": partial})
    result = validate_tree(repo)
    assert [(f.rule, f.severity) for f in result.findings if f.rule.startswith("kustomize-noop")] == [
        ("kustomize-noop-patch", Severity.ERROR)]


# kustomize examples/loadHttp: a patch read from a URL (kustomize's file loader fetches http(s)).

def test_a_patch_read_from_a_url_is_remote_not_missing(tmp_path: Path) -> None:
    text = KUSTOMIZATION + ("resources:\n  - deployment.yaml\npatches:\n"
                            "  - path: https://example.com/patches/replicas.yaml\n")
    repo = write(tmp_path, {"app/kustomization.yaml": text, "app/deployment.yaml": deployment("web")})
    result = validate_tree(repo)
    assert rules_by_severity(result, Severity.ERROR) == set()  # render-remote is a warning: unchecked, not broken
    assert ("render-remote", "app/kustomization.yaml") in rules_by_severity(result, Severity.WARNING)


# Our own platform Applications: Secrets that upstream charts render.

def secret(**data: str) -> dict[str, Any]:
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}, "data": encoded}


def violations(obj: Checked) -> list[str]:
    return [v.message for v in repo_plaintext_secret.check(obj, None)]  # type: ignore[arg-type]


def test_a_secret_a_chart_makes_up_is_not_this_repository_s_plaintext() -> None:
    """A webhook certificate generated at render time, a default admin password of the chart."""
    made_up = Checked(secret(**{"tls.key": "-----BEGIN KEY-----", "admin-password": "prom-operator"}),
                      "argocd/platform/app.yaml", 5, "Application app, chart c 1.0.0",
                      repository_values={"grafana": {"ingress": {"enabled": True}}})
    assert violations(made_up) == []
    from_remote_git = Checked(secret(password="hunter2"), "argocd/app.yaml", 5, "Application x", repository_values={})
    assert violations(from_remote_git) == []


def test_a_secret_value_given_to_a_chart_in_this_repository_is_reported_with_chart_advice() -> None:
    given = Checked(secret(**{"admin-password": "s3cr3t-in-git", "admin-user": "admin"}),
                    "argocd/platform/app.yaml", 5, "Application app, chart c 1.0.0",
                    repository_values={"grafana": {"adminPassword": "s3cr3t-in-git"}})
    [message] = violations(given)
    assert "(admin-password)" in message and "existingSecret" in message
    local = Checked(secret(password="hunter2"), "charts/app/templates/secret.yaml", 3, "Application x")
    [message] = violations(local)  # a chart of this repository: its values and templates are here
    assert "commit it encrypted" in message


# argocd-example-apps plugins/kustomized-helm: its plugin runs `helm template . > all.yaml` first.

def test_a_missing_generated_file_is_not_mistaken_for_a_file_with_the_same_extension(tmp_path: Path) -> None:
    text = KUSTOMIZATION + "resources:\n  - ./all.yaml\n"
    chart = "apiVersion: v2\nname: guestbook\nversion: 0.1.0\n"
    repo = write(tmp_path, {"app/kustomization.yaml": text, "app/Chart.yaml": chart})
    [finding] = [f for f in validate_tree(repo).findings if f.rule == "kustomize-missing-path"]
    assert "'./all.yaml' names no file or folder" in finding.message and "did you mean" not in finding.message
    write(tmp_path, {"app/kustomization.yaml": text.replace("all.yaml", "Chrt.yaml")})
    [finding] = [f for f in validate_tree(repo).findings if f.rule == "kustomize-missing-path"]
    assert "did you mean './Chart.yaml'?" in finding.message  # a misspelling is still corrected


# small-hack/argocd-apps: OCI charts written as Argo CD accepts them, the registry as `repoURL` (no `oci://`)
# and the registry's namespace in `chart` (`repoURL: registry-1.docker.io`, `chart: bitnamicharts/mongodb`).

def oci_chart_app(chart: str) -> str:
    return ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: db\n  namespace: argocd\n"
            "spec:\n  project: default\n  source:\n    repoURL: registry-1.docker.io\n"
            f"    chart: {chart}\n    targetRevision: 1.0.0\n"
            "  destination:\n    server: https://kubernetes.default.svc\n    namespace: db\n")


def test_a_chart_named_with_a_registry_namespace_is_looked_up_not_a_crash(tmp_path: Path) -> None:
    repo = write(tmp_path / "repo", {"apps/db.yaml": oci_chart_app("bitnamicharts/mongodb"),
                                     "apps/odd.yaml": oci_chart_app("../../etc/mongodb").replace("name: db", "name: o")})
    cache = tmp_path / "cache"
    write(cache / "helm" / "registry-1.docker.io" / "bitnamicharts" / "mongodb-1.0.0", {
        "Chart.yaml": "apiVersion: v2\nname: mongodb\nversion: 1.0.0\n",
        "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
                             "data:\n  chart: {{ .Chart.Name }}\n"})
    result = validate_tree(repo, sources_dirs=[cache])
    rendered = [o.data for o in result.objects if o.owner is not None]
    assert [(d["kind"], d["metadata"]["name"]) for d in rendered] == [("ConfigMap", "db")]
    # a chart path that climbs out of the cache is never looked up outside it: its source is missing
    missing = [f.file for f in result.findings if f.rule == "source-missing"]
    assert missing == ["apps/odd.yaml"]

# christianh814/gitops-examples cmp/samplecm.yaml: a manifest its config management plugin runs envsubst over.

PLUGIN_CONFIGMAP = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
                    "data:\n  revision: $ARGOCD_APP_REVISION\n")


def test_a_stand_alone_manifest_named_after_argo_cd_s_build_environment_is_a_placeholder(tmp_path: Path) -> None:
    repo = write(tmp_path, {"cmp/samplecm.yaml": PLUGIN_CONFIGMAP.format(name="$ARGOCD_APP_NAME",
                                                                          namespace="$ARGOCD_APP_NAMESPACE")})
    result = validate_tree(repo)
    assert rules_by_severity(result, Severity.ERROR, Severity.WARNING) == set()


def test_a_build_environment_name_that_plain_kustomize_renders_is_judged_as_written(tmp_path: Path) -> None:
    repo = write(tmp_path, {
        "app/kustomization.yaml": KUSTOMIZATION + "resources:\n  - configmap.yaml\n",
        "app/configmap.yaml": PLUGIN_CONFIGMAP.format(name="$ARGOCD_APP_NAME", namespace="$ARGOCD_APP_NAMESPACE"),
        "other/configmap.yaml": PLUGIN_CONFIGMAP.format(name="demo", namespace="$NAMESPACE")})
    result = validate_tree(repo)
    errors = {(f.rule, f.file, f.message.split(":")[0]) for f in result.findings if f.severity is Severity.ERROR}
    assert errors == {("api-object-name", "app/configmap.yaml", "ConfigMap name '$ARGOCD_APP_NAME' is not a valid"
                       " DNS-1123 subdomain"),
                      ("apivalidation-invalid", "app/configmap.yaml", "metadata.namespace"),
                      ("apivalidation-invalid", "other/configmap.yaml", "metadata.namespace")}
