"""Transformers that do nothing: kustomize stays silent, the user's change silently has no effect.

Kustomize's transformer annotations list every transformer of a kustomization on every object
it holds, whether or not the transformer changed it, so they tell *which objects a
kustomization saw* (with the origin annotation: which resource files they came from), not which
patch matched. Matching is judged here, on the rendered objects of every render that includes
the kustomization; an entry is reported only when it matches nothing in any of them:

* a ``patches`` entry whose ``target:`` selects no object;
* an ``images`` entry whose result (``newName``/``newTag``/``digest``) is on no container;
* a ``replacements`` target whose ``select`` matches no object;
* ``labels``, ``commonLabels`` or ``commonAnnotations`` of a kustomization that holds no object;
* a ``namespace`` that the Argo CD Application syncing the path contradicts with its
  destination, and ``namespace``/``namePrefix``/``nameSuffix`` an Application's
  ``source.kustomize`` overrides.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from validate.discover import Kustomization, closure_dirs, closure_files
from validate.kustomization.tree import Repository, data_of, join
from validate.load import load_text
from validate.model import Finding, Severity, metadata_name, value_at

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import RenderedObject
    from validate.render import RenderResult


@dataclass
class Scope:
    """The objects one kustomization holds, per render that includes it."""

    kustomization: Kustomization
    renders: dict[str, list[RenderedObject]]

    @property
    def objects(self) -> Iterator[RenderedObject]:
        for objects in self.renders.values():
            yield from objects


def scopes(ctx: Context, covered: set[str]) -> Iterator[Scope]:
    """Every kustomization of a checked, successful render, with the objects it holds."""
    kustomizations = ctx.inventory.kustomizations
    good: list[RenderResult] = [r for r in ctx.renders if r.directory in covered and not r.findings]
    closures = {r.directory: closure_dirs(r.directory, kustomizations) for r in good}
    for directory in sorted({d for closure in closures.values() for d in closure}):
        kustomization = kustomizations[directory]
        # A component transforms what the kustomization that lists it holds (through the components
        # that list it, when it is nested).
        owners = [directory] if kustomization.kind != "Component" else _component_owners(directory, kustomizations)
        files: set[str] = set()
        kustomization_files: set[str] = set()
        for owner in owners:
            files |= closure_files(owner, kustomizations)
            kustomization_files |= {kustomizations[d].file for d in closure_dirs(owner, kustomizations)}
        held: dict[str, list[RenderedObject]] = {}
        for result in good:
            if directory not in closures[result.directory]:
                continue
            held[result.directory] = [o for o in result.objects
                                      if (o.source_file in files) or (o.generated_in in kustomization_files)]
        yield Scope(kustomization, held)


def _component_owners(directory: str, kustomizations: dict[str, Kustomization]) -> list[str]:
    """The kustomizations (not components) a component's transformers run in."""
    owners: list[str] = []
    seen: set[str] = set()
    pending = [directory]
    while pending:
        current = pending.pop()
        for other, kustomization in kustomizations.items():
            if current in kustomization.includes and other not in seen:
                seen.add(other)
                (pending if kustomization.kind == "Component" else owners).append(other)
    return sorted(owners)


def check(ctx: Context, covered: set[str]) -> Iterator[Finding]:
    repository = Repository(ctx.inventory)
    renames = Renames(ctx)
    for scope in scopes(ctx, covered):
        if not any(True for _ in scope.objects):
            # Nothing to match a selector against: one finding says the kustomization is empty,
            # not one per patch, image and replacement that "matches nothing".
            yield from _empty(scope, _placeholders(ctx, scope.kustomization))
            continue
        yield from _patches(scope, renames.seen_by(scope.kustomization))
        yield from _images(scope)
        yield from _replacements(scope)
    yield from _argo_overrides(ctx, repository, covered)


def _finding(scope: Scope, rule: str, message: str, path: tuple[str | int, ...],
             severity: Severity = Severity.ERROR) -> Finding:
    kustomization = scope.kustomization
    document = kustomization.document
    line, column = (document.position(path) or document.nearest(path)[1]) if document else (None, None)
    if kustomization.kind == "Component" and severity == Severity.ERROR:
        severity = Severity.WARNING  # a shared component may be meant for more than these renders
    renders = sorted(scope.renders)
    shown = ", ".join(renders[:4]) + (f" and {len(renders) - 4} more" if len(renders) > 4 else "")
    where = f"in {renders[0]}" if len(renders) == 1 else f"in any of {shown}"
    return Finding(rule, message.replace("{where}", where), kustomization.file, line, column, severity)


# --- patches ---------------------------------------------------------------------------------------

