"""Strict JSON-schema validation of every object, for each Kubernetes version of the matrix.

Where schemas come from, in the order they are looked up:

1. CustomResourceDefinitions in the repository or given with ``--crd`` (see :mod:`validate.crd`);
2. folders given with ``--schema-dir`` in kubeconform's layouts
   (``<kind>-<group prefix>-<version>.json`` or ``<group>/<kind>_<version>.json``);
3. our own schemas in ``validate/schemas`` (SeldonDeployment, Argo CD, kind, Kustomization);
4. kubernetes-validate's strict definitions for the built-in kinds of that Kubernetes version.

Each version gets one registry holding that version's Kubernetes definitions plus every schema
above, so our SeldonDeployment schema checks ``componentSpecs[].spec`` as that version's
PodSpec. Validators are compiled lazily, once per (Kubernetes version, kind) and run with
jsonschema-rs, which reports exact instance paths.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema_rs

from validate import suggest
from validate.crd import GVK, crd_schemas
from validate.model import Severity, ToolError
from validate.schema_ids import K8S_DEFINITIONS

# The quantity grammar of k8s.io/apimachinery/pkg/api/resource (suffixes Ki..Ei, n u m k M..E, exponents).
QUANTITY = r"^[+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
_DRAFT = "https://json-schema.org/draft/2020-12/schema"
_MAX_MESSAGE = 240


@dataclass(frozen=True)
class SchemaIssue:
    rule: str
    path: tuple[str | int, ...]
    message: str
    severity: Severity = Severity.ERROR  # a warning where the API server accepts the object


@dataclass(frozen=True)
class Verdict:
    """The schema verdict on one object across the version matrix."""

    issues: tuple[tuple[SchemaIssue, tuple[str, ...]], ...]  # each issue and the versions it holds on
    missing: tuple[str, ...]  # versions with no schema for the kind


@cache
def schema_data() -> Path:
    """kubernetes-validate's schema folder, found without importing the package (its import pulls in
    python-jsonschema and costs a third of a second we never use)."""
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise ToolError("kubernetes-validate is not installed: run `make validate` to set up .venv")
    return Path(list(spec.submodule_search_locations)[0]) / "kubernetes-json-schema"


def available_versions() -> list[str]:
    """Kubernetes minor versions whose strict schemas kubernetes-validate ships, oldest first."""
    base = schema_data()
    found = []
    for entry in base.iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.\d+-local-strict", entry.name)
        if match:
            found.append((int(match.group(1)), int(match.group(2))))
    return [f"{major}.{minor}" for major, minor in sorted(found)]


def resolve_versions(requested: Iterable[str]) -> list[str]:
    shipped = available_versions()
    requested = list(requested)
    if not requested:
        return [shipped[0], shipped[-1]]
    versions = []
    for text in requested:
        minor = ".".join(text.lstrip("v").split(".")[:2])
        if minor not in shipped:
            raise ToolError(f"Kubernetes {text} is not in the schema matrix (kubernetes-validate ships"
                            f" {shipped[0]} to {shipped[-1]})")
        if minor not in versions:
            versions.append(minor)
    return versions


@cache
def _definitions(version: str) -> dict[str, Any]:
    path = schema_data() / f"v{version}.0-local-strict" / "_definitions.json"
    data: dict[str, Any] = json.loads(path.read_text())
    # kubernetes-validate accepts any string as a quantity; the API server parses it. Checking
    # the grammar here catches `cpu: 1 core` or `memory: 1GB` before a sync fails.
    data["$defs"]["io.k8s.apimachinery.pkg.api.resource.Quantity"] = {
        "anyOf": [{"type": "string", "pattern": QUANTITY}, {"type": "number"}, {"type": "null"}]}
    # oneOf [string|null, integer|null] rejects null as matching both; the API server reads it as unset.
    data["$defs"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {
        "anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
    return data


@cache
def _shared_registry(version: str) -> jsonschema_rs.Registry:
    """The registry of a version's Kubernetes definitions and our own schemas, built once per process
    (0.02 s each): every store without CRD schemas uses it, and so does the check of a CRD schema."""
    documents = [(K8S_DEFINITIONS, _definitions(version)), *own_schemas().items()]
    return jsonschema_rs.Registry(documents, retriever=_refuse)


@cache
def _k8s_references(version: str) -> dict[GVK, str]:
    """The reference to each built-in kind's definition in that version's registry."""
    return {gvk: f"{K8S_DEFINITIONS}#/$defs/{name}"
            for name, schema in _definitions(version)["$defs"].items() for gvk in _gvks(schema)}


def prepare(versions: Iterable[str]) -> None:
    """Build what every run's stores share for these versions, ahead of need: the pipeline calls it
    while kustomize renders, so that checking does not wait for it."""
    for version in versions:
        _shared_registry(version)
        _k8s_references(version)


def definitions(version: str) -> dict[str, Any]:
    """kubernetes-validate's definitions of Kubernetes ``version`` (shared, do not modify)."""
    return _definitions(version)


