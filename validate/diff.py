"""``gitops-validate diff --base REF``: what every Argo CD Application would change.

Renders every Application, ApplicationSet-generated ones included, at ``REF`` and in the working
tree, and prints per Application the changed objects, each under a header naming it
(``===== group/Kind namespace/name ======``, as ``argocd app diff`` does) with its unified diff,
the Application's added/removed/changed object counts, and a summary. The
``REF`` tree is read with ``git archive`` into a temporary folder, so the working tree, the
index and the repository's refs are never touched. Renders go through the render cache, so
comparing against a recent base mostly reads renders back.

Helm chart sources are rendered from the offline source cache (:mod:`validate.helm`), so a
chart upgrade or a values change shows as the objects it changes; the Application's
``ignoreDifferences`` (JSON pointers and simple jq paths) are masked first, as Argo CD ignores
them too, and so are the fields a chart sets at random (``genCA``, ``randAlphaNum``, ...): the
Helm stage renders such a chart twice and marks the fields that differ, which show here as a
placeholder instead of a new certificate or password on every run. A
chart the cache lacks shows as the Application's source itself (chart, version, values).
"""

from __future__ import annotations

import difflib
import io
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from validate import children
from validate.argocd import is_chart
from validate.context import Context
from validate.model import ToolError, value_at
from validate.pipeline import Options, run

MAX_ARCHIVE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class AppDiff:
    name: str
    status: str  # added, removed, changed, unchanged
    diff: str  # per object: a header like ``argocd app diff`` (===== group/Kind namespace/name ======), a hunk
    objects_added: int = 0
    objects_removed: int = 0
    objects_changed: int = 0

    def counts(self) -> str:
        return f"{self.objects_added} added, {self.objects_removed} removed, {self.objects_changed} changed objects"


def rendered_applications(ctx: Context) -> dict[str, dict[str, str]]:
    """Application name -> {object header: the object's YAML} for everything it deploys (stable)."""
    out: dict[str, dict[str, str]] = {}
    for app in ctx.applications:
        documents: list[Any] = []
        for _, directory, recurse in ctx.synced_directories(app):
            documents += ctx.deployed_objects(directory, recurse)
        owned = [obj for obj in ctx.objects if obj.owner is not None and obj.owner.identity == app.identity]
        charted = [obj.data for obj in owned]
        documents += [_masked(_unrandom(obj.data, obj.volatile), app.spec.get("ignoreDifferences")) for obj in owned]
        for _, source in app.sources():
            if is_chart(source) and not charted:
                documents.append({"# helm chart source (not in the source cache, so not rendered)": source})
        documents.sort(key=_identity)
        objects: dict[str, str] = {}
        for document in documents:
            header = _header(document)
            key, number = header, 1
            while key in objects:  # the same object twice: keep both, numbered
                number += 1
                key = f"{header} ({number})"
            objects[key] = yaml.safe_dump(document, sort_keys=True, default_flow_style=False)
        key = f"{app.namespace}/{app.name}" if app.namespace else app.name
        out[key] = objects
    return out


RANDOM_PLACEHOLDER = "(set at random by the chart at every render: not compared)"


def _unrandom(data: dict[str, Any], volatile: tuple[tuple[Any, ...], ...]) -> dict[str, Any]:
    """``data`` with the fields its chart generates at random (found by rendering it twice) replaced by a
    placeholder, so a diff shows what the change does, not a new certificate or password."""
    if not volatile:
        return data
    import copy

    data = copy.deepcopy(data)
    for path in volatile:
        node = value_at(data, path[:-1])
        last = path[-1] if path else None
        if isinstance(node, dict) and last in node:
            node[last] = RANDOM_PLACEHOLDER
        elif isinstance(node, list) and isinstance(last, int) and last < len(node):
            node[last] = RANDOM_PLACEHOLDER
    return data


def _masked(data: dict[str, Any], rules: Any) -> dict[str, Any]:
    """``data`` without the fields an Application's ``ignoreDifferences`` names for it."""
    import copy

    out = data
    for rule in rules if isinstance(rules, list) else []:
        if not isinstance(rule, dict) or not _matches(rule, data):
            continue
        if out is data:
            out = copy.deepcopy(data)
        for pointer in rule.get("jsonPointers") or []:
            if isinstance(pointer, str):
                _drop(out, [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]])
        for expression in rule.get("jqPathExpressions") or []:
            if isinstance(expression, str) and expression.startswith("."):
                parts = [p for p in expression[1:].replace("[]?", ".[]").replace("[]", ".[]").split(".") if p]
                _drop(out, parts)
    return out


