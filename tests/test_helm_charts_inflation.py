"""Kustomize's ``helmCharts:`` inflation, offline: only where the config enables it (``--enable-helm``),
through validate.helm_shim (kustomize's ``--helm-command``) from the source cache and the Helm engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import findings_of, helm_repository_mirror, validate_tree
from validate import helm_engine, helm_shim
from validate.model import Severity
from validate.render import MIRROR_PREFIX
from validate.sources import PULL_COMMAND

CHART_REPO = "https://charts.example.com"

CHART = {
    "Chart.yaml": "apiVersion: v2\nname: greeter\nversion: 0.3.0\n",
    "values.yaml": "replicaCount: 1\nimage: nginx:1.27\n",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-greeter
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels: {app: greeter}
  template:
    metadata:
      labels: {app: greeter}
    spec:
      containers:
        - name: greeter
          image: {{ .Values.image }}
""",
    "templates/hook.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-hook
  annotations: {"helm.sh/hook": pre-install}
data: {a: b}
""",
    "templates/NOTES.txt": "installed {{ .Release.Name }}\n",
    "crds/gadgets.yaml": """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Gadget, plural: gadgets, singular: gadget, listKind: GadgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object}
""",
}

ENABLED = "kustomize:\n  buildOptions: --enable-helm\n"


def helm_repository(root: Path, chart: dict[str, str] = CHART) -> Path:
    """The chart greeter 0.3.0 in a Helm repository mirror (index.yaml + the packaged chart)."""
    return helm_repository_mirror(root, CHART_REPO, "greeter", "0.3.0", chart)


def kustomization(values: str = "replicaCount: 2", version: str = "0.3.0", extra: str = "") -> str:
    return f"""\
helmCharts:
  - name: greeter
    repo: {CHART_REPO}
    version: {version}
    releaseName: hello
    namespace: demo
    includeCRDs: true
{extra}    valuesInline:
      {values}
