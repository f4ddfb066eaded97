"""Helm sources of Applications rendered offline from the source cache, with small charts written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, chart_archive, findings_of, helm_repository_mirror, validate_tree
from validate.helm.chart import read_chart
from validate.helm_engine import RenderRequest, SdkEngine, split_stream
from validate.model import Severity
from validate.sources import LOCK_NAME, digest, folder_key

CHART_REPO = "https://charts.example.com"

PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: demo
  namespace: argocd
spec:
  sourceRepos: ["https://charts.example.com", "https://github.com/example/repo.git"]
  destinations:
    - server: https://kubernetes.default.svc
      namespace: demo
  clusterResourceWhitelist:
    - group: apiextensions.k8s.io
      kind: CustomResourceDefinition
"""

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "values.yaml": "replicaCount: 1\nimage:\n  repository: nginx\n  tag: \"1.27\"\nservice:\n  port: 80\n"
                   "extraLabels: {}\n",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- toYaml .Values.extraLabels | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          ports:
            - containerPort: {{ .Values.service.port }}
""",
    "templates/NOTES.txt": "Thanks: {{ .Release.Name }} is: installed\n",
    "templates/_helpers.tpl": "{{- define \"web.name\" -}}web{{- end -}}\n",
    "crds/widgets.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets, singular: widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
""",
}


def app(values: str = "", extra: str = "", version: str = "1.0.0") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: demo
  source:
    repoURL: {CHART_REPO}
    chart: web
    targetRevision: {version}
    helm:
{extra}      valuesObject:
        replicaCount: 2
{values}  destination:
    server: https://kubernetes.default.svc
    namespace: demo
"""


def write_chart(cache: Path, files: dict[str, str], version: str = "1.0.0", name: str = "web") -> Path:
    folder = cache / "helm" / folder_key(CHART_REPO) / f"{name}-{version}"
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    return folder


@pytest.fixture
def chart_app(write_tree, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A repository of the AppProject and one Application (``app()`` unless given) of a chart (``CHART``
    unless given) that the source cache ``tmp_path/cache`` holds, and ``files`` besides."""

    def make(application: str | None = None, chart: dict[str, str] = CHART,
             files: dict[str, str] | None = None) -> Path:
        write_chart(tmp_path / "cache", chart)
        return write_tree(  # type: ignore[no-any-return]
            {"argocd/project.yaml": PROJECT, "argocd/app.yaml": application or app(), **(files or {})})

    return make


@pytest.fixture
def repo(chart_app) -> Path:  # type: ignore[no-untyped-def]
    return chart_app()  # type: ignore[no-any-return]


def check(repo: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    return validate_tree(repo, sources_dirs=[tmp_path / "cache"])


def line_of(repo: Path, rel: str, needle: str) -> int:
    lines = (repo / rel).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def commit_all(repo: Path) -> None:
    """Make ``repo`` a git repository whose one commit holds every file: the base a diff compares with."""
    git = ["git", "-C", str(repo), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "base"], check=True)


def test_the_chart_renders_and_the_summary_lists_it(repo: Path, tmp_path: Path) -> None:
    result = check(repo, tmp_path)
    assert result.charts == ["argocd/app.yaml: Application web, chart web 1.0.0"]
    kinds = sorted(o.data["kind"] for o in result.objects if o.owner is not None)
    assert kinds == ["CustomResourceDefinition", "Deployment"]  # NOTES.txt and partials are not objects
    deployment = next(o.data for o in result.objects if o.data["kind"] == "Deployment")
    assert deployment["spec"]["replicas"] == 2  # valuesObject reached Helm
    assert deployment["metadata"]["namespace"] == "demo"  # the destination namespace is the release's
    assert [f for f in result.findings if f.severity == Severity.ERROR and f.rule.startswith(("helm-", "source-"))] == []


