"""The package's shape: no import cycle, one model that depends on nothing, no module too large to read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "validate"
MAX_LINES = 500


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _import_time_nodes(tree: ast.Module) -> list[ast.AST]:
    """The statements that run when the module is imported: top level and inside ``if``/``try`` blocks,
    not in functions or classes' methods, not under ``if TYPE_CHECKING``."""
    found: list[ast.AST] = []
    work: list[ast.AST] = list(tree.body)
    while work:
        node = work.pop()
        found.append(node)
        if isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                work.extend(node.body)
            work.extend(node.orelse)
        elif isinstance(node, ast.Try):
            work.extend([*node.body, *node.orelse, *node.finalbody, *(s for h in node.handlers for s in h.body)])
    return found


def import_graph(at_import_time: bool = False) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, wherever the import stands (top level, inside a
    function or under ``TYPE_CHECKING``: a type-level cycle is a cycle too).

    With ``at_import_time``, only the imports that run while the module is imported, and with them
    the packages they initialise: importing ``a.b.c`` runs ``a/b/__init__.py`` first (unless the
    importer lives in ``a.b``, which is then already being initialised). A cycle there fails at run
    time, whatever order the modules are first imported in."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _import_time_nodes(tree) if at_import_time else ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[:len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # ``from pkg import sub`` imports the submodule; ``from mod import name`` the module.
                targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
                parent = target.rpartition(".")[0]
                while at_import_time and parent and parent != "validate":
                    if not (name + ".").startswith(parent + "."):
                        graph[name].add(parent)
                    parent = parent.rpartition(".")[0]
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_importing_any_module_first_works() -> None:
    # locate -> kustomization.patches ran validate/kustomization/__init__.py, which imported errors, which
    # imported locate back: an ImportError at start-up that the graph of modules alone did not show.
    assert cycles(import_graph(at_import_time=True)) == []


def test_the_import_time_graph_sees_the_package_a_submodule_import_initialises() -> None:
    graph = import_graph(at_import_time=True)
    assert "validate.kustomization" in graph["validate.locate"]
    assert "validate.kustomization" not in graph["validate.kustomization.errors"]
    assert "validate.render" not in graph["validate.argocd.deploy"]  # under TYPE_CHECKING


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_type_level_and_function_level_imports() -> None:
    graph = import_graph()
    assert "validate.model" in graph["validate.pipeline"]
    assert "validate.context" in graph["validate.rules"]


def test_the_model_imports_nothing_from_the_package() -> None:
    assert import_graph()["validate.model"] == set()


@pytest.mark.parametrize("name", sorted(_modules()))
def test_no_module_is_over_500_lines(name: str) -> None:
    lines = len(_modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines: split it along its seams (at most {MAX_LINES})"


# What starts a process. Only validate/children.py may: there every child gets its limits (memory,
# CPU, time-out), its own process group, and dies with the validator (issue 13).
_PROCESS_MODULES = {"subprocess", "pty", "multiprocessing"}
_PROCESS_CALLS = {"system", "popen", "fork", "forkpty", "posix_spawn", "posix_spawnp", "execv", "execve", "execvp",
                  "execvpe", "execl", "execle", "execlp", "execlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
                  "spawnl", "spawnle", "spawnlp", "spawnlpe"}


def process_starts(source: str) -> list[str]:
    """The imports and ``os`` calls in ``source`` that can start a process (``os.system(...)``, ``import
    subprocess``, ``from os import fork``), as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in _PROCESS_MODULES]
        elif isinstance(node, ast.ImportFrom):
            module = (node.module or "").split(".")[0]
            if module in _PROCESS_MODULES or (module == "os" and any(a.name in _PROCESS_CALLS for a in node.names)):
                found.append(f"{node.lineno}: from {node.module} import ...")
        elif (isinstance(node, ast.Attribute) and node.attr in _PROCESS_CALLS and isinstance(node.value, ast.Name)
              and node.value.id == "os"):
            found.append(f"{node.lineno}: os.{node.attr}")
    return sorted(found, key=lambda entry: int(entry.partition(":")[0]))


# Copies of the validator itself, not programs: the loader and the per-object stages do half of a large
# run in a fork (validate.forked: it exits when done, and is waited for), yamllint runs in a forkserver
# pool on several cores (its workers end when the validator's pipe to them closes). None runs anything
# a repository names.
_OWN_WORKERS = {"validate.forked": ["os.fork"], "validate.lint": ["from multiprocessing import ..."]}


def test_only_children_starts_processes() -> None:
    starts = {name: [entry.partition(": ")[2] for entry in found] for name, path in _modules().items()
              if name != "validate.children" and (found := process_starts(path.read_text(encoding="utf-8")))}
    assert starts == _OWN_WORKERS, "start programs through validate.children (limits, own group, no orphans)"


def test_the_process_start_finder_sees_every_way_in() -> None:
    source = ("import subprocess\nfrom subprocess import run\nimport os\nos.system('x')\nfrom os import fork\n"
              "import multiprocessing.pool\nos.path.join('a')\n")
    assert process_starts(source) == ["1: import subprocess", "2: from subprocess import ...", "4: os.system",
                                      "5: from os import ...", "6: import multiprocessing.pool"]
