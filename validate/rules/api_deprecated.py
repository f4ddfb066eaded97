"""API versions deprecated in the Kubernetes version matrix.

What it does:
    Looks every object's apiVersion and kind up in a table drawn from the Kubernetes
    deprecation guide and reports those deprecated in the newest Kubernetes version of the
    configured matrix but still served there, with the release that removes them (if one is
    announced) and the replacement. Versions no longer served are ``api-removed``.

Why it matters:
    A deprecated API version works today and breaks ``kubectl apply`` and Argo CD syncs after a
    cluster upgrade; moving before the upgrade is cheap, moving after it is an outage.

Example:
    ```yaml
    apiVersion: v1
    kind: Endpoints
    metadata:
      name: external-db
      namespace: seldon
    ```

Use instead:
    ```yaml
    apiVersion: discovery.k8s.io/v1
    kind: EndpointSlice
    metadata:
      name: external-db
      namespace: seldon
    ```
    Move the object to the replacement API version and adapt the fields that changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-deprecated"
DEFAULT = "warning"

_WORKLOADS = ("Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ControllerRevision")
_RBAC = ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
# (apiVersion, kinds (None: every kind), deprecated in, removed in (None: still served), replacement)
TABLE: list[tuple[str, tuple[str, ...] | None, str, str | None, str]] = [
    ("extensions/v1beta1", _WORKLOADS, "1.8", "1.16", "apps/v1"),
    ("apps/v1beta1", None, "1.9", "1.16", "apps/v1"),
    ("apps/v1beta2", None, "1.9", "1.16", "apps/v1"),
    ("extensions/v1beta1", ("NetworkPolicy",), "1.9", "1.16", "networking.k8s.io/v1"),
    ("extensions/v1beta1", ("PodSecurityPolicy",), "1.11", "1.16", "policy/v1beta1 (itself removed in 1.25)"),
    ("extensions/v1beta1", ("Ingress",), "1.14", "1.22", "networking.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", ("Ingress", "IngressClass"), "1.19", "1.22", "networking.k8s.io/v1"),
    ("admissionregistration.k8s.io/v1beta1", ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"),
     "1.16", "1.22", "admissionregistration.k8s.io/v1"),
    ("apiextensions.k8s.io/v1beta1", ("CustomResourceDefinition",), "1.16", "1.22", "apiextensions.k8s.io/v1"),
    ("apiregistration.k8s.io/v1beta1", ("APIService",), "1.19", "1.22", "apiregistration.k8s.io/v1"),
    ("authentication.k8s.io/v1beta1", ("TokenReview",), "1.19", "1.22", "authentication.k8s.io/v1"),
    ("authorization.k8s.io/v1beta1", None, "1.19", "1.22", "authorization.k8s.io/v1"),
    ("certificates.k8s.io/v1beta1", ("CertificateSigningRequest",), "1.19", "1.22", "certificates.k8s.io/v1"),
    ("coordination.k8s.io/v1beta1", ("Lease",), "1.19", "1.22", "coordination.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1beta1", _RBAC, "1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    ("rbac.authorization.k8s.io/v1alpha1", _RBAC, "1.17", "1.22", "rbac.authorization.k8s.io/v1"),
    ("scheduling.k8s.io/v1beta1", ("PriorityClass",), "1.14", "1.22", "scheduling.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"), "1.19", "1.22",
     "storage.k8s.io/v1"),
    ("batch/v1beta1", ("CronJob",), "1.21", "1.25", "batch/v1"),
    ("discovery.k8s.io/v1beta1", ("EndpointSlice",), "1.21", "1.25", "discovery.k8s.io/v1"),
    ("events.k8s.io/v1beta1", ("Event",), "1.22", "1.25", "events.k8s.io/v1"),
    ("autoscaling/v2beta1", ("HorizontalPodAutoscaler",), "1.22", "1.25", "autoscaling/v2"),
    ("policy/v1beta1", ("PodDisruptionBudget",), "1.21", "1.25", "policy/v1"),
    ("policy/v1beta1", ("PodSecurityPolicy",), "1.21", "1.25", "nothing: use Pod Security Admission"),
    ("node.k8s.io/v1beta1", ("RuntimeClass",), "1.20", "1.25", "node.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", ("FlowSchema", "PriorityLevelConfiguration"), "1.23", "1.26",
     "flowcontrol.apiserver.k8s.io/v1"),
    ("autoscaling/v2beta2", ("HorizontalPodAutoscaler",), "1.23", "1.26", "autoscaling/v2"),
    ("storage.k8s.io/v1beta1", ("CSIStorageCapacity",), "1.24", "1.27", "storage.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", ("FlowSchema", "PriorityLevelConfiguration"), "1.26", "1.29",
     "flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", ("FlowSchema", "PriorityLevelConfiguration"), "1.29", "1.32",
     "flowcontrol.apiserver.k8s.io/v1"),
    ("v1", ("Endpoints",), "1.33", None, "discovery.k8s.io/v1 EndpointSlice"),
    ("v1", ("ComponentStatus",), "1.19", None, "nothing: query the components' health endpoints"),
]


def version(value: str) -> tuple[int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)", value.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def lookup(api_version: str, kind: str) -> tuple[str, str | None, str] | None:
    for entry_version, kinds, deprecated, removed, replacement in TABLE:
        if entry_version == api_version and (kinds is None or kind in kinds):
            return deprecated, removed, replacement
    return None


def verdict(obj: Checked, ctx: Context) -> tuple[str, str] | None:
    """("removed" | "deprecated", message) for an object whose API version the table lists."""
    api_version, kind = obj.data.get("apiVersion"), obj.data.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return None
    entry = lookup(api_version.strip(), kind)
    if entry is None:
        return None
    matrix = sorted(v for v in (version(v) for v in ctx.versions) if v is not None)
    if not matrix:
        return None
    deprecated, removed, replacement = entry
    newest = matrix[-1]
    removed_in = version(removed) if removed else None
    if removed_in is not None and removed_in <= newest:
        served = [f"{v[0]}.{v[1]}" for v in matrix if v < removed_in]
        still = f"; still served by {', '.join(served)}" if served else ""
        return "removed", (f"{api_version} {kind} is no longer served since Kubernetes {removed} (the matrix"
                           f" reaches {newest[0]}.{newest[1]}{still}): use {replacement}")
    deprecated_in = version(deprecated)
    if deprecated_in is not None and deprecated_in <= newest:
        until = f" and removed in {removed}" if removed else ""
        return "deprecated", (f"{api_version} {kind} is deprecated since Kubernetes {deprecated}{until}: use"
                              f" {replacement}")
    return None


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    found = verdict(obj, ctx)
    if found is not None and found[0] == "deprecated":
        yield Violation(found[1], ("apiVersion",))
