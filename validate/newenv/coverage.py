"""``new-env``'s view of Argo CD: which generators pick the new folders up, and what they will create."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from validate import argocd as _argocd
from validate.context import Context
from validate.model import as_dict, value_at
from validate.newenv.plan import Plan, PlannedApplication, documents, name_of


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


def coverage(repo: Context, plan: Plan) -> None:
    """Which generators pick up the new folders, the Applications they will create, and notes on
    ApplicationSets that name ENV explicitly and on Applications written for ENV."""
    new_dirs = directories_of(plan)
    explicit: list[str] = []
    covering: list[str] = []
    for rel, document in documents(repo, "ApplicationSet"):
        data = document.data
        spec = as_dict(data.get("spec"))
        appset = name_of(data)
        template = as_dict(spec.get("template"))
        go = spec.get("goTemplate") is True
        for where, includes, excludes in _argocd.git_directory_generators(spec.get("generators")):
            generator = value_at(data, where[:-2]) if len(where) >= 2 else {}
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
    for rel, document in documents(repo, "Application"):
        spec = document.data.get("spec")
        for _, source in _argocd.application_sources(spec if isinstance(spec, dict) else {}):
            path = source.get("path")
            synced = _argocd.relative(path) if isinstance(path, str) else None
            if synced and (synced == plan.source_dir or synced.startswith(plan.source_dir + "/")):
                plan.notes.append(f"Application {name_of(document.data)} ({rel}) syncs {synced}: it is not"
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


def _template_values(template: dict[str, Any], directory: str, go: bool, prefix: Any, nested: bool,
                     argocd: Any) -> tuple[str | None, str | None]:
    """The generated Application's name and destination namespace for ``directory``; None when the
    template cannot be evaluated offline."""
    # the parameters Argo CD's git generator gives, as the offline expansion builds them
    params = argocd.git_path_params(directory, None, prefix if isinstance(prefix, str) else "", go)

    def evaluate(value: Any) -> str | None:
        if not isinstance(value, str):
            return None
        problems: list[str] = []
        result = argocd.render_go(value, params, problems) if go else argocd.render_fast(value, params, problems)
        if problems and nested:
            return None
        return None if problems or "{{" in result else result

    metadata = as_dict(template.get("metadata"))
    destination = as_dict(as_dict(template.get("spec")).get("destination"))
    return evaluate(metadata.get("name")), evaluate(destination.get("namespace"))


