"""A deterministic stream of realistic Kubernetes manifests for the schema benchmark.

The stream mixes the kinds a model-serving GitOps repository holds: Deployments (containers,
resources, probes, securityContext), Services, ConfigMaps, ServiceAccounts, Roles and
RoleBindings, HorizontalPodAutoscalers (autoscaling/v2), PodDisruptionBudgets (policy/v1),
Ingresses (networking.k8s.io/v1) and SeldonDeployments (machinelearning.seldon.io/v1, with
componentSpecs and hpaSpec.metricsv2). About 3% of the objects carry one deliberate schema error
(an unknown field or a value of the wrong type) so that the error path is measured too.

The same ``n`` and ``seed`` always give the same stream::

    python benchmarks/generate.py stream.yaml --objects 5000 --seed 1
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable
from typing import Any

import yaml

ERROR_RATE = 0.03

# (kind, weight); a weight is the kind's share of the stream in percent.
KINDS = [
    ("Deployment", 20),
    ("Service", 15),
    ("ConfigMap", 14),
    ("ServiceAccount", 9),
    ("Role", 6),
    ("RoleBinding", 6),
    ("HorizontalPodAutoscaler", 7),
    ("PodDisruptionBudget", 6),
    ("Ingress", 7),
    ("SeldonDeployment", 10),
]

_TEAMS = ["ml-platform", "fraud", "search", "recsys", "vision", "nlp", "payments", "ads"]
_WORDS = ["iris", "income", "churn", "ranker", "embedder", "router", "feature", "gateway", "scorer",
          "tokenizer", "detector", "forecast", "pricing", "ingest", "batch", "canary", "shadow"]
_IMAGES = ["seldonio/mock_classifier:1.16.0-dev", "seldonio/sklearnserver:1.17.1",
           "ghcr.io/acme/ranker:2.4.1", "registry.k8s.io/pause:3.9", "nginx:1.27-alpine",
           "python:3.11-slim", "docker.io/library/redis:7.2"]
_CPU = ["50m", "100m", "250m", "500m", "1", "2"]
_MEMORY = ["64Mi", "128Mi", "256Mi", "512Mi", "1Gi", "2Gi"]
_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]


def is_builtin(obj: dict[str, Any]) -> bool:
    """True for Kubernetes' own kinds (core or a *.k8s.io group); False for custom resources."""
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