@cache
def served_gvks(version: str) -> frozenset[GVK]:
    return frozenset(gvk for schema in _definitions(version)["$defs"].values() for gvk in _gvks(schema))


@cache
def served_groups(version: str) -> frozenset[str]:
    """The API groups Kubernetes ``version`` serves, as its schema data names them."""
    return frozenset(group for group, _, _ in served_gvks(version))


def served_versions(gvk: GVK) -> list[str]:
    """The shipped Kubernetes versions whose schemas have ``gvk``, oldest first: its lifecycle as far
    as the schema data knows it (a gap before is "not yet served", one after is "removed")."""
    return [version for version in available_versions() if gvk in served_gvks(version)]


@cache
def own_schemas() -> dict[str, dict[str, Any]]:
    """Our schemas by $id; each kind schema carries x-kubernetes-group-version-kind."""
    found: dict[str, dict[str, Any]] = {}
    folder = resources.files("validate") / "schemas"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text())
            found[schema["$id"]] = schema
    return found


def _gvks(schema: dict[str, Any]) -> Iterable[GVK]:
    for gvk in schema.get("x-kubernetes-group-version-kind", ()):
        yield gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", "")


@cache
def api_versions(version: str) -> frozenset[str]:
    """The built-in API versions of Kubernetes ``version`` (``group/version`` and ``group/version/Kind``),
    what a cluster would report for Helm's ``Capabilities.APIVersions``."""
    found: set[str] = set()
    for schema in _definitions(version)["$defs"].values():
        for group, api_version, kind in _gvks(schema):
            prefix = f"{group}/{api_version}" if group else api_version
            found.update((prefix, f"{prefix}/{kind}"))
    return frozenset(found)


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


