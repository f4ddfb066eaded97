"""Which Kubernetes kinds are namespaced: built-in tables, well-known groups, and the repository's CRDs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from validate.argocd.objects import group_kind, mapping, text

CLUSTER_SCOPED = {
    ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"), ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
    ("storage.k8s.io", "StorageClass"), ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"), ("storage.k8s.io", "VolumeAttributesClass"),
    ("scheduling.k8s.io", "PriorityClass"), ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "IPAddress"), ("networking.k8s.io", "ServiceCIDR"),
    ("policy", "PodSecurityPolicy"), ("extensions", "PodSecurityPolicy"),
    ("certificates.k8s.io", "CertificateSigningRequest"), ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"), ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("authentication.k8s.io", "TokenReview"), ("authentication.k8s.io", "SelfSubjectReview"),
    ("authorization.k8s.io", "SubjectAccessReview"), ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("resource.k8s.io", "DeviceClass"), ("resource.k8s.io", "ResourceSlice"),
    ("cert-manager.io", "ClusterIssuer"), ("external-secrets.io", "ClusterSecretStore"),
    ("external-secrets.io", "ClusterExternalSecret"),
}
# Groups whose kinds are all built in: a kind of these groups not in CLUSTER_SCOPED is namespaced.
BUILTIN_GROUPS = {
    "", "apps", "batch", "autoscaling", "policy", "extensions", "networking.k8s.io", "rbac.authorization.k8s.io",
    "storage.k8s.io", "scheduling.k8s.io", "node.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
    "events.k8s.io", "certificates.k8s.io", "flowcontrol.apiserver.k8s.io", "admissionregistration.k8s.io",
    "apiextensions.k8s.io", "apiregistration.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
    "resource.k8s.io",
}
# Well-known custom resources that are namespaced, for repositories that do not carry their CRDs.
NAMESPACED_GROUPS = {"argoproj.io", "machinelearning.seldon.io", "monitoring.coreos.com", "bitnami.com",
                     "cert-manager.io", "external-secrets.io", "networking.istio.io", "security.istio.io",
                     "autoscaling.k8s.io", "keda.sh", "mlops.seldon.io", "gateway.networking.k8s.io"}


def crd_scopes(candidates: Iterable[Any]) -> dict[tuple[str, str], str]:
    """(group, kind) -> scope, from every CustomResourceDefinition among ``candidates`` (object data)."""
    scopes: dict[tuple[str, str], str] = {}
    for data in candidates:
        if group_kind(data) != ("apiextensions.k8s.io", "CustomResourceDefinition"):
            continue
        spec = mapping(data.get("spec"))
        group, kind = spec.get("group"), mapping(spec.get("names")).get("kind")
        if isinstance(group, str) and isinstance(kind, str) and isinstance(spec.get("scope"), str):
            scopes[(group, kind)] = spec["scope"]
    return scopes


def namespaced(data: Any, scopes: dict[tuple[str, str], str]) -> bool | None:
    """Whether the object's kind is namespaced; None when unknown (a custom resource without CRD)."""
    group, kind = group_kind(data)
    scope = scopes.get((group, kind))
    if scope is not None:
        return scope == "Namespaced"
    if (group, kind) in CLUSTER_SCOPED:
        return False
    if group in BUILTIN_GROUPS or group in NAMESPACED_GROUPS:
        return True
    return None


def object_key(data: Any, default_namespace: str, scopes: dict[tuple[str, str], str]
               ) -> tuple[str, str, str, str] | None:
    """(group, kind, namespace, name) as the cluster sees it, with Argo CD's destination namespace
    filled in for a namespaced object that has none."""
    group, kind = group_kind(data)
    metadata = mapping(mapping(data).get("metadata"))
    name = text(metadata.get("name"))
    if not kind or name is None:
        return None
    namespace = text(metadata.get("namespace")) or ""
    if not namespace and namespaced(data, scopes) is not False:
        namespace = default_namespace
    if namespaced(data, scopes) is False:
        namespace = ""
    return group, kind, namespace, name


def describe(key: tuple[str, str, str, str]) -> str:
    _, kind, namespace, name = key
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"