"""


def rendered(result, directory: str = "app"):  # type: ignore[no-untyped-def]
    return {(o.data.get("kind"), o.data["metadata"]["name"]): o for o in result.objects if o.render == directory}


def test_helm_charts_inflate_from_the_source_cache_when_the_config_enables_it(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": kustomization()})
    result = validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror])
    assert findings_of(result, "render-failed") == []
    objects = rendered(result)
    # the release name, namespace and values reach Helm; --include-crds adds the chart's CRDs; NOTES.txt is no object
    assert set(objects) == {("Deployment", "hello-greeter"), ("ConfigMap", "hello-hook"),
                            ("CustomResourceDefinition", "gadgets.example.com")}
    deployment = objects[("Deployment", "hello-greeter")]
    assert deployment.data["spec"]["replicas"] == 2 and deployment.data["metadata"]["namespace"] == "demo"
    assert "helmCharts" not in str(result.findings)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.tgz"))  # nothing downloaded


def test_an_error_in_a_rendered_chart_object_is_reported(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": kustomization("replicaCount: two")})
    result = validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror])
    assert findings_of(result, "render-failed") == []
    on_deployment = [f for f in result.findings if f.rule.startswith("schema") and "hello-greeter" in str(f.object)]
    assert on_deployment and all(f.file == "app/kustomization.yaml" for f in on_deployment)
    assert any("replicas" in f.message for f in on_deployment)
    assert result.exit_code != 0


def test_no_hooks_and_skip_tests_follow_the_helm_charts_entry(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    repo = write_tree({".gitops-validate.yaml": ENABLED,
                       "app/kustomization.yaml": kustomization(extra="    skipHooks: true\n")})
    objects = rendered(validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror]))
    assert ("ConfigMap", "hello-hook") not in objects and ("Deployment", "hello-greeter") in objects


def test_without_the_config_option_kustomize_refuses_with_a_clear_finding(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    repo = write_tree({"app/kustomization.yaml": kustomization()})
    [finding] = findings_of(validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror]), "render-failed")
    assert "enable-helm" in finding.message and finding.file == "app/kustomization.yaml"


def test_a_chart_missing_from_the_cache_is_one_finding_and_renders_once_it_is_there(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": kustomization()})
    empty = tmp_path / "cache"
    [finding] = findings_of(validate_tree(repo, sources_dirs=[empty]), "source-missing")
    assert finding.severity == Severity.WARNING  # as for an Application's chart: not checked, not a defect
    assert f"`{PULL_COMMAND}`" in finding.message and "greeter 0.3.0" in finding.message
    assert "unable to run" not in finding.message  # one clear line, not kustomize's wrapping
    assert finding.line == 2  # the entry's `name:` line
    assert len(validate_tree(repo, sources_dirs=[empty]).findings) == 1
    # the failure was not cached: with the chart in the cache, the same inputs render
    mirror = helm_repository(tmp_path)
    result = validate_tree(repo, sources_dirs=[empty, mirror])
    assert findings_of(result, "render-failed") == [] and ("Deployment", "hello-greeter") in rendered(result)


def test_an_archive_that_differs_from_its_index_is_refused(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    index = mirror / "example" / "index.yaml"
    index.write_text(index.read_text().replace("digest: ", "digest: 0000"))
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": kustomization()})
    [finding] = findings_of(validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror]), "render-failed")
    assert "corrupt or was replaced" in finding.message


def test_sources_list_names_helm_charts_references(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": kustomization()})
    listed = subprocess.run([sys.executable, "-m", "validate", "sources", "list", "--sources-dir", str(tmp_path / "c"),
                             "--sources-dir", str(mirror)], cwd=repo, capture_output=True, text=True, timeout=600)
    assert "greeter" in listed.stdout and "app/kustomization.yaml" in listed.stdout, listed.stderr


# --- the shim on its own: exactly the invocations kustomize 5.8.1 makes ---------------------------------

def shim(*args: str, sources: list[Path] = ()) -> subprocess.CompletedProcess[str]:  # type: ignore[assignment]
    flags = [item for folder in sources for item in ("--sources", str(folder))]
    return subprocess.run([sys.executable, "-m", "validate.helm_shim", *flags, *args], capture_output=True, text=True,
                          timeout=600)


def test_the_shim_answers_version_pull_and_template(tmp_path: Path) -> None:
    mirror = helm_repository(tmp_path)
    version = shim("version", "--short")
    assert version.returncode == 0 and version.stdout.startswith("v4."), version.stderr
    home = tmp_path / "charts" / "greeter-0.3.0"
    pulled = shim("pull", "--untar", "--untardir", str(home), "--repo", CHART_REPO, "greeter", "--version", "0.3.0",
                  sources=[tmp_path / "cache", mirror])
    assert pulled.returncode == 0, pulled.stderr
    assert (home / "greeter" / "Chart.yaml").is_file() and (home / "greeter" / "templates" / "deployment.yaml").is_file()
    values = tmp_path / "values.yaml"
    values.write_text("replicaCount: 3\nimage: nginx:1.27\n")
    out = shim("template", "r1", str(home / "greeter"), "--namespace", "ns", "-f", str(values),
               "--kube-version", "1.33.0", "--api-versions", "example.com/v1", "--no-hooks")
    assert out.returncode == 0, out.stderr
    documents = [d for d in yaml.safe_load_all(out.stdout) if d]
    assert [(d["kind"], d["metadata"]["name"]) for d in documents] == [("Deployment", "r1-greeter")]
    assert documents[0]["spec"]["replicas"] == 3 and documents[0]["metadata"]["namespace"] == "ns"
    assert "# Source: " in out.stdout


@pytest.mark.parametrize("args", [["install", "x", "y"], ["pull", "greeter", "--untar", "--repo", CHART_REPO],
                                  ["template", "r", "chart", "--post-renderer", "x"]])
def test_the_shim_refuses_anything_else_with_one_line(args: list[str], tmp_path: Path) -> None:
    out = shim(*args, sources=[tmp_path / "cache"])
    assert out.returncode == 1 and out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1 and out.stderr.startswith(helm_shim.PREFIX)


def test_helm_command_is_added_only_with_enable_helm(tmp_path: Path) -> None:
    assert helm_shim.with_helm_command([], [tmp_path]) == []
    options = helm_shim.with_helm_command(["--enable-helm"], [tmp_path], tmp_path)
    assert options[:2] == ["--enable-helm", "--helm-command"] and Path(options[2]).is_file()
    # swept like a render mirror when a run is killed before its exit handlers run
    assert Path(options[2]).parent.name.startswith(f"{MIRROR_PREFIX}{os.getpid()}-")
    assert helm_shim.with_helm_command(["--enable-helm"], [tmp_path], tmp_path) == options  # one launcher per run


def test_capabilities_are_the_newest_configured_kubernetes_version_as_argo_cd_passes_them(
        write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = {**CHART, "templates/caps.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: caps
data:
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  hasDeployments: {{ .Capabilities.APIVersions.Has "apps/v1/Deployment" | quote }}
"""}
    mirror = helm_repository(tmp_path, files)
    repo = write_tree({".gitops-validate.yaml": ENABLED + 'kubernetesVersions: ["1.33"]\n',
                       "app/kustomization.yaml": kustomization()})
    caps = rendered(validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror]))[("ConfigMap", "caps")]
    assert caps.data["data"] == {"kube": "v1.33.0", "hasDeployments": "true"}


