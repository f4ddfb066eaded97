"""The oracle's corpus: real objects and realistic mutations of them, generated deterministically.

Bases are the upstream Seldon examples (``../shared/upstream``), a handful of plain built-in objects
written here for the kinds they lack (HPA, PDB, Ingress, NetworkPolicy, Job, CronJob, StatefulSet,
DaemonSet, Secret, ...) and a few custom resources of the kinds a repository like this one ships
beside them (PodMonitor, Argo CD's Application, AppProject, ApplicationSet), also written here.
None of them is this repository's content: users edit that, and a corpus drawn from it would
change under them (``tests/oracle/agreement.py`` checks the repository's own objects unchanged,
as clean cases, beside this corpus). Every mutation is a small edit
a person could make (a typo in an enum, a negative number, a port out of range, a duplicated name,
a value the API server quietly corrects with a warning, ...) whose values are drawn from a seeded
random generator among valid and invalid choices, so the corpus holds both and nobody writes the
expected verdict down: the API server gives it.

Each case goes to one of two splits by a seeded draw on its id: ``dev`` (what the validator was
developed against) and ``held-out`` (never looked at while tuning; the agreement goal is measured
on it).
"""

from __future__ import annotations

import copy
import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SEED = 20261130
HELD_OUT_SHARE = 0.3
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

Obj = dict[str, Any]


@dataclass
class Case:
    id: str
    family: str
    mutation: str
    base: str
    obj: Obj
    split: str


