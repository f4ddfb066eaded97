"""``gitops-validate diff``: rendered changes per Application, without touching the working tree."""

from __future__ import annotations

import re
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
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed copy of this repository's GitOps content, diffed without a chart source cache: these
    tests are about kustomize paths; charts that generate random values (certificates, passwords) on
    every render would show as changed (a known gap, see docs/validator.md "Helm sources")."""
    monkeypatch.delenv("GITOPS_VALIDATE_SOURCES", raising=False)
    target = tmp_path / "repo"
    for name in ("apps", "base", "overlays", "argocd"):
        shutil.copytree(REPO / name, target / name)
    for name in (".gitops-validate.yaml", ".yamllint"):
        shutil.copy(REPO / name, target / name)
    git(target, "init", "-q", "-b", "main")
    git(target, "add", ".")
    git(target, "commit", "-q", "-m", "start")
    return target


def _bump_max_replicas(repo: Path) -> tuple[str, int, int]:
    """Raise the first prod maxReplicas patch by two, whatever it is today; (file, old, new)."""
    for path in sorted((repo / "overlays/prod").rglob("*.yaml")):
        text = path.read_text()
        match = re.search(r"path: \S*/maxReplicas\n\s*value: (\d+)", text)
        if match:
            old = int(match.group(1))
            path.write_text(text[:match.start(1)] + str(old + 2) + text[match.end(1):])
            return path.relative_to(repo).as_posix(), old, old + 2
    pytest.skip("no maxReplicas patch in the prod overlays to change")


def _summary(out: str) -> tuple[int, int, int, int, int]:
    """(compared, changed, added, removed, unchanged) from the summary line."""
    match = re.fullmatch(r"(\d+) Applications compared with HEAD: (\d+) changed, (\d+) added, (\d+) removed,"
                         r" (\d+) unchanged", out.splitlines()[-1])
    assert match, out.splitlines()[-1]
    compared, changed, added, removed, unchanged = (int(n) for n in match.groups())
    assert compared == changed + added + removed + unchanged
    return compared, changed, added, removed, unchanged


def test_a_patch_change_shows_in_its_application_only(repo: Path, capsys, monkeypatch) -> None:
    edited, old, new = _bump_max_replicas(repo)
    app = edited.split("/")[2]
    status = git(repo, "status", "--porcelain")
    monkeypatch.chdir(repo)
    assert main(["--base", "HEAD", "--exit-code"]) == 1
    out = capsys.readouterr().out
    assert f"--- HEAD:argocd/prod-{app}" in out
    assert f"-        maxReplicas: {old}\n+        maxReplicas: {new}" in out
    # a header per object, as `argocd app diff` prints, and the Application's object counts
    headers = re.findall(r"^===== (\S*)/(\S+) (\S*)/(\S+) ======$", out, re.M)
    assert len(headers) == 1 and headers[0][3], out
    assert f"Application argocd/prod-{app} (changed): 0 added, 0 removed, 1 changed objects" in out
    assert _summary(out)[1:4] == (1, 0, 0)
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "stash", "list") == "" and "worktree" not in git(repo, "worktree", "list").split()[1:]


def test_a_new_environment_shows_as_added_applications(repo: Path, capsys) -> None:
    source = sorted(p for p in (repo / "overlays").iterdir() if p.is_dir())[0]
    name = next(n for n in (f"copy{i}" for i in range(100)) if not (repo / "overlays" / n).exists())
    shutil.copytree(source, repo / "overlays" / name)
    app = sorted(p.name for p in (repo / "overlays" / name).iterdir() if p.is_dir())[0]
    assert main(["--base", "HEAD", "--format", "markdown", str(repo)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### Rendered changes against `HEAD`")
    assert f"| `argocd/{name}-{app}` | added |" in out and "```diff" in out


def test_no_change_is_quiet(repo: Path, capsys) -> None:
    assert main(["--base", "HEAD", "--exit-code", str(repo)]) == 0
    out = capsys.readouterr().out
    assert len(out.splitlines()) == 1
    compared, *changes, unchanged = _summary(out)
    assert changes == [0, 0, 0] and unchanged == compared > 0


def test_a_bad_revision_or_no_repository_is_exit_2(repo: Path, tmp_path: Path, capsys) -> None:
    assert main(["--base", "no-such-ref", str(repo)]) == 2
    assert "no-such-ref" in capsys.readouterr().err
    assert main(["--base=--upload-pack=x", str(repo)]) == 2
    outside = tmp_path / "plain"
    outside.mkdir()
    assert main(["--base", "HEAD", str(outside)]) == 2
    assert "not in a git repository" in capsys.readouterr().err