class _Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.serial = 0

    # -- small pieces ---------------------------------------------------------------------

    def name(self) -> str:
        self.serial += 1
        return f"{self.rng.choice(_WORDS)}-{self.rng.choice(_WORDS)}-{self.serial}"

    def metadata(self, name: str | None = None) -> dict[str, Any]:
        name = name or self.name()
        team = self.rng.choice(_TEAMS)
        meta: dict[str, Any] = {
            "name": name,
            "namespace": team,
            "labels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": team,
                       "app.kubernetes.io/managed-by": "argocd"},
        }
        if self.rng.random() < 0.4:
            meta["annotations"] = {"argocd.argoproj.io/sync-wave": str(self.rng.randint(-2, 5)),
                                   "owner": f"{team}@example.com"}
        return meta

    def resources(self) -> dict[str, Any]:
        cpu, memory = self.rng.randrange(4), self.rng.randrange(4)
        return {"requests": {"cpu": _CPU[cpu], "memory": _MEMORY[memory]},
                "limits": {"cpu": _CPU[cpu + 2], "memory": _MEMORY[memory + 2]}}

    def probe(self, port: int) -> dict[str, Any]:
        rng = self.rng
        action = rng.random()
        if action < 0.6:
            handler: dict[str, Any] = {"httpGet": {"path": rng.choice(["/health", "/ready", "/live"]),
                                                   "port": rng.choice([port, "http"])}}
        elif action < 0.85:
            handler = {"tcpSocket": {"port": port}}
        else:
            handler = {"exec": {"command": ["sh", "-c", "test -f /tmp/ready"]}}
        return {**handler, "initialDelaySeconds": rng.randint(0, 30),
                "periodSeconds": rng.choice([5, 10, 15]),
                "timeoutSeconds": rng.randint(1, 5), "failureThreshold": rng.randint(1, 6)}

    def container(self, name: str) -> dict[str, Any]:
        rng = self.rng
        port = rng.choice([8080, 9000, 9500, 8000])
        container: dict[str, Any] = {
            "name": name,
            "image": rng.choice(_IMAGES),
            "imagePullPolicy": rng.choice(["IfNotPresent", "Always"]),
            "ports": [{"name": "http", "containerPort": port, "protocol": "TCP"}],
            "env": [{"name": "LOG_LEVEL", "value": rng.choice(["INFO", "DEBUG", "WARNING"])},
                    {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
            "resources": self.resources(),
            "readinessProbe": self.probe(port),
            "livenessProbe": self.probe(port),
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
        }
        if rng.random() < 0.3:
            container["args"] = ["--port", str(port), "--workers", str(rng.randint(1, 8))]
        if rng.random() < 0.3:
            container["volumeMounts"] = [{"name": "config", "mountPath": "/etc/app", "readOnly": True}]
        return container

    def pod_spec(self, name: str) -> dict[str, Any]:
        rng = self.rng
        spec: dict[str, Any] = {
            "serviceAccountName": name,
            "securityContext": {"runAsUser": rng.choice([1000, 8888, 65532]), "runAsNonRoot": True,
                                "fsGroup": 2000, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [self.container(name)] + [self.container(f"sidecar-{i}")
                                                   for i in range(rng.choice([0, 0, 0, 1, 2]))],
        }
        if rng.random() < 0.3:
            spec["volumes"] = [{"name": "config", "configMap": {"name": f"{name}-config"}}]
        if rng.random() < 0.2:
            spec["nodeSelector"] = {"kubernetes.io/os": "linux"}
            spec["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "ml",
                                    "effect": "NoSchedule"}]
        return spec

    # -- kinds ----------------------------------------------------------------------------

    def deployment(self) -> dict[str, Any]:
        rng = self.rng
        meta = self.metadata()
        labels = {"app.kubernetes.io/name": meta["name"]}
        return {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {
                "replicas": rng.randint(1, 6),
                "revisionHistoryLimit": 5,
                "selector": {"matchLabels": labels},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
                "template": {"metadata": {"labels": dict(labels)}, "spec": self.pod_spec(meta["name"])},
            },
        }

    def service(self) -> dict[str, Any]:
        rng = self.rng
        meta = self.metadata()
        return {
            "apiVersion": "v1", "kind": "Service", "metadata": meta,
            "spec": {
                "type": rng.choice(["ClusterIP", "ClusterIP", "NodePort"]),
                "selector": {"app.kubernetes.io/name": meta["name"]},
                "ports": [{"name": "http", "port": 80, "targetPort": rng.choice(["http", 8080]),
                           "protocol": "TCP"},
                          {"name": "grpc", "port": 5001, "targetPort": 5001, "protocol": "TCP"}],
            },
        }

    def config_map(self) -> dict[str, Any]:
        rng = self.rng
        data = {f"{rng.choice(_WORDS)}.{key}": f"{rng.choice(_WORDS)}-{rng.randint(0, 999)}"
                for key in ("url", "mode", "threshold", "batch")}
        workers = rng.randint(1, 8)
        data["app.yaml"] = f"server:\n  port: 8080\n  workers: {workers}\nlogging:\n  level: INFO\n"
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": self.metadata(), "data": data}

    def service_account(self) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": self.metadata(),
                "automountServiceAccountToken": self.rng.random() < 0.5}

    def role(self) -> dict[str, Any]:
        rng = self.rng
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": self.metadata(),
            "rules": [{"apiGroups": [""], "resources": ["configmaps", "secrets"],
                       "verbs": rng.sample(_VERBS, 3)},
                      {"apiGroups": ["machinelearning.seldon.io"], "resources": ["seldondeployments"],
                       "verbs": rng.sample(_VERBS, 4)}],
        }

    def role_binding(self) -> dict[str, Any]:
        meta = self.metadata()
        return {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": meta["name"]},
            "subjects": [{"kind": "ServiceAccount", "name": meta["name"], "namespace": meta["namespace"]}],
        }

    def metric(self) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.7:
            return {"type": "Resource", "resource": {"name": rng.choice(["cpu", "memory"]), "target": {
                "type": "Utilization", "averageUtilization": rng.randint(50, 90)}}}
        average = str(rng.randint(10, 500))
        return {"type": "Pods", "pods": {"metric": {"name": "requests_per_second"},
                                         "target": {"type": "AverageValue", "averageValue": average}}}

    def hpa(self) -> dict[str, Any]:
        rng = self.rng
        meta = self.metadata()
        return {
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": meta,
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": meta["name"]},
                "minReplicas": rng.randint(1, 3), "maxReplicas": rng.randint(4, 20),
                "metrics": [self.metric() for _ in range(rng.randint(1, 2))],
                "behavior": {"scaleDown": {
                    "stabilizationWindowSeconds": 300,
                    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}]}},
            },
        }

    def pdb(self) -> dict[str, Any]:
        rng = self.rng
        meta = self.metadata()
        budget = {"minAvailable": rng.choice([1, "50%"])} if rng.random() < 0.5 else {"maxUnavailable": 1}
        return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta,
                "spec": {**budget, "selector": {"matchLabels": {"app.kubernetes.io/name": meta["name"]}}}}

    def ingress(self) -> dict[str, Any]:
        rng = self.rng
        meta = self.metadata()
        host = f"{meta['name']}.{meta['namespace']}.example.com"
        return {
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta,
            "spec": {
                "ingressClassName": "nginx",
                "tls": [{"hosts": [host], "secretName": f"{meta['name']}-tls"}],
                "rules": [{"host": host, "http": {"paths": [
                    {"path": path, "pathType": "Prefix",
                     "backend": {"service": {"name": meta["name"], "port": {"number": 80}}}}
                    for path in rng.sample(["/", "/api", "/predict", "/metrics"], rng.randint(1, 3))]}}],
            },
        }

    def seldon_deployment(self) -> dict[str, Any]:
        rng = self.rng
        meta = self.metadata()
        models = [f"model-{i}" for i in range(rng.randint(1, 3))]
        graph: dict[str, Any] = {"name": models[-1], "type": "MODEL", "endpoint": {"type": "REST"},
                                 "children": []}
        for model in reversed(models[:-1]):
            graph = {"name": model, "type": "MODEL", "endpoint": {"type": "REST"}, "children": [graph]}
        component_specs = []
        for model in models:
            pod = {"securityContext": {"runAsUser": 8888},
                   "containers": [{"name": model, "image": rng.choice(_IMAGES),
                                   "resources": self.resources()}]}
            spec: dict[str, Any] = {"spec": pod}
            if rng.random() < 0.6:
                spec["hpaSpec"] = {"minReplicas": 1, "maxReplicas": rng.randint(2, 10),
                                   "metricsv2": [self.metric() for _ in range(rng.randint(1, 2))]}
            else:
                spec["replicas"] = rng.randint(1, 3)
            component_specs.append(spec)
        predictor = {"name": "default", "graph": graph, "componentSpecs": component_specs,
                     "svcOrchSpec": {"resources": self.resources()},
                     "labels": {"version": f"v{rng.randint(1, 9)}"}}
        return {"apiVersion": "machinelearning.seldon.io/v1", "kind": "SeldonDeployment", "metadata": meta,
                "spec": {"protocol": rng.choice(["seldon", "v2"]), "predictors": [predictor]}}


