"""``gitops-validate graph``: the model of this repository, valid Mermaid and DOT, docs/graph.md current."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from validate import graph
from validate.cli import main as cli_main
from validate.commands import graph as graph_command
from validate.graph import Edge, Graph, Node
from validate.repository import source_model

REPO = Path(__file__).resolve().parents[1]
ENVIRONMENTS = sorted(p.name for p in (REPO / "overlays").iterdir() if p.is_dir())  # dev, staging, prod, and any fork
APPS = sorted(p.name for p in (REPO / "apps").iterdir() if (p / "kustomization.yaml").is_file())


@pytest.fixture(scope="module")
def model() -> Graph:
    return graph.build(graph.read_repository(REPO))


def test_docs_graph_md_is_up_to_date() -> None:
    expected = graph_command.render(REPO, "markdown")
    written = (REPO / graph.MARKDOWN_FILE).read_text(encoding="utf-8")
    assert written == expected, ("docs/graph.md is out of date: run"
                                 " `gitops-validate graph --format markdown --output docs/graph.md`")


def test_every_overlay_has_its_generated_application(model: Graph) -> None:
    for env in ENVIRONMENTS:
        assert f"env:{env}" in model.groups
        for app in APPS:
            application = model.nodes[f"application:{env}-{app}"]
            assert application.group == f"env:{env}" and application.kind == "application"
            overlay = f"overlay:overlays/{env}/{app}"
            assert model.nodes[overlay].group == f"env:{env}"
            assert Edge(f"application:{env}-{app}", overlay, "syncs") in model.edges
            assert Edge(overlay, f"app:apps/{app}") in model.edges


def test_applicationsets_generate_whole_environments_in_one_project(model: Graph) -> None:
    assert Edge("applicationset:seldon-series", "env:dev", f"generates {len(APPS)}") in model.edges
    assert Edge("applicationset:seldon-series", "env:staging", f"generates {len(APPS)}") in model.edges
    assert Edge("applicationset:seldon-series-prod", "env:prod", f"generates {len(APPS)}") in model.edges
    assert not any(e.source == "applicationset:seldon-series" and e.target == "env:prod" for e in model.edges)
    assert Edge("applicationset:seldon-series", "project:seldon-series", "project") in model.edges


def test_platform_applications_show_their_charts_and_versions(model: Graph) -> None:
    """Every chart an Application pins is drawn with the version it pins (read from the manifests, so
    a version bump changes the graph, not this test), beside its Application in the platform group."""
    pinned = {(app.name, source["chart"], str(source.get("targetRevision")))
              for app in source_model(REPO).applications if not app.generated
              for _, source in app.sources() if isinstance(source.get("chart"), str)}
    assert pinned, "the repository pins no chart"
    charts = {n.lines[0] for n in model.nodes.values() if n.kind == "chart"}
    for name, chart, version in sorted(pinned):
        assert f"chart {chart} {version}" in charts
        assert model.nodes[f"application:{name}"].group == "platform"
        assert any(e.source == f"application:{name}" and e.label == "chart" for e in model.edges)
    assert Edge("application:seldon-core-operator", "project:platform", "project") in model.edges


def test_the_root_application_syncs_argocd_which_holds_the_rest(model: Graph) -> None:
    assert Edge("application:root", "directory:argocd", "syncs") in model.edges
    held = {e.target for e in model.edges if e.source == "directory:argocd" and e.label == "holds"}
    assert {"applicationset:seldon-series", "project:platform", "application:argo-cd"} <= held


def test_output_is_deterministic() -> None:
    assert graph_command.render(REPO, "mermaid") == graph_command.render(REPO, "mermaid")
    assert graph_command.render(REPO, "dot") == graph_command.render(REPO, "dot")


_MERMAID_LINE = re.compile(
    r"^(?:flowchart LR"
    r"|\s+[A-Za-z0-9_]+(?:\[\"|\(\[\"|\{\{\"|\[\[\"|\[\(\"|\[/\")[^\"]*(?:\"\]|\"\]\)|\"\}\}|\"\]\]|\"\)\]|\"/\])"
    r"|\s+subgraph [A-Za-z0-9_]+\[\"[^\"]*\"\]"
    r"|\s+end"
    r"|\s+[A-Za-z0-9_]+ (?:-->|-\.->)(?:\|\"[^\"]*\"\|)? [A-Za-z0-9_]+"
    r"|\s+classDef [a-z]+ [^ ]+"
    r"|\s+class [A-Za-z0-9_,]+ [a-z]+)$")


def test_mermaid_lines_are_well_formed() -> None:
    text = graph_command.render(REPO, "mermaid")
    lines = text.splitlines()
    bad = [line for line in lines if not _MERMAID_LINE.match(line)]
    assert bad == []
    assert sum(1 for line in lines if line.strip().startswith("subgraph ")) == \
        sum(1 for line in lines if line.strip() == "end")


def test_ids_are_sanitized_unique_and_labels_escaped() -> None:
    model = Graph()
    model.add(Node("overlay:a-b", ('say "hi" <now>',), "overlay"))
    model.add(Node("overlay:a_b", ("plain",), "overlay"))
    model.connect("overlay:a-b", "overlay:a_b", 'x"y')
    text = graph_command.mermaid(model)
    assert 'overlay_a_b["say #quot;hi#quot; #lt;now#gt;"]' in text and 'overlay_a_b_2["plain"]' in text
    assert 'overlay_a_b -->|"x#quot;y"| overlay_a_b_2' in text
    assert 'label="say \\"hi\\" <now>"' in graph_command.dot(model)


def test_dot_is_accepted_by_graphviz(tmp_path: Path) -> None:
    text = graph_command.render(REPO, "dot")
    assert text.startswith("digraph gitops {") and text.rstrip().endswith("}")
    assert text.count("{") == text.count("}")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed")
    result = subprocess.run(["dot", "-Tsvg"], check=False, input=text, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_output_file_is_written_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "graph.md"
    assert cli_main(["graph", "--format", "markdown", "--output", str(target), str(REPO)]) == 0
    assert target.read_text(encoding="utf-8") == graph_command.render(REPO, "markdown")
    assert [p.name for p in target.parent.iterdir()] == ["graph.md"]
    assert capsys.readouterr().out == ""


def test_a_missing_path_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["graph", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_bad_format_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["graph", "--format", "svg"]) == 2
    assert "invalid choice" in capsys.readouterr().err


APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: envs
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://example.com/repo.git
        revision: main
        directories:
          - path: overlays/*/*
  template:
    metadata:
      name: '{NAME}'
    spec:
      project: default
      source:
        repoURL: https://example.com/repo.git
        targetRevision: main
        path: '{{.path.path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'team-{{index .path.segments 1}}'
"""
KUSTOMIZATION = "resources:\n  - ../../../apps/web\n"
BASE = "resources:\n  - cm.yaml\n"
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"


