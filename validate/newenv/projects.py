"""``new-env``'s AppProject edits: the new namespace added after each destination of the old one, as text."""

from __future__ import annotations

import fnmatch
import re

from validate import load
from validate.context import Context
from validate.model import Document
from validate.newenv.plan import Plan, ProjectEdit, name_of, token_pattern


def project_edits(repo: Context, plan: Plan) -> None:
    """One text edit per AppProject file: after each destination whose namespace is renamed, a copy
    with the new namespace (unless a destination already allows it)."""
    for rel in sorted(repo.loaded):
        loaded = repo.loaded[rel]
        insertions: list[tuple[int, list[str]]] = []
        expected: list[tuple[int, int, set[str]]] = []  # document index, destinations after, namespaces
        described: list[tuple[str, str, str]] = []  # project, old, new
        for document in loaded.documents:
            data = document.data
            if not (isinstance(data, dict) and data.get("kind") == "AppProject"
                    and str(data.get("apiVersion", "")).startswith("argoproj.io/")):
                continue
            spec = data.get("spec")
            destinations = spec.get("destinations") if isinstance(spec, dict) else None
            if not isinstance(destinations, list):
                continue
            project = name_of(data)
            wanted: list[tuple[int, str, str]] = []
            for old, new in plan.namespaces.items():
                entries = [i for i, d in enumerate(destinations) if isinstance(d, dict) and d.get("namespace") == old]
                if not entries:
                    continue
                if any(isinstance(d, dict) and isinstance(d.get("namespace"), str)
                       and fnmatch.fnmatchcase(new, d["namespace"]) for d in destinations):
                    plan.notes.append(f"AppProject {project} ({rel}) already allows namespace {new}: not edited")
                    continue
                wanted += [(i, old, new) for i in entries]
            if not wanted:
                continue
            try:
                insertions += _destination_copies(loaded.text or "", document, wanted)
            except _CannotEdit as reason:
                for new in sorted({n for _, _, n in wanted}):
                    plan.notes.append(f"AppProject {project} ({rel}): {reason}; add a destination for namespace"
                                      f" {new} by hand")
                continue
            expected.append((document.index, len(destinations) + len(wanted), {n for _, _, n in wanted}))
            described += [(project, old, new) for _, old, new in wanted]
        if not insertions:
            continue
        original = loaded.text or ""
        text, first_lines = _insert(original, insertions)
        problem = _read_back(text, expected)
        if problem:
            for project, _, new in described:
                plan.notes.append(f"AppProject {project} ({rel}): {problem}; add a destination for namespace {new}"
                                  " by hand")
            continue
        for (project, old, new), line in zip(described, first_lines):
            plan.project_edits.append(ProjectEdit(rel, project, new, old, line, original, text))


class _CannotEdit(Exception):
    pass


def _destination_copies(text: str, document: Document, wanted: list[tuple[int, str, str]]
                        ) -> list[tuple[int, list[str]]]:
    """(0-based line to insert before, lines) for each destination ``index`` copied with namespace
    ``new``; comment lines of the entry are not copied."""
    lines = text.splitlines(keepends=True)
    count = len(document.data["spec"]["destinations"])
    found = []
    for index, old, new in wanted:
        start, dash_column = _entry_start(lines, document, index)
        end = _entry_end(lines, document, index, count, start, dash_column)
        namespace_line = document.position(("spec", "destinations", index, "namespace"))
        if namespace_line is None or not start <= namespace_line[0] - 1 < end:
            raise _CannotEdit("cannot locate the destination's namespace in the text")
        block = []
        for number in range(start, end):
            line = lines[number]
            if number == namespace_line[0] - 1:
                replaced = token_pattern(old).sub(new, line, count=1)
                if replaced == line:
                    raise _CannotEdit("the destination's namespace is not written plainly")
                if "'" not in replaced and '"' not in replaced:
                    replaced = re.sub(r"\s+#.*$", "", replaced.rstrip("\n")) + "\n"  # its comment is ENV's
                line = replaced
            elif line.strip().startswith("#") or not line.strip():
                continue
            block.append(line if line.endswith("\n") else line + "\n")
        found.append((end, block))
    return found


def _insert(text: str, insertions: list[tuple[int, list[str]]]) -> tuple[str, list[int]]:
    """``text`` with the blocks inserted, and the 1-based line where each block starts (in the
    order given)."""
    lines = text.splitlines(keepends=True)
    order = sorted(range(len(insertions)), key=lambda i: insertions[i][0])
    starts = [0] * len(insertions)
    shift = 0
    for i in order:
        starts[i] = insertions[i][0] + shift + 1
        shift += len(insertions[i][1])
    for end, block in sorted(insertions, key=lambda item: item[0], reverse=True):
        if end > 0 and not lines[end - 1].endswith("\n"):
            lines[end - 1] += "\n"
        lines[end:end] = block
    return "".join(lines), starts


def _read_back(text: str, expected: list[tuple[int, int, set[str]]]) -> str | None:
    """Why the edited text is not what was meant, or None."""
    check = load.load_text(text, "check")
    if check.findings:
        return "the edited file would not be valid YAML"
    for index, count, namespaces in expected:
        data = check.documents[index].data if index < len(check.documents) else None
        spec = data.get("spec") if isinstance(data, dict) else None
        destinations = spec.get("destinations") if isinstance(spec, dict) else None
        if not isinstance(destinations, list) or len(destinations) != count or not namespaces <= {
                d.get("namespace") for d in destinations if isinstance(d, dict)}:
            return "the edited file would not read back as expected"
    return None


def _entry_start(lines: list[str], document: Document, index: int) -> tuple[int, int]:
    """0-based line and column of the ``-`` that opens destination ``index``."""
    position = document.position(("spec", "destinations", index))
    if position is None:
        raise _CannotEdit("cannot locate the destination in the text")
    line, column = position[0] - 1, position[1] - 1
    before = lines[line][:column]
    if before.rstrip().endswith("-"):
        return line, before.rstrip().rfind("-")
    previous = line - 1
    while previous >= 0 and (not lines[previous].strip() or lines[previous].strip().startswith("#")):
        previous -= 1
    if previous >= 0 and lines[previous].strip() == "-":
        return previous, lines[previous].index("-")
    raise _CannotEdit("the destinations are not a block list")


def _entry_end(lines: list[str], document: Document, index: int, count: int, start: int,
               dash_column: int) -> int:
    """0-based line after destination ``index``, trailing comments and blank lines left out (they
    introduce what follows)."""
    if index + 1 < count:
        end, _ = _entry_start(lines, document, index + 1)
    else:
        end = start + 1
        while end < len(lines):
            stripped = lines[end].strip()
            indent = len(lines[end]) - len(lines[end].lstrip())
            if stripped and not stripped.startswith("#") and indent <= dash_column:
                break
            end += 1
    while end - 1 > start and (not lines[end - 1].strip() or lines[end - 1].strip().startswith("#")):
        end -= 1
    return end