def _matches(rule: dict[str, Any], data: dict[str, Any]) -> bool:
    metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    group = str(data.get("apiVersion", "")).rpartition("/")[0]
    return (rule.get("kind") in (None, data.get("kind")) and str(rule.get("group", "")) in ("", group)
            and rule.get("name") in (None, metadata.get("name"))
            and rule.get("namespace") in (None, metadata.get("namespace")))


def _drop(node: Any, parts: list[str]) -> None:
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if head == "[]" and isinstance(node, list):
        for item in node:
            _drop(item, rest)
    elif isinstance(node, dict) and head in node:
        if rest:
            _drop(node[head], rest)
        else:
            del node[head]
    elif isinstance(node, list) and head.isdigit() and int(head) < len(node):
        if rest:
            _drop(node[int(head)], rest)


def _identity(data: Any) -> tuple[str, ...]:
    if not isinstance(data, dict):
        return ("",)
    metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    return (str(data.get("apiVersion", "")), str(data.get("kind", "")), str(metadata.get("namespace", "")),
            str(metadata.get("name", "")))


def _header(data: Any) -> str:
    """``group/Kind namespace/name``, as ``argocd app diff`` names a resource."""
    if not isinstance(data, dict) or "kind" not in data:
        return "helm chart source" if isinstance(data, dict) else "document"
    api_version, kind, namespace, name = _identity(data)
    group = api_version.rpartition("/")[0]
    return f"{group}/{kind} {namespace}/{name}"


def compare(base: dict[str, dict[str, str]], head: dict[str, dict[str, str]], ref: str) -> list[AppDiff]:
    diffs = []
    for name in sorted(set(base) | set(head)):
        before, after = base.get(name), head.get(name)
        status = "added" if before is None else "removed" if after is None else \
            "unchanged" if before == after else "changed"
        old, new = before or {}, after or {}
        parts: list[str] = []
        added = removed = changed = 0
        for key in sorted(set(old) | set(new)):
            if old.get(key) == new.get(key):
                continue
            added += key not in old
            removed += key not in new
            changed += key in old and key in new
            parts.append(f"===== {key} ======\n")
            parts += difflib.unified_diff(old.get(key, "").splitlines(keepends=True),
                                          new.get(key, "").splitlines(keepends=True),
                                          fromfile=f"{ref}:{name}", tofile=f"working tree:{name}")
        diffs.append(AppDiff(name, status, "".join(parts), added, removed, changed))
    return diffs


def extract(root: Path, ref: str, target: Path) -> None:
    """The tree of ``ref`` into ``target`` through ``git archive``: no checkout, no index change."""
    if ref.startswith("-"):
        raise ToolError(f"--base {ref}: not a git revision")
    try:
        completed = children.git(root, "archive", "--format=tar", f"{ref}^{{tree}}", purpose=f"--base {ref}",
                                 timeout=300, output_cap=MAX_ARCHIVE_BYTES)
    except children.Interrupted:
        raise
    except ToolError as error:
        if "cannot run" not in str(error):
            raise  # did not finish within its time-out: the one line says so
        raise ToolError(f"diff needs git: {error}") from None
    if completed.overflow:
        raise ToolError(f"--base {ref}: the tree is larger than {MAX_ARCHIVE_BYTES // 2**20} MiB")
    if completed.returncode != 0:
        raise ToolError(f"--base {ref}: {children.git_reason(completed, 'git archive failed')}")
    with tarfile.open(fileobj=io.BytesIO(completed.stdout)) as archive:
        archive.extractall(target, filter="data")


def render_both(root: Path, ref: str, jobs: int | None = None, sources_dirs: list[Path] | None = None) -> list[AppDiff]:
    with tempfile.TemporaryDirectory(prefix="gitops-validate-base-") as folder:
        base_root = Path(folder) / "tree"
        base_root.mkdir()
        extract(root, ref, base_root)
        base = run(Options(paths=[base_root], jobs=jobs, sources_dirs=list(sources_dirs or [])))
        head = run(Options(paths=[root], jobs=jobs, sources_dirs=list(sources_dirs or [])))
        assert base.context is not None and head.context is not None
        return compare(rendered_applications(base.context), rendered_applications(head.context), ref)