_BUILDERS: dict[str, Callable[[_Generator], dict[str, Any]]] = {
    "Deployment": _Generator.deployment,
    "Service": _Generator.service,
    "ConfigMap": _Generator.config_map,
    "ServiceAccount": _Generator.service_account,
    "Role": _Generator.role,
    "RoleBinding": _Generator.role_binding,
    "HorizontalPodAutoscaler": _Generator.hpa,
    "PodDisruptionBudget": _Generator.pdb,
    "Ingress": _Generator.ingress,
    "SeldonDeployment": _Generator.seldon_deployment,
}

# Deliberate errors: (description, where the object is changed). Each is an unknown field or a
# value of the wrong type that any strict schema for the kind rejects.
_Mutation = tuple[str, Callable[[dict[str, Any]], None]]


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "SeldonDeployment":
        spec: dict[str, Any] = obj["spec"]["predictors"][0]["componentSpecs"][0]["spec"]
        return spec
    template: dict[str, Any] = obj["spec"]["template"]["spec"]
    return template


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = obj
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return apply


def _in_container(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        _pod_spec(obj)["containers"][0][key] = value
    return apply


_COMMON: list[_Mutation] = [
    ("unknown field metadata.lables", _set("metadata.lables", {"app": "typo"})),
    ("wrong type metadata.labels (list)", _set("metadata.labels", ["app=typo"])),
]
_MUTATIONS: dict[str, list[_Mutation]] = {
    "Deployment": [
        ("unknown field spec.replica", _set("spec.replica", 2)),
        ("wrong type spec.replicas (string)", _set("spec.replicas", "3")),
        ("unknown field container imagePullPolcy", _in_container("imagePullPolcy", "Always")),
        ("wrong type container ports[0].containerPort (string)",
         lambda obj: _pod_spec(obj)["containers"][0]["ports"][0].__setitem__("containerPort", "http")),
        ("wrong type container args (string)", _in_container("args", "--port 8080")),
    ],
    "Service": [
        ("wrong type spec.ports[0].port (string)", _set("spec.ports.0.port", "80")),
        ("unknown field spec.selectors", _set("spec.selectors", {"app": "x"})),
    ],
    "ConfigMap": [
        ("wrong type data value (integer)", lambda obj: obj["data"].__setitem__("workers", 4)),
        ("unknown field spec", _set("spec", {"data": {}})),
    ],
    "ServiceAccount": [
        ("wrong type automountServiceAccountToken (string)", _set("automountServiceAccountToken", "yes")),
    ],
    "Role": [("wrong type rules[0].verbs (string)", _set("rules.0.verbs", "get"))],
    "RoleBinding": [("unknown field roleRef.namespace", _set("roleRef.namespace", "default"))],
    "HorizontalPodAutoscaler": [
        ("wrong type spec.maxReplicas (string)", _set("spec.maxReplicas", "10")),
        ("unknown field spec.targetCPUUtilizationPercentage",
         _set("spec.targetCPUUtilizationPercentage", 80)),
    ],
    "PodDisruptionBudget": [("unknown field spec.minAvailible", _set("spec.minAvailible", 1))],
    "Ingress": [("unknown field spec.rules[0].http.paths[0].backend.serviceName",
                 _set("spec.rules.0.http.paths.0.backend.serviceName", "svc"))],
    "SeldonDeployment": [
        ("unknown field spec.predictors[0].componentSpec", _set("spec.predictors.0.componentSpec", {})),
        ("wrong type componentSpecs[0].spec.containers[0].args (string)",
         _in_container("args", "--port 9000")),
        ("wrong type spec.predictors[0].replicas (string)", _set("spec.predictors.0.replicas", "2")),
    ],
}


def generate_labelled(n: int = 5000, seed: int = 1) -> list[tuple[dict[str, Any], str | None]]:
    """Each object with the description of its deliberate error, or None when it should be valid."""
    gen = _Generator(seed)
    kinds = [kind for kind, _ in KINDS]
    weights = [weight for _, weight in KINDS]
    stream: list[tuple[dict[str, Any], str | None]] = []
    for _ in range(n):
        kind = gen.rng.choices(kinds, weights)[0]
        obj = _BUILDERS[kind](gen)
        error = None
        if gen.rng.random() < ERROR_RATE:
            error, mutate = gen.rng.choice(_COMMON + _MUTATIONS[kind])
            mutate(obj)
        stream.append((obj, error))
    return stream


def generate(n: int = 5000, seed: int = 1) -> list[dict[str, Any]]:
    """``n`` objects of mixed kinds, the same for the same seed; about 3% carry one schema error."""
    return [obj for obj, _ in generate_labelled(n, seed)]


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", help="where to write the YAML stream ('-' for standard output)")
    parser.add_argument("--objects", type=int, default=5000, help="how many objects (default 5000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    text = yaml.dump_all(generate(args.objects, args.seed), Dumper=_NoAliasDumper, sort_keys=False)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
