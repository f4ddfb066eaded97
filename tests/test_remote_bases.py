"""Kustomize remote bases rendered offline from the source cache (validate/remote_bases.py)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from tests.conftest import findings_of, validate_tree
from tests.test_render import DEPLOYMENT  # a Deployment with one schema error (a named containerPort)
from validate.commands.sources import list_sources, pull, references
from validate.model import Severity, ToolError
from validate.remote_bases import parse
from validate.sources import GitRef


@pytest.mark.parametrize(("entry", "url", "path", "revision"), [
    ("https://github.com/org/repo//deploy/base?ref=v1.2.0", "https://github.com/org/repo", "deploy/base", "v1.2.0"),
    ("github.com/org/repo//deploy?ref=v1", "https://github.com/org/repo", "deploy", "v1"),
    ("github.com/org/repo/deploy?ref=v1", "https://github.com/org/repo", "deploy", "v1"),
    ("https://example.com/org/repo.git/deploy?version=v2", "https://example.com/org/repo.git", "deploy", "v2"),
    ("git::https://github.com/org/repo//x?ref=abc&timeout=90", "https://github.com/org/repo", "x", "abc"),
    ("git@github.com:org/repo//deploy?ref=v1", "git@github.com:org/repo", "deploy", "v1"),
    ("file:///srv/git/remote.git//base?ref=v1", "file:///srv/git/remote.git", "base", "v1"),
    ("https://github.com/org/repo", "https://github.com/org/repo", "", None),
    ("https://dev.azure.com/org/project/_git/repo/deploy?ref=v1", "https://dev.azure.com/org/project/_git/repo",
     "deploy", "v1"),
    ("ssh://git@example.com/org/repo.git//deploy?ref=v3", "ssh://git@example.com/org/repo.git", "deploy", "v3"),
    ("file:///srv/git/plain", "file:///srv/git/plain", "", None),
])
def test_remote_bases_are_read_as_kustomize_reads_them(entry: str, url: str, path: str, revision: str | None) -> None:
    base = parse(entry)
    assert base is not None and (base.repo_url, base.path, base.revision) == (url, path, revision)


@pytest.mark.parametrize("entry", ["../base", "deployment.yaml", "base/?ref=v1", 3,
                                   "https://github.com/org/repo//../elsewhere?ref=v1", "gitlab.com/org/repo",
                                   # files kustomize downloads over http (../shared/realworld kustomize-examples)
                                   "https://raw.githubusercontent.com/org/repo/master/examples/deployment.yaml",
                                   "https://github.com/knative/serving/releases/download/v0.12.0/serving.yaml"])
def test_local_paths_files_and_paths_leaving_the_repository_are_no_remote_bases(entry: object) -> None:
    assert parse(entry) is None


def test_only_a_tag_or_commit_counts_as_pinned() -> None:
    assert parse("github.com/org/repo//x?ref=v1.0.0").pinned  # type: ignore[union-attr]
    assert parse("github.com/org/repo//x?ref=" + "a" * 40).pinned  # type: ignore[union-attr]
    for unpinned in ("github.com/org/repo//x", "github.com/org/repo//x?ref=main", "github.com/org/repo//x?ref=HEAD"):
        assert not parse(unpinned).pinned  # type: ignore[union-attr]


def _git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=cwd,
                          check=True, capture_output=True, text=True, timeout=120).stdout.strip()


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare git repository (the "remote") whose tag v1 holds a base with a schema error and a base
    whose kustomization names a file it lacks; main moves on after the tag."""
    work = tmp_path / "remote-work"
    (work / "base").mkdir(parents=True)
    (work / "base" / "kustomization.yaml").write_text("namePrefix: remote-\nresources:\n  - deployment.yaml\n  - secret.yaml\n")
    (work / "base" / "deployment.yaml").write_text(DEPLOYMENT)
    (work / "base" / "secret.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: upstream\n"
                                               "stringData:\n  token: the-upstream-default\n")
    (work / "broken").mkdir()
    (work / "broken" / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    _git("init", "--quiet", "--initial-branch=main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "--quiet", "-m", "v1", cwd=work)
    _git("tag", "v1", cwd=work)
    bare = tmp_path / "remote.git"
    _git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def _repo(tmp_path: Path, entry: str) -> Path:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "kustomization.yaml").write_text(f"namespace: demo\nresources:\n  - {entry}\n")
    return repo


def test_a_cached_remote_base_renders_and_its_errors_land_on_the_listing_line(remote: Path, tmp_path: Path) -> None:
    entry = f"file://{remote}//base?ref=v1"
    repo = _repo(tmp_path, entry)
    cache = tmp_path / "cache"
    # `sources pull` collects the remote base and stores its tree at the tag, offline (file://).
    assert GitRef(f"file://{remote}", "v1") in {r.ref for r in references(repo, [cache])}
    out = io.StringIO()
    assert pull(repo, [cache], 120.0, out) == 0
    commit = _git("rev-parse", "v1", cwd=remote)
    assert f"commit {commit}" in out.getvalue()

    result = validate_tree(repo, sources_dirs=[cache])
    assert findings_of(result, "render-remote") == []
    [deployment] = [o for o in result.objects if o.data.get("kind") == "Deployment"]
    # Rendered as kustomize would after cloning: the remote kustomization's prefix, the overlay's namespace.
    assert deployment.data["metadata"] == {"name": "remote-web", "namespace": "demo"}
    [error] = [f for f in result.findings if f.severity == Severity.ERROR]
    assert error.rule.startswith("schema") and "containerPort" in error.message
    assert (error.file, error.line) == ("app/kustomization.yaml", 3)
    assert entry in error.message  # names the remote base it came from
    # A Secret of the remote base is not a plaintext secret committed to this repository.
    assert findings_of(result, "repo-plaintext-secret") == []
    assert any(o.data["metadata"]["name"] == "remote-upstream" for o in result.objects)
    assert result.exit_code == 1


def test_a_build_failure_inside_a_cached_remote_base_names_it_at_the_listing_line(remote: Path,
                                                                                  tmp_path: Path) -> None:
    entry = f"file://{remote}//broken?ref=v1"
    repo = _repo(tmp_path, entry)
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0
    [failure] = findings_of(validate_tree(repo, sources_dirs=[cache]), "render-failed")
    assert (failure.file, failure.line) == ("app/kustomization.yaml", 3)
    assert "missing.yaml" in failure.message and f"[file://{remote} at v1]/broken" in failure.message
    assert "gitops-validate-remote" not in failure.message and "/tmp/gitops-validate-" not in failure.message
    assert str(cache) not in failure.message  # the cache's folders are no place the user knows


def test_a_remote_base_missing_from_the_cache_names_the_command_that_fills_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "https://github.com/example/tools//deploy?ref=v1.0.0")
    result = validate_tree(repo, sources_dirs=[tmp_path / "cache"])
    [finding] = findings_of(result, "render-remote")
    assert (finding.file, finding.line, finding.severity) == ("app/kustomization.yaml", 3, Severity.WARNING)
    assert "`gitops-validate sources pull`" in finding.message and "not rendered or checked" in finding.message
    assert "not pinned" not in finding.message
    assert result.exit_code == 0
    # ... and that command collects exactly this source.
    assert GitRef("https://github.com/example/tools", "v1.0.0") in {r.ref for r in references(repo, [tmp_path / "c"])}


