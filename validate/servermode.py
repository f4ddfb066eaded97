"""``gitops-validate --server``: every rendered object dry-run on a real API server, rejections at file:line.

Two targets:

* a throw-away control plane from ``$KUBEBUILDER_ASSETS`` (kube-apiserver + etcd in envtest's
  layout): the repository's CustomResourceDefinitions (and ``--crd`` files) and Namespaces (and every
  namespace an object names) are installed for real first, then everything else is dry-run;
* a cluster, through a kubeconfig context (``--context``, ``--kubeconfig``): nothing is installed and
  nothing is changed; every object is dry-run (a create, or a server-side apply when it exists). An
  object whose namespace or CRD the repository itself brings, but the cluster does not have yet, is
  reported as not checkable rather than refused.

The server's verdicts become findings: ``server-invalid`` (error) for each cause of a rejection,
at the source line of the field the server names; ``server-warning`` for its warnings;
``server-unchecked`` (info) for objects it could not judge (an unknown kind, a missing namespace).
Offline checking stays the default; this mode runs after it and adds its findings.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from validate import environments
from validate.apiserver import Client, ControlPlane, KubectlProxy, Verdict, assets_dir
from validate.lists import iter_objects
from validate.load import load_file
from validate.locate import Locator
from validate.model import Checked, Finding, ObjectRef, Result, Severity, ToolError
from validate.object_checks import locate_in
from validate.pipeline import Run
from validate.render import find_kubectl

INVALID = "server-invalid"
WARNING = "server-warning"
UNCHECKED = "server-unchecked"
SEVERITIES = {INVALID: Severity.ERROR, WARNING: Severity.WARNING, UNCHECKED: Severity.INFO}  # ids: validate/registry.py
NOT_API = {"kind.x-k8s.io", "kustomize.config.k8s.io", "config.kubernetes.io", "kustomize.toolkit.fluxcd.io"}
_UNKNOWN_FIELD = re.compile(r'unknown field "([^"]+)"')
_DUPLICATE_FIELD = re.compile(r'duplicate field "([^"]+)"')
_PATH_PART = re.compile(r"([^.\[\] ]+)|\[([^\]]*)\]")


@dataclass
class Target:
    context: str | None = None
    kubeconfig: str | None = None


def check(result: Run, target: Target, crd_files: list[Path]) -> list[Finding]:
    """The server's findings on ``result.objects`` (the offline run's checked objects)."""
    if result.context is None:
        return []
    locator = Locator(result.context.loaded)
    objects = [o for o in result.objects if _is_api_object(o.data)]
    skipped = set(result.config.skip_kinds)
    objects = [o for o in objects if f"{o.data.get('apiVersion')}/{o.data.get('kind')}" not in skipped]
    with ExitStack() as stack:
        client, throwaway = _connect(stack, target)
        repository_crds = [o for o in objects if _is_crd(o.data)]
        repository_namespaces = {str(_name(o.data)) for o in objects if o.data.get("kind") == "Namespace"
                                 and o.data.get("apiVersion") == "v1"}
        found: list[Finding] = []
        if throwaway:
            found += _install(client, repository_crds, crd_files, objects, locator)
        for obj in objects:
            if throwaway and (_is_crd(obj.data) or obj.data.get("kind") == "Namespace"):
                continue  # installed for real above: their verdicts are already in
            found += _judge(client, obj, client.dry_run(obj.data), locator, repository_namespaces,
                            {str(_name(c.data)) for c in repository_crds})
    configured = [_with_configured_severity(f, result) for f in found]
    return [f for f in configured if f is not None]


def _connect(stack: ExitStack, target: Target) -> tuple[Client, bool]:
    assets = assets_dir()
    if target.context is None and target.kubeconfig is None and assets is not None:
        plane = stack.enter_context(ControlPlane(assets))
        return _closing(stack, plane.client()), True
    if target.context is None and target.kubeconfig is None and os.environ.get("KUBEBUILDER_ASSETS"):
        raise ToolError(f"--server: KUBEBUILDER_ASSETS={os.environ['KUBEBUILDER_ASSETS']} holds no kube-apiserver"
                        " and etcd")
    kubeconfig = target.kubeconfig or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    if target.kubeconfig is None and not any(Path(p).is_file() for p in kubeconfig.split(os.pathsep) if p):
        raise ToolError("--server needs a cluster: set KUBEBUILDER_ASSETS to a folder with kube-apiserver and etcd"
                        " (envtest's layout) for a throw-away control plane, or give --context/--kubeconfig")
    proxy = stack.enter_context(KubectlProxy(find_kubectl(), target.context, target.kubeconfig))
    return _closing(stack, proxy.client()), False


def _closing(stack: ExitStack, client: Client) -> Client:
    stack.callback(client.close)
    return client


def _install(client: Client, repository_crds: list[Checked], crd_files: list[Path], objects: list[Checked],
             locator: Locator) -> list[Finding]:
    found: list[Finding] = []
    crds = [c.data for c in repository_crds]
    for path in crd_files:
        crds += [d.data for d in iter_objects(load_file(path, str(path))) if _is_crd(d.data)]
    for crd, verdict in client.install_crds(crds):
        owner = next((c for c in repository_crds if c.data is crd), None)
        if owner is not None:
            found += _judge(client, owner, verdict, locator, set(), set())
        else:
            raise ToolError(f"--crd: the API server refused CRD {_name(crd)}: {verdict.message}")
    namespaces = {o.data.get("metadata", {}).get("namespace") for o in objects if isinstance(o.data.get("metadata"), dict)}
    for obj in objects:
        if obj.data.get("kind") == "Namespace" and obj.data.get("apiVersion") == "v1":
            found += _judge(client, obj, client.create(obj.data), locator, set(), set())
            namespaces.discard(_name(obj.data))
    for namespace in sorted(n for n in namespaces if isinstance(n, str) and n):
        client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    return found


def _judge(client: Client, obj: Checked, verdict: Verdict, locator: Locator, repository_namespaces: set[str],
           repository_crds: set[str]) -> list[Finding]:
    ref = ObjectRef.of(obj.data)
    found: list[Finding] = []

    def add(rule: str, message: str, path: tuple[str | int, ...]) -> None:
        location = locate_in(obj, locator, path)
        found.append(Finding(rule, message + location.note, location.file, location.line, location.column,
                             SEVERITIES[rule], ref, obj.render))

    for warning in verdict.warnings:
        path, _, text = warning.partition(": ")
        parsed = parse_path(path) if text else None
        add(WARNING, f"the API server warns: {warning}", parsed or ())
    if verdict.accepted:
        return found
    if verdict.reason == "NotFound" and "no matches for kind" in verdict.message:
        add(UNCHECKED, f"not checked on the server: {verdict.message} (install its CRD, or pass --crd)", ("kind",))
        return found
    if verdict.reason == "NotFound" and verdict.message.startswith("namespaces "):
        namespace = str((obj.data.get("metadata") or {}).get("namespace"))
        if namespace in repository_namespaces:
            add(UNCHECKED, f"not checked on the server: its namespace {namespace} does not exist there yet (this"
                " repository creates it)", ("metadata", "namespace"))
            return found
    causes = [(field, message) for field, message in verdict.causes if field and field != "<nil>"]
    if causes:
        for field, message in causes:
            add(INVALID, f"the API server refuses it: {field}: {message}", parse_path(field) or ())
        return found
    fields = _UNKNOWN_FIELD.findall(verdict.message) + _DUPLICATE_FIELD.findall(verdict.message)
    if fields:
        for field in fields:
            add(INVALID, f"the API server refuses it: {verdict.message}", parse_path(field) or ())
        return found
    add(INVALID, f"the API server refuses it: {verdict.message or verdict.reason or 'HTTP ' + str(verdict.code)}", ())
    return found


def parse_path(text: str) -> tuple[str | int, ...] | None:
    """A field path as the server writes it (``spec.containers[0].resources.limits[memory]``) as a path tuple."""
    parts: list[str | int] = []
    position = 0
    for match in _PATH_PART.finditer(text):
        if match.start() != position and text[position:match.start()] != ".":
            return None
        name, subscript = match.group(1), match.group(2)
        if name is not None:
            parts.append(name)
        elif subscript is not None:
            parts.append(int(subscript) if subscript.isdigit() else subscript)
        position = match.end()
    return tuple(parts) if parts and position == len(text) else None


def _with_configured_severity(finding: Finding, result: Result) -> Finding | None:
    environment = environments.environment_of(result.config.environments, finding.render or finding.file or "")
    severity = result.config.severity(finding.rule, finding.severity, environment)
    if severity is None:
        return None
    return Finding(finding.rule, finding.message, finding.file, finding.line, finding.column, severity,
                   finding.object, finding.render, finding.extra)


def merge(result: Result, extra: list[Finding]) -> None:
    """Add the server's findings to the offline run's, one per place (an object rendered by several paths
    is judged once per render)."""
    unique = {(f.rule, f.file, f.line, f.column, f.message): f for f in extra}
    result.findings = sorted(result.findings + list(unique.values()), key=Finding.sort_key)


def _is_api_object(data: Any) -> bool:
    api_version = data.get("apiVersion") if isinstance(data, dict) else None
    return isinstance(api_version, str) and isinstance(data.get("kind"), str) \
        and api_version.rpartition("/")[0] not in NOT_API


def _is_crd(data: Any) -> bool:
    return isinstance(data, dict) and data.get("kind") == "CustomResourceDefinition" \
        and str(data.get("apiVersion", "")).startswith("apiextensions.k8s.io/")


def _name(data: Any) -> Any:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return metadata.get("name") if isinstance(metadata, dict) else None
