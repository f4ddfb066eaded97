"""The parsed-documents cache (validate.cache.ParsedDocuments): a run with charts reads back what an
earlier run parsed from the same rendered templates, CRD files and remote kustomize builds, and gets
the same objects as parsing them again."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from tests.test_helm import CHART, PROJECT, REMOTE_APP, app, check, write_chart
from validate import helm, remote
from validate.cache import ParsedDocuments


def test_documents_come_back_as_stored_and_what_json_cannot_hold_is_left_out(tmp_path: Path) -> None:
    cache = ParsedDocuments(tmp_path)
    texts = {"a.yaml": "a: 1\n", "b.yaml": "b: 2\n", "c.yaml": "c: 3\n", "d.yaml": "d: 4\n"}
    key = cache.key(texts, "parser 1")
    assert cache.get(key) is None
    cache.put(key, {"a.yaml": [{"a": 1, "nested": {"list": [1.5, True, None, "x"]}}],
                    "b.yaml": [{"created": datetime.date(2024, 1, 1)}],  # YAML 1.1 reads an unquoted date
                    "c.yaml": [{1: "an integer key"}],  # JSON would make it "1"
                    "d.yaml": [{"not a number": float("nan")}]})
    assert ParsedDocuments(tmp_path).get(key) == {"a.yaml": [{"a": 1, "nested": {"list": [1.5, True, None, "x"]}}]}
    assert cache.key({**texts, "a.yaml": "a: 2\n"}, "parser 1") != key  # another text
    assert cache.key(texts, "parser 2") != key  # another parser


def test_a_torn_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ParsedDocuments(tmp_path)
    key = cache.key({"a.yaml": "a: 1\n"}, "parser")
    cache.put(key, {"a.yaml": [{"a": 1}]})
    [entry] = cache.folder.rglob("*.json")
    entry.write_bytes(entry.read_bytes()[:-3])
    assert cache.get(key) is None


def objects_of(result) -> list[tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    return [(o.render, o.file, o.data) for o in result.objects]


def test_a_second_run_reads_the_chart_documents_back_instead_of_parsing_them(
        write_tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # a document with a date (YAML 1.1 reads an unquoted one): no object (it names no kind), a finding
    chart = {**CHART, "templates/dated.yaml": "note: dated\nsince: 2024-01-01\n"}
    write_chart(tmp_path / "cache", chart)
    repo = write_tree({"argocd/project.yaml": PROJECT, "argocd/app.yaml": app()})
    first = check(repo, tmp_path)
    assert any(f.rule == "schema-identity" for f in first.findings)
    assert ("Deployment", "web") in {(o.data["kind"], o.data["metadata"]["name"]) for o in first.objects}
    parsed: list[str] = []
    real = helm.documents

    def counting(text: str):  # type: ignore[no-untyped-def]
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(helm, "documents", counting)
    second = check(repo, tmp_path)
    assert objects_of(second) == objects_of(first)
    assert [(f.rule, f.message, f.line) for f in second.findings] == [(f.rule, f.message, f.line) for f in first.findings]
    # only the template whose documents JSON cannot hold (a date) is parsed again
    assert len(parsed) == 1 and "note: dated" in parsed[0]


def test_a_remote_git_source_is_built_again_only_when_its_tree_changes(
        write_tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    tree = tmp_path / "cache" / "git" / "github.com/example/tools" / "v1.0.0" / "deploy"
    tree.mkdir(parents=True)
    (tree / "kustomization.yaml").write_text("resources: [settings.yaml]\n")
    (tree / "settings.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: b\n")
    repo = write_tree({"argocd/project.yaml": PROJECT.replace("https://charts.example.com",
                                                              "https://github.com/example/tools.git"),
                       "argocd/app.yaml": REMOTE_APP,
                       ".gitops-validate.yaml": "repoURL: https://github.com/example/repo.git\n"})
    first = check(repo, tmp_path)
    built: list[str] = []
    real = remote._build

    def counting(tree: Path, rel: str, *args):  # type: ignore[no-untyped-def]
        built.append(rel)
        return real(tree, rel, *args)

    monkeypatch.setattr(remote, "_build", counting)
    second = check(repo, tmp_path)
    assert built == [] and objects_of(second) == objects_of(first)
    assert {o.data["metadata"]["name"]: o.data["data"] for o in second.objects if o.owner is not None} == \
        {"my-settings": {"a": "b", "mode": "patched"}}
    (tree / "settings.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: c\n")
    third = check(repo, tmp_path)
    assert built == ["deploy"]
    assert {o.data["metadata"]["name"]: o.data["data"] for o in third.objects if o.owner is not None} == \
        {"my-settings": {"a": "c", "mode": "patched"}}
    # a tree's digest covers regular files only: a symbolic link kustomize would follow counts too
    (tree / "alias.yaml").symlink_to("settings.yaml")
    check(repo, tmp_path)
    (tree / "alias.yaml").unlink()
    (tree / "alias.yaml").symlink_to("kustomization.yaml")
    check(repo, tmp_path)
    check(repo, tmp_path)
    assert built == ["deploy", "deploy", "deploy"]