def test_an_unpinned_remote_base_is_checked_against_the_snapshot_with_a_warning(remote: Path, tmp_path: Path) -> None:
    repo = _repo(tmp_path, f"file://{remote}//base")
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0
    result = validate_tree(repo, sources_dirs=[cache])
    [warning] = findings_of(result, "render-remote")
    assert warning.severity == Severity.WARNING and warning.line == 3
    assert "not pinned" in warning.message and "branch head" in warning.message
    assert any(o.data["metadata"]["name"] == "remote-web" for o in result.objects)


def test_an_unpinned_remote_base_missing_from_the_cache_says_both(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "https://github.com/example/tools//deploy?ref=main")
    [finding] = findings_of(validate_tree(repo, sources_dirs=[tmp_path / "cache"]), "render-remote")
    assert "`gitops-validate sources pull`" in finding.message and "not pinned" in finding.message


def test_a_render_read_back_from_the_cache_keeps_the_remote_location(remote: Path, tmp_path: Path) -> None:
    repo = _repo(tmp_path, f"file://{remote}//base?ref=v1")
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0
    first = validate_tree(repo, sources_dirs=[cache])
    again = validate_tree(repo, sources_dirs=[cache])
    assert again.cache_hits >= 1
    assert [(f.rule, f.file, f.line, f.message) for f in again.findings] == \
        [(f.rule, f.file, f.line, f.message) for f in first.findings]