def test_an_archive_that_differs_from_the_lock_is_refused(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    lock = (f"apiVersion: gitops-validate/v1\nhelm:\n  - repoURL: {CHART_REPO}\n    chart: greeter\n    version: 0.3.0\n"
            f"    digest: sha256:{'0' * 64}\n    verifiedAgainst: mirror\ngit: []\n")
    repo = write_tree({".gitops-validate.yaml": ENABLED, "gitops-sources.lock": lock,
                       "app/kustomization.yaml": kustomization()})
    [finding] = findings_of(validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror]), "render-failed")
    assert "gitops-sources.lock records" in finding.message


def test_an_entry_without_release_name_renders_with_a_fixed_name(write_tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mirror = helm_repository(tmp_path)
    repo = write_tree({".gitops-validate.yaml": ENABLED,
                       "app/kustomization.yaml": kustomization().replace("    releaseName: hello\n", "")})
    objects = rendered(validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror]))
    assert (("Deployment", f"{helm_shim.GENERATED_RELEASE_NAME}-greeter")) in objects


def test_a_chart_loads_the_helm_sdk_once_of_the_three_shim_runs(write_tree, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """kustomize runs its helm command three times per chart (version, pull, template), each a new
    process; loading the Helm SDK's library is most of what such a process costs, and only template
    needs the engine. Counted through kustomize itself: a launcher that logs, per shim run, its
    command and whether the SDK got loaded."""
    log = tmp_path / "shim-runs.log"
    package_parent = Path(helm_shim.__file__).resolve().parent.parent

    def counting_launcher(folders, root=None):  # type: ignore[no-untyped-def]
        path = tmp_path / "counting-helm"
        path.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(package_parent)!r})\n"
                        "from validate.helm_shim import main\n"
                        f"code = main(sources={[os.fspath(f) for f in folders]!r})\n"
                        f"with open({str(log)!r}, 'a') as out:\n"
                        "    out.write(sys.argv[1] + (' loaded' if 'helm_python' in sys.modules else ' -') + '\\n')\n"
                        "sys.exit(code)\n")
        path.chmod(0o700)
        return path

    monkeypatch.setattr(helm_shim, "launcher", counting_launcher)
    mirror = helm_repository(tmp_path)
    repo = write_tree({".gitops-validate.yaml": ENABLED, "app/kustomization.yaml": kustomization()})
    result = validate_tree(repo, sources_dirs=[tmp_path / "cache", mirror])
    assert findings_of(result, "render-failed") == [] and ("Deployment", "hello-greeter") in rendered(result)
    runs = log.read_text().splitlines()
    sdk = "loaded" if helm_engine.identity().startswith("helm-python-sdk") else "-"  # a helm 4 binary needs no SDK
    assert sorted(runs) == ["pull -", f"template {sdk}", "version -"]


def test_the_shim_reports_the_helm_version_the_sdk_reports_without_loading_it() -> None:
    declared = subprocess.run([sys.executable, "-c", "import sys; from validate import helm_engine;"
                               " print(helm_engine._sdk_declared_version()); print('helm_python' in sys.modules)"],
                              capture_output=True, text=True, timeout=600)
    assert declared.stdout.split() == [helm_engine.SdkEngine().version, "False"], declared.stderr
