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

    The last wave of a sync is reported only in a repository that configures health checks of
    its own. Argo CD waits for a wave's health only to start what comes after it: when the
    current wave is the last of the last phase and holds no hook, the operation succeeds right
    after the apply, "EVEN if those objects subsequently degraded" (gitops-engine
    ``pkg/sync/sync_context.go``, ``remainingTasks``). An object whose later waves are empty (no
    object of its render, or of the stand-alone manifests around it, in a later wave, no Sync
    hook in a later wave and no PostSync hook) therefore makes nothing wait, with or without a
    health check: its wave still orders its creation after the earlier waves are healthy, which
    works, and the finding would be noise. A repository that puts ``resource.customizations.health.*``
    into argocd-cm has said that it relies on Argo CD's health to mean "ready": there the last wave
    is still reported, because its Application reports Healthy before the object is ready. This
    repository is such a case: SeldonDeployments are the last wave of every app
    (``base/components/seldon-sync-order``), and ``argocd/bootstrap/argocd-cm-health.yaml`` gives
    them the check that keeps an app from turning Healthy while its models crash-loop; dropping it
    must be caught (``tests/test_content_mutations.py``).

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

from validate.argocd import directory_of, group_kind, mapping
from validate.argocd.health import assessed, configured
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

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


def _wave(annotations: dict[str, Any]) -> int | None:
    try:
        return int(str(annotations.get(WAVE, "0")).strip())
    except ValueError:
        return None


def _phases(annotations: dict[str, Any]) -> set[str]:
    """The sync phases of an object: ``Sync`` for a plain object, its hook's phases for a hook
    (Helm's post-install/post-upgrade hooks run as PostSync, its pre-* hooks as PreSync)."""
    if HOOK in annotations:
        return {part.strip() for part in str(annotations[HOOK]).split(",")}
    if HELM_HOOK in annotations:
        hooks = str(annotations[HELM_HOOK])
        return {"PostSync" if "post-" in hook else "PreSync" if "pre-" in hook else "Sync" for hook in hooks.split(",")}
    return {"Sync"}


def _same_sync(obj: Checked, other: Checked) -> bool:
    """Whether ``other`` may be applied by the sync that applies ``obj``: the same render, or, for
    stand-alone manifests, the same folder, a folder inside it or one around it (an Application
    with ``directory.recurse`` takes the folders below its path): more than one sync, never less."""
    if obj.render is not None or other.render is not None:
        return obj.render == other.render
    here, there = directory_of(obj), directory_of(other)
    if here is None or there is None:
        return here == there
    return here == there or "." in (here, there) or here.startswith(there + "/") or there.startswith(here + "/")


def _something_waits(obj: Checked, wave: int | None, objects: list[Checked]) -> bool:
    """Whether anything of the sync that applies ``obj`` starts only once ``obj``'s wave is healthy:
    an object or Sync hook in a later wave, or a PostSync hook."""
    if wave is None:
        return True  # not a number: Argo CD refuses the sync; nothing to judge here
    for other in objects:
        if other is obj or not _same_sync(obj, other):
            continue
        annotations = mapping(mapping(other.data.get("metadata")).get("annotations"))
        phases = _phases(annotations)
        if "PostSync" in phases:
            return True
        later = _wave(annotations)
        if "Sync" in phases and (later is None or later > wave):
            return True
    return False


def check_repository(ctx: Context) -> Iterator[Violation]:
    patterns = configured(_candidates(ctx))
    objects = list(ctx.objects)
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
        waits = _something_waits(obj, _wave(annotations), objects)
        if not waits and not patterns:
            continue  # the last wave, in a repository that relies on no health check of its own
        seen.add(key)
        shown = f"{group}/{kind}" if group else kind
        consequence = ("the next wave will not wait for it to be ready" if waits else
                       "nothing waits for this last wave, but its Application reports Healthy before it is ready")
        yield Violation(f"sync wave {annotations[WAVE]} on a {shown}, a kind Argo CD cannot assess the health of:"
                        f" {consequence}; add a health check for"
                        f" {shown} to argocd-cm (resource.customizations.health.{group}_{kind}), in place"
                        " before the first sync, or drop the wave", ("metadata", "annotations", WAVE), obj=obj)
