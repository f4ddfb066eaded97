"""``gitops-validate new-env NAME --from ENV``: fork an environment.

Copies ``overlays/ENV`` to ``overlays/NAME`` with the environment's names renamed (the namespaces
derived from ENV, such as ``seldon-ENV``, and ``environment: ENV`` label values; whole tokens only),
adds the new namespace to every AppProject that lists ENV's namespace as a destination (a text
edit after ENV's entry, so comments and layout stay), and reports which ApplicationSet
generators pick the new folders up and which Applications they will create. ApplicationSets are
never edited: one whose pattern names ENV explicitly is reported, with what covers NAME instead.

Nothing is half-written: the new tree is built in a temporary folder in the repository and
renamed into place, AppProject files are replaced atomically, and any failure undoes what was
done. The repository is then validated; findings in the new environment make the exit code 1.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from validate import discover, load
from validate.environments import OVERLAYS
from validate.graph import Repository, read_repository
from validate.model import Severity, ToolError
from validate.pipeline import Options, Run, run

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
# Keys whose value names the environment itself.
_ENVIRONMENT_KEYS = r"(?:[\w.-]+/)?(?:environment|env)"
_TOKEN = r"A-Za-z0-9_-"  # characters that continue a name: "seldon-staging-db" is another name
_TEMP_PREFIX = discover.WORK_DIR_PREFIX + "new-env-"


def token_pattern(word: str) -> re.Pattern[str]:
    """``word`` as a whole token: not part of a longer name (dots and slashes separate tokens)."""
    return re.compile(rf"(?<![{_TOKEN}]){re.escape(word)}(?![{_TOKEN}])")


@dataclass
class ProjectEdit:
    file: str
    project: str
    namespace: str  # added
    after: str  # the namespace of the entry it is inserted after
    line: int  # 1-based line of the inserted entry in the new text
    original: str
    text: str


@dataclass
class PlannedApplication:
    name: str
    path: str
    namespace: str | None
    owner: str  # "ApplicationSet <name> (<pattern>)"


@dataclass
class Plan:
    root: Path
    name: str
    source: str
    files: dict[str, bytes] = field(default_factory=dict)  # overlays/NAME/... -> content
    links: dict[str, str] = field(default_factory=dict)  # overlays/NAME/... -> symbolic link target
    modes: dict[str, int] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)  # old -> new (namespaces, then the env name)
    namespaces: dict[str, str] = field(default_factory=dict)  # old -> new, as AppProject destinations
    counts: dict[str, int] = field(default_factory=dict)  # "seldon-staging -> seldon-qa" -> files changed
    project_edits: list[ProjectEdit] = field(default_factory=list)
    applications: list[PlannedApplication] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)  # lines of the copy that still mention ENV

    @property
    def target(self) -> str:
        return f"{OVERLAYS}/{self.name}"

    @property
    def source_dir(self) -> str:
        return f"{OVERLAYS}/{self.source}"


# --- planning --------------------------------------------------------------------------------

def check_names(root: Path, name: str, source: str) -> None:
    if not DNS_LABEL.match(name) or len(name) > 63:
        raise ToolError(f"{name!r} is not a valid environment name: use a DNS-1123 label (lower-case letters,"
                        " digits and '-', starting and ending with a letter or digit, at most 63 characters)")
    if name == source:
        raise ToolError(f"the new environment must differ from --from {source}")
    if "/" in source or source in ("", ".", ".."):
        raise ToolError(f"--from {source!r}: give an environment name, the folder under {OVERLAYS}/")
    source_dir = root / OVERLAYS / source
    if not source_dir.is_dir() or source_dir.is_symlink():
        known = sorted(p.name for p in (root / OVERLAYS).iterdir() if p.is_dir()) if (root / OVERLAYS).is_dir() else []
        raise ToolError(f"--from {source}: no environment {OVERLAYS}/{source} in {root}"
                        f" (environments: {', '.join(known) or 'none'})")
    target = root / OVERLAYS / name
    if target.exists() or target.is_symlink():
        raise ToolError(f"{OVERLAYS}/{name} already exists: refusing to overwrite an environment")


def make_plan(root: Path, name: str, source: str) -> Plan:
    check_names(root, name, source)
    repo = read_repository(root)
    plan = Plan(root, name, source)
    plan.renames, plan.namespaces = _renames(repo, plan)
    for new in plan.namespaces.values():
        if len(new) > 63:
            raise ToolError(f"namespace {new} would be longer than 63 characters: choose a shorter name")
    _copy_tree(plan)
    _project_edits(repo, plan)
    _coverage(repo, plan)
    return plan


def _renames(repo: Repository, plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
    """The text renames: namespaces (``seldon-ENV`` and any namespace of ENV's kustomizations made
    of ENV and other tokens), then ENV itself, renamed only as the value of an environment or
    namespace key. And the namespace renames, for AppProject destinations."""
    env = re.compile(rf"(?<![A-Za-z0-9]){re.escape(plan.source)}(?![A-Za-z0-9])")  # a part of a name
    bare = False
    namespaces = {f"seldon-{plan.source}"}
    for directory, kustomization in repo.inventory.kustomizations.items():
        if directory == plan.source_dir or directory.startswith(plan.source_dir + "/"):
            data = kustomization.document.data if kustomization.document else None
            namespace = data.get("namespace") if isinstance(data, dict) else None
            if namespace == plan.source:
                bare = True
            elif isinstance(namespace, str) and env.search(namespace):
                namespaces.add(namespace)
    renames = {ns: env.sub(plan.name, ns) for ns in sorted(namespaces, key=lambda n: (-len(n), n))}
    renamed_namespaces = dict(renames)
    if bare:
        renamed_namespaces[plan.source] = plan.name
    renames[plan.source] = plan.name
    return renames, renamed_namespaces


def rewrite(text: str, renames: dict[str, str], source: str, counts: dict[str, int] | None = None) -> str:
    """The copy of one file: namespaces renamed as whole tokens, ``environment: ENV`` values renamed."""
    for old, new in renames.items():
        if old == source:
            pattern = re.compile(rf"^(\s*(?:-\s+)?(?P<q>['\"]?){_ENVIRONMENT_KEYS}(?P=q)\s*:\s*)(['\"]?)"
                                 rf"{re.escape(source)}\3(?=\s*(?:#.*)?$)", re.MULTILINE)
            namespace_key = re.compile(rf"^(\s*(?:-\s+)?namespace\s*:\s*)(['\"]?){re.escape(source)}\2(?=\s*(?:#.*)?$)",
                                       re.MULTILINE)
            changed = pattern.sub(_value_replacer(3, new), text)
            changed = namespace_key.sub(_value_replacer(2, new), changed)
            label = f"environment: {old} -> {new}"
        else:
            changed = token_pattern(old).sub(new, text)
            label = f"{old} -> {new}"
        if changed != text and counts is not None:
            counts[label] = counts.get(label, 0) + 1
        text = changed
    return text


def _value_replacer(quote_group: int, new: str) -> Callable[[re.Match[str]], str]:
    """Keep the key (group 1) and the quotes (``quote_group``), put ``new`` as the value."""

    def replace(match: re.Match[str]) -> str:
        quote = match.group(quote_group)
        return f"{match.group(1)}{quote}{new}{quote}"

    return replace


def _copy_tree(plan: Plan) -> None:
    source_root = plan.root / plan.source_dir
    mention = re.compile(rf"(?<![A-Za-z0-9]){re.escape(plan.source)}(?![A-Za-z0-9])", re.IGNORECASE)
    for current, dirnames, filenames in os.walk(source_root, followlinks=False):
        dirnames.sort()
        relative = Path(current).relative_to(source_root).as_posix()
        for entry in sorted(dirnames + filenames):
            full = Path(current, entry)
            rel = entry if relative == "." else f"{relative}/{entry}"
            target = f"{plan.target}/{rel}"
            if full.is_symlink():
                plan.links[target] = os.readlink(full)
                continue
            if full.is_dir():
                continue
            raw = full.read_bytes()
            plan.modes[target] = full.stat().st_mode & 0o7777
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                plan.files[target] = raw
                continue
            copied = rewrite(text, plan.renames, plan.source, plan.counts)
            plan.files[target] = copied.encode("utf-8")
            for number, line in enumerate(copied.splitlines(), 1):
                if mention.search(line):
                    plan.review.append(f"{target}:{number}: {line.strip()[:100]}")


def _documents(repo: Repository, kind: str) -> list[tuple[str, load.Document]]:
    found = []
    for rel in sorted(repo.loaded):
        for document in repo.loaded[rel].documents:
            data = document.data
            if isinstance(data, dict) and data.get("kind") == kind and \
                    str(data.get("apiVersion", "")).startswith("argoproj.io/"):
                found.append((rel, document))
    return found


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _name_of(data: dict[str, Any]) -> str:
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else "?"


def _project_edits(repo: Repository, plan: Plan) -> None:
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
            project = _name_of(data)
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


def _destination_copies(text: str, document: load.Document, wanted: list[tuple[int, str, str]]
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


def _entry_start(lines: list[str], document: load.Document, index: int) -> tuple[int, int]:
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


def _entry_end(lines: list[str], document: load.Document, index: int, count: int, start: int,
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


def directories_of(plan: Plan) -> list[str]:
    """Every directory the new environment will have."""
    found = {plan.target}
    for rel in list(plan.files) + list(plan.links):
        parent = PurePosixPath(rel).parent
        while parent.as_posix().startswith(plan.target):
            found.add(parent.as_posix())
            parent = parent.parent
    for rel in plan.links:
        if (plan.root / plan.source_dir / PurePosixPath(rel).relative_to(plan.target)).is_dir():
            found.add(rel)
    return sorted(found)


def _coverage(repo: Repository, plan: Plan) -> None:
    """Which generators pick up the new folders, the Applications they will create, and notes on
    ApplicationSets that name ENV explicitly and on Applications written for ENV."""
    from validate import argocd as _argocd

    new_dirs = directories_of(plan)
    explicit: list[str] = []
    covering: list[str] = []
    for rel, document in _documents(repo, "ApplicationSet"):
        data = document.data
        spec = _mapping(data.get("spec"))
        appset = _name_of(data)
        template = _mapping(spec.get("template"))
        go = spec.get("goTemplate") is True
        for where, includes, excludes in _argocd.git_directory_generators(spec.get("generators")):
            generator = _at(data, where[:-2]) if len(where) >= 2 else {}
            prefix = generator.get("pathParamPrefix") if isinstance(generator, dict) else None
            for pattern in includes:
                segments = pattern.strip("/").split("/")
                if plan.source in segments:
                    explicit.append(f"ApplicationSet {appset} ({rel}) lists {pattern} explicitly")
                matched = _argocd.match_directories(new_dirs, [pattern], excludes)
                if not matched:
                    continue
                covering.append(f"ApplicationSet {appset} ({pattern})")
                nested = len(where) > 5  # inside a matrix or merge: other parameters are missing
                for directory in matched:
                    name, namespace = _template_values(template, directory, go, prefix, nested, _argocd)
                    plan.applications.append(PlannedApplication(name or directory, directory, namespace,
                                                                f"ApplicationSet {appset} ({pattern})"))
    for rel, document in _documents(repo, "Application"):
        spec = document.data.get("spec")
        for _, source in _argocd.application_sources(spec if isinstance(spec, dict) else {}):
            path = source.get("path")
            synced = _argocd.relative(path) if isinstance(path, str) else None
            if synced and (synced == plan.source_dir or synced.startswith(plan.source_dir + "/")):
                plan.notes.append(f"Application {_name_of(document.data)} ({rel}) syncs {synced}: it is not"
                                  f" copied; write one for {plan.target}{synced[len(plan.source_dir):]} if"
                                  " you need it")
    unique: dict[tuple[str, str], PlannedApplication] = {}
    for app in plan.applications:
        unique.setdefault((app.name, app.owner), app)
    plan.applications = sorted(unique.values(), key=lambda a: (a.name, a.owner))
    covered_by = ", ".join(sorted(set(covering))) or "no ApplicationSet"
    for line in sorted(set(explicit)):
        plan.notes.append(f"{line}; it is not edited: {plan.target}/* is covered by {covered_by}")
    if not covering:
        plan.notes.append(f"warning: no ApplicationSet git directory generator matches {plan.target}/*: Argo CD"
                          " will not sync the new environment until one does")


def _at(data: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        if isinstance(data, dict) and isinstance(part, str):
            data = data.get(part)
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _template_values(template: dict[str, Any], directory: str, go: bool, prefix: Any, nested: bool,
                     argocd: Any) -> tuple[str | None, str | None]:
    """The generated Application's name and destination namespace for ``directory``; None when the
    template cannot be evaluated offline."""
    segments = directory.split("/")
    basename = segments[-1]
    if go:
        value: dict[str, Any] = {"path": directory, "basename": basename,
                                 "basenameNormalized": argocd.sanitize_name(basename), "segments": segments}
        params: dict[str, Any] = {prefix: {"path": value}} if isinstance(prefix, str) and prefix else {"path": value}
    else:
        key = f"{prefix}.path" if isinstance(prefix, str) and prefix else "path"
        params = {key: directory, f"{key}.basename": basename,
                  f"{key}.basenameNormalized": argocd.sanitize_name(basename)}
        params.update({f"{key}[{i}]": s for i, s in enumerate(segments)})

    def evaluate(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        problems: list[str] = []
        result = argocd.render_go(value, params, problems) if go else argocd.render_fast(value, params, problems)
        if problems and nested:
            return None
        return None if problems or "{{" in result else result

    metadata = _mapping(template.get("metadata"))
    destination = _mapping(_mapping(template.get("spec")).get("destination"))
    return evaluate(metadata.get("name")), evaluate(destination.get("namespace"))


# --- writing ---------------------------------------------------------------------------------

def apply(plan: Plan) -> None:
    """Write the plan: all of it, or (on any error) nothing."""
    root = plan.root
    temporary = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=root))
    target = root / plan.target
    moved = False
    replaced: list[ProjectEdit] = []
    try:
        staging = temporary / plan.name
        staging.mkdir()
        for rel in sorted(plan.files):
            path = staging / PurePosixPath(rel).relative_to(plan.target)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(plan.files[rel])
            os.chmod(path, plan.modes.get(rel, 0o644))
        for rel, link in sorted(plan.links.items()):
            path = staging / PurePosixPath(rel).relative_to(plan.target)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(link, path)
        prepared = []
        by_file = {edit.file: edit for edit in plan.project_edits}  # one file, one final text
        for number, edit in enumerate(by_file[f] for f in sorted(by_file)):
            current = (root / edit.file).read_text(encoding="utf-8").removeprefix("\ufeff")
            if current != edit.original:
                raise ToolError(f"{edit.file} changed while new-env was running: nothing written; run it again")
            prepared_file = temporary / f"project-{number}"
            prepared_file.write_text(edit.text, encoding="utf-8", newline="")
            os.chmod(prepared_file, (root / edit.file).stat().st_mode & 0o7777)
            prepared.append((edit, prepared_file))
        if target.exists() or target.is_symlink():
            raise ToolError(f"{plan.target} appeared while new-env was running: nothing written")
        os.rename(staging, target)
        moved = True
        for edit, prepared_file in prepared:
            os.replace(prepared_file, root / edit.file)
            replaced.append(edit)
    except BaseException:
        for edit in replaced:
            _restore(root / edit.file, edit.original)
        if moved:
            shutil.rmtree(target, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _restore(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    os.replace(temporary, path)


# --- output ----------------------------------------------------------------------------------

def describe(plan: Plan, dry_run: bool) -> list[str]:
    verb = "would " if dry_run else ""
    kustomizations = sorted({PurePosixPath(r).parent.as_posix() for r in plan.files
                             if PurePosixPath(r).name in discover.KUSTOMIZATION_NAMES})
    out = [(f"{'plan: ' if dry_run else ''}{plan.target}/ from {plan.source_dir}/"
            f" ({len(kustomizations)} overlays, {len(plan.files) + len(plan.links)} files)")]
    out.append(f"  {verb}create {plan.target}/")
    for label, number in sorted(plan.counts.items()):
        out.append(f"    renamed {label} in {number} file{'s' if number != 1 else ''}")
    for edit in plan.project_edits:
        out.append(f"  {verb}edit {edit.file}: AppProject {edit.project} gets destination namespace"
                   f" {edit.namespace} (after {edit.after}, line {edit.line})")
    for note in plan.notes:
        out.append(f"  note: {note}")
    if plan.review:
        out.append(f"  review: these lines of the copy still mention {plan.source!r} (left as written):")
        out.extend(f"    {line}" for line in plan.review)
    if plan.applications:
        out.append(f"Argo CD Applications that {'would' if dry_run else 'will'} appear:")
        width = max(len(app.name) for app in plan.applications)
        for app in plan.applications:
            where = f" in {app.namespace}" if app.namespace else ""
            out.append(f"  {app.name.ljust(width)}  {app.path}{where}  [{app.owner}]")
    else:
        out.append("Argo CD Applications that will appear: none (no generator matches the new folders)")
    return out


def new_environment_findings(result: Run, plan: Plan) -> tuple[list[Any], int]:
    """Error findings about the new environment, and how many other errors the repository has."""
    names = [app.name for app in plan.applications]
    prefix = plan.target + "/"
    edited = {edit.file for edit in plan.project_edits}
    ours, others = [], 0
    for finding in result.findings:
        if finding.severity != Severity.ERROR:
            continue
        about_us = (finding.file or "").startswith(prefix) or (finding.render or "").startswith(prefix) or \
            finding.render == plan.target or finding.file in edited or \
            any(token_pattern(name).search(finding.message) for name in names)
        if about_us:
            ours.append(finding)
        else:
            others += 1
    return ours, others


def main(argv: list[str]) -> int:
    from validate.command import Parser, parse, repository_root

    parser = Parser(prog="gitops-validate new-env", description="Fork an environment: copy overlays/ENV to"
                     " overlays/NAME with its namespaces and environment labels renamed, add the namespace to"
                     " the AppProjects, then validate the repository.")
    parser.add_argument("name", metavar="NAME", help="the new environment (a DNS-1123 label)")
    parser.add_argument("--from", dest="source", required=True, metavar="ENV", help="the environment to copy")
    parser.add_argument("--dry-run", "-n", action="store_true", help="print the plan, write nothing")
    parser.add_argument("path", nargs="?", type=Path, metavar="PATH",
                        help="the repository (default: the one the current directory is in)")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    args = parse(parser, argv, intermixed=True)
    if isinstance(args, int):
        return args
    try:
        root = repository_root(args.path)
        plan = make_plan(root, args.name, args.source)
        if args.dry_run:
            print("\n".join(describe(plan, dry_run=True)))
            return 0
        apply(plan)
        print("\n".join(describe(plan, dry_run=False)))
        sys.stdout.flush()
        try:
            result = run(Options(paths=[root]))
        except ToolError as error:
            print(f"gitops-validate new-env: {plan.target} is written, but the validation could not run: {error}",
                  file=sys.stderr)
            return 2
        ours, others = new_environment_findings(result, plan)
        from validate.report import TextReporter

        for finding in ours:
            print(TextReporter.line(finding))
        elsewhere = f"; {others} error{'s' if others != 1 else ''} elsewhere in the repository" if others else ""
        if ours:
            print(f"validation: {len(ours)} error{'s' if len(ours) != 1 else ''} in {plan.target}{elsewhere}"
                  f" ({plan.target} is written: fix it, or delete it)")
            return 1
        print(f"validation: no error in {plan.target}{elsewhere}")
        return 0
    except ToolError as error:
        print(f"gitops-validate new-env: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gitops-validate new-env: interrupted; nothing written", file=sys.stderr)
        return 2
    except Exception as error:  # one line and exit 2, never a traceback
        if args.debug:
            raise
        print(f"gitops-validate new-env: {type(error).__name__}: {error}; nothing written", file=sys.stderr)
        return 2


