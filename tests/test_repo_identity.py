"""This repository's identity for Argo CD sources, and URL comparison as Argo CD does it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from validate.repo_identity import argocd_normal, git_remotes, identity, repo_key, same_url


def test_argocd_treats_case_and_git_suffix_as_the_same_url() -> None:
    assert same_url("https://github.com/Example/Repo.git", "https://github.com/example/repo")
    assert same_url("git@github.com:example/repo.git", "ssh://git@github.com/example/repo")
    assert argocd_normal("git@github.com:Example/Repo.git") == "git@github.com/example/repo"


def test_argocd_keeps_transports_apart() -> None:
    # Argo CD keeps credentials per URL: https and ssh spellings are two repositories to it.
    assert not same_url("https://github.com/example/repo", "git@github.com:example/repo")
    # ... yet they are one repository when the question is "is this repository mine".
    assert repo_key("https://github.com/example/repo") == repo_key("git@github.com:example/repo.git")


def test_configured_url_and_remotes_say_who_we_are(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:Example/GitOps.git"],
                   check=True)
    git_remotes.cache_clear()
    assert git_remotes(tmp_path) == ("git@github.com:Example/GitOps.git",)
    found = identity(tmp_path, "https://gitlab.com/mirror/gitops", [("https://github.com/other/repo", "apps")],
                     lambda _path: True)
    assert found == {"github.com/example/gitops", "gitlab.com/mirror/gitops"}


def test_without_config_or_remote_only_an_existing_path_is_evidence(tmp_path: Path) -> None:
    git_remotes.cache_clear()
    sources = [("https://github.com/other/charts", "."), ("https://github.com/other/charts", "./"),
               ("https://github.com/other/examples", "guestbook"), ("https://github.com/me/gitops", "apps/web"),
               ("https://github.com/other/examples", "helm-guestbook")]
    existing = {"apps/web"}
    assert identity(tmp_path, None, sources, existing.__contains__) == {"github.com/me/gitops"}
    # Counting never decides: three sources of another repository whose paths are not here prove nothing.
    assert identity(tmp_path, None, sources[:3], existing.__contains__) == frozenset()


APP = """apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {url}
    targetRevision: HEAD
    path: {path}
  destination:
    server: https://kubernetes.default.svc
    namespace: {name}
"""


def test_the_git_remote_decides_which_paths_are_checked(write_tree) -> None:
    from tests.conftest import findings_of, validate_tree

    repo = write_tree({
        "argocd/mine.yaml": APP.format(name="mine", url="https://github.com/example/gitops", path="apps/missing"),
        "argocd/theirs.yaml": APP.format(name="theirs", url="https://github.com/other/examples.git",
                                         path="guestbook"),
        "argocd/theirs-too.yaml": APP.format(name="theirs-too", url="https://github.com/other/examples.git",
                                             path="helm-guestbook"),
    })
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "remote", "add", "origin", "git@github.com:Example/GitOps.git"], check=True)
    git_remotes.cache_clear()
    found = findings_of(validate_tree(repo), "argocd-source-path")
    assert [f.file for f in found] == ["argocd/mine.yaml"]
