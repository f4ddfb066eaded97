"""The offline ApplicationSet expansion (validate.argocd) and Argo CD's matching rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from validate import argocd as _argocd
from validate import pipeline
from validate.context import Context
from validate.rules.argocd_project import destination_permitted, source_permitted

REPO = "https://github.com/example/seldon-gitops.git"


def _context(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    captured: dict[str, Context] = {}
    original = pipeline._run_rules

    def grab(ctx: Context, *args: Any) -> Any:
        captured["ctx"] = ctx
        return original(ctx, *args)

    monkeypatch.setattr(pipeline, "_run_rules", grab)
    pipeline.run(pipeline.Options(paths=[repo]))
    return captured["ctx"]


def _appset(generators: str, template_name: str, path: str, go: bool = True, extra: str = "") -> str:
    return f"""apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: series
  namespace: argocd
spec:
  goTemplate: {'true' if go else 'false'}
  generators:
{generators}
  template:
    metadata:
      name: '{template_name}'
    spec:
      project: default
      source:
        repoURL: {REPO}
        targetRevision: main
        path: '{path}'
      destination:
        server: https://kubernetes.default.svc
        namespace: seldon{extra}
"""


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n"
TREE = {
    "overlays/dev/02-First_Deployment/configmap.yaml": CONFIGMAP,
    "overlays/dev/03-graph/configmap.yaml": CONFIGMAP,
    "overlays/prod/02-First_Deployment/configmap.yaml": CONFIGMAP,
}
GIT_DIRS = f"""    - git:
        repoURL: {REPO}
        revision: main
        directories:
          - path: overlays/*/*
          - path: overlays/prod/*
            exclude: true"""


def _expand(write_tree: Any, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> _argocd.Expansion:
    ctx = _context(write_tree(files), monkeypatch)
    appsets = [obj for obj in ctx.objects if _argocd.is_kind(obj.data, "ApplicationSet")]
    assert len(appsets) == 1
    return ctx.expansion(appsets[0])


def _names_and_paths(expansion: _argocd.Expansion) -> list[tuple[str, str]]:
    return sorted((app.name, app.spec["source"]["path"]) for app in expansion.apps)


def test_git_directories_go_template(write_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    appset = _appset(GIT_DIRS, "{{index .path.segments 1}}-{{.path.basenameNormalized}}", "{{.path.path}}")
    expansion = _expand(write_tree, monkeypatch, {**TREE, "argocd/appset.yaml": appset})
    assert _names_and_paths(expansion) == [("dev-02-first-deployment", "overlays/dev/02-First_Deployment"),
                                           ("dev-03-graph", "overlays/dev/03-graph")]
    assert expansion.issues == []


def test_expanded_once_per_run_and_again_for_other_repository_keys(write_tree: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate's context reuses the Helm stage's expansions; other repository keys expand again."""
    calls: list[frozenset[str]] = []
    original = _argocd.expand

    def counted(appset: Any, home: frozenset[str], *args: Any) -> _argocd.Expansion:
        calls.append(home)
        return original(appset, home, *args)

    monkeypatch.setattr(_argocd, "expand", counted)
    appset = _appset(GIT_DIRS, "{{index .path.segments 1}}-{{.path.basenameNormalized}}", "{{.path.path}}")
    ctx = _context(write_tree({**TREE, "argocd/appset.yaml": appset}), monkeypatch)
    assert len(calls) == 1  # the whole run: Helm stage, gate, rules
    found = next(obj for obj in ctx.objects if _argocd.is_kind(obj.data, "ApplicationSet"))
    assert ctx.with_objects(ctx.objects).expansion(found) is ctx.expansion(found)
    assert len(calls) == 1
    elsewhere = ctx.with_objects(ctx.objects)
    elsewhere.home = frozenset({"github.com/example/other"})  # what a cached_property holds once computed
    assert elsewhere.expansion(found).apps == []  # its git generator reads another repository
    assert calls[-1] == frozenset({"github.com/example/other"}) and len(calls) == 2


def test_git_directories_fasttemplate(write_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    appset = _appset(GIT_DIRS, "{{path[1]}}-{{path.basename}}", "{{path}}", go=False)
    expansion = _expand(write_tree, monkeypatch, {**TREE, "argocd/appset.yaml": appset})
    assert _names_and_paths(expansion) == [("dev-02-First_Deployment", "overlays/dev/02-First_Deployment"),
                                           ("dev-03-graph", "overlays/dev/03-graph")]


def test_git_files_flattened_and_nested(write_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    generators = f"""    - git:
        repoURL: {REPO}
        revision: main
        files:
          - path: clusters/**/config.json"""
    files = {"clusters/dev/config.json": '{"cluster": {"name": "dev", "address": "https://dev"}}',
             "clusters/prod/eu/config.json": '{"cluster": {"name": "prod-eu", "address": "https://eu"}}',
             "overlays/dev/app/configmap.yaml": CONFIGMAP}
    fast = _appset(generators, "{{cluster.name}}-{{path.basename}}", "overlays/dev/app", go=False)
    assert sorted(a.name for a in _expand(write_tree, monkeypatch, {**files, "argocd/appset.yaml": fast}).apps) == \
        ["dev-dev", "prod-eu-eu"]


def test_git_files_go_template(write_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    generators = f"""    - git:
        repoURL: {REPO}
        revision: main
        files:
          - path: clusters/*/config.yaml"""
    files = {"clusters/dev/config.yaml": "cluster:\n  name: dev\n",
             "overlays/dev/app/configmap.yaml": CONFIGMAP}
    go = _appset(generators, "{{ .cluster.name | upper }}-{{ .path.filename }}", "overlays/{{ .cluster.name }}/app")
    expansion = _expand(write_tree, monkeypatch, {**files, "argocd/appset.yaml": go})
    assert _names_and_paths(expansion) == [("DEV-config.yaml", "overlays/dev/app")]


def test_matrix_and_merge(write_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    generators = f"""    - merge:
        mergeKeys: [env]
        generators:
          - matrix:
              generators:
                - git:
                    repoURL: {REPO}
                    revision: main
                    directories:
                      - path: overlays/*/*
                - list:
                    elements:
                      - env: '{{{{index .path.segments 1}}}}'
          - list:
              elements:
                - env: prod
                  suffix: -live"""
    appset = _appset(generators, "{{.env}}-{{.path.basename}}{{.suffix | default \"\"}}", "{{.path.path}}")
    expansion = _expand(write_tree, monkeypatch, {**TREE, "argocd/appset.yaml": appset})
    assert sorted(a.name for a in expansion.apps) == ["dev-02-First_Deployment", "dev-03-graph",
                                                      "prod-02-First_Deployment-live"]


def test_unsupported_and_unknown_parameters_are_issues(write_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    appset = _appset(GIT_DIRS, "{{ if .path }}x{{ end }}", "{{.path.nope}}")
    expansion = _expand(write_tree, monkeypatch, {**TREE, "argocd/appset.yaml": appset})
    assert {app.spec["source"]["path"] for app in expansion.apps} == {"{{.path.nope}}"}
    kinds = {(issue.kind, issue.path[-1]) for issue in expansion.issues}
    assert kinds == {("unresolved", "name"), ("unresolved", "path")}


def test_empty_generators_are_issues(write_tree: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    generators = f"""    - git:
        repoURL: {REPO}
        revision: main
        directories:
          - path: overlay/*
    - list:
        elements: []"""
    expansion = _expand(write_tree, monkeypatch, {**TREE, "argocd/appset.yaml": _appset(generators, "x", "y")})
    assert [issue.path for issue in expansion.issues if issue.kind == "empty"] == [
        ("spec", "generators", 0, "git", "directories", 0, "path"), ("spec", "generators", 1, "list", "elements")]


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ index .path.segments 1 }}", "dev"),
    ("{{- .path.basename -}} x", "appx"),
    ("{{ .path.basename | replace \"a\" \"b\" | upper }}", "BPP"),
    ("{{ printf \"%s-%s\" .path.basename \"z\" }}", "app-z"),
    ("{{ .values.name | default \"fallback\" }}", "fallback"),
])
def test_go_template_subset(template: str, expected: str) -> None:
    params = {"path": {"path": "overlays/dev/app", "basename": "app", "segments": ["overlays", "dev", "app"]},
              "values": {}}
    problems: list[str] = []
    assert _argocd.render_go(template, params, problems) == expected
    assert problems == []


def test_fasttemplate_leaves_unknown_keys() -> None:
    problems: list[str] = []
    assert _argocd.render_fast("{{path.basename}}-{{ nope }}", {"path.basename": "app"}, problems) == "app-{{ nope }}"
    assert len(problems) == 1


def test_basename_normalized() -> None:
    assert _argocd.sanitize_name("02-First_Deployment.") == "02-first-deployment"


def test_repo_keys() -> None:
    assert _argocd.repo_key("git@github.com:Example/Repo.git") == _argocd.repo_key("https://github.com/example/repo/")
    assert _argocd.repo_key("ssh://git@github.com:22/example/repo") == "github.com/example/repo"


def test_project_matching_follows_argo_cd() -> None:
    assert source_permitted(["https://github.com/example/*"], "https://github.com/Example/repo.git")
    assert not source_permitted(["https://github.com/example/*"], "https://github.com/example/a/b")
    assert source_permitted(["*"], "oci://registry/charts")
    assert not source_permitted(["!https://github.com/example/secret", "*"], "https://github.com/example/secret")
    entries = [{"server": "https://kubernetes.default.svc", "namespace": "seldon-*"}]
    assert destination_permitted(entries, {"name": "in-cluster", "namespace": "seldon-dev"}) is True
    assert destination_permitted(entries, {"server": "https://kubernetes.default.svc", "namespace": "x"}) is False
    assert destination_permitted(entries, {"name": "remote", "namespace": "seldon-dev"}) is None
    plain = [{"server": "https://kubernetes.default.svc", "namespace": "seldon.dev"}]  # a literal name: no wildcard
    assert destination_permitted(plain, {"name": "in-cluster", "namespace": "seldon.dev"}) is True
    assert destination_permitted(plain, {"name": "in-cluster", "namespace": "seldon-dev"}) is False
    assert destination_permitted([{**plain[0], "namespace": "!seldon.dev"}],
                                 {"name": "in-cluster", "namespace": "seldon.dev"}) is False
