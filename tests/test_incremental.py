"""Incremental runs and the render cache: cheaper, and never hiding an error."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import findings_of, validate_tree
from validate.model import ToolError

SERVICE = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports:\n    - port: {port}\n")


def two_apps(write_tree) -> Path:
    return write_tree({
        "apps/a/kustomization.yaml": "resources: [service.yaml]\nconfigMapGenerator:\n  - name: env\n"
                                     "    envs: [settings.env]\n",
        "apps/a/service.yaml": SERVICE.format(name="a", port=80),
        "apps/a/settings.env": "LOG_LEVEL=INFO\n",
        "apps/b/kustomization.yaml": "resources: [service.yaml]\n",
        "apps/b/service.yaml": SERVICE.format(name="b", port=80),
        "overlays/dev/a/kustomization.yaml": "namespace: dev\nresources: [../../../apps/a]\n",
        "overlays/dev/b/kustomization.yaml": "namespace: dev\nresources: [../../../apps/b]\n",
    })


def test_second_run_reads_renders_from_the_cache(write_tree) -> None:
    repo = two_apps(write_tree)
    first = validate_tree(repo)
    second = validate_tree(repo)
    assert (first.cache_misses, first.cache_hits) == (2, 0)
    assert (second.cache_misses, second.cache_hits) == (0, 2)
    assert [f.as_json() for f in first.findings] == [f.as_json() for f in second.findings]


def test_a_changed_base_file_is_never_served_stale(write_tree) -> None:
    repo = two_apps(write_tree)
    assert validate_tree(repo).exit_code == 0
    (repo / "apps/a/service.yaml").write_text(SERVICE.format(name="a", port='"eighty"'))
    result = validate_tree(repo)
    assert [(f.file, f.line) for f in findings_of(result, "schema-type")] == [("apps/a/service.yaml", 7)]
    assert result.cache_misses == 1


def test_a_changed_non_yaml_generator_input_is_never_served_stale(write_tree) -> None:
    repo = two_apps(write_tree)
    assert validate_tree(repo).exit_code == 0
    (repo / "apps/a/settings.env").write_text("LOG_LEVEL=DEBUG\n")
    result = validate_tree(repo)
    [config_map] = [c.data for c in result.objects if c.data["kind"] == "ConfigMap"]
    assert config_map["data"] == {"LOG_LEVEL": "DEBUG"} and result.cache_misses == 1


def test_a_file_named_by_any_kustomization_field_is_part_of_the_key(write_tree) -> None:
    repo = two_apps(write_tree)
    (repo / "apps/b/kustomization.yaml").write_text("resources: [service.yaml]\nreplacements:\n"
                                                    "  - path: replacement.yaml\n")
    (repo / "apps/b/replacement.yaml").write_text(
        "source: {kind: Service, name: b, fieldPath: metadata.name}\n"
        "targets:\n  - select: {kind: Service}\n    fieldPaths: [metadata.labels.copy]\n"
        "    options: {create: true}\n")
    assert validate_tree(repo).exit_code == 0
    (repo / "apps/b/replacement.yaml").write_text("source: {kind: Service, name: b, fieldPath: spec.nope}\n"
                                                  "targets: [{select: {kind: Nope}, fieldPaths: [x]}]\n")
    assert findings_of(validate_tree(repo), "render-failed")


def test_a_corrupt_cache_entry_is_a_miss(write_tree, private_render_cache: Path) -> None:
    repo = two_apps(write_tree)
    validate_tree(repo)
    for entry in private_render_cache.rglob("*.json"):
        entry.write_text("{not json")
    result = validate_tree(repo)
    assert result.cache_hits == 0 and result.exit_code == 0


def test_the_cache_lives_outside_the_repository(write_tree, private_render_cache: Path) -> None:
    repo = two_apps(write_tree)
    before = sorted(p.relative_to(repo) for p in repo.rglob("*"))
    validate_tree(repo)
    assert sorted(p.relative_to(repo) for p in repo.rglob("*")) == before
    assert list(private_render_cache.rglob("*.json"))


def test_no_cache_renders_everything_afresh(write_tree) -> None:
    repo = two_apps(write_tree)
    validate_tree(repo)
    result = validate_tree(repo, use_cache=False)
    assert (result.cache_hits, result.cache_misses) == (0, 0) and result.rendered == ["overlays/dev/a",
                                                                                       "overlays/dev/b"]


def test_a_file_argument_checks_only_the_renders_that_read_it(write_tree) -> None:
    repo = two_apps(write_tree)
    (repo / ".git").mkdir()
    (repo / "apps/b/service.yaml").write_text(SERVICE.format(name="b", port='"bad"'))
    result = validate_tree(repo / "apps/a/service.yaml")
    assert result.rendered == ["overlays/dev/a"]
    assert findings_of(result, "schema-type") == []
    assert findings_of(validate_tree(repo / "apps/b/service.yaml"), "schema-type")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin", "HOME": str(repo)})


def test_changed_since_checks_what_changed(write_tree) -> None:
    repo = two_apps(write_tree)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "start")
    assert validate_tree(repo, changed_since="HEAD").rendered == []
    (repo / "apps/b/service.yaml").write_text(SERVICE.format(name="b", port='"bad"'))
    result = validate_tree(repo, changed_since="HEAD")
    assert result.rendered == ["overlays/dev/b"] and findings_of(result, "schema-type")
    (repo / "apps/a/settings.env").unlink()
    assert validate_tree(repo, changed_since="HEAD").rendered == ["overlays/dev/a", "overlays/dev/b"]


def test_changed_since_head_before_the_first_commit_checks_everything(write_tree) -> None:
    repo = two_apps(write_tree)
    git(repo, "init", "-q")
    assert validate_tree(repo, changed_since="HEAD").rendered == ["overlays/dev/a", "overlays/dev/b"]


def test_changed_since_a_bad_revision_is_a_tool_error(write_tree) -> None:
    repo = two_apps(write_tree)
    git(repo, "init", "-q")
    with pytest.raises(ToolError, match="--changed-since nope"):
        validate_tree(repo, changed_since="nope")
    with pytest.raises(ToolError, match="not a git revision"):
        validate_tree(repo, changed_since="--output=/tmp/x")


def test_parsed_files_are_remembered_by_content_never_by_name(write_tree, private_render_cache: Path) -> None:
    repo = two_apps(write_tree)
    assert validate_tree(repo).exit_code == 0
    assert list(private_render_cache.glob("loads-*/*.marshal"))
    (repo / "apps/b/service.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  name: c\n")
    [finding] = findings_of(validate_tree(repo), "load-duplicate-key")
    assert (finding.file, finding.line) == ("apps/b/service.yaml", 5)
    for memo in private_render_cache.glob("loads-*/*.marshal"):
        memo.write_bytes(b"\x00not marshal")
    assert findings_of(validate_tree(repo), "load-duplicate-key")
