"""Path arguments scope the report: findings of the named files and folders and of the renders
they name, never their neighbours'; repository-wide rules only on whole-repository runs."""

from __future__ import annotations

from pathlib import Path

from validate.pipeline import Options, run

SERVICE = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports:\n    - port: {port}\n")


def tree(write_tree) -> Path:
    """Two broken apps (a wrong type each) with dev overlays, and an app c without any overlay, in a
    git work tree (what makes a folder the repository's root)."""
    repo = write_tree({
        "apps/a/kustomization.yaml": "resources: [service.yaml]\n",
        "apps/a/service.yaml": SERVICE.format(name="a", port='"eighty"'),
        "apps/b/kustomization.yaml": "resources: [service.yaml]\n",
        "apps/b/service.yaml": SERVICE.format(name="b", port='"eighty"'),
        "apps/c/kustomization.yaml": "resources: [service.yaml]\n",
        "apps/c/service.yaml": SERVICE.format(name="c", port=80),
        "overlays/dev/a/kustomization.yaml": "namespace: dev\nresources: [../../../apps/a]\n",
        "overlays/dev/b/kustomization.yaml": "namespace: dev\nresources: [../../../apps/b]\n",
    })
    (repo / ".git").mkdir()
    return repo


def files(repo: Path, *paths: str) -> set[tuple[str | None, str]]:
    result = run(Options(paths=[repo / p for p in paths] or [repo]))
    return {(f.file, f.rule) for f in result.findings}


def test_the_whole_repository_reports_everything_including_repository_wide_rules(write_tree) -> None:
    repo = tree(write_tree)
    found = files(repo)
    assert ("apps/a/service.yaml", "schema-type") in found and ("apps/b/service.yaml", "schema-type") in found
    assert ("apps/c/kustomization.yaml", "repo-coverage") in found
    assert found == files(repo, ".")  # the root named is the whole repository


def test_a_named_folder_reports_only_its_own_findings(write_tree) -> None:
    repo = tree(write_tree)
    found = files(repo, "apps/a")
    assert ("apps/a/service.yaml", "schema-type") in found
    assert all(file is None or file.startswith("apps/a/") for file, _ in found), found


def test_a_named_file_reports_only_its_findings_not_its_neighbours(write_tree) -> None:
    repo = tree(write_tree)
    found = files(repo, "apps/b/service.yaml")
    assert ("apps/b/service.yaml", "schema-type") in found
    assert {file for file, _ in found if file} == {"apps/b/service.yaml"}, found


def test_a_named_overlay_reports_what_its_render_finds_at_the_cause(write_tree) -> None:
    """The overlay's render reads the base: the base's broken field is the render's finding."""
    repo = tree(write_tree)
    result = run(Options(paths=[repo / "overlays/dev/a"]))
    assert [(f.file, f.render) for f in result.findings if f.rule == "schema-type"] == \
        [("apps/a/service.yaml", "overlays/dev/a")]
    assert not any(f.file and f.file.startswith(("apps/b", "overlays/dev/b")) for f in result.findings)


def test_repository_wide_rules_stay_out_of_a_report_on_named_paths(write_tree) -> None:
    repo = tree(write_tree)
    assert ("apps/c/kustomization.yaml", "repo-coverage") not in files(repo, "apps/c")
    assert ("apps/c/kustomization.yaml", "repo-coverage") not in files(repo, "apps/c/kustomization.yaml")