def _small_repo(write_tree, name_template: str) -> Path:
    return write_tree({
        ".gitops-validate.yaml": "repoURL: https://example.com/repo.git\n",
        "argocd/appset.yaml": APPSET.replace("{NAME}", name_template),
        "apps/web/kustomization.yaml": BASE,
        "apps/web/cm.yaml": CM,
        "overlays/test/web/kustomization.yaml": KUSTOMIZATION,
        "overlays/live/web/kustomization.yaml": KUSTOMIZATION,
    })


def test_generated_names_follow_the_template(write_tree) -> None:
    repo = _small_repo(write_tree, "{{.path.basename}}-{{index .path.segments 1}}")
    model = graph.build(graph.read_repository(repo))
    assert model.nodes["application:web-live"].group == "env:live"
    assert Edge("application:web-test", "overlay:overlays/test/web", "syncs") in model.edges
    assert Edge("applicationset:envs", "env:test", "generates 1") in model.edges


@pytest.mark.parametrize("template", ["{{.path.nothing}}", "{{.path.nothing | lower}}",
                                      "{{ if .path }}x{{ end }}"])
def test_an_unevaluable_name_falls_back_to_the_overlay_path(write_tree, template: str) -> None:
    repo = _small_repo(write_tree, template)
    model = graph.build(graph.read_repository(repo))
    names = sorted(n.lines[0] for n in model.nodes.values() if n.kind == "application")
    assert names == ["overlays/live/web", "overlays/test/web"]


def test_the_readme_embeds_the_current_graph() -> None:
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text()
    start = readme.index("```mermaid\n", readme.index("<!-- graph:start")) + len("```mermaid\n")
    end = readme.index("```\n<!-- graph:end -->")
    rendered = subprocess.run([sys.executable, "-m", "validate", "graph", "--format", "mermaid", str(REPO)],
                              capture_output=True, text=True, check=True).stdout
    assert readme[start:end] == rendered, "README.md's graph is stale: paste `gitops-validate graph` output"