def test_a_new_commit_of_the_cached_tree_is_rendered_again(remote: Path, tmp_path: Path) -> None:
    repo = _repo(tmp_path, f"file://{remote}//base?ref=v1")
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0
    assert validate_tree(repo, sources_dirs=[cache]).exit_code == 1
    [tree] = [p for p in (cache / "git").rglob("v1") if p.is_dir()]
    (tree / "base" / "deployment.yaml").write_text(DEPLOYMENT.replace('"http"', "8080"))
    (tree.parent / "v1.commit").write_text("f" * 40 + "\n")  # a tree of another commit in the cache
    changed = validate_tree(repo, sources_dirs=[cache])
    assert [f.rule for f in changed.findings if f.severity == Severity.ERROR] == ["source-digest"]  # not the lock's
    assert pull(repo, [cache], 120.0, io.StringIO(), update=True) == 0  # reviewed: re-locked
    again = validate_tree(repo, sources_dirs=[cache])
    assert [f for f in again.findings if f.severity == Severity.ERROR] == []


def test_a_cached_tree_of_another_commit_than_the_lock_records_is_reported_at_the_listing_line(
        remote: Path, tmp_path: Path) -> None:
    entry = f"file://{remote}//base?ref=v1"
    repo = _repo(tmp_path, entry)
    for overlay in ("staging", "prod"):  # two renders read the same listing: still one finding
        (repo / overlay).mkdir()
        (repo / overlay / "kustomization.yaml").write_text("resources:\n  - ../app\n")
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0
    lock = (repo / "gitops-sources.lock").read_text()
    commit = _git("rev-parse", "v1", cwd=remote)
    assert commit in lock
    (repo / "gitops-sources.lock").write_text(lock.replace(commit, "a" * 40))
    result = validate_tree(repo, sources_dirs=[cache])
    [finding] = findings_of(result, "source-digest")
    assert (finding.file, finding.line, finding.severity) == ("app/kustomization.yaml", 3, Severity.ERROR)
    assert entry in finding.message and commit in finding.message and "a" * 40 in finding.message
    assert "`gitops-validate sources pull --update`" in finding.message
    # not silent, and still checked: the tree the cache holds is rendered, its own findings reported too
    assert any(o.data["metadata"]["name"] == "remote-web" for o in result.objects)
    assert result.exit_code == 1


def test_a_cached_remote_base_the_lock_does_not_list_is_a_warning(remote: Path, tmp_path: Path) -> None:
    repo = _repo(tmp_path, f"file://{remote}//base?ref=v1")
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0
    (repo / "gitops-sources.lock").write_text("apiVersion: gitops-validate/v1\nhelm: []\ngit: []\n")
    [finding] = findings_of(validate_tree(repo, sources_dirs=[cache]), "source-digest")
    assert finding.severity == Severity.WARNING and finding.line == 3 and "is not in gitops-sources.lock" in finding.message
    # without any lock nothing is verified, as for an Application's sources
    (repo / "gitops-sources.lock").unlink()
    assert findings_of(validate_tree(repo, sources_dirs=[cache]), "source-digest") == []


# --- remote bases that list remote bases -----------------------------------------------------------

