"""API validation: what kube-apiserver refuses (or warns about) beyond the OpenAPI schema.

Organised like kubernetes ``pkg/apis/<group>/validation``: one module per API group (``core``,
``apps``, ``batch``, ``rbac``, ``autoscaling`` (with policy), ``networking``), the ObjectMeta and
label-selector rules of apimachinery in ``meta``, the name syntaxes in ``names``, field-error
wording in ``field``. Each check runs once per Kubernetes version of the matrix; checks that
changed in a release name the version they apply from (``errors.at_least("1.32")``), and a finding
that holds on some versions only says on which.

Finding ids (registered in :mod:`validate.registry`, configurable like any rule id):

* ``apivalidation-invalid`` (error): the API server refuses the object;
* ``apivalidation-warning`` (warning): the API server accepts it but answers with a warning
  (fractional memory bytes, duplicate env names, negative grace periods, unqualified finalizers
  of custom resources), because the object will not behave as written;
* ``apivalidation-seldon-pod`` (error): a SeldonDeployment's ``componentSpecs[].spec`` that the
  CRD accepts but that makes the Deployment the Seldon operator creates from it fail the same
  pod-spec validation.

Metadata name syntax, labels and annotation keys belong to the ``api-object-name`` and
``api-labels`` rules, which this stage does not repeat. Which server behaviours are covered and
which are not is listed in docs/apivalidation.md, measured against a real kube-apiserver by
tests/oracle.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from validate.apivalidation import apps, autoscaling, batch, core, meta, networking, pods, rbac, seldon
from validate.apivalidation.field import Errors, Path, Problem, as_dict, dotted
from validate.argocd.buildenv import references_build_env
from validate.model import Finding, ObjectRef, Severity

if TYPE_CHECKING:
    from validate.model import Checked, Location

INVALID = "apivalidation-invalid"
WARNING = "apivalidation-warning"
SELDON_POD = "apivalidation-seldon-pod"
SEVERITIES = {INVALID: Severity.ERROR, WARNING: Severity.WARNING, SELDON_POD: Severity.ERROR}  # ids: validate/registry.py

Validator = Callable[[Errors, dict[str, Any]], None]
# (group, kind) -> validation of the object's body. ObjectMeta is checked for every kind.
KINDS: dict[tuple[str, str], Validator] = {
    ("", "Service"): core.service,
    ("", "ConfigMap"): core.config_map,
    ("", "Secret"): core.secret,
    ("", "Namespace"): core.namespace,
    ("", "Pod"): lambda errors, obj: pods.pod_spec(errors, as_dict(obj.get("spec")), ("spec",)),
    ("", "PodTemplate"): lambda errors, obj: pods.pod_template(errors, obj.get("template"), ("template",)),
    ("", "ReplicationController"): lambda errors, obj: pods.pod_template(
        errors, as_dict(obj.get("spec")).get("template"), ("spec", "template"), restart_policies=("Always",)),
    ("apps", "Deployment"): apps.deployment,
    ("apps", "StatefulSet"): apps.stateful_set,
    ("apps", "DaemonSet"): apps.daemon_set,
    ("apps", "ReplicaSet"): apps.replica_set,
    ("batch", "Job"): batch.job,
    ("batch", "CronJob"): batch.cron_job,
    ("rbac.authorization.k8s.io", "Role"): rbac.role,
    ("rbac.authorization.k8s.io", "ClusterRole"): lambda errors, obj: rbac.role(errors, obj, cluster=True),
    ("rbac.authorization.k8s.io", "RoleBinding"): rbac.binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): lambda errors, obj: rbac.binding(errors, obj, cluster=True),
    ("autoscaling", "HorizontalPodAutoscaler"): autoscaling.hpa,
    ("policy", "PodDisruptionBudget"): autoscaling.pdb,
    ("networking.k8s.io", "Ingress"): networking.ingress,
    ("networking.k8s.io", "NetworkPolicy"): networking.network_policy,
    ("machinelearning.seldon.io", "SeldonDeployment"): seldon.crd,
}
BUILTIN_GROUPS = {"", "apps", "batch", "rbac.authorization.k8s.io", "autoscaling", "policy", "networking.k8s.io",
                  "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io",
                  "apiextensions.k8s.io", "admissionregistration.k8s.io", "certificates.k8s.io",
                  "flowcontrol.apiserver.k8s.io", "apiregistration.k8s.io", "resource.k8s.io"}
CLUSTER_SCOPED = {("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
                  ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
                  ("apiextensions.k8s.io", "CustomResourceDefinition"), ("storage.k8s.io", "StorageClass"),
                  ("scheduling.k8s.io", "PriorityClass"), ("networking.k8s.io", "IngressClass"),
                  ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
                  ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"), ("node.k8s.io", "RuntimeClass")}
# Files that look like objects but are never sent to an API server.
NOT_API = {"kind.x-k8s.io", "kustomize.config.k8s.io", "config.kubernetes.io", "kustomize.toolkit.fluxcd.io"}
SELDON_GROUP = "machinelearning.seldon.io"


def check(obj: dict[str, Any], version: str) -> list[Problem]:
    """Every problem the API server of ``version`` (``"1.36"``) would have with ``obj``."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return []
    group = api_version.rpartition("/")[0]
    if group in NOT_API:
        return []
    major, minor = version.split(".")[:2]
    errors = Errors((int(major), int(minor)))
    if isinstance(obj.get("metadata"), dict) or obj.get("metadata") is None:
        meta.object_meta(errors, obj, namespaced=(group, kind) not in CLUSTER_SCOPED, builtin=group in BUILTIN_GROUPS)
    validator = KINDS.get((group, kind))
    if validator is not None:
        validator(errors, obj)
    return errors.problems


