"""A synthetic GitOps repository of N apps x M environments, shaped like this one.

Each app has a Kustomize base with a SeldonDeployment (componentSpecs, hpaSpec with metricsv2),
a Deployment, a Service and an HPA; each environment has one patch-only overlay per app; Argo
CD syncs the overlays through one ApplicationSet per environment and one AppProject. Everything
is valid, so a run measures the validator's work, not its error reporting.

    python benchmarks/synthetic_repo.py /tmp/synthetic --apps 100 --envs 4
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

ENVIRONMENTS = ["dev", "staging", "qa", "prod", "perf", "demo", "canary", "eu"]
REPO_URL = "https://github.com/example-org/synthetic-gitops.git"

SELDON = """\
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata:
  name: {app}
  labels:
    app.kubernetes.io/name: {app}
spec:
  protocol: seldon
  predictors:
    - name: default
      graph:
        name: model
        type: MODEL
        children: []
      componentSpecs:
        - hpaSpec:
            minReplicas: 1
            maxReplicas: 3
            metricsv2:
              - type: Resource
                resource:
                  name: cpu
                  target:
                    type: Utilization
                    averageUtilization: 70
          spec:
            securityContext:
              runAsNonRoot: true
              runAsUser: 8888
              seccompProfile:
                type: RuntimeDefault
            containers:
              - name: model
                image: seldonio/mock_classifier:1.16.0-dev
                securityContext:
                  allowPrivilegeEscalation: false
                  capabilities:
                    drop: [ALL]
                resources:
                  requests: {{cpu: 100m, memory: 128Mi}}
                  limits: {{cpu: 500m, memory: 256Mi}}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}-feature-store
  labels:
    app.kubernetes.io/name: {app}-feature-store
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}-feature-store
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}-feature-store
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: server
          image: nginxinc/nginx-unprivileged:1.27.3
          ports:
            - containerPort: 8080
              name: http
          readinessProbe:
            httpGet: {{path: /, port: http}}
          livenessProbe:
            httpGet: {{path: /, port: http}}
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
            limits: {{cpu: 200m, memory: 128Mi}}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {app}-feature-store
spec:
  selector:
    app.kubernetes.io/name: {app}-feature-store
  ports:
    - name: http
      port: 80
      targetPort: http
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {app}-feature-store
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {app}-feature-store
  minReplicas: 1
  maxReplicas: 4
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: 75
"""

BASE_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - seldondeployment.yaml
  - deployment.yaml
  - service.yaml
  - hpa.yaml
"""

OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {env}-ml
resources:
  - ../../../apps/{app}
labels:
  - pairs:
      environment: {env}
    includeSelectors: false
patches:
  - path: hpa.yaml
    target:
      kind: SeldonDeployment
      name: {app}
"""

OVERLAY_PATCH = """\
- op: replace
  path: /spec/predictors/0/componentSpecs/0/hpaSpec/maxReplicas
  value: {max_replicas}
"""

APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {env}
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: {repo}
        revision: main
        directories:
          - path: overlays/{env}/*
  template:
    metadata:
      name: '{env}-{{{{.path.basename}}}}'
    spec:
      project: ml
      source:
        repoURL: {repo}
        targetRevision: main
        path: '{{{{.path.path}}}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: {env}-ml
      syncPolicy:
        automated: {{prune: true, selfHeal: true}}
"""

PROJECT = """\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata:
  name: ml
  namespace: argocd
spec:
  sourceRepos:
    - {repo}
  destinations:
{destinations}
"""

CONFIG = """\
kubernetesVersions: ["1.25", "1.37"]
repoURL: {repo}
"""

YAMLLINT = """\
extends: default
rules:
  line-length: {max: 120}
  document-start: disable
  truthy: {allowed-values: ["true", "false"], check-keys: false}
  indentation: {indent-sequences: consistent}
"""


def write(root: Path, apps: int, environments: int) -> list[str]:
    """Write the repository; return its rendered paths (the overlays)."""
    envs = ENVIRONMENTS[:environments]
    files: dict[str, str] = {".gitops-validate.yaml": CONFIG.format(repo=REPO_URL), ".yamllint": YAMLLINT}
    overlays = []
    for number in range(apps):
        app = f"model-{number:03d}"
        for name, template in (("seldondeployment", SELDON), ("deployment", DEPLOYMENT), ("service", SERVICE),
                               ("hpa", HPA)):
            files[f"apps/{app}/{name}.yaml"] = template.format(app=app)
        files[f"apps/{app}/kustomization.yaml"] = BASE_KUSTOMIZATION
        for index, env in enumerate(envs):
            files[f"overlays/{env}/{app}/kustomization.yaml"] = OVERLAY.format(env=env, app=app)
            files[f"overlays/{env}/{app}/hpa.yaml"] = OVERLAY_PATCH.format(max_replicas=3 + index)
            overlays.append(f"overlays/{env}/{app}")
    for env in envs:
        files[f"argocd/{env}-applicationset.yaml"] = APPSET.format(env=env, repo=REPO_URL)
    destinations = "\n".join(f"    - server: https://kubernetes.default.svc\n      namespace: {env}-ml" for env in envs)
    files["argocd/project.yaml"] = PROJECT.format(repo=REPO_URL, destinations=destinations)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return sorted(overlays)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--envs", type=int, default=4, choices=range(1, len(ENVIRONMENTS) + 1))
    args = parser.parse_args()
    paths = write(args.target, args.apps, args.envs)
    print(f"{args.target}: {args.apps} apps x {args.envs} environments = {len(paths)} rendered paths")


if __name__ == "__main__":
    main()
