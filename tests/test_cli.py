"""The CLI contract: exit codes 0/1/2, the JSON shape, the text line format, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from validate.cli import main

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: seldon\ndata:\n  A: '1'\n"
LINT = "extends: default\nrules:\n  document-start: disable\n"
BAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: seldon\ndata:\n  A: 1\n"


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "validate", *args], capture_output=True, text=True, cwd=cwd,
                          stdin=subprocess.DEVNULL, timeout=120)


def test_exit_0_on_a_clean_tree(write_tree) -> None:
    repo = write_tree({"cm.yaml": GOOD})
    assert main([str(repo)]) == 0


def test_exit_1_and_a_located_text_line_on_an_error(write_tree, capsys) -> None:
    repo = write_tree({"cm.yaml": BAD, ".yamllint": LINT})
    assert main([str(repo)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("cm.yaml:7:3: error schema-type data.A: 1 is not of type \"string\""
                      " [ConfigMap seldon/settings]")
    assert out[-1].startswith("1 error, 0 warnings, 0 info;")


def test_json_contract(write_tree, capsys) -> None:
    repo = write_tree({".yamllint": LINT, "cm.yaml": BAD, "app/kustomization.yaml": "resources:\n  - cm.yaml\n", "app/cm.yaml": GOOD})
    assert main([str(repo), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert set(document) == {"findings", "summary"}
    [finding] = document["findings"]
    assert set(finding) >= {"rule", "severity", "message", "file", "line", "column", "object", "render"}
    assert (finding["file"], finding["line"], finding["severity"]) == ("cm.yaml", 7, "error")
    assert finding["object"] == {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "seldon", "name": "settings"}
    summary = document["summary"]
    assert summary["rendered"] == ["app"]
    assert summary["counts"] == {"info": 0, "warning": 0, "error": 1}
    assert summary["exitCode"] == 1 and summary["kubernetesVersions"] == ["1.25", "1.37"]


def test_findings_are_sorted_by_file_then_line(write_tree, capsys) -> None:
    repo = write_tree({".yamllint": LINT, "b.yaml": BAD.replace("name: settings", "name: other"),
                       "a.yaml": BAD.replace("A: 1", "A: 1\n  B: 2")})
    main([str(repo), "--format", "json"])
    places = [(f["file"], f["line"]) for f in json.loads(capsys.readouterr().out)["findings"]]
    assert places == sorted(places) and len(places) == 3, places


def test_python_m_and_console_script_are_the_same(write_tree) -> None:
    repo = write_tree({"cm.yaml": BAD, ".yamllint": LINT})
    script = Path(sys.executable).parent / "gitops-validate"
    via_module = cli(str(repo), "--format", "json")
    via_script = subprocess.run([str(script), str(repo), "--format", "json"], capture_output=True, text=True)
    strip = lambda out: {**json.loads(out), "summary": None}  # noqa: E731 - timing differs
    assert via_module.returncode == via_script.returncode == 1
    assert strip(via_module.stdout) == strip(via_script.stdout)


def test_the_process_exit_flushes_runs_exit_handlers_and_keeps_the_code(write_tree, tmp_path: Path) -> None:
    """validate.cli.entry ends the process without freeing the run's objects: what a normal exit
    does must still happen (buffered output written, atexit handlers run), with the same codes."""
    repo = write_tree({"cm.yaml": BAD, ".yamllint": LINT})
    marker = tmp_path / "handler-ran"
    program = ("import atexit, pathlib, sys; from validate.cli import entry;"
               f" atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes');"
               f" sys.argv = ['gitops-validate', {str(repo)!r}, '--format', 'json']; entry()")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and json.loads(done.stdout)["summary"]["errors"] == 1
    assert marker.read_text() == "yes"
    closed = subprocess.run(f'"{sys.executable}" -m validate "{repo}" >&-', shell=True, capture_output=True,
                            text=True, timeout=120)
    assert closed.returncode == 2 and "Traceback" not in closed.stderr
    assert len(closed.stderr.strip().splitlines()) == 1


def test_no_path_means_the_repository_of_the_working_directory(write_tree) -> None:
    repo = write_tree({".yamllint": LINT, "cm.yaml": BAD, "sub/dir/x.yaml": GOOD})
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = cli("--format", "json", cwd=repo / "sub" / "dir")
    assert result.returncode == 1
    assert [f["file"] for f in json.loads(result.stdout)["findings"]] == ["cm.yaml"]


def test_no_path_outside_a_git_repository_is_refused(write_tree) -> None:
    """Outside any repository there is no telling where the repository ends: one line, exit 2."""
    repo = write_tree({"cm.yaml": BAD})
    result = cli("--format", "json", cwd=repo)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "not inside a git repository" in result.stderr
    assert cli(str(repo), "--format", "json", cwd=repo).returncode == 1  # an explicit path is checked


def test_a_fake_git_folder_falls_back_to_walking(write_tree) -> None:
    """A .git folder git does not accept: the folder is walked, and an info finding says why."""
    repo = write_tree({".yamllint": LINT, "cm.yaml": BAD})
    (repo / ".git").mkdir()
    result = cli("--format", "json", cwd=repo)
    findings = json.loads(result.stdout)["findings"]
    assert result.returncode == 1
    assert [(f["rule"], f["file"], f["severity"]) for f in findings if f["file"] is None] == \
        [("discover-no-git", None, "info")]


def test_a_path_limits_what_is_reported(write_tree) -> None:
    repo = write_tree({"bad/cm.yaml": BAD, "good/cm.yaml": GOOD})
    (repo / ".git").mkdir()
    assert cli(str(repo / "good")).returncode == 0
    assert cli(str(repo / "bad" / "cm.yaml")).returncode == 1


@pytest.mark.parametrize("args, message", [
    (["--format", "xml"], "invalid choice"),
    (["/definitely/not/here"], "no such file or directory"),
    (["--kubernetes-version", "1.12"], "not in the schema matrix"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--crd", "/nope.yaml"], "not a file"),
])
def test_usage_errors_exit_2_with_one_line(write_tree, args: list[str], message: str) -> None:
    repo = write_tree({"cm.yaml": GOOD})
    result = cli(*args, str(repo)) if args[0].startswith("--") else cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_bad_config_is_exit_2(write_tree) -> None:
    repo = write_tree({"cm.yaml": GOOD, ".gitops-validate.yaml": "kubernetesVersion: ['1.30']\n"})
    result = cli(str(repo))
    assert result.returncode == 2 and ".gitops-validate.yaml" in result.stderr
    assert "kubernetesVersion" in result.stderr


def test_external_projects_must_be_a_list_of_names(write_tree) -> None:
    for text, message in (("argocd:\n  externalProjects: platform\n",
                           "argocd.externalProjects: \"platform\" is not of type \"array\""),
                          ("argocd:\n  externalProjects: [platform, 3]\n", "argocd.externalProjects.1: 3 is not"),
                          ("argocd:\n  externalProject: [platform]\n", "did you mean 'externalProjects'?")):
        result = cli(str(write_tree({"cm.yaml": GOOD, ".gitops-validate.yaml": text})))
        assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
        assert ".gitops-validate.yaml" in result.stderr and message in result.stderr, result.stderr


def test_exec_build_options_are_refused(write_tree) -> None:
    repo = write_tree({"cm.yaml": GOOD,
                       ".gitops-validate.yaml": "kustomize:\n  buildOptions: --enable-alpha-plugins --enable-exec\n"})
    result = cli(str(repo))
    assert result.returncode == 2 and "not allowed offline" in result.stderr


def test_missing_kubectl_is_exit_2_naming_the_fix(write_tree, tmp_path: Path) -> None:
    repo = write_tree({"app/kustomization.yaml": "resources: []\n"})
    env = {"PATH": "/usr/bin:/bin", "GITOPS_VALIDATE_KUBECTL": str(tmp_path / "missing-kubectl")}
    result = subprocess.run([sys.executable, "-m", "validate", str(repo)], capture_output=True, text=True, env=env)
    assert result.returncode == 2
    assert "kubectl not found" in result.stderr and "make validate" in result.stderr


def test_internal_errors_are_one_line_exit_2(write_tree, monkeypatch, capsys) -> None:
    import validate.commands.check

    def explode(_options: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(validate.commands.check, "run", explode)
    assert main([str(write_tree({"cm.yaml": GOOD}))]) == 2
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


def test_kubernetes_version_matrix_is_configurable(write_tree, capsys) -> None:
    repo = write_tree({"cm.yaml": GOOD, ".gitops-validate.yaml": "kubernetesVersions: ['1.30', 'v1.33']\n"})
    assert main([str(repo), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["kubernetesVersions"] == ["1.30", "1.33"]


def test_version_specific_findings_say_which_version(write_tree, capsys) -> None:
    # flowcontrol.apiserver.k8s.io/v1beta3 is served from 1.26 to 1.31 only
    schema = ("apiVersion: flowcontrol.apiserver.k8s.io/v1beta3\nkind: PriorityLevelConfiguration\nmetadata:\n"
              "  name: p\nspec:\n  type: Exempt\n")
    repo = write_tree({".yamllint": LINT, "plc.yaml": schema})
    assert main([str(repo), "-k", "1.25", "-k", "1.30", "--format", "json"]) == 1
    [finding] = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["rule"].startswith("schema")]
    assert finding["rule"] == "schema-unknown-kind"
    assert "v1beta3 PriorityLevelConfiguration is not served yet on Kubernetes 1.25" in finding["message"]


def test_one_place_seen_through_several_renders_keeps_the_strictest_severity(write_tree, capsys) -> None:
    base = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  A: 1\n"
    repo = write_tree({
        ".yamllint": LINT,
        ".gitops-validate.yaml": "environments:\n  prod: {paths: ['overlays/prod/**'], profile: strict}\n"
                                 "  dev: {paths: ['overlays/dev/**'], profile: lax}\n"
                                 "profiles:\n  lax: {schema-type: warning}\n  strict: {schema-type: error}\n",
        "base/kustomization.yaml": "resources: [cm.yaml]\n", "base/cm.yaml": base,
        "overlays/dev/kustomization.yaml": "namespace: dev\nresources: [../../base]\n",
        "overlays/prod/kustomization.yaml": "namespace: prod\nresources: [../../base]\n",
    })
    assert main([str(repo), "--format", "json"]) == 1
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["file"], finding["line"], finding["severity"], finding["render"]) == \
        ("base/cm.yaml", 6, "error", "overlays/prod")


def test_null_int_or_string_is_unset_not_an_error(write_tree) -> None:
    deployment = ("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: n\nspec:\n"
                  "  selector: {matchLabels: {app: d}}\n  strategy:\n    rollingUpdate: {maxSurge: null}\n"
                  "  template:\n    metadata: {labels: {app: d}}\n    spec:\n      containers:\n"
                  "        - {name: d, image: 'nginx:1.27'}\n")
    assert main([str(write_tree({".yamllint": LINT, "d.yaml": deployment}))]) == 0


def test_progress_is_drawn_only_on_an_interactive_terminal_outside_ci() -> None:
    import io

    from validate.commands.check import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert Progress.for_terminal(io.StringIO(), {}) is None
    assert Progress.for_terminal(Terminal(), {"CI": "true"}) is None
    assert Progress.for_terminal(Terminal(), {"PRE_COMMIT": "1"}) is None
    assert Progress.for_terminal(Terminal(), {}, enabled=False) is None
    terminal = Terminal()
    progress = Progress.for_terminal(terminal, {})
    assert progress is not None
    progress.tick(None)
    progress.tick(None)
    progress.close()
    assert terminal.getvalue() == "\rrendering: 1 paths done\rrendering: 2 paths done\r\x1b[K"


def test_subcommand_internal_errors_are_one_line_exit_2(monkeypatch, capsys) -> None:
    import validate.diff

    def explode(_root: Path, _ref: str, **_options: object) -> None:
        raise RuntimeError("boom")

    from tests.conftest import REPO

    monkeypatch.setattr(validate.diff, "render_both", explode)
    monkeypatch.chdir(REPO)
    assert main(["diff", "--base", "HEAD"]) == 2
    err = capsys.readouterr().err
    assert "gitops-validate diff: internal error: RuntimeError: boom" in err and "Traceback" not in err
    assert main(["graph", "--format", "svg"]) == 2
    assert "gitops-validate graph: argument --format" in capsys.readouterr().err