def _patches(scope: Scope, aliases: Aliases | None = None) -> Iterator[Finding]:
    data = data_of(scope.kustomization)
    for field in ("patches", "patchesJson6902"):
        entries = data.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            target = entry.get("target") if isinstance(entry, dict) else None
            if not isinstance(target, dict) or not target:
                continue
            if any(selects(target, obj, aliases) for obj in scope.objects):
                continue
            yield _finding(scope, "kustomize-noop-patch", f"this patch's target ({describe(target)}) matches no"
                           " object {where}: the patch changes nothing; fix the selector"
                           f"{_nearby(target, scope)}", (field, index, "target"))


def selects(selector: dict[str, Any], obj: RenderedObject, aliases: Aliases | None = None) -> bool:
    """Kustomize's selector (group, version, kind, name and namespace as anchored regular
    expressions, label and annotation selectors) against an object, before or after the outer
    kustomizations renamed it (prefixes, suffixes, and the renames in ``aliases``)."""
    data = obj.data
    api_version = str(data.get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    checks = (("group", group), ("version", version), ("kind", str(data.get("kind", ""))))
    for key, value in checks:
        wanted = selector.get(key)
        if wanted not in (None, "") and not _matches(str(wanted), value):
            return False
    metadata: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    for key in ("name", "namespace"):
        wanted = selector.get(key)
        if wanted in (None, ""):
            continue
        current = str(metadata.get(key, "") or "")
        candidates = _identities(current, obj, key)
        if aliases:
            candidates += sorted({old for candidate in candidates for old in aliases.get(key, {}).get(candidate, ())})
        if not any(_matches(str(wanted), candidate) for candidate in candidates):
            return False
    for key, field in (("labelSelector", "labels"), ("annotationSelector", "annotations")):
        wanted = selector.get(key)
        if isinstance(wanted, str) and wanted.strip():
            values: dict[str, Any] = metadata[field] if isinstance(metadata.get(field), dict) else {}
            verdict = _label_selector(wanted, {str(k): str(v) for k, v in values.items()})
            if verdict is False:
                return False
    return True


def _identities(current: str, obj: RenderedObject, key: str) -> list[str]:
    """The object's name (or namespace) as rendered, and every shorter form an outer prefix,
    suffix or namespace transformer may have made of the name it had in the kustomization."""
    found = [current]
    if key == "name":
        # prefixes and suffixes of outer kustomizations: any dash-delimited infix of the rendered
        # name may be the name the inner kustomization saw
        starts = [0] + [i + 1 for i, c in enumerate(current) if c == "-"]
        ends = [i for i, c in enumerate(current) if c == "-"] + [len(current)]
        found += [current[i:j] for i in starts for j in ends if j > i]
    else:
        found.append("")
    return found


# {"name" or "namespace": {value after a rename: the values it had before}}
Aliases = dict[str, dict[str, set[str]]]
_RENAMED = {"/metadata/name": "name", "/metadata/namespace": "namespace"}


class Renames:
    """Patches that rename their targets (a JSON 6902 ``replace``, ``add`` or ``remove`` of
    ``/metadata/name`` or ``/metadata/namespace``): after them the rendered object no longer has the
    name or namespace the patch, or an inner kustomization's patch, selected it by."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        kustomizations = ctx.inventory.kustomizations
        self.closures = {d: closure_dirs(d, kustomizations) for d in kustomizations}
        self._own: dict[str, Aliases] = {}

    def seen_by(self, kustomization: Kustomization) -> Aliases:
        """The renames made after ``kustomization``'s patches select their targets: its own patches'
        and those of every kustomization that includes it (kustomize runs an outer kustomization's
        patches on what the inner one built, and a kustomization's patches after its components)."""
        merged: Aliases = {}
        for directory, closure in self.closures.items():
            if kustomization.dir in closure:
                for key, renames in self.own(directory).items():
                    for new, old in renames.items():
                        merged.setdefault(key, {}).setdefault(new, set()).update(old)
        return merged

    def own(self, directory: str) -> Aliases:
        found = self._own.get(directory)
        if found is None:
            found = self._own[directory] = self._read(self.ctx.inventory.kustomizations[directory])
        return found

    def _read(self, kustomization: Kustomization) -> Aliases:
        aliases: Aliases = {}
        data = data_of(kustomization)
        for field in ("patches", "patchesJson6902"):
            entries = data.get(field)
            for entry in entries if isinstance(entries, list) else []:
                target = entry.get("target") if isinstance(entry, dict) else None
                if not isinstance(target, dict):
                    continue
                for operation in self._operations(kustomization, entry):
                    key = _RENAMED.get(str(operation.get("path", "")))
                    op = operation.get("op")
                    old = target.get(key) if key else None
                    if key is None or not isinstance(old, str) or not old or op not in ("replace", "add", "remove"):
                        continue
                    value = "" if op == "remove" else operation.get("value")
                    if isinstance(value, str):
                        aliases.setdefault(key, {}).setdefault(value, set()).add(old)
        return aliases

    def _operations(self, kustomization: Kustomization, entry: dict[str, Any]) -> list[dict[str, Any]]:
        """The JSON 6902 operations of a patch entry (a file or inline); none for a strategic merge."""
        documents: list[Any] = []
        if isinstance(entry.get("path"), str):
            rel = join(kustomization.dir, entry["path"])
            documents = [d.data for d in self.ctx.documents(rel)] if rel is not None else []
        elif isinstance(entry.get("patch"), str):
            parsed = load_text(entry["patch"], kustomization.file)
            documents = [d.data for d in parsed.documents] if parsed.ok else []
        return [op for document in documents if isinstance(document, list) for op in document if isinstance(op, dict)]


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return pattern == value


def _label_selector(selector: str, labels: dict[str, str]) -> bool | None:
    """A Kubernetes label selector; None when it is not one this reads (then nothing is claimed)."""
    for requirement in re.split(r",(?![^()]*\))", selector):
        requirement = requirement.strip()
        match = re.fullmatch(r"([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)", requirement)
        if match:
            key, op, value = match.groups()
            if (labels.get(key) == value) != (op != "!="):
                return False
            continue
        match = re.fullmatch(r"([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)", requirement)
        if match:
            key, op, values = match.groups()
            inside = labels.get(key) in {v.strip() for v in values.split(",")}
            if inside != (op == "in"):
                return False
            continue
        match = re.fullmatch(r"(!?)([\w./-]+)", requirement)
        if match:
            if (match.group(2) in labels) == bool(match.group(1)):
                return False
            continue
        return None
    return True


def describe(selector: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in selector.items() if isinstance(v, (str, int)))


def _nearby(selector: dict[str, Any], scope: Scope) -> str:
    kind = selector.get("kind")
    objects = list(scope.objects)
    same = sorted({metadata_name(o.data) for o in objects if kind in (None, "") or o.data.get("kind") == kind})
    if same:
        return f" (the {kind or 'object'}s there: {', '.join(same[:8])})"
    kinds = sorted({str(o.data.get("kind")) for o in objects})
    return f" (there is no {kind}; kinds there: {', '.join(kinds[:8])})" if kinds else \
        " (the kustomization holds no object)"


# --- images ----------------------------------------------------------------------------------------

def _images(scope: Scope) -> Iterator[Finding]:
    data = data_of(scope.kustomization)
    for field in ("images", "imageTags"):
        entries = data.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                continue
            images = [image for obj in scope.objects for image in container_images(obj.data)]
            if any(_is_result(entry, image) for image in images):
                continue
            names = sorted({split_image(image)[0] for image in images})
            there = f"the images there: {', '.join(names[:8])}" if names else "there is no container image"
            yield _finding(scope, "kustomize-noop-image", f"images entry {entry['name']!r} matches no container"
                           " image {where}" f" ({there}): the override changes nothing; use the image's name"
                           " without tag or digest", (field, index, "name"))


def container_images(data: Any) -> Iterator[str]:
    """Every ``image`` string of the object (kustomize 5 rewrites them wherever containers are)."""
    pending = [data]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            for key, value in current.items():
                if key == "image" and isinstance(value, str):
                    yield value
                elif isinstance(value, (dict, list)):
                    pending.append(value)
        elif isinstance(current, list):
            pending.extend(current)


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
    return name, tag, digest or None


def _is_result(entry: dict[str, Any], image: str) -> bool:
    name, tag, digest = split_image(image)
    expected = entry.get("newName") if isinstance(entry.get("newName"), str) else entry["name"]
    if name != expected:
        return False
    if isinstance(entry.get("digest"), str) and entry["digest"]:
        return digest == entry["digest"]
    new_tag = entry.get("newTag")
    if isinstance(new_tag, (str, int, float)) and str(new_tag):
        return tag == str(new_tag)
    return True


# --- replacements ------------------------------------------------------------------------------------

def _replacements(scope: Scope) -> Iterator[Finding]:
    data = data_of(scope.kustomization)
    replacements = data.get("replacements")
    for index, replacement in enumerate(replacements if isinstance(replacements, list) else []):
        targets = replacement.get("targets") if isinstance(replacement, dict) else None
        if not isinstance(targets, list):
            continue
        unmatched = []
        for number, target in enumerate(targets):
            select = target.get("select") if isinstance(target, dict) else None
            if isinstance(select, dict) and not any(selects(select, obj) for obj in scope.objects):
                unmatched.append((number, select))
        if scope.kustomization.kind == "Component" and len(unmatched) < len(targets):
            continue  # a shared component's other targets work: this one is for other users
        for number, select in unmatched:
            yield _finding(scope, "kustomize-noop-replacement", f"replacement target ({describe(select)}) selects"
                           " no object {where}: nothing is replaced there" + _nearby(select, scope),
                           ("replacements", index, "targets", number, "select"), Severity.WARNING)


# --- metadata on nothing -------------------------------------------------------------------------------

def _empty(scope: Scope, placeholders: list[str]) -> Iterator[Finding]:
    """A kustomization that holds no object. When every resource it lists is a file without a
    document (``flux bootstrap`` commits ``gotk-components.yaml`` as a one-line comment and
    writes it in the cluster), it is a placeholder that a tool fills: said once, as information."""
    data = data_of(scope.kustomization)
    fields = [f for f in ("labels", "commonLabels", "commonAnnotations", "namePrefix", "nameSuffix", "namespace",
                          "patches", "patchesJson6902", "patchesStrategicMerge", "images", "replacements")
              if data.get(f)]
    if not fields:
        return
    if placeholders:
        yield _finding(scope, "kustomize-noop-metadata", f"{', '.join(fields)} apply to no object yet {{where}}: the"
                       f" resources {', '.join(placeholders[:4])} hold no document (placeholders a tool fills, as"
                       " flux bootstrap does); they are checked once the files hold objects", (fields[0],),
                       Severity.INFO)
        return
    for field in fields:
        yield _finding(scope, "kustomize-noop-metadata", f"{field} is set, but the kustomization holds no object"
                       " {where}: it changes nothing; add the resources it is meant for", (field,),
                       Severity.WARNING)


def _placeholders(ctx: Context, kustomization: Kustomization) -> list[str]:
    """The resource files of ``kustomization`` when it lists some and none holds a document."""
    resources = data_of(kustomization).get("resources")
    found = []
    for entry in resources if isinstance(resources, list) else []:
        rel = posixpath.normpath(posixpath.join(kustomization.dir, str(entry)))
        loaded = ctx.loaded.get(rel)
        if loaded is None or not loaded.ok or any(d.data not in (None, {}) for d in loaded.documents):
            return []
        found.append(rel)
    return found


# --- Argo CD ---------------------------------------------------------------------------------------------

def _argo_overrides(ctx: Context, repository: Repository, covered: set[str]) -> Iterator[Finding]:
    kustomizations = ctx.inventory.kustomizations
    reported: set[tuple[str, str, str]] = set()
    for app in ctx.applications:
        for where, directory, _ in ctx.synced_directories(app):
            kustomization = kustomizations.get(directory)
            if kustomization is None or directory not in covered:
                continue
            document = kustomization.document
            data = data_of(kustomization)
            source = _source_at(app, where)
            overrides: dict[str, Any] = source["kustomize"] if isinstance(source.get("kustomize"), dict) else {}
            namespace = data.get("namespace")
            destination = app.destination_namespace
            for field in ("namespace", "namePrefix", "nameSuffix"):
                value = data.get(field)
                override = overrides.get(field)
                if isinstance(value, str) and value and isinstance(override, str) and override and override != value:
                    key = (kustomization.file, field, override)
                    if key in reported or document is None:
                        continue
                    reported.add(key)
                    line, column = document.position((field,)) or (document.line, document.column)
                    yield Finding("kustomize-overridden", f"{field}: {value} is overridden by {app.label}, whose"
                                  f" source.kustomize.{field} is {override!r}: Argo CD deploys with"
                                  f" {override!r}; set it in one place", kustomization.file, line, column,
                                  Severity.WARNING)
            if isinstance(namespace, str) and namespace and destination and destination != namespace and \
                    not overrides.get("namespace"):
                key = (kustomization.file, "destination", destination)
                if key in reported or document is None:
                    continue
                reported.add(key)
                line, column = document.position(("namespace",)) or (document.line, document.column)
                yield Finding("kustomize-namespace-mismatch", f"namespace: {namespace} contradicts {app.label},"
                              f" whose destination.namespace is {destination!r}: the objects carry {namespace!r}"
                              " and go there, not to the destination; make the two agree", kustomization.file,
                              line, column)


def _source_at(app: Any, where: tuple[str | int, ...]) -> dict[str, Any]:
    source = value_at(app.data, where)
    return source if isinstance(source, dict) else {}


