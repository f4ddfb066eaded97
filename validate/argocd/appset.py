"""ApplicationSets expanded without a cluster: the Applications each one generates, offline.

The expansion covers the generators whose input is the repository itself: ``list``, ``git``
``directories`` and ``files`` (the repository must be this one), ``matrix`` and ``merge``;
templates in Go-template mode (``goTemplate: true``, a common subset of text/template and
Sprig, :mod:`validate.argocd.gotemplate`) and in the legacy fasttemplate mode. Whatever cannot
be evaluated offline (cluster or SCM generators, ``templatePatch``, template actions beyond the
subset) becomes an :class:`Issue` instead of a guess; a value that stays unresolved keeps its
``{{...}}`` text, and rules skip such values (:func:`validate.argocd.objects.templated`).
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from validate.argocd.apps import App
from validate.argocd.gotemplate import as_string, render_fast, render_go, sanitize_name
from validate.argocd.objects import GROUP, mapping, templated, text
from validate.argocd.repository import Tree, repo_key
from validate.argocd.sources import match_directories
from validate.model import Checked, Document, FieldPath

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
# Generators that read a cluster, an SCM provider or a plugin: nothing to expand offline.
_ONLINE_GENERATORS = ("clusters", "clusterDecisionResource", "scmProvider", "pullRequest", "plugin")


@dataclass(frozen=True)
class Issue:
    kind: str  # "empty": a generator yields nothing; "unresolved": something the expansion cannot evaluate
    path: FieldPath  # in the ApplicationSet
    message: str


@dataclass
class Expansion:
    apps: list[App]
    issues: list[Issue]


def expand(appset: Checked, home: frozenset[str], tree: Tree, documents: Callable[[str], list[Document]],
           root: Path) -> Expansion:
    """What ``appset`` generates, given this repository's key (``home``), its file tree, its loaded
    documents by file and its root folder (for JSON parameter files)."""
    return _Expander(appset, home, tree, documents, root).run()


class _Expander:
    def __init__(self, appset: Checked, home: frozenset[str], tree: Tree, documents: Callable[[str], list[Document]],
                 root: Path):
        self.appset = appset
        self.home = home
        self.tree = tree
        self.documents = documents
        self.root = root
        self.spec = mapping(appset.data.get("spec"))
        self.go = self.spec.get("goTemplate") is True
        self.issues: list[Issue] = []

    def issue(self, kind: str, path: FieldPath, message: str) -> None:
        found = Issue(kind, path, message)
        if found not in self.issues:
            self.issues.append(found)

    def run(self) -> Expansion:
        template = self.spec.get("template")
        if not isinstance(template, dict):
            return Expansion([], [])
        if "templatePatch" in self.spec:
            self.issue("unresolved", ("spec", "templatePatch"), "templatePatch is not applied by the offline"
                       " expansion: the generated Applications are checked without it")
        apps: list[App] = []
        generators = self.spec.get("generators")
        for index, generator in enumerate(generators if isinstance(generators, list) else []):
            path: FieldPath = ("spec", "generators", index)
            results = self.generate(generator, path, None)
            if results is None:
                continue
            own = mapping(generator).get("template") if isinstance(generator, dict) else None
            merged = _deep_merge(template, own) if isinstance(own, dict) else template
            for params in results:
                data = self.render(merged, params, ("spec", "template"))
                if isinstance(data, dict):
                    apps.append(App({"apiVersion": f"{GROUP}/v1alpha1", "kind": "Application", **data},
                                    self.appset, generated=True))
        return Expansion(apps, self.issues)

    # generators -----------------------------------------------------------------------------

    def generate(self, generator: Any, path: FieldPath, outer: dict[str, Any] | None) -> list[dict[str, Any]] | None:
        """The parameter sets of one generator; None when it cannot be evaluated offline."""
        if not isinstance(generator, dict):
            return None
        if outer is not None:
            # A matrix's second generator may use the first one's parameters.
            generator = self.render(generator, outer, path, report=False)
            if not isinstance(generator, dict):
                return None
        for name in _ONLINE_GENERATORS:
            if name in generator:
                self.issue("unresolved", path + (name,), f"the {name} generator needs a cluster or a remote"
                           " service: its Applications are not checked offline")
                return None
        results: list[dict[str, Any]] | None
        if "list" in generator:
            results = self.list_generator(mapping(generator["list"]), path + ("list",))
        elif "git" in generator:
            results = self.git_generator(mapping(generator["git"]), path + ("git",))
        elif "matrix" in generator:
            results = self.matrix(mapping(generator["matrix"]), path + ("matrix",))
        elif "merge" in generator:
            results = self.merge(mapping(generator["merge"]), path + ("merge",))
        else:
            self.issue("unresolved", path, "unknown generator: its Applications are not checked offline")
            return None
        if results is None:
            return None
        selector = generator.get("selector")
        if isinstance(selector, dict) and selector:
            results = [p for p in results if _selected(selector, p, self.go)]
        return results

    def list_generator(self, spec: dict[str, Any], path: FieldPath) -> list[dict[str, Any]] | None:
        if "elementsYaml" in spec:
            self.issue("unresolved", path + ("elementsYaml",), "elementsYaml is not evaluated offline")
            return None
        elements = spec.get("elements")
        results = []
        for element in elements if isinstance(elements, list) else []:
            if not isinstance(element, dict):
                continue
            if self.go:
                results.append(dict(element))
                continue
            params: dict[str, Any] = {}
            for key, value in element.items():
                if key == "values" and isinstance(value, dict):
                    params.update({f"values.{k}": as_string(v) for k, v in value.items()})
                else:
                    params[str(key)] = as_string(value)
            results.append(params)
        if not results:
            self.issue("empty", path + ("elements",), "the list generator has no elements: it generates no"
                       " Application")
        return self.with_values(results, spec)

    def git_generator(self, spec: dict[str, Any], path: FieldPath) -> list[dict[str, Any]] | None:
        url = text(spec.get("repoURL"))
        home = self.home
        if url is None or templated(url) or (home and repo_key(url) not in home):
            self.issue("unresolved", path + ("repoURL",), f"the git generator reads {url or 'no repository'},"
                       " not this repository: its Applications are not checked offline")
            return None
        prefix: str = spec["pathParamPrefix"] if isinstance(spec.get("pathParamPrefix"), str) else ""
        tree = self.tree
        results: list[dict[str, Any]] = []
        if isinstance(spec.get("directories"), list):
            entries = [(i, d) for i, d in enumerate(spec["directories"]) if isinstance(d, dict)
                       and isinstance(d.get("path"), str)]
            includes = [d["path"] for _, d in entries if not d.get("exclude")]
            excludes = [d["path"] for _, d in entries if d.get("exclude")]
            for index, entry in entries:
                if not entry.get("exclude") and not match_directories(tree.directories, [entry["path"]], []):
                    self.issue("empty", path + ("directories", index, "path"), f"directory pattern"
                               f" {entry['path']!r} matches no directory of the repository")
            for directory in match_directories(tree.directories, includes, excludes):
                results.append(self.path_params(directory, None, prefix))
            if includes and not results and all(match_directories(tree.directories, [p], [])
                                                for p in includes):
                self.issue("empty", path + ("directories",), "every directory the patterns match is excluded:"
                           " the generator generates no Application")
        elif isinstance(spec.get("files"), list):
            for index, entry in enumerate(spec["files"]):
                pattern = mapping(entry).get("path")
                if not isinstance(pattern, str) or mapping(entry).get("exclude"):
                    continue
                matched = [f for f in tree.files if f.endswith(MANIFEST_SUFFIXES) and _file_glob(pattern, f)]
                if not matched:
                    self.issue("empty", path + ("files", index, "path"), f"file pattern {pattern!r} matches no"
                               " JSON or YAML file of the repository")
                for rel in matched:
                    for content in self.file_params(rel, path + ("files", index, "path")):
                        results.append({**content, **self.path_params(str(PurePosixPath(rel).parent), rel, prefix)}
                                       if not self.go else _deep_merge(content, self.path_params(
                                           str(PurePosixPath(rel).parent), rel, prefix)))
        else:
            self.issue("unresolved", path, "a git generator needs directories or files")
            return None
        return self.with_values(results, spec)

    def path_params(self, directory: str, file: str | None, prefix: str) -> dict[str, Any]:
        return git_path_params(directory, file, prefix, self.go)

    def file_params(self, rel: str, path: FieldPath) -> list[dict[str, Any]]:
        content: Any = None
        if rel.endswith(".json"):
            try:
                content = json.loads((self.root / rel).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.issue("unresolved", path, f"{rel} is not readable JSON: the git files generator would fail")
                return []
        else:
            documents = self.documents(rel)
            content = documents[0].data if documents else None
        items = content if isinstance(content, list) else [content]
        results = []
        for item in items:
            if isinstance(item, dict):
                results.append(dict(item) if self.go else _flatten(item))
        return results

    def with_values(self, results: list[dict[str, Any]], spec: dict[str, Any]) -> list[dict[str, Any]]:
        values = spec.get("values")
        if not isinstance(values, dict) or not values:
            return results
        out = []
        for params in results:
            rendered = {str(k): self.render(v, params, (), report=False) for k, v in values.items()}
            if self.go:
                out.append({**params, "values": rendered})
            else:
                out.append({**params, **{f"values.{k}": as_string(v) for k, v in rendered.items()}})
        return out

    def matrix(self, spec: dict[str, Any], path: FieldPath) -> list[dict[str, Any]] | None:
        children = spec.get("generators")
        if not isinstance(children, list) or len(children) != 2:
            self.issue("unresolved", path + ("generators",), "a matrix generator takes exactly two generators")
            return None
        first = self.generate(children[0], path + ("generators", 0), None)
        if first is None:
            return None
        results: list[dict[str, Any]] = []
        if not first:
            self.generate(children[1], path + ("generators", 1), None)
            return results
        for params in first:
            before = len(self.issues)
            second = self.generate(children[1], path + ("generators", 1), params)
            # One parameter set of the first generator may well select nothing: only all of them is news.
            self.issues[before:] = [i for i in self.issues[before:] if i.kind != "empty"]
            if second is None:
                return None
            results += [_deep_merge(params, other) if self.go else {**params, **other} for other in second]
        if not results:
            self.issue("empty", path + ("generators", 1), "the second generator of the matrix yields nothing for"
                       " any parameter set of the first: the matrix generates no Application")
        return results

    def merge(self, spec: dict[str, Any], path: FieldPath) -> list[dict[str, Any]] | None:
        children = spec.get("generators")
        keys = [k for k in spec.get("mergeKeys", []) if isinstance(k, str)] if isinstance(
            spec.get("mergeKeys"), list) else []
        if not isinstance(children, list) or not children or not keys:
            self.issue("unresolved", path, "a merge generator needs generators and mergeKeys")
            return None
        evaluated = [self.generate(child, path + ("generators", i), None) for i, child in enumerate(children)]
        if any(result is None for result in evaluated):
            return None
        base, *others = [r or [] for r in evaluated]
        merged = []
        for params in base:
            combined = dict(params)
            wanted = tuple(_lookup(params, k, self.go) for k in keys)
            for other in others:
                for candidate in other:
                    if tuple(_lookup(candidate, k, self.go) for k in keys) == wanted:
                        combined = _deep_merge(combined, candidate) if self.go else {**combined, **candidate}
                        break
            merged.append(combined)
        return merged

    # templates ------------------------------------------------------------------------------

    def render(self, value: Any, params: dict[str, Any], path: FieldPath, report: bool = True) -> Any:
        if isinstance(value, dict):
            return {self.render(k, params, path, False) if isinstance(k, str) else k:
                    self.render(v, params, path + (k,), report) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, params, path + (i,), report) for i, v in enumerate(value)]
        if not isinstance(value, str) or "{{" not in value:
            return value
        problems: list[str] = []
        result = render_go(value, params, problems) if self.go else render_fast(value, params, problems)
        if report:
            for problem in problems:
                self.issue("unresolved", path, problem)
        return result


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Argo CD's git files parameters in fasttemplate mode: nested keys joined with dots."""
    out: dict[str, str] = {}
    for key, item in value.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(item, dict):
            out.update(_flatten(item, name))
        elif isinstance(item, list):
            out.update(_flatten({str(i): v for i, v in enumerate(item)}, name))
        else:
            out[name] = as_string(item)
    return out


