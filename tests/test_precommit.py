"""pre-commit, for real: in a clone of this repository, a broken manifest cannot be committed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def run(cwd: Path, *args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=timeout)


@pytest.fixture
def clone(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    if not (REPO / ".git").exists() or not PRE_COMMIT.exists():
        pytest.skip("needs a git checkout of this repository and pre-commit in the environment")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GITOPS_VALIDATE_CACHE_DIR": os.environ["GITOPS_VALIDATE_CACHE_DIR"]}
    target = tmp_path / "clone"
    assert run(tmp_path, "git", "clone", "-q", str(REPO), str(target), env=env).returncode == 0
    # what `make validate` would have made: .venv/bin/gitops-validate (a real folder, as a symlink
    # out of the repository is itself a finding of a whole-repository run)
    (target / ".venv/bin").mkdir(parents=True)
    (target / ".venv/bin/gitops-validate").write_text(f'#!/bin/sh\nexec "{Path(sys.executable).parent}/gitops-validate" "$@"\n')
    (target / ".venv/bin/gitops-validate").chmod(0o755)
    installed = run(target, str(PRE_COMMIT), "install", env=env)
    assert installed.returncode == 0, installed.stderr
    return target, env


def test_a_broken_manifest_cannot_be_committed_and_a_good_one_can(clone: tuple[Path, dict[str, str]]) -> None:
    target, env = clone
    manifest = target / "apps/09-autoscaling/seldondeployment.yaml"
    good = manifest.read_text()
    manifest.write_text(good.replace("averageUtilization: 60", "averageUtilization: sixty"))
    run(target, "git", "add", str(manifest), env=env)
    refused = run(target, "git", "commit", "-q", "-m", "scale on a word", env=env)
    assert refused.returncode != 0
    assert "apps/09-autoscaling/seldondeployment.yaml" in refused.stdout + refused.stderr
    assert "schema-type" in refused.stdout + refused.stderr

    manifest.write_text(good.replace("averageUtilization: 60", "averageUtilization: 70"))
    run(target, "git", "add", str(manifest), env=env)
    accepted = run(target, "git", "commit", "-q", "-m", "scale at 70 per cent", env=env)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr


def test_deleting_a_file_a_kustomization_still_lists_cannot_be_committed(clone: tuple[Path, dict[str, str]]) -> None:
    target, env = clone
    run(target, "git", "rm", "-q", "apps/04-kubernetes-api/role.yaml", env=env)
    refused = run(target, "git", "commit", "-q", "-m", "drop the role", env=env)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert "kustomize-missing-path" in output and "role.yaml" in output


def test_the_hook_manifest_for_other_repositories_is_valid() -> None:
    if not PRE_COMMIT.exists():
        pytest.skip("pre-commit is not installed in this environment")
    checked = subprocess.run([str(PRE_COMMIT), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    checked = subprocess.run([str(PRE_COMMIT), "validate-config", str(REPO / ".pre-commit-config.yaml")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def break_and_commit_unchecked(target: Path, env: dict[str, str]) -> None:
    """A broken manifest committed past the hook (--no-verify): what CI must still catch."""
    manifest = target / "apps/09-autoscaling/seldondeployment.yaml"
    manifest.write_text(manifest.read_text().replace("averageUtilization: 60", "averageUtilization: sixty"))
    run(target, "git", "commit", "-q", "--no-verify", "-am", "scale on a word", env=env)


def test_all_files_checks_the_committed_tree(clone: tuple[Path, dict[str, str]]) -> None:
    target, env = clone
    assert run(target, str(PRE_COMMIT), "run", "--all-files", env=env).returncode == 0
    break_and_commit_unchecked(target, env)
    refused = run(target, str(PRE_COMMIT), "run", "--all-files", env=env)
    assert refused.returncode != 0
    assert "apps/09-autoscaling/seldondeployment.yaml" in refused.stdout and "schema-type" in refused.stdout


def test_a_run_with_no_files_checks_the_whole_repository(clone: tuple[Path, dict[str, str]]) -> None:
    target, env = clone
    break_and_commit_unchecked(target, env)
    refused = run(target, str(PRE_COMMIT), "run", env=env)  # nothing staged: the hook gets no file names
    assert refused.returncode != 0
    assert "apps/09-autoscaling/seldondeployment.yaml" in refused.stdout


def test_from_ref_to_ref_checks_the_changes_between_them(clone: tuple[Path, dict[str, str]]) -> None:
    target, env = clone
    base = run(target, "git", "rev-parse", "HEAD", env=env).stdout.strip()
    break_and_commit_unchecked(target, env)
    refused = run(target, str(PRE_COMMIT), "run", "--from-ref", base, "--to-ref", "HEAD", env=env)
    assert refused.returncode != 0
    assert "apps/09-autoscaling/seldondeployment.yaml" in refused.stdout and "schema-type" in refused.stdout


def test_from_ref_to_ref_sees_a_deletion_between_them(clone: tuple[Path, dict[str, str]]) -> None:
    target, env = clone
    base = run(target, "git", "rev-parse", "HEAD", env=env).stdout.strip()
    run(target, "git", "rm", "-q", "apps/04-kubernetes-api/role.yaml", env=env)
    run(target, "git", "commit", "-q", "--no-verify", "-m", "drop the role", env=env)
    refused = run(target, str(PRE_COMMIT), "run", "--from-ref", base, "--to-ref", "HEAD", env=env)
    assert refused.returncode != 0
    assert "kustomize-missing-path" in refused.stdout and "role.yaml" in refused.stdout


def test_a_staged_run_reports_on_the_staged_files_only(clone: tuple[Path, dict[str, str]]) -> None:
    target, env = clone
    break_and_commit_unchecked(target, env)  # an old problem elsewhere in the tree
    other = next(p for p in sorted((target / "apps").rglob("*.yaml")) if "09-autoscaling" not in str(p))
    other.write_text(other.read_text() + "\n")
    run(target, "git", "add", str(other), env=env)
    result = run(target, str(PRE_COMMIT), "run", env=env)
    assert "apps/09-autoscaling/seldondeployment.yaml" not in result.stdout, result.stdout


@pytest.mark.slow
def test_the_hook_from_another_repository_at_a_tagged_rev(tmp_path: Path) -> None:
    """pre-commit installs the hook the way users get it: its own virtualenv from a tagged rev,
    runtime dependencies only (from the package index: skipped when it is unreachable)."""
    if not (REPO / ".git").exists() or not PRE_COMMIT.exists():
        pytest.skip("needs a git checkout of this repository and pre-commit in the environment")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
           "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
           "GITOPS_VALIDATE_CACHE_DIR": os.environ["GITOPS_VALIDATE_CACHE_DIR"],
           "PIP_CACHE_DIR": os.environ.get("PIP_CACHE_DIR", str(Path.home() / ".cache/pip"))}
    source, consumer = tmp_path / "hook-source", tmp_path / "consumer"
    assert run(tmp_path, "git", "clone", "-q", str(REPO), str(source), env=env).returncode == 0
    assert run(source, "git", "tag", "-f", "v0.2.0", env=env).returncode == 0
    assert run(tmp_path, "git", "clone", "-q", str(REPO), str(consumer), env=env).returncode == 0
    (consumer / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: v0.2.0\n    hooks:\n      - id: gitops-validate\n")
    run(consumer, "git", "commit", "-q", "--no-verify", "-am", "use the published hook", env=env)
    # a virtualenv of ~450 MB (README.md, "pre-commit"): minutes on a loaded machine
    installed = run(consumer, str(PRE_COMMIT), "install-hooks", env=env, timeout=2400)
    if installed.returncode != 0 and ("Could not find a version" in installed.stdout + installed.stderr
                                      or "NewConnectionError" in installed.stdout + installed.stderr):
        pytest.skip("the package index is unreachable: pre-commit cannot build the hook's environment")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    hook_envs = list((tmp_path / "pre-commit-home").glob("repo*/py_env-*"))
    assert hook_envs, "pre-commit made no virtualenv for the hook"
    packages = {p.name.split("-")[0].lower() for p in hook_envs[0].glob("lib/python*/site-packages/*.dist-info")}
    assert "pyyaml" in packages and not packages & {"pytest", "ruff", "mypy", "hypothesis", "pre_commit"}

    break_and_commit_unchecked(consumer, env)
    refused = run(consumer, str(PRE_COMMIT), "run", "--all-files", env=env)
    assert refused.returncode != 0
    assert "apps/09-autoscaling/seldondeployment.yaml" in refused.stdout and "schema-type" in refused.stdout


def hook_env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path),
            "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
            "GITOPS_VALIDATE_CACHE_DIR": os.environ["GITOPS_VALIDATE_CACHE_DIR"]}


def published_hook(hook_id: str, **changes: object) -> dict[str, object]:
    """A hook of this repository's .pre-commit-hooks.yaml, as published, with ``changes``."""
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    [hook] = [h for h in hooks if h["id"] == hook_id]
    return {**hook, **changes}


