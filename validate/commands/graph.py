"""``gitops-validate graph``: the repository graph (:mod:`validate.graph`) as Mermaid, Graphviz or Markdown.

One :class:`~validate.report.Reporter` per format; the output is sorted, so the same repository
always gives the same text (``docs/graph.md`` is generated and checked by a test).
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from validate.commands import Parser, repository_root, write_atomically
from validate.graph import MARKDOWN_FILE, Graph, Group, build, read_repository
from validate.model import ToolError
from validate.report import Reporter

# Node kinds, their Mermaid shapes (open, close) and Graphviz shapes.
_MERMAID_SHAPES = {
    "app": ('["', '"]'),
    "overlay": ('["', '"]'),
    "directory": ('["', '"]'),
    "application": ('(["', '"])'),
    "applicationset": ('{{"', '"}}'),
    "project": ('[["', '"]]'),
    "chart": ('[("', '")]'),
    "remote": ('[/"', '"/]'),
}
_DOT_SHAPES = {
    "app": "box", "overlay": "box", "directory": "folder", "application": "ellipse",
    "applicationset": "hexagon", "project": "component", "chart": "cylinder", "remote": "parallelogram",
}
_CLASS_STYLES = {
    "app": "fill:#e8f1fb,stroke:#4a7ab5",
    "overlay": "fill:#eef7ee,stroke:#4f8f4f",
    "directory": "fill:#f4f4f4,stroke:#777777",
    "application": "fill:#fff4e0,stroke:#c07a00",
    "applicationset": "fill:#fde8e8,stroke:#b54a4a",
    "project": "fill:#f0e8fb,stroke:#7a4ab5",
    "chart": "fill:#e8fbf8,stroke:#2f8f80",
    "remote": "fill:#f4f4f4,stroke:#777777",
}


class _Ids:
    """Stable identifiers made of [A-Za-z0-9_] only, unique even when two keys sanitize alike."""

    def __init__(self, keys: list[str]):
        self.ids: dict[str, str] = {}
        taken: set[str] = set()
        for key in sorted(keys):
            base = re.sub(r"[^A-Za-z0-9_]", "_", key)
            candidate, number = base, 2
            while candidate in taken:
                candidate, number = f"{base}_{number}", number + 1
            taken.add(candidate)
            self.ids[key] = candidate

    def __getitem__(self, key: str) -> str:
        return self.ids[key]


def _mermaid_text(text: str) -> str:
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def mermaid(graph: Graph) -> str:
    ids = _Ids(list(graph.nodes) + list(graph.groups))
    out = ["flowchart LR"]

    def emit_group(group: Group | None, indent: str) -> None:
        key = group.key if group else None
        for node in (graph.members(key) if key else sorted((n for n in graph.nodes.values() if n.group is None),
                                                          key=lambda n: n.key)):
            opening, closing = _MERMAID_SHAPES[node.kind]
            label = "<br/>".join(_mermaid_text(line) for line in node.lines)
            out.append(f"{indent}{ids[node.key]}{opening}{label}{closing}")
        for child in graph.children(key):
            out.append(f'{indent}subgraph {ids[child.key]}["{_mermaid_text(child.label)}"]')
            emit_group(child, indent + "  ")
            out.append(f"{indent}end")

    emit_group(None, "  ")
    for edge in sorted(graph.edges):
        arrow = "-.->" if edge.dashed else "-->"
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        out.append(f"  {ids[edge.source]} {arrow}{label} {ids[edge.target]}")
    for kind, style in _CLASS_STYLES.items():
        members = sorted(ids[n.key] for n in graph.nodes.values() if n.kind == kind)
        if members:
            out.append(f"  classDef {kind} {style}")
            out.append(f"  class {','.join(members)} {kind}")
    return "\n".join(out) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def dot(graph: Graph) -> str:
    ids = _Ids(list(graph.nodes) + list(graph.groups))
    out = ["digraph gitops {", "  rankdir=LR;", "  compound=true;",
           '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor=white];',
           '  edge [fontname="Helvetica", fontsize=9];']

    def fill(kind: str) -> str:
        return _CLASS_STYLES[kind].split(",")[0].removeprefix("fill:")

    def emit_group(key: str | None, indent: str) -> None:
        nodes = graph.members(key) if key else sorted((n for n in graph.nodes.values() if n.group is None),
                                                      key=lambda n: n.key)
        for node in nodes:
            label = "\\n".join(_dot_text(line) for line in node.lines)
            out.append(f'{indent}{ids[node.key]} [label="{label}", shape={_DOT_SHAPES[node.kind]},'
                       f' fillcolor="{fill(node.kind)}"];')
        for child in graph.children(key):
            out.append(f"{indent}subgraph cluster_{ids[child.key]} {{")
            out.append(f'{indent}  label="{_dot_text(child.label)}";')
            emit_group(child.key, indent + "  ")
            out.append(f"{indent}}}")

    def anchor(key: str) -> tuple[str, str | None]:
        """A group is reached through one of its nodes, with the edge clipped at the cluster."""
        if key in graph.nodes:
            return ids[key], None
        pending = [key]
        while pending:
            current = pending.pop(0)
            members = graph.members(current)
            if members:
                return ids[members[0].key], f"cluster_{ids[key]}"
            pending.extend(g.key for g in graph.children(current))
        raise ValueError(f"empty group {key}")

    emit_group(None, "  ")
    for edge in sorted(graph.edges):
        source, ltail = anchor(edge.source)
        target, lhead = anchor(edge.target)
        attributes = []
        if edge.label:
            attributes.append(f'label="{_dot_text(edge.label)}"')
        if edge.dashed:
            attributes.append("style=dashed")
        if ltail:
            attributes.append(f"ltail={ltail}")
        if lhead:
            attributes.append(f"lhead={lhead}")
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        out.append(f"  {source} -> {target}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"


def markdown(graph: Graph) -> str:
    return (
        "# Repository graph\n\n"
        "<!-- Generated by `gitops-validate graph --format markdown --output docs/graph.md`; do not edit."
        " A test fails when it is out of date. -->\n\n"
        "What Argo CD syncs from this repository, read from the sources offline (nothing rendered, no\n"
        "cluster read; ApplicationSets expanded the way Argo CD would). Rectangles are kustomization\n"
        "folders: app bases under `apps/`, overlays grouped by environment, other synced folders;\n"
        "rounded boxes are Applications, written or generated (one per overlay folder, drawn inside\n"
        "its environment); hexagons are ApplicationSets, framed boxes AppProjects, cylinders Helm\n"
        "charts with their pinned versions, slanted boxes folders of other repositories. A dashed\n"
        "arrow: the folder holds that Argo CD object (app of apps).\n\n"
        "```mermaid\n" + mermaid(graph) + "```\n\n"
        "The same graph for Graphviz: `gitops-validate graph --format dot | dot -Tsvg > graph.svg`.\n"
    )


class MermaidReporter(Reporter[Graph]):
    name = "mermaid"

    def report(self, subject: Graph) -> None:
        self.out.write(mermaid(subject))


class DotReporter(Reporter[Graph]):
    name = "dot"

    def report(self, subject: Graph) -> None:
        self.out.write(dot(subject))


class MarkdownReporter(Reporter[Graph]):
    """The whole of ``docs/graph.md``."""

    name = "markdown"

    def report(self, subject: Graph) -> None:
        self.out.write(markdown(subject))


REPORTERS: dict[str, type[Reporter[Graph]]] = {r.name: r for r in (MermaidReporter, DotReporter, MarkdownReporter)}
FORMATS = tuple(REPORTERS)


def render(root: Path, format: str = "mermaid") -> str:
    """The graph of the repository at ``root`` in ``format``."""
    out = io.StringIO()
    REPORTERS[format](out).report(build(read_repository(root)))
    return out.getvalue()


README = "README.md"
README_START = "<!-- graph:start"
README_END = "```\n<!-- graph:end -->"
UPDATE_DOCS = "gitops-validate graph --update-docs"


def generated_docs(root: Path) -> dict[str, str]:
    """The generated documents of the repository, as they should read now: ``docs/graph.md`` and
    the Mermaid block of the README between its graph markers (each only where it exists)."""
    graph = build(read_repository(root))
    wanted: dict[str, str] = {}
    if (root / MARKDOWN_FILE).is_file():
        out = io.StringIO()
        MarkdownReporter(out).report(graph)
        wanted[MARKDOWN_FILE] = out.getvalue()
    readme = root / README
    text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
    if README_START in text and README_END in text:
        start = text.index("```mermaid\n", text.index(README_START)) + len("```mermaid\n")
        end = text.index(README_END, start)
        out = io.StringIO()
        MermaidReporter(out).report(graph)
        wanted[README] = text[:start] + out.getvalue() + text[end:]
    return wanted


def update_docs(root: Path) -> list[str]:
    """Rewrite the generated documents that are out of date, each atomically; the ones rewritten."""
    changed = []
    for rel, text in generated_docs(root).items():
        if (root / rel).read_text(encoding="utf-8") != text:
            write_atomically(root / rel, text)
            changed.append(rel)
    return changed


def main(argv: list[str]) -> int:
    parser = Parser(prog="gitops-validate graph", description="Draw apps, environments, Argo CD"
                     " Applications and projects of the repository, offline.")
    parser.add_argument("path", nargs="?", type=Path, help="the repository (default: the one the current"
                        " directory is in)")
    parser.add_argument("--format", choices=FORMATS, default="mermaid", help="mermaid (default), dot (Graphviz)"
                        f" or markdown (the whole {MARKDOWN_FILE})")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write to FILE (atomically) instead of"
                        " standard output")
    parser.add_argument("--update-docs", action="store_true", help=f"rewrite {MARKDOWN_FILE} and the README's"
                        " graph where they are out of date")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    args = parser.parse_args(argv)
    if args.update_docs:
        try:
            changed = update_docs(repository_root(args.path))
        except OSError as error:
            raise ToolError(f"--update-docs: {error}") from None
        print(f"updated {', '.join(changed)}" if changed else "the generated docs are up to date")
        return 0
    text = render(repository_root(args.path), args.format)
    if args.output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return 0
    try:
        write_atomically(args.output, text)
    except OSError as error:
        raise ToolError(f"--output {args.output}: {error.strerror or error}") from None
    return 0