class SchemaStore:
    def __init__(self, versions: list[str], crds: Iterable[dict[str, Any]] = (), schema_dirs: Iterable[Path] = (),
                 skip_kinds: Iterable[str] = ()):
        self.versions = versions
        self.schema_dirs = list(schema_dirs)
        self.skip_kinds = set(skip_kinds)
        self._extra: dict[GVK, dict[str, Any]] = {}  # from CRDs, most specific source first
        self.rejected: list[tuple[dict[str, Any], str]] = []  # CRDs whose schema cannot be used, and why
        for crd in crds:
            for gvk, schema in crd_schemas(crd):
                problem = self._unusable(schema)
                if problem is not None:
                    self.rejected.append((crd, f"the schema of {gvk[2]} {gvk[0]}/{gvk[1]} cannot be used: {problem}"))
                    continue
                self._extra.setdefault(gvk, schema)
        self._own: dict[GVK, str] = {}
        for schema_id, schema in own_schemas().items():
            for gvk in _gvks(schema):
                self._own[gvk] = schema_id
        self._registries: dict[str, jsonschema_rs.Registry] = {}
        self._k8s: dict[str, dict[GVK, str]] = {}
        self._names: dict[str, set[str]] = {}  # property names per version, for did-you-mean
        self._candidates: dict[tuple[str, str], list[str]] = {}  # (version, misspelt name) -> near names
        self._hints: dict[tuple[str, str], str] = {}  # per kind: 2,000 objects of one unknown kind, one search
        self._validators: dict[tuple[str, GVK], Any] = {}

    def _unusable(self, schema: dict[str, Any]) -> str | None:
        """Why a CRD-derived schema cannot be compiled, or None. The API server forbids ``$ref`` in
        CRD schemas, and following one could reach the network, so it is refused outright."""
        if _has_ref(schema):
            return "it uses $ref, which CustomResourceDefinition schemas may not"
        try:
            jsonschema_rs.validator_for(schema, registry=_shared_registry(self.versions[-1]), retriever=_refuse)
        except (ValueError, jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError) as error:
            return " ".join(str(error).split())[:_MAX_MESSAGE]
        return None

    # -- lookup -------------------------------------------------------------------------------

    def skipped(self, api_version: str, kind: str) -> bool:
        group, version = split_api_version(api_version)
        return bool({kind, f"{api_version}/{kind}", f"{group}/{kind}", f"{api_version}:{kind}"} & self.skip_kinds)

    def _registry(self, version: str) -> jsonschema_rs.Registry:
        if version not in self._registries:
            if self._extra:
                documents = [(K8S_DEFINITIONS, _definitions(version)), *own_schemas().items()]
                documents += [(schema["$id"], schema) for schema in self._extra.values()]
                self._registries[version] = jsonschema_rs.Registry(documents, retriever=_refuse)
            else:
                self._registries[version] = _shared_registry(version)
            self._k8s[version] = _k8s_references(version)
        return self._registries[version]

    def _schema_dir_file(self, gvk: GVK) -> Path | None:
        group, version, kind = gvk
        names = [f"{kind.lower()}-{group.split('.')[0]}-{version}.json" if group else f"{kind.lower()}-{version}.json",
                 f"{group}/{kind.lower()}_{version}.json"]
        for folder in self.schema_dirs:
            for name in names:
                candidate = folder / name
                if candidate.is_file():
                    return candidate
        return None

    def validator(self, version: str, gvk: GVK) -> Any:
        """The compiled validator for ``gvk`` on Kubernetes ``version``, or None without a schema."""
        key = (version, gvk)
        if key not in self._validators:
            self._validators[key] = self._compile(version, gvk)
        return self._validators[key]

    def _compile(self, version: str, gvk: GVK) -> Any:
        registry = self._registry(version)
        reference = None
        if gvk in self._extra:
            reference = self._extra[gvk]["$id"]
        elif (path := self._schema_dir_file(gvk)) is not None:
            try:
                schema = json.loads(path.read_text())
                return jsonschema_rs.validator_for(schema, registry=registry, base_uri=path.resolve().as_uri(),
                                                   retriever=_local_only)
            except (ValueError, OSError) as error:
                raise ToolError(f"schema {path} cannot be used: {error}") from None
        elif gvk in self._own:
            reference = self._own[gvk]
        elif gvk in self._k8s[version]:
            reference = self._k8s[version][gvk]
        if reference is None:
            return None
        return jsonschema_rs.validator_for({"$schema": _DRAFT, "$ref": reference}, registry=registry)

    # -- checking -----------------------------------------------------------------------------

    def missing(self, data: dict[str, Any]) -> tuple[str, ...]:
        """The versions of the matrix with no schema for the object's kind (compiling the others' validators)."""
        gvk = _gvk_of(data)
        return tuple(k8s_version for k8s_version in self.versions if self.validator(k8s_version, gvk) is None)

    def check(self, data: dict[str, Any], text: str | None = None) -> Verdict:
        """Validate one object (apiVersion and kind must be strings) on every version of the matrix.
        ``text``: the object as JSON (:func:`validate.verdicts.encoded`), when the caller has it."""
        gvk = _gvk_of(data)
        by_issue: dict[SchemaIssue, list[str]] = {}
        missing = []
        for k8s_version in self.versions:
            validator = self.validator(k8s_version, gvk)
            if validator is None:
                missing.append(k8s_version)
                continue
            for issue in issues(validator, data):
                if issue.rule == "schema-unknown-field":
                    issue = self._with_suggestion(issue, validator, data, k8s_version)
                by_issue.setdefault(issue, []).append(k8s_version)
        for issue in implausible_quantities(data, text):
            by_issue.setdefault(issue, []).extend(v for v in self.versions if v not in missing)
        return Verdict(tuple((issue, tuple(versions)) for issue, versions in by_issue.items()), tuple(missing))

    def known_hint(self, api_version: str, kind: str) -> str:
        """`` (did you mean ...?)`` for an unknown kind or apiVersion: a near kind of the same apiVersion,
        else the apiVersions that serve this kind, else a near kind anywhere."""
        if (api_version, kind) not in self._hints:
            self._hints[api_version, kind] = self._known_hint(api_version, kind)
        return self._hints[api_version, kind]

    def _known_hint(self, api_version: str, kind: str) -> str:
        self._registry(self.versions[-1])
        known = set(self._k8s[self.versions[-1]]) | set(self._own) | set(self._extra)
        served = {(f"{g}/{v}" if g else v, k) for g, v, k in known}
        same_version = [k for a, k in served if a == api_version]
        near = suggest.closest(kind, same_version)
        if near:
            return f" (did you mean kind {near!r}?)"
        versions = sorted(a for a, k in served if k == kind)
        near_version = suggest.closest(api_version, versions, cutoff=0.5)
        if near_version:
            return f" (did you mean apiVersion {near_version!r}?)"
        near = suggest.closest(kind, {k for _, k in served})
        if near:
            return f" (did you mean kind {near!r} of {' or '.join(sorted(a for a, k in served if k == near)[:3])}?)"
        return ""

    def _field_names(self, version: str) -> set[str]:
        if version not in self._names:
            self._names[version] = suggest.property_names([_definitions(version), *own_schemas().values(),
                                                            *self._extra.values()])
        return self._names[version]

    def _with_suggestion(self, issue: SchemaIssue, validator: Any, data: Any, version: str) -> SchemaIssue:
        """``unknown field 'modelURI' (did you mean 'modelUri'?)``: a near name the schema accepts there."""
        *parent_path, name = issue.path
        if not isinstance(name, str):
            return issue
        key = (version, name)
        if key not in self._candidates:  # difflib over every property name: once per misspelling
            self._candidates[key] = suggest.candidates(name, self._field_names(version))
        for candidate in self._candidates[key]:
            trial = copy.deepcopy(data)
            parent = trial
            try:
                for step in parent_path:
                    parent = parent[step]
            except (KeyError, IndexError, TypeError):
                return issue
            if not isinstance(parent, dict) or candidate in parent:
                continue
            parent[candidate] = parent.pop(name)
            unknown = {i.path for i in issues(validator, trial) if i.rule == "schema-unknown-field"}
            if (*parent_path, candidate) not in unknown:
                return SchemaIssue(issue.rule, issue.path, f"{issue.message} (did you mean {candidate!r}?)")
        return issue

    def check_with(self, schema_id: str, data: Any) -> list[SchemaIssue]:
        """Validate against one of our schemas by $id (Kustomization files), newest version's registry."""
        key = (self.versions[-1], ("", schema_id, ""))
        if key not in self._validators:
            registry = self._registry(self.versions[-1])
            self._validators[key] = jsonschema_rs.validator_for({"$schema": _DRAFT, "$ref": schema_id},
                                                                registry=registry)
        validator = self._validators[key]
        return [self._with_suggestion(issue, validator, data, self.versions[-1])
                if issue.rule == "schema-unknown-field" else issue for issue in issues(validator, data)]


