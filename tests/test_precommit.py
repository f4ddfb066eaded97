"""pre-commit, for real: in a clone of this repository, a broken manifest cannot be committed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def run(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL,
                          timeout=300)


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
    (target / ".venv").symlink_to(Path(sys.executable).parents[1])  # what `make validate` would have made
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
