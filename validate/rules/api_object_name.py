"""Object names must be valid for their kind.

What it does:
    Checks ``metadata.name`` against what the API server requires of the kind: an RFC 1035
    label for Services (starts with a letter, at most 63 characters; from Kubernetes 1.36 a
    DNS-1123 label, which may start with a digit: RelaxedServiceNameValidation), a DNS-1123 label for
    Namespaces and StatefulSets (whose Pods use it as host name) and at most 63 characters for
    Jobs (it becomes a label value) and 52 for CronJobs, a path segment for RBAC objects, and a
    DNS-1123 subdomain (lowercase letters, digits, ``-`` and ``.``, at most 253 characters) for
    every other kind. A CustomResourceDefinition must be named ``<plural>.<group>``. A stand-alone
    manifest (one no kustomization or chart renders) named after Argo CD's build environment
    (``$ARGOCD_APP_NAME``, ``${ARGOCD_ENV_NAME}``) is written for a config management plugin that
    substitutes the variables, and is not judged; plain kustomize and Helm substitute nothing, so
    their output is judged as written.

Why it matters:
    The API server rejects an invalid name when Argo CD applies it, after the merge; a
    StatefulSet or CronJob with a too long name is accepted but never gets its Pods or Jobs.

Example:
    ```yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: 2nd_model
      namespace: seldon
    ```

Use instead:
    ```yaml
    apiVersion: v1
    kind: Service
    metadata:
      name: second-model
      namespace: seldon
    ```
    Rename the object with lowercase letters, digits and dashes, starting with a letter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.argocd.buildenv import references_build_env
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-object-name"
DEFAULT = "error"

SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
RFC1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
# Files that look like objects but are never sent to an API server.
NOT_API = {"kind.x-k8s.io", "kustomize.config.k8s.io", "config.kubernetes.io", "kustomize.toolkit.fluxcd.io"}
RBAC = {"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
RELAXED_SERVICE_NAMES = 36  # the minor version from which Service names may start with a digit


def _minor(version: str) -> int:
    parts = version.split(".")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    metadata = obj.data.get("metadata")
    api_version, kind = obj.data.get("apiVersion"), obj.data.get("kind")
    if not isinstance(metadata, dict) or not isinstance(api_version, str) or not isinstance(kind, str):
        return
    name = metadata.get("name")
    if not isinstance(name, str) or not name or "{{" in name:
        return
    if obj.render is None and references_build_env(name):
        return  # a config management plugin's placeholder (validate.argocd.buildenv)
    group = api_version.rpartition("/")[0]
    if group in NOT_API:
        return
    problem = _problem(group, kind, name, obj, ctx.versions)
    if problem:
        yield Violation(f"{kind} name {name!r} {problem}", ("metadata", "name"))


def _problem(group: str, kind: str, name: str, obj: Checked, versions: list[str]) -> str | None:
    if group == "rbac.authorization.k8s.io" and kind in RBAC:
        if name in (".", "..") or "/" in name or "%" in name:
            return "is not a valid path segment: no '/', no '%', not '.' or '..'"
        return None
    if group == "" and kind == "Service":
        if len(name) > 63 or not LABEL.match(name):
            return ("is not a valid DNS-1123 label: lowercase letters, digits and '-', starting and ending with a"
                    " letter or digit, at most 63 characters")
        if not RFC1035.match(name):
            # RelaxedServiceNameValidation: DNS-1123 labels (a leading digit) are accepted from 1.36.
            older = [v for v in versions if _minor(v) < RELAXED_SERVICE_NAMES]
            if older:
                return (f"starts with a digit: Kubernetes before 1.36 ({', '.join(older)}) needs an RFC 1035 label,"
                        " starting with a letter")
        return None
    if (group, kind) in (("", "Namespace"), ("apps", "StatefulSet")):
        if len(name) > 63 or not LABEL.match(name):
            return ("is not a valid DNS-1123 label: lowercase letters, digits and '-', starting and ending with a"
                    " letter or digit, at most 63 characters")
        return None
    if len(name) > 253 or not SUBDOMAIN.match(name):
        return ("is not a valid DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending"
                " with a letter or digit, at most 253 characters")
    if (group, kind) == ("batch", "CronJob") and len(name) > 52:
        return f"is {len(name)} characters long: a CronJob name may have at most 52 (its Jobs add 11)"
    if (group, kind) == ("batch", "Job") and len(name) > 63:
        return f"is {len(name)} characters long: a Job name becomes a label value of its Pods, at most 63"
    if (group, kind) == ("apiextensions.k8s.io", "CustomResourceDefinition"):
        spec = obj.data.get("spec")
        if isinstance(spec, dict) and isinstance(spec.get("names"), dict):
            plural, crd_group = spec["names"].get("plural"), spec.get("group")
            if isinstance(plural, str) and isinstance(crd_group, str) and name != f"{plural}.{crd_group}":
                return f"must be <spec.names.plural>.<spec.group>: {plural}.{crd_group}"
    return None
