"""A realistic multi-overlay repository: one base used by dev, staging and prod, synced by Argo CD.

Tests start from :data:`LAYOUT`, change one thing, and assert where the findings land.
"""

from __future__ import annotations

from pathlib import Path

BASE_KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
components:
  - ../../base/components/common-labels
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: web
          image: ghcr.io/example/web:1.4.2
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8080
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              cpu: 500m
              memory: 256Mi
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: [ALL]
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
    - port: 80
      targetPort: 8080
"""

COMPONENT = """\
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
labels:
  - pairs:
      app.kubernetes.io/part-of: shop
"""


def overlay(env: str, replicas: int) -> dict[str, str]:
    return {
        f"overlays/{env}/web/kustomization.yaml": f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: shop-{env}
resources:
  - ../../../apps/web
labels:
  - pairs:
      app.kubernetes.io/environment: {env}
patches:
  - path: replicas.yaml
""",
        f"overlays/{env}/web/replicas.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
""",
    }


APPSET = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: shop
  namespace: argocd
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://github.com/example-org/shop-gitops.git
        revision: main
        directories:
          - path: overlays/*/*
  template:
    metadata:
      name: '{{index .path.segments 1}}-{{.path.basename}}'
    spec:
      project: default
      source:
        repoURL: https://github.com/example-org/shop-gitops.git
        targetRevision: main
        path: '{{.path.path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'shop-{{index .path.segments 1}}'
"""

LAYOUT: dict[str, str] = {
    ".gitops-validate.yaml": "repoURL: https://github.com/example-org/shop-gitops.git\n",
    "apps/web/kustomization.yaml": BASE_KUSTOMIZATION,
    "apps/web/deployment.yaml": DEPLOYMENT,
    "apps/web/service.yaml": SERVICE,
    "base/components/common-labels/kustomization.yaml": COMPONENT,
    "argocd/kustomization.yaml": "resources:\n  - shop.yaml\n",
    "argocd/shop.yaml": APPSET,
    **overlay("dev", 1),
    **overlay("staging", 2),
    **overlay("prod", 3),
}


def write(root: Path, changes: dict[str, str | None] | None = None) -> Path:
    """The layout with ``changes`` (a path mapped to None is deleted) written under ``root``."""
    files: dict[str, str | None] = {**LAYOUT, **(changes or {})}
    repo = root / "repo"
    for rel, text in files.items():
        if text is None:
            continue
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return repo


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(f"{needle!r} not in the text")