def _gvk_of(data: dict[str, Any]) -> GVK:
    group, version = split_api_version(str(data["apiVersion"]))
    return group, version, str(data["kind"])


def _refuse(uri: str) -> Any:
    raise ValueError(f"{uri}: the validator never downloads schemas")


def _has_ref(schema: dict[str, Any]) -> bool:
    """A ``$ref`` anywhere but the ObjectMeta reference we put on ``metadata`` ourselves."""
    pending: list[Any] = [v for k, v in schema.get("properties", {}).items() if k != "metadata"]
    pending += [v for k, v in schema.items() if k != "properties"]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            if "$ref" in node:
                return True
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return False


def _local_only(uri: str) -> Any:
    if uri.startswith("file://"):
        return json.loads(Path(uri[len("file://"):]).read_text())
    raise ValueError(f"{uri}: the validator never downloads schemas")


_NULL_TYPE = re.compile(r' is not of types "null", (?="[a-z]+"$)')

_RULES = {
    "AdditionalProperties": "schema-unknown-field",
    "Required": "schema-required",
    "Type": "schema-type",
    "Enum": "schema-enum",
    "Constant": "schema-enum",
}


# A memory value as the JSON encoder writes it with its default separators.
_MEMORY_VALUE = re.compile(r'"memory": "((?:[^"\\]|\\.)*)"')


