"""A sync wave must order only kinds whose health Argo CD can assess.

What it does:
    Reports every rendered object with an ``argocd.argoproj.io/sync-wave`` annotation whose
    kind Argo CD v3.5.1 gives no health status: none compiled into the controller, none in
    the Lua checks it ships (``resource_customizations``), and none configured in an
    ``argocd-cm`` of this repository (a ConfigMap ``argocd-cm``, or an inline kustomize patch of
    it in the Application that installs Argo CD, as ``resource.customizations.health.<group>_<kind>``
    keys or the older ``resource.customizations`` block). Kinds the API server makes effective
    when they are created (Namespace, ConfigMap, Secret, RBAC, CRDs, AppProject...) are not
    reported: for them, applied is ready. Hooks are not reported either.

Why it matters:
    Argo CD moves to the next wave when the objects of this one are healthy, and an object
    without a health check counts as healthy as soon as it is applied. A wave on an
    Application or a SeldonDeployment then waits for nothing: the root creates the apps before
    the operator runs, and an app is Healthy while its models crash-loop. Argo CD has had no
    Application health check since 1.8, and has never had one for SeldonDeployments.

Example:
    ```yaml
    apiVersion: machinelearning.seldon.io/v1
    kind: SeldonDeployment
    metadata:
      name: iris
      annotations:
        argocd.argoproj.io/sync-wave: "1"   # argocd-cm has no SeldonDeployment health check
    ```

Use instead:
    ```yaml
    apiVersion: v1
    kind: ConfigMap
    metadata:
      name: argocd-cm
      namespace: argocd
    data:
      resource.customizations.health.machinelearning.seldon.io_SeldonDeployment: |
        hs = {status = "Progressing"}
        if obj.status ~= nil and obj.status.state == "Available" then hs.status = "Healthy" end
        if obj.status ~= nil and obj.status.state == "Failed" then hs.status = "Degraded" end
        return hs
    ```
    Add a health check for the kind to argocd-cm (in place before the first sync), or drop the wave.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.argocd import group_kind, mapping
from validate.argocd.health import assessed, configured
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context

ID = "argocd-wave-health"
DEFAULT = "error"

WAVE = "argocd.argoproj.io/sync-wave"
HOOK = "argocd.argoproj.io/hook"
HELM_HOOK = "helm.sh/hook"

# Kinds that do what they are for once the API server has stored them: a wave before them is
# an ordering of creation, which Argo CD honours without a health check.
READY_WHEN_CREATED = frozenset({
    ("", "Namespace"), ("", "ConfigMap"), ("", "Secret"), ("", "ServiceAccount"), ("", "LimitRange"),
    ("", "ResourceQuota"), ("", "Endpoints"),
    ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
    ("networking.k8s.io", "NetworkPolicy"), ("networking.k8s.io", "IngressClass"),
    ("scheduling.k8s.io", "PriorityClass"), ("storage.k8s.io", "StorageClass"),
    ("policy", "PodDisruptionBudget"), ("node.k8s.io", "RuntimeClass"),
    ("argoproj.io", "AppProject"), ("", "PersistentVolume"), ("operators.coreos.com", "OperatorGroup"),
    # templates without status, read by name when something runs them (an AnalysisRun, a Kargo Promotion)
    ("argoproj.io", "AnalysisTemplate"), ("argoproj.io", "ClusterAnalysisTemplate"),
    ("kargo.akuity.io", "PromotionTask"), ("kargo.akuity.io", "ClusterPromotionTask"),
})


def _candidates(ctx: Context) -> list[Any]:
    found = [obj.data for obj in ctx.objects]
    for loaded in ctx.loaded.values():
        found += [document.data for document in loaded.documents]
    return found


def check_repository(ctx: Context) -> Iterator[Violation]:
    patterns = configured(_candidates(ctx))
    seen: set[tuple[str | None, int | None, str | None]] = set()
    for obj in ctx.objects:
        annotations = mapping(mapping(obj.data.get("metadata")).get("annotations"))
        if WAVE not in annotations or HOOK in annotations or HELM_HOOK in annotations:
            continue
        group, kind = group_kind(obj.data)
        if not isinstance(kind, str) or (group, kind) in READY_WHEN_CREATED or assessed(group, kind, patterns):
            continue
        key = (obj.file, obj.line, obj.render)
        if key in seen:
            continue
        seen.add(key)
        shown = f"{group}/{kind}" if group else kind
        yield Violation(f"sync wave {annotations[WAVE]} on a {shown}, a kind Argo CD cannot assess the health of:"
                        " the next wave will not wait for it to be ready; add a health check for"
                        f" {shown} to argocd-cm (resource.customizations.health.{group}_{kind}), in place"
                        " before the first sync, or drop the wave", ("metadata", "annotations", WAVE), obj=obj)
