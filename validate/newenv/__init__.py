"""``gitops-validate new-env NAME --from ENV``: fork an environment.

Copies ``overlays/ENV`` to ``overlays/NAME`` with the environment's names renamed (the namespaces
derived from ENV, such as ``seldon-ENV``, and ``environment: ENV`` label values; whole tokens only),
adds the new namespace to every AppProject that lists ENV's namespace as a destination (a text
edit after ENV's entry, so comments and layout stay), writes NAME into ``.gitops-validate.yaml``
with ENV's severity profile (and ENV's paths, renamed), and reports which ApplicationSet
generators pick the new folders up and which Applications they will create. ApplicationSets are
never edited: one whose pattern names ENV explicitly is reported, with what covers NAME instead.

Nothing is half-written: the new tree is built in a temporary folder in the repository and
renamed into place, AppProject files are replaced atomically, and any failure undoes what was
done. The repository is then validated; findings in the new environment make the exit code 1.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from validate.context import Context
from validate.environments import OVERLAYS
from validate.model import ToolError
from validate.newenv.config_edit import config_edit
from validate.newenv.coverage import coverage, directories_of
from validate.newenv.plan import (
    DNS_LABEL,
    ENVIRONMENT_KEYS,
    TEMP_PREFIX,
    ConfigEdit,
    Plan,
    PlannedApplication,
    ProjectEdit,
    token_pattern,
)
from validate.newenv.projects import project_edits
from validate.repository import source_model

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
    repo = source_model(root)
    plan = Plan(root, name, source)
    plan.renames, plan.namespaces = _renames(repo, plan)
    for new in plan.namespaces.values():
        if len(new) > 63:
            raise ToolError(f"namespace {new} would be longer than 63 characters: choose a shorter name")
    _copy_tree(plan)
    project_edits(repo, plan)
    plan.config_edit = config_edit(plan)
    coverage(repo, plan)
    return plan


def _renames(repo: Context, plan: Plan) -> tuple[dict[str, str], dict[str, str]]:
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
            pattern = re.compile(rf"^(\s*(?:-\s+)?(?P<q>['\"]?){ENVIRONMENT_KEYS}(?P=q)\s*:\s*)(['\"]?)"
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


# --- writing ---------------------------------------------------------------------------------

def apply(plan: Plan) -> None:
    """Write the plan: all of it, or (on any error) nothing."""
    root = plan.root
    temporary = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=root))
    target = root / plan.target
    moved = False
    replaced: list[ProjectEdit | ConfigEdit] = []
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
        by_file: dict[str, ProjectEdit | ConfigEdit] = {edit.file: edit for edit in plan.project_edits}  # one text each
        if plan.config_edit is not None:
            by_file[plan.config_edit.file] = plan.config_edit
        for number, edit in enumerate(by_file[f] for f in sorted(by_file)):
            current = (root / edit.file).read_text(encoding="utf-8").removeprefix("\ufeff")
            if current != edit.original:
                raise ToolError(f"{edit.file} changed while new-env was running: nothing written; run it again")
            prepared_file = temporary / f"edit-{number}"
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


__all__ = ["DNS_LABEL", "ConfigEdit", "Plan", "PlannedApplication", "ProjectEdit", "apply", "check_names", "directories_of",
           "make_plan", "rewrite", "token_pattern"]
