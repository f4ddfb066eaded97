"""``gitops-validate new-env``: fork an environment of a copy of this repository, all or nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from validate import graph, newenv
from validate.cli import main as cli_main
from validate.newenv import make_plan, rewrite

REPO = Path(__file__).resolve().parents[1]
APPS = sorted(p.name for p in (REPO / "apps").iterdir() if (p / "kustomization.yaml").is_file())
ENVIRONMENTS = sorted(p.name for p in (REPO / "overlays").iterdir() if p.is_dir())
# The environment the tests create: "qa", unless the repository has one already (a fork that ran
# `gitops-validate new-env qa` must keep a green suite).
NEW = next(n for n in ("qa", *(f"qa{i}" for i in range(1, 100))) if n not in ENVIRONMENTS)
PROJECT = "argocd/projects/seldon-series.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of this repository's GitOps content, its own root."""
    target = tmp_path / "repo"
    target.mkdir()
    for folder in ("apps", "base", "overlays", "argocd"):
        shutil.copytree(REPO / folder, target / folder, symlinks=True)
    for name in (".gitops-validate.yaml", ".yamllint"):
        shutil.copy(REPO / name, target / name)
    (target / ".git").mkdir()
    return target


def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_qa_from_staging(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project_before = (repo / PROJECT).read_text()
    assert cli_main(["new-env", NEW, "--from", "staging", str(repo)]) == 0
    out = capsys.readouterr().out

    assert sorted(p.name for p in (repo / f"overlays/{NEW}").iterdir()) == APPS
    for app in APPS:
        text = (repo / f"overlays/{NEW}/{app}/kustomization.yaml").read_text()
        assert f"namespace: seldon-{NEW}\n" in text and f"app.kubernetes.io/environment: {NEW}\n" in text
        assert "seldon-staging" not in text and "environment: staging" not in text
        assert text == rewrite((repo / f"overlays/staging/{app}/kustomization.yaml").read_text(),
                               {"seldon-staging": f"seldon-{NEW}", "staging": NEW}, "staging")

    # The AppProject gets exactly one destination, after staging's; comments and layout are kept.
    staging_entry = ("    - server: https://kubernetes.default.svc\n"
                     "      namespace: seldon-staging\n")
    qa_entry = staging_entry.replace("seldon-staging", f"seldon-{NEW}")
    assert (repo / PROJECT).read_text() == project_before.replace(staging_entry, staging_entry + qa_entry)

    # Argo CD picks it up without further edits: the ApplicationSet's overlays/*/* generates qa-*.
    for app in APPS:
        assert f"{NEW}-{app}" in out
    model = graph.build(graph.read_repository(repo))
    assert model.nodes[f"application:{NEW}-{APPS[0]}"].group == f"env:{NEW}"
    assert graph.Edge("applicationset:seldon-series", f"env:{NEW}", f"generates {len(APPS)}") in model.edges
    assert f"validation: no error in overlays/{NEW}" in out
    assert not [p for p in repo.iterdir() if p.name.startswith(".gitops-validate-new-env")]


def test_the_new_environment_gets_the_source_profile_and_fresh_docs(repo: Path, capsys) -> None:
    from validate.commands.graph import generated_docs
    from validate.config import load_config

    for rel in ("README.md", "docs/graph.md"):
        (repo / rel).parent.mkdir(exist_ok=True)
        shutil.copy(REPO / rel, repo / rel)
    before = load_config(repo)
    assert cli_main(["new-env", NEW, "--from", "staging", str(repo)]) == 0
    out = capsys.readouterr().out
    after = load_config(repo)
    assert after.environments[NEW].get("profile") == before.environments["staging"].get("profile")
    assert after.profile(NEW) == before.profile("staging")
    assert [p.replace(f"overlays/{NEW}/", "overlays/staging/") for p in after.environments[NEW].get("paths", [])] \
        == before.environments["staging"].get("paths", [])
    assert {k: v for k, v in after.environments.items() if k != NEW} == before.environments
    assert "regenerated docs/graph.md, README.md" in out
    for rel, text in generated_docs(repo).items():
        assert (repo / rel).read_text() == text, f"{rel} is stale after new-env"
    assert f"application_{NEW}_" in (repo / "README.md").read_text()


def test_a_repository_without_configuration_gets_none(repo: Path, capsys) -> None:
    (repo / ".gitops-validate.yaml").unlink()
    assert cli_main(["new-env", NEW, "--from", "staging", str(repo)]) in (0, 1)
    assert not (repo / ".gitops-validate.yaml").exists()
    assert ".gitops-validate.yaml" not in capsys.readouterr().out


def test_dry_run_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_hash(repo)
    assert cli_main(["new-env", NEW, "--from", "staging", "--dry-run", str(repo)]) == 0
    out = capsys.readouterr().out
    assert tree_hash(repo) == before
    assert out.startswith(f"plan: overlays/{NEW}/ from overlays/staging/")
    assert f"would edit {PROJECT}: AppProject seldon-series gets destination namespace seldon-{NEW}" in out
    assert f"{NEW}-{APPS[-1]}" in out


def test_an_existing_environment_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_hash(repo)
    assert cli_main(["new-env", ENVIRONMENTS[0], "--from", "staging", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"overlays/{ENVIRONMENTS[0]} already exists" in err
    assert tree_hash(repo) == before


@pytest.mark.parametrize("name", ["QA", "-qa", "qa-", "qa_1", "qa.1", "a" * 64, "", "staging"])
def test_an_invalid_name_is_refused(repo: Path, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_hash(repo)
    assert cli_main(["new-env", name, "--from", "staging", str(repo)]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert tree_hash(repo) == before


def test_a_missing_source_environment_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_hash(repo)
    assert cli_main(["new-env", NEW, "--from", "no-such-env", str(repo)]) == 2
    err = capsys.readouterr().err
    assert "no environment overlays/no-such-env" in err and ", ".join(ENVIRONMENTS) in err
    assert tree_hash(repo) == before


def _fail_on_call(number: int, original):  # type: ignore[no-untyped-def]
    calls = {"n": 0}

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == number:
            raise OSError(28, "No space left on device")
        return original(*args, **kwargs)

    return failing


@pytest.mark.parametrize("where", ["copy", "rename", "project"])
def test_an_error_midway_leaves_nothing_behind(repo: Path, where: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    before = tree_hash(repo)
    if where == "copy":
        monkeypatch.setattr(Path, "write_bytes", _fail_on_call(5, Path.write_bytes))
    elif where == "rename":
        monkeypatch.setattr(newenv.os, "rename", _fail_on_call(1, os.rename))
    else:
        monkeypatch.setattr(newenv.os, "replace", _fail_on_call(1, os.replace))
    assert cli_main(["new-env", NEW, "--from", "staging", str(repo)]) == 2
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "No space left on device" in err
    assert not (repo / f"overlays/{NEW}").exists()
    assert tree_hash(repo) == before


def test_errors_in_the_new_environment_are_exit_1(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n  namespace: seldon-staging\ndata:\n  A: 1\n"
    (repo / "overlays/staging/02-first-deployment/broken.yaml").write_text(broken)
    assert cli_main(["new-env", NEW, "--from", "staging", str(repo)]) == 1
    out = capsys.readouterr().out
    assert f"overlays/{NEW}/02-first-deployment/broken.yaml:7:3: error schema-type" in out
    assert "overlays/staging/02-first-deployment/broken.yaml" not in out
    assert "errors elsewhere in the repository" in out or "error elsewhere in the repository" in out
    assert (repo / f"overlays/{NEW}/02-first-deployment/broken.yaml").is_file()


def test_forking_prod_reports_the_explicit_applicationset(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["new-env", "prod-eu", "--from", "prod", "--dry-run", str(repo)]) == 0
    out = capsys.readouterr().out
    assert ("ApplicationSet seldon-series-prod (argocd/applicationsets/seldon-series-prod.yaml) lists"
            " overlays/prod/* explicitly; it is not edited: overlays/prod-eu/* is covered by ApplicationSet"
            " seldon-series (overlays/*/*)") in out
    assert "prod-eu-02-first-deployment" in out and "in seldon-prod-eu" in out


def test_rewrite_renames_whole_tokens_only() -> None:
    renames = {"seldon-staging": "seldon-qa", "staging": "qa"}
    text = ("namespace: seldon-staging\n"
            "host: api.seldon-staging.svc.cluster.local\n"
            "other: seldon-staging-db\n"
            "url: /seldon/seldon-staging/iris\n"
            "environment: staging  # the env\n"
            "  app.kubernetes.io/environment: 'staging'\n"
            "environment: staging2\n"
            "name: staging\n"
            "# Staging: comments are left alone\n")
    assert rewrite(text, renames, "staging") == (
        "namespace: seldon-qa\n"
        "host: api.seldon-qa.svc.cluster.local\n"
        "other: seldon-staging-db\n"
        "url: /seldon/seldon-qa/iris\n"
        "environment: qa  # the env\n"
        "  app.kubernetes.io/environment: 'qa'\n"
        "environment: staging2\n"
        "name: staging\n"
        "# Staging: comments are left alone\n")


PROJECT_WITH_COMMENTS = """\
# Projects.
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: team
spec:
  destinations:
    - server: https://kubernetes.default.svc
      namespace: team-a  # first
    # The next one is special.
    - namespace: team-b
      server: https://kubernetes.default.svc

    - {server: https://kubernetes.default.svc, namespace: other}
  sourceRepos: ['*']
"""


def test_project_edit_keeps_comments_and_goes_before_the_next_entrys_comment(write_tree) -> None:
    repo = write_tree({
        "argocd/project.yaml": PROJECT_WITH_COMMENTS,
        "overlays/a/web/kustomization.yaml": "namespace: team-a\nresources:\n  - cm.yaml\n",
        "overlays/a/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    })
    plan = make_plan(repo, "b2", "a")
    [edit] = plan.project_edits
    assert (edit.namespace, edit.after, edit.line) == ("team-b2", "team-a", 10)
    assert edit.text == PROJECT_WITH_COMMENTS.replace(
        "      namespace: team-a  # first\n",
        "      namespace: team-a  # first\n"
        "    - server: https://kubernetes.default.svc\n"
        "      namespace: team-b2\n")
    newenv.apply(plan)
    assert (repo / "argocd/project.yaml").read_text() == edit.text
    assert (repo / "overlays/b2/web/kustomization.yaml").read_text().startswith("namespace: team-b2\n")
    assert "warning: no ApplicationSet git directory generator matches overlays/b2/*" in "\n".join(plan.notes)


def test_several_namespaces_of_one_environment_are_all_added(write_tree) -> None:
    project = ("apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata:\n  name: p\nspec:\n  destinations:\n"
               "    - namespace: seldon-a\n      server: https://kubernetes.default.svc\n"
               "    - namespace: team-a\n      server: https://kubernetes.default.svc\n"
               "    - namespace: team-z\n      server: https://kubernetes.default.svc\n")
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
    repo = write_tree({
        "argocd/project.yaml": project,
        "overlays/a/web/kustomization.yaml": "namespace: seldon-a\nresources:\n  - cm.yaml\n",
        "overlays/a/web/cm.yaml": cm,
        "overlays/a/db/kustomization.yaml": "namespace: team-a\nresources:\n  - cm.yaml\n",
        "overlays/a/db/cm.yaml": cm,
    })
    plan = make_plan(repo, "b", "a")
    assert sorted((e.namespace, e.line) for e in plan.project_edits) == [("seldon-b", 9), ("team-b", 13)]
    newenv.apply(plan)
    assert (repo / "argocd/project.yaml").read_text() == project.replace(
        "    - namespace: team-a\n",
        "    - namespace: seldon-b\n      server: https://kubernetes.default.svc\n"
        "    - namespace: team-a\n").replace(
        "    - namespace: team-z\n",
        "    - namespace: team-b\n      server: https://kubernetes.default.svc\n"
        "    - namespace: team-z\n")
    assert (repo / "overlays/b/db/kustomization.yaml").read_text().startswith("namespace: team-b\n")