def _deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _deep_merge(base.get(key), value) if key in base else value
        return merged
    return override


def git_path_params(directory: str, file: str | None, prefix: str, go: bool) -> dict[str, Any]:
    """The parameters a git generator gives for ``directory`` (and ``file``, for a files generator),
    under ``pathParamPrefix`` ``prefix``: Go-template style (nested) or fasttemplate style (flat)."""
    segments = [] if directory == "." else directory.split("/")
    basename = segments[-1] if segments else "."
    if go:
        value: dict[str, Any] = {"path": directory, "basename": basename,
                                 "basenameNormalized": sanitize_name(basename), "segments": segments}
        if file is not None:
            filename = PurePosixPath(file).name
            value.update(filename=filename, filenameNormalized=sanitize_name(filename))
        return {prefix: {"path": value}} if prefix else {"path": value}
    name = f"{prefix}.path" if prefix else "path"
    params = {name: directory, f"{name}.basename": basename, f"{name}.basenameNormalized": sanitize_name(basename)}
    for index, segment in enumerate(segments):
        params[f"{name}[{index}]"] = segment
    if file is not None:
        filename = PurePosixPath(file).name
        params[f"{name}.filename"] = filename
        params[f"{name}.filenameNormalized"] = sanitize_name(filename)
    return params