@pytest.mark.slow
def test_the_hooks_from_another_repository_at_a_tagged_rev_offline(tmp_path: Path) -> None:
    """The published manifest used the way other repositories use it: pre-commit clones the hook
    repository at the tag `rev` names and runs the hooks. Offline: the temporary source's manifest
    says `language: system` (the one change; `gitops-validate` comes from PATH) so that pre-commit
    builds no virtualenv from a package index. The install itself (`language: python`) is
    test_the_hook_from_another_repository_at_a_tagged_rev, which needs the index."""
    if not (REPO / ".git").exists() or not PRE_COMMIT.exists():
        pytest.skip("needs a git checkout of this repository and pre-commit in the environment")
    env = hook_env(tmp_path)
    source, consumer = tmp_path / "hook-source", tmp_path / "consumer"
    assert run(tmp_path, "git", "clone", "-q", str(REPO), str(source), env=env).returncode == 0
    manifest = source / ".pre-commit-hooks.yaml"
    text = manifest.read_text()
    assert text.count("language: python") == len(yaml.safe_load(text))
    manifest.write_text(text.replace("language: python", "language: system"))
    assert run(source, "git", "commit", "-q", "--no-verify", "-am", "hooks from PATH", env=env).returncode == 0
    # -f: the clone brought the released tag along; here it names the temporary source's own commit
    assert run(source, "git", "tag", "-f", "v0.2.0", env=env).returncode == 0
    assert run(tmp_path, "git", "clone", "-q", str(REPO), str(consumer), env=env).returncode == 0
    (consumer / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: v0.2.0\n    hooks:\n      - id: gitops-validate\n"
        "      - id: gitops-validate-all\n")
    run(consumer, "git", "commit", "-q", "--no-verify", "-am", "use the published hooks", env=env)
    installed = run(consumer, str(PRE_COMMIT), "install", "--install-hooks", env=env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert list((tmp_path / "pre-commit-home").glob("repo*")), "pre-commit did not clone the hook repository"

    base = run(consumer, "git", "rev-parse", "HEAD", env=env).stdout.strip()
    assert run(consumer, str(PRE_COMMIT), "run", "--all-files", env=env).returncode == 0
    manifest = consumer / "apps/09-autoscaling/seldondeployment.yaml"
    good = manifest.read_text()
    manifest.write_text(good.replace("averageUtilization: 60", "averageUtilization: sixty"))
    run(consumer, "git", "add", str(manifest), env=env)
    refused = run(consumer, "git", "commit", "-q", "-m", "scale on a word", env=env)  # the git hook: staged files
    said = refused.stdout + refused.stderr  # git hands the hook's output on, on stderr
    assert refused.returncode != 0
    assert said.count("apps/09-autoscaling/seldondeployment.yaml") >= 2, said  # both hooks
    assert "schema-type" in said
    run(consumer, "git", "commit", "-q", "--no-verify", "-m", "scale on a word", env=env)
    for mode in (["--all-files"], ["--from-ref", base, "--to-ref", "HEAD"]):
        result = run(consumer, str(PRE_COMMIT), "run", *mode, env=env)
        assert result.returncode != 0, mode
        assert "apps/09-autoscaling/seldondeployment.yaml" in result.stdout and "schema-type" in result.stdout, mode
    manifest.write_text(good)
    run(consumer, "git", "add", str(manifest), env=env)
    fixed = run(consumer, "git", "commit", "-q", "-m", "scale at 60 per cent again", env=env)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


# pre-commit hands a hook at most 128 KiB of command line (xargs-style; less with a large
# environment): longer file lists run the hook several times, one part each, serially because the
# hooks say `require_serial: true` (without it the parts would also run in parallel). Long paths
# reach that limit with few files.
_LONG = "/".join(("a" * 200, "b" * 200, "c" * 200))
_SPLIT_FILES = 450
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: demo\ndata:\n  {data}\n"


def _json_reports(output: str) -> list[dict[str, object]]:
    """The JSON reports of every invocation in a pre-commit run's output."""
    decoder, reports, end = json.JSONDecoder(), [], 0
    for start in re.finditer(r'^\{\s*"findings"', output, re.MULTILINE):
        if start.start() >= end:
            report, end = decoder.raw_decode(output, start.start())
            reports.append(report)
    return reports


def _found(reports: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {(f["rule"], f["file"], f["line"], f["message"]) for r in reports for f in r["findings"]}  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_file_list_pre_commit_splits_gets_the_findings_of_one_run(tmp_path: Path) -> None:
    """Under `--all-files` with more file names than one command line holds, every part is a
    scoped run (no part holds every file): together they report exactly what one whole-repository
    run reports, repository-wide rules included (each part runs them, so they may repeat)."""
    if not PRE_COMMIT.exists():
        pytest.skip("pre-commit is not installed in this environment")
    env = hook_env(tmp_path)
    repo = tmp_path / "repo"
    hook = published_hook("gitops-validate", language="system", args=["--format", "json"])
    files = {
        ".pre-commit-config.yaml": yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}),
        "apps/demo/kustomization.yaml": "resources: [configmap.yaml]\n",
        "apps/demo/configmap.yaml": CONFIGMAP.format(i="demo", data="mode: demo"),
        "overlays/dev/demo/kustomization.yaml": "resources: [../../../apps/demo]\n",
        "overlays/prod/other/kustomization.yaml": "resources: [configmap.yaml]\n",  # prod lacks demo: repo-coverage
        "overlays/prod/other/configmap.yaml": CONFIGMAP.format(i="other", data="mode: other"),
    }
    for i in range(_SPLIT_FILES):
        broken = i in (0, _SPLIT_FILES - 1)  # one broken file in the first part, one in the last
        files[f"manifests/{_LONG}/cm-{i:04d}.yaml"] = CONFIGMAP.format(i=i, data="count: 1" if broken else "count: '1'")
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    assert run(repo, "git", "init", "-q", env=env).returncode == 0
    run(repo, "git", "add", "-A", env=env)
    assert run(repo, "git", "commit", "-q", "--no-verify", "-m", "many files", env=env).returncode == 0

    result = run(repo, str(PRE_COMMIT), "run", "--all-files", env=env)
    reports = _json_reports(result.stdout)
    assert len(reports) >= 2, f"pre-commit did not split the file list:\n{result.stdout[-2000:]}"
    whole = subprocess.run([str(Path(sys.executable).parent / "gitops-validate"), "--format", "json"], cwd=repo,
                           capture_output=True, text=True, env=env, timeout=600)
    assert whole.returncode == 1, whole.stderr
    expected = _found([json.loads(whole.stdout)])
    assert _found(reports) == expected
    assert result.returncode != 0
    rules = {(rule, file) for rule, file, _, _ in expected}
    assert {("schema-type", f"manifests/{_LONG}/cm-0000.yaml"),
            ("schema-type", f"manifests/{_LONG}/cm-{_SPLIT_FILES - 1:04d}.yaml"),
            ("repo-coverage", "apps/demo/kustomization.yaml")} <= rules
