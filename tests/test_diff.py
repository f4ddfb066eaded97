"""``gitops-validate diff``: rendered changes per Application, without touching the working tree."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO
from validate.cli import main as cli_main


def main(argv: list[str]) -> int:
    return cli_main(["diff", *argv])


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin",
                               "HOME": str(repo)}).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A committed copy of this repository's GitOps content."""
    target = tmp_path / "repo"
    for name in ("apps", "base", "overlays", "argocd"):
        shutil.copytree(REPO / name, target / name)
    for name in (".gitops-validate.yaml", ".yamllint"):
        shutil.copy(REPO / name, target / name)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "start")
    return target


def test_a_patch_change_shows_in_its_application_only(repo: Path, capsys, monkeypatch) -> None:
    bounds = repo / "overlays/prod/09-autoscaling/hpa-bounds.yaml"
    bounds.write_text(bounds.read_text().replace("value: 6", "value: 8"))
    status = git(repo, "status", "--porcelain")
    monkeypatch.chdir(repo)
    assert main(["--base", "HEAD", "--exit-code"]) == 1
    out = capsys.readouterr().out
    assert "--- HEAD:argocd/prod-09-autoscaling" in out
    assert "-        maxReplicas: 6\n+        maxReplicas: 8" in out
    assert out.splitlines()[-1].endswith("1 changed, 0 added, 0 removed, 35 unchanged")
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "stash", "list") == "" and "worktree" not in git(repo, "worktree", "list").split()[1:]


def test_a_new_environment_shows_as_added_applications(repo: Path, capsys) -> None:
    shutil.copytree(repo / "overlays/staging", repo / "overlays/qa")
    assert main(["--base", "HEAD", "--format", "markdown", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Rendered changes against `HEAD`")
    assert "| `argocd/qa-02-first-deployment` | added |" in out and "```diff" in out


def test_no_change_is_quiet(repo: Path, capsys) -> None:
    assert main(["--base", "HEAD", "--exit-code", str(repo)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "36 Applications compared with HEAD: 0 changed, 0 added, 0 removed, 36 unchanged"]


def test_a_bad_revision_or_no_repository_is_exit_2(repo: Path, tmp_path: Path, capsys) -> None:
    assert main(["--base", "no-such-ref", str(repo)]) == 2
    assert "no-such-ref" in capsys.readouterr().err
    assert main(["--base=--upload-pack=x", str(repo)]) == 2
    outside = tmp_path / "plain"
    outside.mkdir()
    assert main(["--base", "HEAD", str(outside)]) == 2
    assert "not in a git repository" in capsys.readouterr().err