def test_a_misspelt_values_key_is_reported_at_its_line_with_a_suggestion(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = chart_app(app("        image:\n          tagg: \"1.28\"\n"))
    [finding] = findings_of(check(repo, tmp_path), "helm-values-unknown")
    assert (finding.file, finding.line) == ("argocd/app.yaml", line_of(repo, "argocd/app.yaml", "tagg:"))
    assert "did you mean image.tag?" in finding.message


def test_a_type_contradicting_the_default_is_reported(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = chart_app(app("        service:\n          port: [80]\n"))
    [finding] = findings_of(check(repo, tmp_path), "helm-values-type")
    assert finding.line == line_of(repo, "argocd/app.yaml", "port: [80]")
    assert "a list" in finding.message and "a number" in finding.message


def test_a_schema_error_in_a_rendered_object_lands_on_the_values_line(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = chart_app(app("        extraLabels:\n          tier: [frontend-tier]\n"))
    found = [f for f in check(repo, tmp_path).findings if f.rule.startswith("schema-") and f.object
             and f.object.kind == "Deployment"]
    assert found, "the list-valued label must fail the Deployment's schema"
    assert {(f.file, f.line) for f in found} == {("argocd/app.yaml", line_of(repo, "argocd/app.yaml", "tier:"))}


def test_a_problem_the_values_did_not_cause_lands_on_the_chart_line_naming_the_template(
        chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    service = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  portz: []\n"
    repo = chart_app(chart={**CHART, "templates/service.yaml": service})
    [finding] = [f for f in findings_of(check(repo, tmp_path), "schema-unknown-field") if f.object.kind == "Service"]
    assert finding.line == line_of(repo, "argocd/app.yaml", "chart: web")
    assert "template templates/service.yaml of chart web 1.0.0" in finding.message


def test_values_schema_json_is_enforced(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    schema = json.dumps({"type": "object", "properties": {"replicaCount": {"maximum": 1}}})
    repo = chart_app(chart={**CHART, "values.schema.json": schema})
    result = check(repo, tmp_path)
    [finding] = findings_of(result, "helm-values-schema")
    assert finding.line == line_of(repo, "argocd/app.yaml", "replicaCount: 2")
    assert result.charts == []  # Helm refuses the values: nothing is rendered


def test_parameters_release_name_and_namespace_follow_argo_cd(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    extra = ("      releaseName: frontend\n      namespace: demo\n      parameters:\n"
             "        - name: image.tag\n          value: \"1.29\"\n          forceString: true\n"
             "        - name: replicaCount\n          value: \"3\"\n")
    repo = chart_app(app(extra=extra))
    result = check(repo, tmp_path)
    deployment = next(o.data for o in result.objects if o.data.get("kind") == "Deployment")
    assert deployment["metadata"]["name"] == "frontend"
    assert deployment["spec"]["replicas"] == 3  # parameters win over valuesObject, as --set over --values
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.29"


def multi_source_app(helm: str = "") -> str:
    """An Application of the chart and of this repository as a ``ref: values`` source; ``helm`` is the chart
    source's ``helm:`` block (indented under it)."""
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: demo
  sources:
    - repoURL: https://charts.example.com
      chart: web
      targetRevision: 1.0.0
{helm}    - repoURL: https://github.com/example/repo.git
      targetRevision: main
      ref: values
  destination:
    server: https://kubernetes.default.svc
    namespace: demo
"""


def test_value_files_from_a_ref_source_of_this_repository(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    application = multi_source_app("      helm:\n        valueFiles: [$values/values/web.yaml]\n")
    repo = chart_app(application, files={"values/web.yaml": "replicaCount: 4\nimage:\n  tagg: x\n",
                                         ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n"})
    result = check(repo, tmp_path)
    deployment = next(o.data for o in result.objects if o.data.get("kind") == "Deployment")
    assert deployment["spec"]["replicas"] == 4
    [finding] = findings_of(result, "helm-values-unknown")
    assert (finding.file, finding.line) == ("values/web.yaml", 3)


def test_a_file_at_a_chart_s_root_named_as_values_only_by_a_rendered_application_is_read(  # type: ignore[no-untyped-def]
        chart_app, tmp_path: Path) -> None:
    """``web/prod.yaml`` sits next to a Chart.yaml, so discovery leaves it unread (Helm never parses such a file);
    the only Application that names it as a values file is patched in by a kustomization: still found."""
    application = multi_source_app()
    patch = ("resources: [app.yaml, project.yaml]\npatches:\n  - target: {kind: Application, name: web}\n"
             "    patch: |-\n      - op: add\n        path: /spec/sources/0/helm\n"
             "        value: {valueFiles: [$values/web/prod.yaml]}\n")
    repo = chart_app(application, files={
        "argocd/kustomization.yaml": patch, "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        "web/prod.yaml": "replicaCount: 4\n", ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n"})
    result = check(repo, tmp_path)
    assert findings_of(result, "helm-values-file") == []
    deployment = next(o.data for o in result.objects if o.data.get("kind") == "Deployment")
    assert deployment["spec"]["replicas"] == 4


def test_crds_of_a_rendered_chart_check_custom_resources_in_the_repository(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: demo\nspec:\n  size: 1\n  colour: red\n"
    repo = chart_app(files={"widget.yaml": widget})
    result = check(repo, tmp_path)
    [finding] = findings_of(result, "schema-unknown-field")
    assert (finding.file, finding.line) == ("widget.yaml", 8)
    assert findings_of(result, "schema-unknown-kind") == []


def test_skip_crds_leaves_the_crds_out(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = chart_app(app(extra="      skipCrds: true\n"))
    kinds = {o.data["kind"] for o in check(repo, tmp_path).objects if o.owner is not None}
    assert kinds == {"Deployment"}


def test_a_missing_source_is_one_finding_and_custom_resources_do_not_cascade(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: demo\n"
    repo = write_tree({"argocd/project.yaml": PROJECT, "argocd/app.yaml": app(),
                       "widget.yaml": widget, "widget2.yaml": widget.replace("name: w", "name: w2")})
    result = check(repo, tmp_path)
    [finding] = findings_of(result, "source-missing")
    assert finding.severity == Severity.WARNING
    assert "gitops-validate sources pull" in finding.message and "Widget" in finding.message
    assert finding.line == line_of(repo, "argocd/app.yaml", "targetRevision")
    assert findings_of(result, "schema-unknown-kind") == []
    assert result.charts_missing == [f"chart web 1.0.0 from {CHART_REPO}"]


def test_a_digest_that_differs_from_the_lock_is_reported(repo: Path, tmp_path: Path) -> None:
    (repo / LOCK_NAME).write_text(f"helm:\n  - repoURL: {CHART_REPO}\n    chart: web\n    version: 1.0.0\n"
                                  "    digest: sha256:0000\n")
    [finding] = findings_of(check(repo, tmp_path), "source-digest")
    assert finding.file == "argocd/app.yaml" and "sha256:0000" in finding.message


def test_a_chart_folder_in_the_repository_is_not_read_as_manifests(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = write_tree({f"charts/web/{rel}": text for rel, text in CHART.items()})
    result = check(repo, tmp_path)
    assert [f for f in result.findings if f.file and f.file.startswith("charts/web/")] == []


# --- sources pull ---------------------------------------------------------------------------------

def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "validate", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={"PATH": "/usr/bin:/bin", "HOME": str(cwd), "XDG_CACHE_HOME": str(cwd / ".c")})


def test_sources_pull_locks_what_the_read_only_folders_hold_without_the_network(repo: Path, tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    done = run_cli("sources", "pull", "--sources-dir", str(tmp_path / "empty"), "--sources-dir", str(tmp_path / "cache"),
                   cwd=repo)
    assert done.returncode == 0, done.stderr
    lock = (repo / LOCK_NAME).read_text()
    assert "chart: web" in lock and "digest: sha256:" in lock
    listed = run_cli("sources", "list", "--sources-dir", str(tmp_path / "cache"), cwd=repo)
    assert listed.stdout.startswith("cached   locked")


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released): a repository that cannot be reached."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sources_pull_without_the_network_fails_with_one_line(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = closed_port()
    repo = write_tree({"argocd/project.yaml": PROJECT.replace(CHART_REPO, f"http://127.0.0.1:{port}"),
                       "argocd/app.yaml": app().replace(CHART_REPO, f"http://127.0.0.1:{port}")})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    done = run_cli("sources", "pull", "--sources-dir", str(tmp_path / "empty"), cwd=repo)
    assert done.returncode == 2, done.stderr
    errors = done.stderr.strip().splitlines()
    assert errors[0].startswith("sources pull: fetching 1 source(s) over the network")  # it says so first
    assert len(errors) == 2 and f"cannot reach 127.0.0.1:{port}" in errors[1], errors
    assert not (repo / LOCK_NAME).exists()


def test_the_lock_records_where_each_digest_was_verified_and_pull_refuses_a_change(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = make_mirror(tmp_path, None)
    repo = write_tree({"argocd/project.yaml": PROJECT, "argocd/app.yaml": app()})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    folders = ("--sources-dir", str(tmp_path / "empty"), "--sources-dir", str(mirror))
    assert run_cli("sources", "pull", *folders, cwd=repo).returncode == 0
    import yaml

    [entry] = yaml.safe_load((repo / LOCK_NAME).read_text())["helm"]
    archive = mirror / "example" / "web-1.0.0.tgz"
    assert entry["verifiedAgainst"] == "mirror" and entry["digest"] == digest(archive)
    assert findings_of(validate_tree(repo, sources_dirs=[tmp_path / "empty", mirror]), "source-digest") == []
    # The published archive is not byte-identical to the mirror's: the cache now holds another one.
    published = tmp_path / "published" / "helm" / folder_key(CHART_REPO) / "web-1.0.0.tgz"
    published.parent.mkdir(parents=True)
    published.write_bytes(archive.read_bytes() + b"\0")
    [finding] = findings_of(validate_tree(repo, sources_dirs=[tmp_path / "published"]), "source-digest")
    assert finding.severity == Severity.ERROR and "written from a mirror" in finding.message
    assert finding.line == line_of(repo, "argocd/app.yaml", "targetRevision")
    before = (repo / LOCK_NAME).read_text()
    refused = run_cli("sources", "pull", "--sources-dir", str(tmp_path / "published"), cwd=repo)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1
    assert "differ from gitops-sources.lock" in refused.stderr and (repo / LOCK_NAME).read_text() == before
    accepted = run_cli("sources", "pull", "--update", "--sources-dir", str(tmp_path / "published"), cwd=repo)
    assert accepted.returncode == 0, accepted.stderr
    [entry] = yaml.safe_load((repo / LOCK_NAME).read_text())["helm"]
    assert entry["digest"] == digest(published) and entry["verifiedAgainst"] == "cache"


def test_a_chart_the_lock_lacks_is_a_warning(repo: Path, tmp_path: Path) -> None:
    (repo / LOCK_NAME).write_text("apiVersion: gitops-validate/v1\nhelm: []\ngit: []\n")
    [finding] = findings_of(check(repo, tmp_path), "source-digest")
    assert finding.severity == Severity.WARNING and "not in gitops-sources.lock" in finding.message


# --- the engine ---------------------------------------------------------------------------------

def test_the_sdk_engine_passes_capabilities(tmp_path: Path) -> None:
    chart = write_chart(tmp_path, {"Chart.yaml": "apiVersion: v2\nname: caps\nversion: 0.1.0\n",
                                   "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n"
                                   "  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n"
                                   "  widgets: {{ .Capabilities.APIVersions.Has \"example.com/v1\" | quote }}\n"},
                        version="0.1.0", name="caps")
    rendered = SdkEngine().render(RenderRequest(chart, {}, "r", "ns", "v1.30.0", ("example.com/v1",)))
    text = rendered.manifests["caps/templates/cm.yaml"]
    assert 'kube: "v1.30.0"' in text and 'widgets: "true"' in text


def test_helm_template_output_splits_by_source() -> None:
    stream = "---\n# Source: c/templates/a.yaml\nkind: A\n---\n# Source: c/templates/b.yaml\nkind: B\n"
    assert split_stream(stream) == {"c/templates/a.yaml": "kind: A\n", "c/templates/b.yaml": "kind: B\n"}


def test_a_chart_archive_bomb_is_refused(tmp_path: Path) -> None:
    from validate.helm.chart import MAX_CHART_BYTES, ChartError

    data = b"\0" * (8 << 20)
    archive = chart_archive(tmp_path / "bomb.tgz", "bomb",
                            {f"file{index}": data for index in range(MAX_CHART_BYTES // len(data) + 2)})
    with pytest.raises(ChartError):
        read_chart(archive)


# --- the published charts (../shared/upstream/charts) -------------------------------------------------

UPSTREAM_CHARTS = REPO.parent / "shared" / "upstream" / "charts"
needs_upstream = pytest.mark.skipif(not (UPSTREAM_CHARTS / "repositories.yaml").is_file(),
                                    reason=f"{UPSTREAM_CHARTS} is absent: the published charts are not available")


@needs_upstream
@pytest.mark.slow
def test_this_repository_validates_with_its_platform_charts_rendered(tmp_path: Path) -> None:
    result = validate_tree(REPO, sources_dirs=[tmp_path / "cache", UPSTREAM_CHARTS])
    assert result.count(Severity.ERROR) == 0, [f for f in result.findings if f.severity == Severity.ERROR]
    rendered = " ".join(result.charts)
    for chart in ("seldon-core-operator", "emissary-ingress", "metrics-server"):
        assert f"chart {chart} " in rendered
    # The committed lock covers every remote source and agrees with the mirror it was written from.
    assert findings_of(result, "source-digest") == []


@needs_upstream
@pytest.mark.slow
def test_a_pod_monitor_is_checked_against_the_crd_of_kube_prometheus_stack(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    application = (REPO / "argocd/platform/kube-prometheus-stack.yaml").read_text()
    pinned = next(line.split(":", 1)[1].strip() for line in application.splitlines() if "targetRevision:" in line)
    available = "88.5.3"  # the version ../shared/upstream/charts holds
    monitor = (REPO / "apps/07-analytics-loadtest/pod-monitor.yaml").read_text()
    monitor = monitor.replace("  podMetricsEndpoints:", "  podMetricEndpoints:")
    repo = write_tree({"argocd/project.yaml": (REPO / "argocd/projects/platform.yaml").read_text(),
                       "argocd/kps.yaml": application.replace(f"targetRevision: {pinned}", f"targetRevision: {available}"),
                       "pod-monitor.yaml": monitor})
    result = validate_tree(repo, sources_dirs=[tmp_path / "cache", UPSTREAM_CHARTS])
    assert any("kube-prometheus-stack" in label for label in result.charts)
    [finding] = findings_of(result, "schema-unknown-field")
    assert (finding.file, finding.line) == ("pod-monitor.yaml", line_of(repo, "pod-monitor.yaml", "podMetricEndpoints"))


# --- chart folders of this repository ----------------------------------------------------------------

LOCAL_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web
  namespace: argocd
spec:
  project: demo
  source:
    repoURL: https://github.com/example/repo.git
    targetRevision: main
    path: charts/web
    helm:
      valueFiles: [values-prod.yaml]
  destination:
    server: https://kubernetes.default.svc
    namespace: demo
"""


def test_a_chart_folder_an_application_points_at_renders_with_its_values(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = {f"charts/web/{rel}": text for rel, text in CHART.items()}
    files.update({"argocd/project.yaml": PROJECT, "argocd/app.yaml": LOCAL_APP,
                  "charts/web/values-prod.yaml": "replicaCount: 5\nservise:\n  port: 81\n",
                  ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n"})
    repo = write_tree(files)
    result = check(repo, tmp_path)
    assert result.charts == ["argocd/app.yaml: Application web, chart folder charts/web"]
    deployment = next(o.data for o in result.objects if o.data.get("kind") == "Deployment")
    assert deployment["spec"]["replicas"] == 5
    [unknown] = findings_of(result, "helm-values-unknown")
    assert (unknown.file, unknown.line) == ("charts/web/values-prod.yaml", 2) and "did you mean service?" in unknown.message


def test_values_files_resolve_as_argo_cd_resolves_them(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # akuity/sedemo-platform: `/apps/x/env/dev/config.yaml` is relative to the repository root, `../versions/...`
    # climbs out of the chart folder, and a comments-only values file sets nothing (ResolveValueFilePathOrUrl).
    files = {f"charts/web/{rel}": text for rel, text in CHART.items()}
    entries = "[/env/prod/replicas.yaml, ../versions/none.yaml, ../../../outside.yaml]"
    files.update({"argocd/project.yaml": PROJECT,
                  "argocd/app.yaml": LOCAL_APP.replace("[values-prod.yaml]", entries),
                  "env/prod/replicas.yaml": "replicaCount: 4\n",
                  "charts/versions/none.yaml": "# intentionally empty: a tenant without overrides\n",
                  ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n"})
    repo = write_tree(files)
    [missing] = findings_of(check(repo, tmp_path), "helm-values-file")
    assert "'../../../outside.yaml'" in missing.message  # out of the repository: Argo CD refuses it too
    files["argocd/app.yaml"] = files["argocd/app.yaml"].replace(", ../../../outside.yaml", "")
    result = check(write_tree(files), tmp_path)
    assert findings_of(result, "helm-values-file") == []
    deployment = next(o.data for o in result.objects if o.data.get("kind") == "Deployment")
    assert deployment["spec"]["replicas"] == 4


def test_helm_lint_problems_of_a_chart_folder_are_reported_at_the_template(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = {f"charts/web/{rel}": text for rel, text in CHART.items()}
    files["charts/web/templates/broken.yaml"] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.x\n"
    files.update({"argocd/project.yaml": PROJECT, "argocd/app.yaml": LOCAL_APP.replace("valueFiles: [values-prod.yaml]",
                                                                                        "releaseName: web"),
                  ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n"})
    repo = write_tree(files)
    result = check(repo, tmp_path)
    lint = findings_of(result, "helm-lint")
    assert [(f.file, f.severity) for f in lint] == [("charts/web/templates/broken.yaml", Severity.ERROR)]
    assert lint[0].line in (4, 5)
    assert findings_of(result, "helm-render")  # Argo CD cannot render it either


def test_an_object_two_applications_render_is_a_shared_resource(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    second = app().replace("name: web\n  namespace: argocd", "name: web-again\n  namespace: argocd").replace(
        "    helm:\n", "    helm:\n      releaseName: web\n")
    repo = chart_app(files={"argocd/app2.yaml": second})
    [finding] = findings_of(check(repo, tmp_path), "argocd-shared-resource")
    assert finding.file == "argocd/app2.yaml" and finding.line == line_of(repo, "argocd/app2.yaml", "chart: web")
    assert "Deployment demo/web" in finding.message


def test_diff_shows_what_a_values_change_does_to_the_rendered_objects(repo: Path, tmp_path: Path) -> None:
    from validate.diff import render_both

    commit_all(repo)
    (repo / "argocd/app.yaml").write_text(app().replace("replicaCount: 2", "replicaCount: 3"))
    [changed] = [d for d in render_both(repo, "HEAD", sources_dirs=[tmp_path / "cache"]) if d.status == "changed"]
    assert "-  replicas: 2\n+  replicas: 3" in changed.diff  # the Deployment the chart renders, not only the values


def make_mirror(root: Path, digest: str | None) -> Path:
    """The chart web 1.0.0 in a Helm repository mirror; its index records ``digest`` (None: the archive's)."""
    return helm_repository_mirror(root, f"{CHART_REPO}/", "web", "1.0.0", CHART, digest)


def test_a_helm_repository_mirror_is_read_through_its_index(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = make_mirror(tmp_path, None)
    repo = write_tree({"argocd/project.yaml": PROJECT, "argocd/app.yaml": app()})
    result = validate_tree(repo, sources_dirs=[tmp_path / "empty", mirror])
    assert result.charts and findings_of(result, "source-digest") == []


def test_an_archive_that_differs_from_its_index_is_reported(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = make_mirror(tmp_path, "ab" * 32)
    repo = write_tree({"argocd/project.yaml": PROJECT, "argocd/app.yaml": app()})
    [finding] = findings_of(validate_tree(repo, sources_dirs=[tmp_path / "empty", mirror]), "source-digest")
    assert "repository index records sha256:abab" in finding.message


# --- remote git sources ----------------------------------------------------------------------------

REMOTE_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: tools
  namespace: argocd
spec:
  project: demo
  source:
    repoURL: https://github.com/example/tools.git
    targetRevision: v1.0.0
    path: deploy
    kustomize:
      namePrefix: my-
      patches:
        - target: {kind: ConfigMap, name: settings}
          patch: |-
            - op: add
              path: /data/mode
              value: patched
  destination:
    server: https://kubernetes.default.svc
    namespace: demo
"""


TOOLS_REPO = "https://github.com/example/tools.git"


def cached_tools(tmp_path: Path, files: dict[str, str]) -> Path:
    """The tools repository at v1.0.0 in the source cache ``tmp_path/cache``, holding ``files``."""
    revision = tmp_path / "cache" / "git" / "github.com/example/tools" / "v1.0.0"
    for rel, text in files.items():
        (revision / rel).parent.mkdir(parents=True, exist_ok=True)
        (revision / rel).write_text(text)
    return revision


def tools_app(write_tree, application: str = REMOTE_APP, files: dict[str, str] | None = None) -> Path:  # type: ignore[no-untyped-def]
    """A repository of the AppProject and one Application of the tools repository, and ``files`` besides."""
    return write_tree({"argocd/project.yaml": PROJECT.replace(CHART_REPO, TOOLS_REPO),  # type: ignore[no-any-return]
                       "argocd/app.yaml": application,
                       ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n", **(files or {})})


def test_a_remote_git_source_renders_from_the_cache_with_the_applications_kustomize_options(
        write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cached_tools(tmp_path, {
        "deploy/kustomization.yaml": "resources: [settings.yaml, elsewhere.yaml]\n",
        "deploy/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n",
        "deploy/elsewhere.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n"
                                 "  namespace: kube-system\ndata:\n  a: b\n"})
    repo = tools_app(write_tree)
    result = check(repo, tmp_path)
    objects = {o.data["metadata"]["name"]: o.data for o in result.objects if o.owner is not None}
    assert objects, [(f.rule, f.message) for f in result.findings]
    assert objects["my-settings"]["data"] == {"a": "b", "mode": "patched"}
    assert result.charts == ["argocd/app.yaml: Application tools, git https://github.com/example/tools.git at v1.0.0"]
    [outside] = findings_of(result, "argocd-project-resources")
    assert "namespace kube-system" in outside.message and outside.line == line_of(repo, "argocd/app.yaml", "path: deploy")


def test_a_cached_git_tree_at_another_commit_than_the_lock_is_reported(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    revision = cached_tools(tmp_path, {"deploy/kustomization.yaml": "resources: []\n"})
    (revision.parent / "v1.0.0.commit").write_text("a" * 40 + "\n")
    repo = tools_app(write_tree, files={LOCK_NAME: f"git:\n  - repoURL: {TOOLS_REPO}\n    revision: v1.0.0\n"
                                                   f"    commit: {'b' * 40}\n"})
    [finding] = findings_of(check(repo, tmp_path), "source-digest")
    assert finding.severity == Severity.ERROR and f"is commit {'a' * 40}" in finding.message
    assert finding.line == line_of(repo, "argocd/app.yaml", "targetRevision")
    (revision.parent / "v1.0.0.commit").write_text("b" * 40 + "\n")
    assert findings_of(check(repo, tmp_path), "source-digest") == []


def test_one_chart_default_failing_on_many_objects_is_one_finding(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    many = dict(CHART)
    many["templates/jobs.yaml"] = """\
{{- range $i := until 3 }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: job-{{ $i }}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: run
          image: busybox
{{- end }}
"""
    repo = chart_app(chart=many)
    result = check(repo, tmp_path)
    tagged = findings_of(result, "pod-image-tag")
    assert len(tagged) == 1, [(f.message, f.line) for f in tagged]
    [finding] = tagged
    assert finding.line == line_of(repo, "argocd/app.yaml", "chart: web")
    assert "2 more time(s)" in finding.message and "Job job-2" in finding.message
    listed = finding.as_json()["objects"]
    assert [entry.split(":")[0] for entry in listed] == [f"Job job-{i}" for i in range(3)]


def test_a_chart_render_is_cached_between_runs_and_a_values_change_renders_again(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from validate import helm_engine
    from validate.pipeline import Options, run

    calls: list[dict[str, object]] = []
    real = helm_engine.engine()

    class Counting:
        name, version = real.name, real.version

        def render(self, request: RenderRequest):  # type: ignore[no-untyped-def]
            calls.append(request.values)
            return real.render(request)

        def parse_set(self, expression: str, as_string: bool = False) -> dict[str, object]:
            return real.parse_set(expression, as_string)

        def lint(self, chart_dir: Path, values: dict[str, object] | None = None):  # type: ignore[no-untyped-def]
            return real.lint(chart_dir, values)

    monkeypatch.setattr("validate.helm_stage.engine", lambda: Counting())
    options = Options(paths=[repo], sources_dirs=[tmp_path / "cache"], cache_dir=tmp_path / "render-cache")
    first = run(options)
    second = run(options)
    assert len(calls) == 1 and first.charts == second.charts
    assert [o.data for o in first.objects if o.owner] == [o.data for o in second.objects if o.owner]
    (repo / "argocd/app.yaml").write_text(app().replace("replicaCount: 2", "replicaCount: 3"))
    third = run(options)
    assert len(calls) == 2 and calls[-1]["replicaCount"] == 3
    assert [o.data["spec"]["replicas"] for o in third.objects if o.owner and o.data["kind"] == "Deployment"] == [3]
    run(Options(paths=[repo], sources_dirs=[tmp_path / "cache"], cache_dir=tmp_path / "render-cache",
                use_cache=False))
    assert len(calls) == 3  # --no-cache renders afresh


RANDOM_CHART = {
    "Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    "values.yaml": "replicaCount: 1\ngreeting: hello\n",
    "templates/secret.yaml": """\
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-password
  namespace: {{ .Release.Namespace }}
stringData:
  password: {{ randAlphaNum 24 | quote }}
  user: admin
""",
    "templates/config.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
  namespace: {{ .Release.Namespace }}
data:
  greeting: {{ .Values.greeting | quote }}
  replicas: {{ .Values.replicaCount | quote }}
""",
}


def test_fields_a_chart_sets_at_random_are_found_and_left_out_of_the_diff(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from validate.diff import RANDOM_PLACEHOLDER, render_both, rendered_applications

    repo = chart_app(chart=RANDOM_CHART)
    result = check(repo, tmp_path)
    by_kind = {o.data["kind"]: o for o in result.objects if o.owner is not None}
    assert by_kind["Secret"].volatile == (("stringData", "password"),)
    assert by_kind["ConfigMap"].volatile == ()
    assert result.context is not None
    [secret] = [text for key, text in rendered_applications(result.context)["argocd/web"].items() if "Secret" in key]
    assert f"password: '{RANDOM_PLACEHOLDER}'" in secret and "user: admin" in secret
    commit_all(repo)
    (repo / "argocd/app.yaml").write_text(app().replace("replicaCount: 2", "replicaCount: 3"))
    [changed] = [d for d in render_both(repo, "HEAD", sources_dirs=[tmp_path / "cache"]) if d.status == "changed"]
    assert changed.objects_changed == 1 and "/ConfigMap demo/web-config" in changed.diff
    assert "Secret" not in changed.diff  # a new password at every render is not a change
    assert "-  replicas: '2'\n+  replicas: '3'" in changed.diff


def test_volatile_fields_compare_two_renders_document_by_document() -> None:
    from validate.helm import volatile_fields

    first = {"t.yaml": "a: 1\nb: {c: x, d: [1, 2]}\n---\ne: same\n"}
    second = {"t.yaml": "a: 1\nb: {c: y, d: [1, 3]}\n---\ne: same\n"}
    assert volatile_fields(first, second) == {"t.yaml": [[["b", "c"], ["b", "d", 1]], []]}
    assert volatile_fields(first, first) == {}


def test_the_applications_kustomize_images_replicas_and_components_apply_to_a_remote_source(
        write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cached_tools(tmp_path, {
        "deploy/kustomization.yaml": "resources: [web.yaml]\n",
        "deploy/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 1\n"
                           "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
                           "    spec:\n      containers:\n        - name: web\n          image: nginx:1.0\n",
        "components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                               "patches:\n  - target: {kind: Deployment}\n    patch: |-\n"
                                               "      - op: add\n        path: /metadata/annotations\n"
                                               "        value: {extra: component}\n"})
    options = ("    kustomize:\n      images: [\"nginx=registry.example.com/nginx:1.27\"]\n"
               "      replicas: [{name: web, count: 3}]\n      components: [../components/extra]\n")
    application = REMOTE_APP.split("    kustomize:\n")[0] + options + \
        "  destination:" + REMOTE_APP.split("  destination:")[1]
    repo = tools_app(write_tree, application)
    result = check(repo, tmp_path)
    [web] = [o.data for o in result.objects if o.owner is not None]
    assert web["spec"]["replicas"] == 3
    assert web["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/nginx:1.27"
    assert web["metadata"]["annotations"] == {"extra": "component"}


def test_an_option_kustomize_edit_refuses_on_a_remote_source_is_reported_at_its_line(
        write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    revision = tmp_path / "cache" / "git" / "github.com/example/tools" / "v1.0.0"
    (revision / "deploy").mkdir(parents=True)
    (revision / "deploy" / "kustomization.yaml").write_text("resources: []\n")
    options = "    kustomize:\n      images:\n        - nginx\n"
    application = REMOTE_APP.split("    kustomize:\n")[0] + options + \
        "  destination:" + REMOTE_APP.split("  destination:")[1]
    repo = write_tree({"argocd/project.yaml": PROJECT.replace("https://charts.example.com",
                                                              "https://github.com/example/tools.git"),
                       "argocd/app.yaml": application,
                       ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n"})
    [failure] = findings_of(check(repo, tmp_path), "render-failed")
    assert (failure.file, failure.line) == ("argocd/app.yaml", line_of(repo, "argocd/app.yaml", "- nginx"))
    assert "invalid format of image" in failure.message


def test_kustomize_image_entries_read_as_argo_cd_writes_them() -> None:
    from validate.argocd.kustomize_edit import parse_image

    assert parse_image("nginx:1.27") == {"name": "nginx", "newName": "", "newTag": "1.27", "digest": ""}
    assert parse_image("nginx=ghcr.io/x/nginx:1.27") == {"name": "nginx", "newName": "ghcr.io/x/nginx",
                                                          "newTag": "1.27", "digest": ""}
    assert parse_image("registry:5000/app@sha256:ab") == {"name": "registry:5000/app", "newName": "", "newTag": "",
                                                           "digest": "sha256:ab"}
    assert parse_image("") is None


def _rendered_configmap(chart_app, tmp_path: Path, template: str) -> tuple[Any, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The run of a chart whose one extra template is ``template`` (a ConfigMap), and that ConfigMap as checked."""
    result = check(chart_app(chart={**CHART, "templates/configmap.yaml": template}), tmp_path)
    [data] = [o.data for o in result.objects if o.data.get("kind") == "ConfigMap"]
    return result, data


def test_a_rendered_date_and_a_number_key_are_strings_as_argo_cd_reads_them(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Argo CD reads Helm's output with sigs.k8s.io/yaml: an unquoted date is a string, a key 1 is "1".
    # A date value reached the schema check as a Python date and stopped the run (internal error, exit 2).
    configmap = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: built\n  annotations:\n    built: 2024-01-01\n"
                 "  labels:\n    1: one\ndata:\n  day: 2024-01-01\n")
    result, data = _rendered_configmap(chart_app, tmp_path, configmap)
    assert data["data"] == {"day": "2024-01-01"}
    assert data["metadata"]["annotations"] == {"built": "2024-01-01"}
    assert data["metadata"]["labels"] == {"1": "one"}
    assert [f for f in result.findings if f.severity == Severity.ERROR] == []


def test_binary_and_set_values_in_rendered_output_are_read_not_a_crash(chart_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Go's YAML decodes !!binary into the decoded text and has no set type: a set is its mapping.
    configmap = ("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: tagged\n  annotations:\n"
                 "    text: !!binary aGVsbG8=\n    names: !!set {a, b}\n")
    result, data = _rendered_configmap(chart_app, tmp_path, configmap)
    assert data["metadata"]["annotations"] == {"text": "hello", "names": {"a": None, "b": None}}
    [finding] = [f for f in result.findings if f.severity == Severity.ERROR]
    assert (finding.rule, finding.message.split(":")[0]) == ("schema-type", "metadata.annotations.names")