def split_of(case_id: str) -> str:
    draw = int(hashlib.sha256(f"{SEED}:{case_id}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "held-out" if draw < HELD_OUT_SHARE else "dev"


# --- where pod specs live ----------------------------------------------------------------------

def pod_specs(obj: Obj) -> list[Obj]:
    kind = obj.get("kind")
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    found: list[Any] = []
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        found.append((spec.get("template") or {}).get("spec"))
    elif kind == "CronJob":
        found.append((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec"))
    elif kind == "Pod":
        found.append(spec)
    elif kind == "SeldonDeployment":
        for predictor in spec.get("predictors") or []:
            for component in predictor.get("componentSpecs") or []:
                if isinstance(component, dict):
                    found.append(component.get("spec"))
    return [f for f in found if isinstance(f, dict)]


def containers(pod: Obj) -> list[Obj]:
    return [c for c in pod.get("containers") or [] if isinstance(c, dict)]


# --- bases -------------------------------------------------------------------------------------

def _meta(name: str, namespace: str | None = "oracle") -> Obj:
    meta: Obj = {"name": name, "labels": {"app": name}}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _pod_template(name: str) -> Obj:
    return {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
        "name": "main", "image": "registry.example/app:1.0", "ports": [{"name": "http", "containerPort": 8080}],
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "500m", "memory": "128Mi"}},
        "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}, "periodSeconds": 5}}]}}


def builtin_bases() -> list[tuple[str, Obj]]:
    """Plain objects of the built-in kinds users ship beside SeldonDeployments."""
    sel = {"matchLabels": {"app": "web"}}
    bases: list[Obj] = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta("web"),
         "spec": {"replicas": 2, "selector": sel, "template": _pod_template("web")}},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": _meta("db"),
         "spec": {"serviceName": "db", "replicas": 1, "selector": {"matchLabels": {"app": "db"}},
                  "template": _pod_template("db")}},
        {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": _meta("agent"),
         "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": _pod_template("agent")}},
        {"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta("train"),
         "spec": {"backoffLimit": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [
             {"name": "train", "image": "registry.example/train:1.0", "command": ["python", "train.py"]}]}}}},
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": _meta("nightly"),
         "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": {
             "restartPolicy": "OnFailure", "containers": [{"name": "job", "image": "registry.example/job:1.0"}]}}}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": _meta("web"),
         "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta("settings"),
         "data": {"LOG_LEVEL": "info", "config.yaml": "a: 1\n"}},
        {"apiVersion": "v1", "kind": "Secret", "metadata": _meta("credentials"), "type": "Opaque",
         "stringData": {"username": "model"}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta("runner")},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": _meta("reader"),
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": _meta("reader"),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
         "subjects": [{"kind": "ServiceAccount", "name": "runner", "namespace": "oracle"}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": _meta("viewer", None),
         "rules": [{"apiGroups": ["machinelearning.seldon.io"], "resources": ["seldondeployments"],
                    "verbs": ["get"]}]},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": _meta("models", None)},
        {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta("web"),
         "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                  "minReplicas": 1, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
                      "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta("web"),
         "spec": {"minAvailable": 1, "selector": sel}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": _meta("web"),
         "spec": {"ingressClassName": "nginx", "rules": [{"host": "models.example.com", "http": {"paths": [
             {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": _meta("web"),
         "spec": {"podSelector": sel, "policyTypes": ["Ingress"], "ingress": [{"from": [{"podSelector": {}}],
                                                                                "ports": [{"port": 8080}]}]}},
    ]
    return [(f"builtin/{b['kind']}", b) for b in bases]


def custom_bases() -> list[tuple[str, Obj]]:
    """Custom resources of the kinds a GitOps repository for Seldon Core ships (their CRDs are installed)."""
    bases: list[Obj] = [
        {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": _meta("models"),
         "spec": {"selector": {"matchLabels": {"app": "web"}},
                  "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics"}]}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": _meta("models", "argocd"),
         "spec": {"project": "models", "source": {"repoURL": "https://git.example/models.git",
                                                  "targetRevision": "main", "path": "overlays/dev"},
                  "destination": {"server": "https://kubernetes.default.svc", "namespace": "models"},
                  "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": _meta("models", "argocd"),
         "spec": {"sourceRepos": ["https://git.example/models.git"],
                  "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "models"}]}},
        {"apiVersion": "argoproj.io/v1alpha1", "kind": "ApplicationSet", "metadata": _meta("models", "argocd"),
         "spec": {"generators": [{"list": {"elements": [{"env": "dev"}, {"env": "prod"}]}}],
                  "template": {"metadata": {"name": "models-{{env}}"}, "spec": {
                      "project": "models", "source": {"repoURL": "https://git.example/models.git",
                                                      "targetRevision": "main", "path": "overlays/{{env}}"},
                      "destination": {"server": "https://kubernetes.default.svc", "namespace": "models-{{env}}"}}}}},
    ]
    return [(f"custom/{b['kind']}", b) for b in bases]


def upstream_bases(upstream: Path) -> list[tuple[str, Obj]]:
    found = []
    for path in sorted((upstream / "seldon-examples").glob("*.yaml")):
        for index, document in enumerate(yaml.load_all(path.read_text(), Loader=LOADER)):
            if isinstance(document, dict) and document.get("kind") == "SeldonDeployment":
                found.append((f"upstream/{path.stem}#{index}", _strip_nulls(document)))
    return found


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value]
    return value


# --- mutations ---------------------------------------------------------------------------------

Mutation = Callable[[Obj, random.Random], bool]
MUTATIONS: dict[str, tuple[str, tuple[str, ...], Mutation]] = {}  # name -> (family, kinds or ("pod",), function)


def mutation(family: str, *kinds: str) -> Callable[[Mutation], Mutation]:
    def register(function: Mutation) -> Mutation:
        MUTATIONS[function.__name__] = (family, kinds, function)
        return function
    return register


def pick(rng: random.Random, *choices: Any) -> Any:
    return copy.deepcopy(rng.choice(choices))


def a_pod(obj: Obj, rng: random.Random) -> Obj | None:
    pods = pod_specs(obj)
    return rng.choice(pods) if pods else None


def a_container(obj: Obj, rng: random.Random) -> Obj | None:
    pod = a_pod(obj, rng)
    if pod is None or not containers(pod):
        return None
    return rng.choice(containers(pod))


NAMES = ["model", "Model", "my_model", "a" * 64, "a" * 63, "1model", "model-", "-model", "mo.del", "m", "model1",
         "classifier", "x" * 16, "http-port", "1234"]
PORT_NAMES = ["http", "HTTP", "http_port", "a-very-long-port-name", "web-1", "123", "metrics", "grpc-", "-grpc",
              "g--rpc", "h"]
QUANTITIES = ["100m", "0.5", "1", "-1", "1.5Gi", "512Mi", "0", "100n", "1e3", "0.1", "2.5", "1500m", "64Mi", "1k"]


# metadata (every kind)

@mutation("metadata", "*")
def finalizer(obj: Obj, rng: random.Random) -> bool:
    obj.setdefault("metadata", {})["finalizers"] = [pick(rng, "example.com/cleanup", "cleanup", "kubernetes",
                                                         "foregroundDeletion", "Example.com/x", "example.com/",
                                                         "a.b/c/d", "orphan", "x" * 70 + ".com/a")]
    return True


@mutation("metadata", "*")
def drop_name(obj: Obj, rng: random.Random) -> bool:
    obj.setdefault("metadata", {}).pop("name", None)
    if rng.random() < 0.5:
        obj["metadata"]["generateName"] = pick(rng, "model-", "Model-", "m")
    return True


@mutation("metadata", "*")
def annotation_key(obj: Obj, rng: random.Random) -> bool:
    key = pick(rng, "example.com/owner", "owner", "Example.com/owner", "-owner", "a/b/c", "owner_", "x" * 64,
               "team.example.com/contact-name")
    obj.setdefault("metadata", {}).setdefault("annotations", {})[key] = "ops"
    return True


@mutation("metadata", "*")
def namespace_name(obj: Obj, rng: random.Random) -> bool:
    if "namespace" not in (obj.get("metadata") or {}):
        return False
    obj["metadata"]["namespace"] = pick(rng, "Models", "models_1", "models-1", "m" * 64, "m.x")
    return True


@mutation("metadata", "*")
def object_name(obj: Obj, rng: random.Random) -> bool:
    obj.setdefault("metadata", {})["name"] = pick(rng, *NAMES, "model.v2", "a" * 254, "a.b", "model/x", "%")
    return True


# Deployment

@mutation("deployment", "Deployment")
def replicas(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["replicas"] = pick(rng, -1, 0, 3, -5)
    return True


@mutation("deployment", "Deployment", "StatefulSet", "DaemonSet")
def revision_history(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["revisionHistoryLimit"] = pick(rng, -1, 0, 10)
    return True


@mutation("deployment", "Deployment", "StatefulSet", "DaemonSet")
def selector(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["selector"] = pick(rng, {}, {"matchLabels": {}}, {"matchLabels": {"app": "other"}},
                                   {"matchExpressions": [{"key": "app", "operator": "In", "values": []}]},
                                   {"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["x"]}]},
                                   {"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["x"]}]},
                                   {"matchLabels": {"app": "bad value!"}})
    return True


@mutation("deployment", "Deployment")
def strategy(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["strategy"] = pick(
        rng, {"type": "Recreate"}, {"type": "Rolling"}, {"type": "Recreate", "rollingUpdate": {"maxSurge": 1}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 0}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "0%", "maxUnavailable": "0%"}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "150%"}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "150%"}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": -1}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25"}},
        {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "abc%"}},
        {"rollingUpdate": {"maxSurge": 2}})
    return True


@mutation("deployment", "Deployment")
def progress_deadline(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["minReadySeconds"] = pick(rng, 0, 10, 600, -1)
    obj["spec"]["progressDeadlineSeconds"] = pick(rng, 5, 10, 600, 0)
    return True


@mutation("deployment", "StatefulSet")
def statefulset_policy(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["podManagementPolicy"] = pick(rng, "Parallel", "OrderedReady", "parallel")
    obj["spec"]["updateStrategy"] = pick(rng, {"type": "OnDelete"}, {"type": "RollingUpdate"},
                                         {"type": "Rolling"}, {"type": "OnDelete", "rollingUpdate": {"partition": 1}},
                                         {"type": "RollingUpdate", "rollingUpdate": {"partition": -1}})
    return True


@mutation("deployment", "Job", "CronJob")
def job_limits(obj: Obj, rng: random.Random) -> bool:
    spec = obj["spec"]["jobTemplate"]["spec"] if obj["kind"] == "CronJob" else obj["spec"]
    field = pick(rng, "backoffLimit", "parallelism", "completions", "activeDeadlineSeconds", "ttlSecondsAfterFinished")
    spec[field] = pick(rng, -1, 0, 3)
    return True


@mutation("deployment", "CronJob")
def cron_schedule(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["schedule"] = pick(rng, "*/5 * * * *", "@hourly", "61 * * * *", "not a schedule", "0 0 * *",
                                   "TZ=UTC 0 3 * * *", "")
    obj["spec"]["concurrencyPolicy"] = pick(rng, "Allow", "Forbid", "Replace", "Never")
    return True


@mutation("deployment", "Job")
def job_restart_policy(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["template"]["spec"]["restartPolicy"] = pick(rng, "Always", "Never", "OnFailure", "never")
    return True


# pod template (everywhere)

@mutation("pod", "pod")
def empty_containers(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["containers"] = []
    return True


@mutation("pod", "pod")
def container_name(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["name"] = pick(rng, *NAMES)
    return True


@mutation("pod", "pod")
def duplicate_container(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None or not containers(pod):
        return False
    twin = copy.deepcopy(containers(pod)[0])
    twin.pop("ports", None)
    if rng.random() < 0.5:
        pod.setdefault("initContainers", []).append(twin)
    else:
        pod["containers"].append(twin)
    return True


@mutation("pod", "pod")
def image(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["image"] = pick(rng, "", " ", "nginx", "nginx:1.27 ", "registry.example/app@sha256:" + "a" * 64)
    return True


@mutation("pod", "pod")
def container_port(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    port: Obj = {"containerPort": pick(rng, 0, 1, 8080, 65535, 65536, -80)}
    if rng.random() < 0.7:
        port["name"] = pick(rng, *PORT_NAMES)
    if rng.random() < 0.3:
        port["protocol"] = pick(rng, "TCP", "UDP", "SCTP", "tcp", "HTTP")
    if rng.random() < 0.2:
        port["hostPort"] = pick(rng, 0, 80, 70000)
    container["ports"] = [port]
    return True


@mutation("pod", "pod")
def duplicate_port_name(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    name = pick(rng, "http", "metrics")
    container["ports"] = [{"name": name, "containerPort": 8080}, {"name": pick(rng, name, "other"),
                                                                  "containerPort": pick(rng, 8080, 9090)}]
    return True


@mutation("pod", "pod")
def image_pull_policy(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["imagePullPolicy"] = pick(rng, "Always", "IfNotPresent", "Never", "always", "Sometimes")
    return True


@mutation("pod", "pod")
def restart_policy(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["restartPolicy"] = pick(rng, "Always", "Never", "OnFailure", "Sometimes")
    return True


@mutation("pod", "pod")
def dns_policy(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["dnsPolicy"] = pick(rng, "ClusterFirst", "Default", "None", "ClusterFirstWithHostNet", "clusterfirst")
    if pod["dnsPolicy"] == "None" and rng.random() < 0.5:
        pod["dnsConfig"] = {"nameservers": pick(rng, ["1.1.1.1"], ["not-an-ip"], [])}
    return True


@mutation("pod", "pod")
def resources(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    section = pick(rng, "requests", "limits")
    resource = pick(rng, "cpu", "memory", "ephemeral-storage", "nvidia.com/gpu", "storage", "hugepages-2Mi",
                    "example.com/widget", "cpus", "Memory")
    container.setdefault("resources", {}).setdefault(section, {})[resource] = pick(rng, *QUANTITIES)
    return True


@mutation("pod", "pod")
def requests_over_limits(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    resource = pick(rng, "cpu", "memory")
    low, high = ("100m", "2") if resource == "cpu" else ("64Mi", "1Gi")
    request, limit = (high, low) if rng.random() < 0.6 else (low, high)
    container["resources"] = {"requests": {resource: request}, "limits": {resource: limit}}
    return True


@mutation("pod", "pod")
def extended_resource(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["resources"] = pick(rng, {"requests": {"nvidia.com/gpu": "1"}},
                                  {"limits": {"nvidia.com/gpu": "1"}},
                                  {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "2"}},
                                  {"requests": {"nvidia.com/gpu": "0.5"}, "limits": {"nvidia.com/gpu": "0.5"}},
                                  {"requests": {"nvidia.com/gpu": "1"}, "limits": {"nvidia.com/gpu": "1"}})
    return True


@mutation("pod", "pod")
def fractional_memory(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container.setdefault("resources", {})["requests"] = {"memory": pick(rng, "0.5", "1.5Mi", "100m", "128974848",
                                                                         "129e6", "0.1Ki")}
    container["resources"].pop("limits", None)
    return True


@mutation("pod", "pod")
def env(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    name = pick(rng, "LOG_LEVEL", "log.level", "1VAR", "MY VAR", "", "a=b", "_X", "x-y", "ÄÖ")
    entry: Obj = {"name": name, "value": "1"}
    if rng.random() < 0.25:
        entry["valueFrom"] = {"fieldRef": {"fieldPath": "metadata.name"}}
    container["env"] = [entry]
    return True


@mutation("pod", "pod")
def duplicate_env(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["env"] = [{"name": "MODE", "value": "a"}, {"name": pick(rng, "MODE", "OTHER"), "value": "b"}]
    return True


@mutation("pod", "pod")
def env_value_from(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["env"] = [{"name": "SOURCE", "valueFrom": pick(
        rng, {"fieldRef": {"fieldPath": "metadata.name"}}, {"fieldRef": {"fieldPath": "spec.nodeName"}},
        {"fieldRef": {"fieldPath": "metadata.uid"}}, {"fieldRef": {"fieldPath": "status.podIP"}},
        {"fieldRef": {"fieldPath": "spec.containers"}}, {"fieldRef": {"fieldPath": "metadata.labels['app']"}},
        {"fieldRef": {"fieldPath": "metadata.labels"}},
        {"resourceFieldRef": {"resource": "limits.cpu"}}, {"resourceFieldRef": {"resource": "cpu"}},
        {"secretKeyRef": {"name": "s", "key": "password"}}, {"secretKeyRef": {"name": "s", "key": "bad key"}},
        {"configMapKeyRef": {"name": "", "key": "k"}}, {},
        {"configMapKeyRef": {"name": "c", "key": "k"}, "secretKeyRef": {"name": "s", "key": "k"}})}]
    return True


@mutation("pod", "pod")
def probe(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    kind = pick(rng, "livenessProbe", "readinessProbe", "startupProbe")
    handler = pick(rng, {"httpGet": {"path": "/", "port": 8080}}, {"httpGet": {"path": "/", "port": 0}},
                   {"httpGet": {"path": "/", "port": "no-such-port-name"}}, {"httpGet": {"path": "/", "port": "HTTP"}},
                   {"tcpSocket": {"port": 70000}}, {"exec": {"command": ["true"]}}, {},
                   {"exec": {"command": ["true"]}, "tcpSocket": {"port": 80}}, {"grpc": {"port": 9000}},
                   {"httpGet": {"path": "/", "port": 8080, "scheme": "http"}})
    handler.update(pick(rng, {}, {"successThreshold": 2}, {"failureThreshold": 0}, {"periodSeconds": -1},
                        {"timeoutSeconds": 0}, {"initialDelaySeconds": -5}, {"terminationGracePeriodSeconds": 0}))
    container[kind] = handler
    return True


@mutation("pod", "pod")
def volumes(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None or not containers(pod):
        return False
    volume = pick(rng, {"name": "data", "emptyDir": {}}, {"name": "Data", "emptyDir": {}}, {"name": "data"},
                  {"name": "data", "emptyDir": {}, "configMap": {"name": "c"}},
                  {"name": "data", "configMap": {"name": "c", "items": [{"key": "k", "path": "../x"}]}},
                  {"name": "data", "configMap": {"name": "c", "defaultMode": 511}},
                  {"name": "data", "configMap": {"name": "c", "defaultMode": 4000}},
                  {"name": "data", "secret": {"secretName": ""}},
                  {"name": "data", "hostPath": {"path": "/var/log", "type": "Directory"}},
                  {"name": "data", "hostPath": {"path": "/var/log", "type": "Folder"}},
                  {"name": "data", "emptyDir": {"sizeLimit": "-1Gi"}},
                  {"name": "data", "persistentVolumeClaim": {"claimName": ""}})
    pod["volumes"] = [volume]
    if rng.random() < 0.4:
        pod["volumes"].append(copy.deepcopy(volume))
    mount_name = pick(rng, volume["name"], "missing")
    rng.choice(containers(pod))["volumeMounts"] = [{"name": mount_name, "mountPath": pick(rng, "/data", "data", "")}]
    return True


@mutation("pod", "pod")
def security_context(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["securityContext"] = pick(
        rng, {"runAsUser": -1}, {"runAsUser": 1000}, {"runAsGroup": -5}, {"privileged": True, "allowPrivilegeEscalation": False},
        {"capabilities": {"add": ["NET_ADMIN"]}}, {"procMount": "Weird"}, {"procMount": "Default"},
        {"seccompProfile": {"type": "Localhost"}}, {"seccompProfile": {"type": "RuntimeDefault"}},
        {"seccompProfile": {"type": "Unconfined", "localhostProfile": "x"}},
        {"seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/x.json"}},
        {"seccompProfile": {"type": "Custom"}}, {"readOnlyRootFilesystem": True, "runAsNonRoot": True},
        {"appArmorProfile": {"type": "Localhost"}}, {"appArmorProfile": {"type": "RuntimeDefault"}},
        {"seLinuxOptions": {"level": "s0:c123,c456"}})
    return True


@mutation("pod", "pod")
def pod_security_context(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["securityContext"] = pick(rng, {"runAsUser": -1}, {"fsGroup": -1}, {"fsGroup": 2000},
                                  {"supplementalGroups": [-1]}, {"sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]},
                                  {"sysctls": [{"name": "bad name!", "value": "1"}]},
                                  {"fsGroupChangePolicy": "Sometimes"}, {"fsGroupChangePolicy": "OnRootMismatch"},
                                  {"seccompProfile": {"type": "Localhost", "localhostProfile": ""}})
    return True


@mutation("pod", "pod")
def tolerations(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["tolerations"] = [pick(rng, {"key": "gpu", "operator": "Exists", "effect": "NoSchedule"},
                               {"key": "gpu", "operator": "Exists", "value": "true"},
                               {"key": "gpu", "operator": "Equal", "value": "true", "effect": "NoExecute"},
                               {"operator": "Equal", "value": "x"}, {"key": "gpu", "operator": "Contains"},
                               {"key": "gpu", "effect": "Sometimes"},
                               {"key": "gpu", "effect": "NoSchedule", "tolerationSeconds": 30},
                               {"key": "bad key!", "operator": "Exists"}, {"operator": "Exists"})]
    return True


@mutation("pod", "pod")
def topology_spread(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["topologySpreadConstraints"] = [{
        "maxSkew": pick(rng, 1, 0, -1), "topologyKey": pick(rng, "kubernetes.io/hostname", "", "bad key!"),
        "whenUnsatisfiable": pick(rng, "DoNotSchedule", "ScheduleAnyway", "Never"),
        "labelSelector": {"matchLabels": {"app": "x"}}}]
    if rng.random() < 0.3:
        pod["topologySpreadConstraints"][0]["minDomains"] = pick(rng, 0, 2)
    return True


@mutation("pod", "pod")
def affinity(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["affinity"] = pick(
        rng,
        {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}},
        {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}},
        {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "Gt", "values": ["a"]}]}]}}},
        {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "zone", "operator": "In"}]}]}}},
        {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": pick(rng, 0, 1, 100, 101), "preference": {"matchExpressions": [
                {"key": "zone", "operator": "Exists"}]}}]}},
        {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": pick(rng, "", "kubernetes.io/hostname"), "labelSelector": {"matchLabels": {"app": "x"}}}]}},
        {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 50, "podAffinityTerm": {"topologyKey": "zone", "labelSelector": {
                "matchExpressions": [{"key": "app", "operator": "NotIn"}]}}}]}})
    return True


@mutation("pod", "pod")
def pod_names(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    field = pick(rng, "serviceAccountName", "priorityClassName", "hostname", "subdomain", "schedulerName",
                 "runtimeClassName", "nodeName")
    pod[field] = pick(rng, "model-runner", "Model_Runner", "a.b", "a" * 64, "x-", "system-cluster-critical")
    return True


@mutation("pod", "pod")
def grace_and_deadline(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    field = pick(rng, "terminationGracePeriodSeconds", "activeDeadlineSeconds")
    pod[field] = pick(rng, -1, 0, 30)
    return True


@mutation("pod", "pod")
def ephemeral_container(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["ephemeralContainers"] = [{"name": "debug", "image": "busybox"}]
    return True


@mutation("pod", "pod")
def host_network(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None or not containers(pod):
        return False
    pod["hostNetwork"] = True
    containers(pod)[0]["ports"] = [{"containerPort": 8080, "hostPort": pick(rng, 8080, 9090, 0)}]
    return True


@mutation("pod", "pod")
def node_selector(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    pod["nodeSelector"] = {pick(rng, "disktype", "kubernetes.io/os", "bad key!", "a/b/c"): pick(rng, "ssd", "bad value!")}
    return True


@mutation("pod", "pod")
def lifecycle(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["lifecycle"] = pick(rng, {"preStop": {"exec": {"command": ["sleep", "5"]}}}, {"preStop": {}},
                                  {"postStart": {"httpGet": {"port": 0}}}, {"preStop": {"sleep": {"seconds": 5}}},
                                  {"preStop": {"sleep": {"seconds": -1}}})
    return True


@mutation("pod", "pod")
def termination_message(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["terminationMessagePolicy"] = pick(rng, "File", "FallbackToLogsOnError", "Log")
    return True


@mutation("pod", "pod")
def working_dir_and_stdin(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["stdinOnce"] = True
    container["stdin"] = pick(rng, True, False)
    return True


@mutation("pod", "pod")
def env_from(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["envFrom"] = [pick(rng, {"configMapRef": {"name": "settings"}}, {"prefix": "1X", "configMapRef": {"name": "s"}},
                                 {"prefix": "APP_", "secretRef": {"name": "s"}}, {"prefix": "X"},
                                 {"configMapRef": {"name": "s"}, "secretRef": {"name": "s"}})]
    return True


@mutation("pod", "pod")
def init_container_restart(obj: Obj, rng: random.Random) -> bool:
    pod = a_pod(obj, rng)
    if pod is None:
        return False
    init: Obj = {"name": "init", "image": "busybox", "restartPolicy": pick(rng, "Always", "Never", "OnFailure")}
    if rng.random() < 0.4:
        init["readinessProbe"] = {"exec": {"command": ["true"]}}
    if rng.random() < 0.3:
        init.pop("restartPolicy")
        init["lifecycle"] = {"preStop": {"exec": {"command": ["true"]}}}
    pod["initContainers"] = [init]
    return True


# Service

@mutation("service", "Service")
def service_port(obj: Obj, rng: random.Random) -> bool:
    port = obj["spec"]["ports"][0]
    port["port"] = pick(rng, 0, 80, 65535, 65536, -1)
    port["targetPort"] = pick(rng, 8080, 0, 70000, "http", "HTTP", "a-very-long-port-name", "8080", "web_1")
    return True


@mutation("service", "Service")
def service_protocol(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["ports"][0]["protocol"] = pick(rng, "TCP", "UDP", "SCTP", "tcp", "HTTP")
    return True


@mutation("service", "Service")
def service_multi_port(obj: Obj, rng: random.Random) -> bool:
    first = obj["spec"]["ports"][0]
    second = copy.deepcopy(first)
    case = rng.randrange(5)
    if case == 0:
        first.pop("name", None)
        second["name"] = "metrics"
        second["port"] = 9090
    elif case == 1:
        second["port"] = 9090  # same name
    elif case == 2:
        second["name"] = "metrics"  # same port and protocol
    elif case == 3:
        second["name"] = "metrics-udp"
        second["protocol"] = "UDP"  # same port, other protocol
    else:
        second["name"] = "metrics"
        second["port"] = 9090
    obj["spec"]["ports"].append(second)
    return True


@mutation("service", "Service")
def service_type(obj: Obj, rng: random.Random) -> bool:
    spec = obj["spec"]
    spec["type"] = pick(rng, "ClusterIP", "NodePort", "LoadBalancer", "ExternalName", "Headless", "nodeport")
    if rng.random() < 0.4:
        spec["ports"][0]["nodePort"] = pick(rng, 30080, 80, 32767)
    if rng.random() < 0.3:
        spec["externalTrafficPolicy"] = pick(rng, "Local", "Cluster", "Global")
    if spec["type"] == "ExternalName" and rng.random() < 0.6:
        spec["externalName"] = pick(rng, "db.example.com", "Not A Name", "")
    return True


@mutation("service", "Service")
def service_cluster_ip(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["clusterIP"] = pick(rng, "None", "10.96.0.50", "10.0.0.300", "not-an-ip", "")
    return True


@mutation("service", "Service")
def service_affinity(obj: Obj, rng: random.Random) -> bool:
    spec = obj["spec"]
    spec["sessionAffinity"] = pick(rng, "None", "ClientIP", "Sticky")
    if rng.random() < 0.5:
        spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": pick(rng, 0, 10800, 86401)}}
    return True


@mutation("service", "Service")
def service_ip_families(obj: Obj, rng: random.Random) -> bool:
    spec = obj["spec"]
    spec["ipFamilies"] = pick(rng, ["IPv4"], ["IPv6"], ["IPv4", "IPv4"], ["IP4"])
    spec["ipFamilyPolicy"] = pick(rng, "SingleStack", "PreferDualStack", "RequireDualStack", "Dual")
    return True


@mutation("service", "Service")
def service_no_ports(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["ports"] = []
    if rng.random() < 0.5:
        obj["spec"]["clusterIP"] = "None"
    return True


@mutation("service", "Service")
def service_selector(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["selector"] = {pick(rng, "app", "bad key!", "example.com/app"): pick(rng, "web", "bad value!", "")}
    return True


# ConfigMap / Secret

@mutation("config", "ConfigMap", "Secret")
def data_key(obj: Obj, rng: random.Random) -> bool:
    key = pick(rng, "config.yaml", "bad key", "a/b", "..", ".hidden", "_x", "a" * 254, "-x", "ok_key-1.txt")
    field = "stringData" if obj["kind"] == "Secret" else pick(rng, "data", "binaryData")
    value = "aGVsbG8=" if field == "binaryData" else "value"
    obj.setdefault(field, {})[key] = value
    return True


@mutation("config", "ConfigMap")
def duplicate_data_key(obj: Obj, rng: random.Random) -> bool:
    key = "shared"
    obj.setdefault("data", {})[key] = "a"
    obj.setdefault("binaryData", {})[pick(rng, key, "other")] = "aGVsbG8="
    return True


@mutation("config", "Secret")
def secret_type(obj: Obj, rng: random.Random) -> bool:
    obj["type"] = pick(rng, "Opaque", "kubernetes.io/tls", "kubernetes.io/dockerconfigjson",
                       "kubernetes.io/basic-auth", "example.com/custom", "kubernetes.io/service-account-token",
                       "kubernetes.io/ssh-auth", "bad type")
    return True


# RBAC

@mutation("rbac", "RoleBinding")
def role_ref(obj: Obj, rng: random.Random) -> bool:
    obj["roleRef"] = pick(rng, {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                          {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "view"},
                          {"apiGroup": "", "kind": "Role", "name": "reader"},
                          {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ""},
                          {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "a/b"},
                          {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "Reader_1"})
    return True


@mutation("rbac", "RoleBinding")
def subjects(obj: Obj, rng: random.Random) -> bool:
    obj["subjects"] = [pick(rng, {"kind": "ServiceAccount", "name": "runner"},
                            {"kind": "ServiceAccount", "name": "runner", "namespace": "oracle"},
                            {"kind": "ServiceAccount", "name": "Runner", "namespace": "oracle"},
                            {"kind": "ServiceAccount", "name": "runner", "apiGroup": "rbac.authorization.k8s.io"},
                            {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"},
                            {"kind": "User", "name": "alice"}, {"kind": "Group", "name": "", "apiGroup": "rbac.authorization.k8s.io"},
                            {"kind": "Robot", "name": "r2"}, {"kind": "Group", "name": "devs", "apiGroup": "rbac.authorization.k8s.io"})]
    return True


@mutation("rbac", "Role", "ClusterRole")
def policy_rule(obj: Obj, rng: random.Random) -> bool:
    obj["rules"] = [pick(rng, {"apiGroups": [""], "resources": ["pods"], "verbs": []},
                         {"apiGroups": [""], "resources": ["pods"]},
                         {"resources": ["pods"], "verbs": ["get"]},
                         {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
                         {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["x"], "verbs": ["get"]},
                         {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]})]
    return True


# CRD int-or-string and other custom-resource fields

@mutation("crd", "SeldonDeployment")
def seldon_int_or_string(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["resources"] = {pick(rng, "limits", "requests"): {pick(rng, "cpu", "memory"): pick(
        rng, 0.5, 1, "0.5", "1Gi", 2.5, "500m", -1)}}
    return True


@mutation("crd", "SeldonDeployment")
def seldon_replicas(obj: Obj, rng: random.Random) -> bool:
    predictor = rng.choice(obj["spec"]["predictors"])
    predictor["replicas"] = pick(rng, 0, 2, -1, "2")
    return True


@mutation("crd", "SeldonDeployment")
def seldon_component_port(obj: Obj, rng: random.Random) -> bool:
    container = a_container(obj, rng)
    if container is None:
        return False
    container["ports"] = [{"containerPort": pick(rng, 9000, 0, 70000, "9000"), "name": pick(rng, "http", "h_t_t_p")}]
    return True


@mutation("crd", "PodMonitor")
def podmonitor_endpoint(obj: Obj, rng: random.Random) -> bool:
    endpoints = obj["spec"].get("podMetricsEndpoints") or [{}]
    endpoints[0]["interval"] = pick(rng, "30s", "30", "1m", "soon")
    obj["spec"]["podMetricsEndpoints"] = endpoints
    return True


# HPA, PDB, Ingress, NetworkPolicy, Namespace

@mutation("policy", "HorizontalPodAutoscaler")
def hpa_bounds(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["minReplicas"] = pick(rng, 0, 1, 3, -1)
    obj["spec"]["maxReplicas"] = pick(rng, 0, 2, 5)
    return True


@mutation("policy", "HorizontalPodAutoscaler")
def hpa_metric(obj: Obj, rng: random.Random) -> bool:
    obj["spec"]["metrics"] = [pick(
        rng, {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 0}}},
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "500m"}}},
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization"}}},
        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Value", "value": "1"}}},
        {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}},
        {"type": "Object"}, {"type": "External", "resource": {"name": "cpu", "target": {"type": "Utilization",
                                                                                         "averageUtilization": 50}}})]
    return True


@mutation("policy", "PodDisruptionBudget")
def pdb(obj: Obj, rng: random.Random) -> bool:
    spec = obj["spec"]
    spec.pop("minAvailable", None)
    choice = rng.randrange(4)
    if choice in (0, 2):
        spec["minAvailable"] = pick(rng, 1, "50%", "150%", -1, "x%")
    if choice in (1, 2):
        spec["maxUnavailable"] = pick(rng, 1, "50%", -1)
    if rng.random() < 0.3:
        spec["unhealthyPodEvictionPolicy"] = pick(rng, "AlwaysAllow", "IfHealthyBudget", "Never")
    return True


@mutation("network", "Ingress")
def ingress(obj: Obj, rng: random.Random) -> bool:
    rule = obj["spec"]["rules"][0]
    path = rule["http"]["paths"][0]
    choice = rng.randrange(6)
    if choice == 0:
        rule["host"] = pick(rng, "*.example.com", "Models.example.com", "10.0.0.1", "bad_host", "a.*.com")
    elif choice == 1:
        path["pathType"] = pick(rng, "Exact", "ImplementationSpecific", "Regex")
    elif choice == 2:
        path["path"] = pick(rng, "api", "/api", "/a//b", "")
    elif choice == 3:
        path["backend"] = pick(rng, {"service": {"name": "web", "port": {"number": 0}}},
                               {"service": {"name": "web", "port": {"name": "http"}}},
                               {"service": {"name": "web", "port": {}}},
                               {"service": {"name": "Web", "port": {"number": 80}}}, {})
    elif choice == 4:
        obj["spec"]["ingressClassName"] = pick(rng, "nginx", "Nginx_", "")
    else:
        obj["spec"]["tls"] = [{"hosts": [pick(rng, "models.example.com", "bad host")], "secretName": pick(rng, "tls", "")}]
    return True


@mutation("network", "NetworkPolicy")
def network_policy(obj: Obj, rng: random.Random) -> bool:
    spec = obj["spec"]
    choice = rng.randrange(4)
    if choice == 0:
        spec["policyTypes"] = pick(rng, ["Ingress", "Egress"], ["Inbound"], [])
    elif choice == 1:
        spec["ingress"][0]["ports"] = [pick(rng, {"port": 0}, {"port": 70000}, {"port": "http"}, {"port": "HTTP_"},
                                            {"port": 8080, "endPort": 8000}, {"port": 8000, "endPort": 9000},
                                            {"protocol": "ICMP"})]
    elif choice == 2:
        spec["ingress"][0]["from"] = [pick(rng, {"ipBlock": {"cidr": "10.0.0.0/8"}}, {"ipBlock": {"cidr": "10.0.0.0"}},
                                           {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}},
                                           {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}})]
    else:
        spec["podSelector"] = pick(rng, {"matchLabels": {"app": "bad value!"}}, {},
                                   {"matchExpressions": [{"key": "app", "operator": "In", "values": []}]})
    return True


@mutation("metadata", "Namespace")
def namespace_spec(obj: Obj, rng: random.Random) -> bool:
    obj["spec"] = {"finalizers": [pick(rng, "kubernetes", "example.com/x", "x")]}
    return True


@mutation("metadata", "*")
def label(obj: Obj, rng: random.Random) -> bool:
    obj.setdefault("metadata", {}).setdefault("labels", {})[pick(rng, "app.kubernetes.io/part-of", "bad key!", "a/b/c",
                                                                  "team")] = pick(rng, "seldon", "x" * 64, "bad value!", "")
    return True


# --- the corpus --------------------------------------------------------------------------------

def kinds_of(kinds: tuple[str, ...], obj: Obj) -> bool:
    if "*" in kinds:
        return True
    if "pod" in kinds:
        return bool(pod_specs(obj))
    return obj.get("kind") in kinds


def generate(bases: list[tuple[str, Obj]], per_mutation: int = 8, seed: int = SEED) -> Iterator[Case]:
    """Every base unchanged, then each mutation applied to ``per_mutation`` bases it fits (drawn with the seed)."""
    rng = random.Random(seed)
    for index, (base_id, obj) in enumerate(bases):
        case_id = f"clean-{index:03d}"
        yield Case(case_id, "clean", "none", base_id, copy.deepcopy(obj), split_of(case_id))
    for name, (family, kinds, function) in MUTATIONS.items():
        fitting = [(base_id, obj) for base_id, obj in bases if kinds_of(kinds, obj)]
        if not fitting:
            continue
        made = 0
        attempts = 0
        while made < per_mutation and attempts < per_mutation * 4:
            attempts += 1
            base_id, obj = rng.choice(fitting)
            mutated = copy.deepcopy(obj)
            case_rng = random.Random(rng.random())
            if function(mutated, case_rng):
                case_id = f"{family}-{name}-{made:02d}"
                yield Case(case_id, family, name, base_id, mutated, split_of(case_id))
                made += 1