def implausible_quantities(data: Any, text: str | None = None) -> Iterable[SchemaIssue]:
    """Memory requests and limits below 1Mi: valid quantities, but ``500m`` is half a byte, not 500 MiB.

    A subtree shared through YAML aliases is walked once (the loader bounds the expanded size of a
    document, not what a walk of every expansion costs: 2,000 documents just under the bound took
    minutes); its findings stand where it first occurs, which is its anchor, the line to fix.

    ``text``, the data as JSON, spares the walk of most objects: every memory string the walk could
    flag stands in it as ``"memory": "..."``, so when none of those is a small quantity (or an
    escaped string, which is not read here) there is nothing to find."""
    if text is not None and not any(_small_memory(value) for value in _MEMORY_VALUE.findall(text)):
        return ()
    return _implausible_quantities(data)


def _small_memory(written: str) -> bool:
    """Whether a memory value, as JSON writes it, may be one the walk flags."""
    if "\\" in written:
        return True
    try:
        amount = suggest.quantity_value(written)
    except (ValueError, OverflowError):
        return True
    return amount is not None and 0 < amount < 2**20


def _implausible_quantities(data: Any) -> Iterable[SchemaIssue]:
    seen: set[tuple[int, bool]] = set()
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if not isinstance(value, (dict, list)):
            continue
        resources = bool(path) and path[-1] in ("limits", "requests")
        key = (id(value), resources and isinstance(value, dict))  # only there does "memory" mean a quantity
        if key in seen:
            continue
        seen.add(key)
        if isinstance(value, list):
            stack.extend((item, path + (index,)) for index, item in reversed(list(enumerate(value))))
            continue
        children = []
        for name, item in value.items():
            if name == "memory" and resources and isinstance(item, str):
                amount = suggest.quantity_value(item)
                if amount is not None and 0 < amount < 2**20:
                    number = item.rstrip("numkKMGTPEi")
                    yield SchemaIssue("schema-quantity", path + (name,), f"memory {item!r} is {amount:g} bytes, less"
                                      f" than 1Mi: no container starts with that (did you mean {number + 'Mi'!r}?)",
                                      Severity.WARNING)  # the API server accepts it, with a warning
            else:
                children.append((item, path + (name,)))
        stack.extend(reversed(children))


def issues(validator: Any, data: Any) -> Iterable[SchemaIssue]:
    for error in validator.iter_errors(data):
        kind = type(error.kind).__name__
        path = tuple(error.instance_path)
        if kind == "AdditionalProperties":
            for name in getattr(error.kind, "unexpected", ()) or ():
                yield SchemaIssue("schema-unknown-field", path + (name,), f"unknown field {name!r}")
            continue
        if kind == "Required":
            name = getattr(error.kind, "property", None)
            if isinstance(name, str):
                yield SchemaIssue("schema-required", path, f"missing required field {name!r}")
                continue
        message = error.message
        if kind == "Type":  # kubernetes-validate allows null everywhere; saying so only adds noise
            message = _NULL_TYPE.sub(" is not of type ", message).replace('", "null"', '"')
        if len(message) > _MAX_MESSAGE:
            message = message[:_MAX_MESSAGE] + "…"
        if kind in ("OneOfNotValid", "AnyOf") and "Quantity" in "/".join(map(str, error.schema_path)):
            value = getattr(error, "instance", None)
            fix = suggest.quantity_fix(value) if isinstance(value, str) else None
            said = f"{value!r} is not a Kubernetes quantity" if isinstance(value, str | int | float) else \
                "not a Kubernetes quantity"
            yield SchemaIssue("schema-quantity", path, f"{said} (did you mean {fix!r}?)" if fix else
                              f"{said} (a number, or a string such as 500m or 1Gi)")
            continue
        yield SchemaIssue(_RULES.get(kind, "schema-invalid"), path, message)