def _bare(tmp_path: Path, name: str, files: dict[str, str]) -> Path:
    """A bare repository ``name``.git whose tag v1 holds ``files``."""
    work = tmp_path / f"{name}-work"
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    _git("init", "--quiet", "--initial-branch=main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "--quiet", "-m", "v1", cwd=work)
    _git("tag", "v1", cwd=work)
    bare = tmp_path / f"{name}.git"
    _git("clone", "--quiet", "--bare", str(work), str(bare), cwd=tmp_path)
    return bare


def _outer(tmp_path: Path, remote: Path, nested_entry: str) -> Path:
    """A second remote whose ``wrap`` folder lists ``nested_entry`` through a local folder of its own."""
    return _bare(tmp_path, "outer", {
        "wrap/kustomization.yaml": "namePrefix: outer-\nresources:\n  - ../shared\n",
        "shared/kustomization.yaml": f"resources:\n  - {nested_entry}\n",
    })


def test_a_remote_base_that_lists_a_cached_remote_base_renders_from_the_cache(remote: Path, tmp_path: Path) -> None:
    outer = _outer(tmp_path, remote, f"file://{remote}//base?ref=v1")
    entry = f"file://{outer}//wrap?ref=v1"
    repo = _repo(tmp_path, entry)
    cache = tmp_path / "cache"
    out = io.StringIO()
    # `sources pull` follows the nested base too, and locks both
    assert pull(repo, [cache], 120.0, out) == 0
    assert "2 source(s) locked" in out.getvalue()
    lock = (repo / "gitops-sources.lock").read_text()
    assert f"file://{remote}" in lock and f"file://{outer}" in lock
    listed = io.StringIO()
    assert list_sources(repo, [cache], listed) == 0  # `sources list` names the nested one, and where it is listed
    assert f"cached   locked    git file://{remote} at v1  <- shared/kustomization.yaml of git file://{outer} at v1" \
        in listed.getvalue()
    before = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*"))

    result = validate_tree(repo, sources_dirs=[cache])
    assert findings_of(result, "render-remote") == [] and findings_of(result, "render-failed") == []
    [deployment] = [o for o in result.objects if o.data.get("kind") == "Deployment"]
    assert deployment.data["metadata"] == {"name": "outer-remote-web", "namespace": "demo"}
    # findings inside the innermost tree land on the outermost listing line of this repository
    [error] = [f for f in result.findings if f.severity == Severity.ERROR]
    assert "containerPort" in error.message and (error.file, error.line) == ("app/kustomization.yaml", 3)
    # the cache is read, never written (the copy whose entries were rewritten lives in the render's mirror)
    assert sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*")) == before
    [shared] = list((cache / "git").rglob("shared/kustomization.yaml"))
    assert f"file://{remote}//base?ref=v1" in shared.read_text()

    # a nested tree of another commit than the lock records: said at the outermost line too
    commit = _git("rev-parse", "v1", cwd=remote)
    (repo / "gitops-sources.lock").write_text(lock.replace(commit, "b" * 40))
    [digest] = findings_of(validate_tree(repo, sources_dirs=[cache]), "source-digest")
    assert (digest.file, digest.line) == ("app/kustomization.yaml", 3) and f"file://{remote}//base" in digest.message


def test_a_nested_remote_base_missing_from_the_cache_is_a_warning_at_the_outermost_line(
        remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = "https://github.com/example/tools//deploy?ref=v1.0.0"
    outer = _outer(tmp_path, remote, nested)
    repo = _repo(tmp_path, f"file://{outer}//wrap?ref=v1")
    cache = tmp_path / "cache"
    # pull stores the outer tree (file://), then finds that the nested base needs the network, which is closed here
    monkeypatch.setattr("validate.commands.sources._reachable", lambda endpoint, timeout: "closed in this test")
    with pytest.raises(ToolError, match="github.com:443"):
        pull(repo, [cache], 5.0, io.StringIO())
    result = validate_tree(repo, sources_dirs=[cache])
    [warning] = findings_of(result, "render-remote")
    assert (warning.file, warning.line, warning.severity) == ("app/kustomization.yaml", 3, Severity.WARNING)
    assert nested in warning.message and "shared/kustomization.yaml" in warning.message
    assert "`gitops-validate sources pull`" in warning.message and "not rendered" in warning.message
    assert findings_of(result, "render-failed") == [] and result.exit_code == 0


def test_remote_bases_that_list_each_other_stop_at_the_cycle(tmp_path: Path) -> None:
    first = tmp_path / "first.git"
    second = _bare(tmp_path, "second", {"b/kustomization.yaml": f"resources:\n  - file://{first}//a?ref=v1\n"})
    _bare(tmp_path, "first", {"a/kustomization.yaml": f"resources:\n  - file://{second}//b?ref=v1\n"})
    repo = _repo(tmp_path, f"file://{first}//a?ref=v1")
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0  # each fetched once
    [warning] = findings_of(validate_tree(repo, sources_dirs=[cache]), "render-remote")
    assert warning.line == 3 and "a cycle" in warning.message


def test_a_nested_remote_base_without_a_pinned_ref_renders_with_a_warning(remote: Path, tmp_path: Path) -> None:
    outer = _outer(tmp_path, remote, f"file://{remote}//base")
    repo = _repo(tmp_path, f"file://{outer}//wrap?ref=v1")
    cache = tmp_path / "cache"
    assert pull(repo, [cache], 120.0, io.StringIO()) == 0
    result = validate_tree(repo, sources_dirs=[cache])
    [warning] = findings_of(result, "render-remote")
    assert warning.line == 3 and "not pinned" in warning.message and f"file://{remote}//base" in warning.message
    assert any(o.data["metadata"]["name"] == "outer-remote-web" for o in result.objects)