def seldon_pod_specs(obj: dict[str, Any], version: str) -> list[Problem]:
    """The pod-spec problems of a SeldonDeployment's componentSpecs (the operator turns each into a Deployment)."""
    api_version = obj.get("apiVersion")
    if obj.get("kind") != "SeldonDeployment" or not str(api_version).startswith(SELDON_GROUP + "/"):
        return []
    major, minor = version.split(".")[:2]
    errors = Errors((int(major), int(minor)))
    seldon.operator_pods(errors, obj)
    return errors.problems


def across(versions: Iterable[str], function: Callable[[dict[str, Any], str], list[Problem]],
           obj: dict[str, Any]) -> list[tuple[Problem, tuple[str, ...]]]:
    """Each problem once, with the versions it holds on, in first-seen order."""
    held: dict[Problem, list[str]] = {}
    for version in versions:
        for problem in function(obj, version):
            held.setdefault(problem, [])
            if version not in held[problem]:
                held[problem].append(version)
    return [(problem, tuple(on)) for problem, on in held.items()]


def findings(objects: Iterable[Checked], versions: list[str],
             locate: Callable[[Checked, Path], Location]) -> Iterator[Finding]:
    """The stage: findings at the source line of every problem of every checked object."""
    for candidate in objects:
        data = candidate.data
        if not isinstance(data, dict):
            continue
        ref = ObjectRef.of(data)
        placeholders = _plugin_placeholders(candidate)
        for rule, function in ((None, check), (SELDON_POD, seldon_pod_specs)):
            for problem, on in across(versions, function, data):
                if problem.path[:2] in placeholders:
                    continue
                rule_id = WARNING if problem.warning else (rule or INVALID)
                suffix = "" if len(on) == len(versions) else f" (on Kubernetes {', '.join(on)})"
                if rule_id == SELDON_POD:
                    suffix += ": the Deployment the Seldon operator makes of it would be refused"
                location = locate(candidate, problem.path)
                message = f"{dotted(problem.path)}: {problem.message}" if problem.path else problem.message
                yield Finding(rule_id, message + suffix + location.note, location.file, location.line,
                              location.column, SEVERITIES[rule_id], ref, candidate.render)


def _plugin_placeholders(candidate: Checked) -> set[Path]:
    """The ``metadata`` fields of a stand-alone manifest that name a variable of Argo CD's build
    environment (``namespace: $ARGOCD_APP_NAMESPACE``): a config management plugin substitutes them,
    so what the API server gets is not written here. Rendered objects are judged as written: plain
    kustomize and Helm substitute nothing."""
    metadata = candidate.data.get("metadata")
    if candidate.render is not None or not isinstance(metadata, dict):
        return set()
    return {("metadata", field) for field in ("name", "generateName", "namespace")
            if references_build_env(metadata.get(field))}
