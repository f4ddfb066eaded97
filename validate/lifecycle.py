"""The lifecycle of Kubernetes API versions: deprecated in, removed in, replaced by.

Data only (no rule, no stage): api-deprecated and api-removed report from it, and the schema stage
uses it to say "removed" instead of "unknown kind" for API versions the schema data no longer has.
Written from Kubernetes' deprecation guide and changelogs; checked against pluto's table in
docs/realworld.md.
"""

from __future__ import annotations

import re
from functools import lru_cache

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
    ("scheduling.k8s.io/v1alpha1", ("PriorityClass",), "1.14", "1.17", "scheduling.k8s.io/v1"),
    ("audit.k8s.io/v1alpha1", ("Policy", "Event"), "1.21", "1.24", "audit.k8s.io/v1"),
    ("audit.k8s.io/v1beta1", ("Policy", "Event"), "1.21", "1.24", "audit.k8s.io/v1"),
    ("v1", ("Endpoints",), "1.33", None, "discovery.k8s.io/v1 EndpointSlice"),
    ("v1", ("ComponentStatus",), "1.19", None, "nothing: query the components' health endpoints"),
]


def version(value: str) -> tuple[int, int] | None:
    match = re.match(r"^v?(\d+)\.(\d+)", value.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


@lru_cache(maxsize=4096)  # asked twice per object, of a few dozen (version, kind) pairs
def lookup(api_version: str, kind: str) -> tuple[str, str | None, str] | None:
    """The table's entry for a kind (a ``FooList`` has the lifecycle of ``Foo``)."""
    for entry_version, kinds, deprecated, removed, replacement in TABLE:
        if entry_version == api_version and (kinds is None or kind in kinds):
            return deprecated, removed, replacement
    if kind.endswith("List") and len(kind) > 4:
        return lookup(api_version, kind[:-4])
    return None