def _lookup(params: dict[str, Any], key: str, go: bool) -> Any:
    if not go or key in params:
        return params.get(key)
    current: Any = params
    for part in key.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


def _selected(selector: dict[str, Any], params: dict[str, Any], go: bool) -> bool:
    labels = selector.get("matchLabels")
    for key, value in (labels.items() if isinstance(labels, dict) else []):
        if as_string(_lookup(params, str(key), go)) != as_string(value):
            return False
    expressions = selector.get("matchExpressions")
    for expression in expressions if isinstance(expressions, list) else []:
        if not isinstance(expression, dict):
            continue
        actual = _lookup(params, str(expression.get("key")), go)
        values = [as_string(v) for v in expression.get("values") or []] if isinstance(
            expression.get("values"), list) else []
        operator = expression.get("operator")
        if operator == "In" and as_string(actual) not in values:
            return False
        if operator == "NotIn" and actual is not None and as_string(actual) in values:
            return False
        if operator == "Exists" and actual is None:
            return False
        if operator == "DoesNotExist" and actual is not None:
            return False
    return True


def _file_glob(pattern: str, rel: str) -> bool:
    """Git files patterns: git's pathspec glob (``*`` crosses ``/``, Argo CD's default) or doublestar."""
    if fnmatch.fnmatchcase(rel, pattern):
        return True
    out = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:[^/]+/)*")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        else:
            out.append({"*": "[^/]*", "?": "[^/]"}.get(pattern[index], re.escape(pattern[index])))
            index += 1
    return re.fullmatch("".join(out), rel) is not None


