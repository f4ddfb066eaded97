"""Tests for our own JSON Schemas in validate/schemas/ (custom kinds: Seldon, Argo CD, kind, kustomize).

The schemas reference Kubernetes types in kubernetes-validate's `_definitions.json`, registered under
https://kubernetes.io/api/_definitions.json for each Kubernetes version; both ends of the supported
range (1.25 and 1.37) are checked here.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import jsonschema
import jsonschema_rs
import kubernetes_validate
import pytest
import referencing
import referencing.jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_DIR = ROOT / "validate" / "schemas"
UPSTREAM = Path(__file__).resolve().parents[2] / "shared" / "upstream"
K8S_DEFS_URI = "https://kubernetes.io/api/_definitions.json"
SCHEMA_BASE = "https://gitops-validate.schemas/"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
K8S_VERSIONS = ("1.25.0", "1.37.0")

SCHEMAS: dict[str, dict] = {p.name: json.loads(p.read_text()) for p in sorted(SCHEMA_DIR.glob("*.json"))}
KIND_FILES = sorted(name for name, s in SCHEMAS.items() if "x-kubernetes-group-version-kind" in s)
DEFS_FILES = sorted(set(SCHEMAS) - set(KIND_FILES))


def _api_version(gvk: dict) -> str:
    return f"{gvk['group']}/{gvk['version']}" if gvk["group"] else gvk["version"]


BY_GVK: dict[tuple[str, str], str] = {
    (_api_version(g), g["kind"]): name
    for name in KIND_FILES
    for g in SCHEMAS[name]["x-kubernetes-group-version-kind"]
}


@functools.cache
def k8s_definitions(version: str) -> dict:
    path = (Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
            / f"v{version}-local-strict" / "_definitions.json")
    return json.loads(path.read_text())


@functools.cache
def rs_registry(version: str) -> jsonschema_rs.Registry:
    resources = [(K8S_DEFS_URI, k8s_definitions(version))]
    resources += [(s["$id"], s) for s in SCHEMAS.values()]
    return jsonschema_rs.Registry(resources)


@functools.cache
def rs_validator(version: str, schema_file: str):
    return jsonschema_rs.validator_for(SCHEMAS[schema_file], registry=rs_registry(version))


@functools.cache
def py_registry(version: str) -> referencing.Registry:
    spec = referencing.jsonschema.DRAFT202012
    resources = [(K8S_DEFS_URI, spec.create_resource(k8s_definitions(version)))]
    resources += [(s["$id"], spec.create_resource(s)) for s in SCHEMAS.values()]
    return referencing.Registry().with_resources(resources)


def schema_for(doc: dict) -> str:
    """Schema file for a manifest; kustomization files may omit apiVersion and kind."""
    api, kind = doc.get("apiVersion"), doc.get("kind")
    if kind is None and api in (None, "kustomize.config.k8s.io/v1beta1"):
        kind = "Kustomization"
    if api is None and kind in ("Kustomization", "Component"):
        api = "kustomize.config.k8s.io/" + ("v1beta1" if kind == "Kustomization" else "v1alpha1")
    return BY_GVK[(api, kind)]


def errors(doc: dict, version: str = "1.37.0", schema_file: str | None = None) -> list:
    return list(rs_validator(version, schema_file or schema_for(doc)).iter_errors(doc))


def strip_nulls(value):
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def walk(value, path=()):
    """Yield (path, node) for every dict in a schema document."""
    if isinstance(value, dict):
        yield path, value
        for k, v in value.items():
            yield from walk(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, path + (i,))


# ------------------------------------------------------------------------------------------------
# Schema documents themselves
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_is_valid_draft_2020_12_with_id_matching_filename(name):
    schema = SCHEMAS[name]
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == DRAFT_2020_12
    assert schema["$id"] == SCHEMA_BASE + name


def test_expected_files_present():
    expected = {
        "seldondeployment-machinelearning-v1.json", "seldondeployment-machinelearning-v1alpha2.json",
        "seldondeployment-machinelearning-v1alpha3.json", "application-argoproj-v1alpha1.json",
        "appproject-argoproj-v1alpha1.json", "applicationset-argoproj-v1alpha1.json",
        "cluster-kind-v1alpha4.json", "kustomization-kustomize-v1beta1.json", "component-kustomize-v1alpha1.json",
    }
    assert expected <= set(KIND_FILES)
    assert all(name.endswith("-defs.json") for name in DEFS_FILES)
    assert (SCHEMA_DIR / "README.md").is_file()


@pytest.mark.parametrize("name", KIND_FILES)
def test_kind_file_conventions(name):
    schema = SCHEMAS[name]
    [gvk] = schema["x-kubernetes-group-version-kind"]
    group_label = gvk["group"].split(".")[0] if gvk["group"] else "core"
    assert name == f"{gvk['kind'].lower()}-{group_label}-{gvk['version']}.json"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert isinstance(schema["required"], list)
    assert schema["properties"]["apiVersion"] == {"const": _api_version(gvk)}
    assert schema["properties"]["kind"] == {"const": gvk["kind"]}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_defined_object_is_closed_and_nothing_is_nullable(name):
    for path, node in walk(SCHEMAS[name]):
        types = node.get("type")
        assert "null" not in (types if isinstance(types, list) else [types]), path
        if "properties" in node:
            assert node.get("additionalProperties") is False, f"open object at {path}"


def _refs():
    for name, schema in SCHEMAS.items():
        for path, node in walk(schema):
            if isinstance(node.get("$ref"), str):
                yield name, path, urljoin(schema["$id"], node["$ref"])


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_all_refs_resolve(version):
    k8s = k8s_definitions(version)["$defs"]
    by_id = {s["$id"]: s for s in SCHEMAS.values()}
    for name, path, target in _refs():
        uri, fragment = urldefrag(target)
        if uri == K8S_DEFS_URI:
            assert fragment.startswith("/$defs/") and fragment[len("/$defs/"):] in k8s, (name, path, target)
            continue
        node = by_id[uri]
        for part in fragment.lstrip("/").split("/"):
            node = node[part]
        assert isinstance(node, dict), (name, path, target)


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name", KIND_FILES)
def test_compiles_against_kubernetes_definitions(version, name):
    validator = rs_validator(version, name)
    gvk = SCHEMAS[name]["x-kubernetes-group-version-kind"][0]
    assert not validator.is_valid({"apiVersion": _api_version(gvk), "kind": gvk["kind"], "unknownField": 1})


# ------------------------------------------------------------------------------------------------
# Hand-written manifests
# ------------------------------------------------------------------------------------------------

SELDON = yaml.safe_load("""
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata: {name: iris, namespace: seldon, labels: {app: iris}}
spec:
  name: iris
  protocol: v2
  transport: rest
  annotations: {seldon.io/rest-timeout: "60000"}
  predictors:
  - name: default
    replicas: 2
    traffic: 100
    labels: {version: v1}
    annotations: {predictor_version: v1}
    engineResources: {requests: {cpu: 100m, memory: 128Mi}}
    svcOrchSpec:
      env: [{name: SELDON_LOG_LEVEL, value: DEBUG}]
      resources: {limits: {cpu: "1"}}
    componentSpecs:
    - metadata: {labels: {tier: model}}
      spec:
        containers:
        - name: classifier
          image: seldonio/sklearnserver:1.18.2
          imagePullPolicy: IfNotPresent
          resources: {requests: {memory: 1Mi}}
        terminationGracePeriodSeconds: 20
      hpaSpec:
        minReplicas: 1
        maxReplicas: 3
        metricsv2:
        - type: Resource
          resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
        metrics:
        - type: Resource
          resource: {name: cpu, targetAverageUtilization: 70}
      pdbSpec: {minAvailable: 1}
    - spec:
        containers: [{name: transformer, image: example/transformer:1}]
      kedaSpec:
        pollingInterval: 15
        minReplicaCount: 1
        maxReplicaCount: 5
        triggers:
        - type: prometheus
          metadata: {serverAddress: "http://prometheus:9090", threshold: "10", query: "sum(rate(x[1m]))"}
        advanced:
          horizontalPodAutoscalerConfig:
            behavior:
              scaleDown:
                stabilizationWindowSeconds: 300
                policies: [{type: Percent, value: 100, periodSeconds: 15}]
    graph:
      name: transformer
      type: TRANSFORMER
      endpoint: {type: REST, service_port: 9000}
      children:
      - name: classifier
        type: MODEL
        implementation: SKLEARN_SERVER
        modelUri: gs://seldon-models/sklearn/iris
        parameters: [{name: method, type: STRING, value: predict_proba}]
        logger: {mode: all, url: "http://logger.seldon"}
        children: []
    explainer:
      type: AnchorTabular
      modelUri: gs://seldon-models/sklearn/iris-explainer
      containerSpec: {name: explainer, resources: {requests: {cpu: 100m}}}
      replicas: 1
      config: {threshold: "0.9"}
  - name: shadow
    shadow: true
    graph: {name: classifier, implementation: SKLEARN_SERVER, modelUri: gs://seldon-models/sklearn/iris2}
    ssl: {certSecretName: tls}
    progressDeadlineSeconds: 600
""")

APPLICATION = yaml.safe_load("""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: iris
  namespace: argocd
  finalizers: [resources-finalizer.argocd.argoproj.io]
spec:
  project: default
  destination: {server: "https://kubernetes.default.svc", namespace: seldon}
  source:
    repoURL: https://github.com/example/gitops.git
    targetRevision: main
    path: apps/iris
    kustomize:
      namePrefix: prod-
      images: [example/model:1.0]
      commonLabels: {team: ml}
      replicas: [{name: iris, count: 2}]
      patches:
      - target: {kind: Deployment, name: iris}
        patch: '[{"op": "replace", "path": "/spec/replicas", "value": 3}]'
        options: {allowNameChange: true}
  sources:
  - repoURL: https://charts.example.com
    chart: seldon-core-operator
    targetRevision: 1.18.2
    helm:
      releaseName: seldon-core
      valueFiles: [$values/values.yaml]
      values: |
        usageMetrics: {enabled: false}
      valuesObject: {istio: {enabled: true}, replicas: 2}
      parameters: [{name: image.tag, value: "1.18.2", forceString: true}]
      skipCrds: false
  - repoURL: https://github.com/example/gitops.git
    ref: values
  - repoURL: https://github.com/example/jsonnet.git
    directory:
      recurse: true
      jsonnet: {extVars: [{name: env, value: prod}], tlas: [{name: x, value: "1", code: true}], libs: [vendor]}
  - repoURL: https://github.com/example/plugin.git
    plugin:
      name: my-plugin
      env: [{name: FOO, value: bar}]
      parameters: [{name: a, string: b}, {name: m, map: {k: v}}, {name: l, array: [x, y]}]
  syncPolicy:
    automated: {prune: true, selfHeal: true, allowEmpty: false}
    syncOptions: [CreateNamespace=true, ServerSideApply=true]
    retry: {limit: 5, backoff: {duration: 5s, factor: 2, maxDuration: 3m}}
    managedNamespaceMetadata: {labels: {istio-injection: enabled}}
  ignoreDifferences:
  - group: apps
    kind: Deployment
    jsonPointers: [/spec/replicas]
  info: [{name: owner, value: ml-team}]
  revisionHistoryLimit: 5
operation:
  sync: {revision: main, prune: true, syncStrategy: {hook: {force: false}}}
  initiatedBy: {username: admin}
""")

APPPROJECT = yaml.safe_load("""
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: ml, namespace: argocd}
spec:
  description: ML models
  sourceRepos: ["https://github.com/example/*"]
  destinations: [{server: "https://kubernetes.default.svc", namespace: "seldon*"}]
  clusterResourceWhitelist: [{group: "", kind: Namespace}]
  namespaceResourceBlacklist: [{group: "", kind: ResourceQuota}]
  roles:
  - name: ci
    policies: ["p, proj:ml:ci, applications, sync, ml/*, allow"]
    jwtTokens: [{iat: 1535390316}]
  syncWindows: [{kind: allow, schedule: "10 1 * * *", duration: 1h, applications: ["*"], manualSync: true}]
  orphanedResources: {warn: true, ignore: [{kind: ConfigMap, name: keep}]}
  sourceNamespaces: [argocd-apps]
""")

APPLICATIONSET = yaml.safe_load("""
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: models, namespace: argocd}
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements: [{name: iris, replicas: 2}, {name: wine}]
  - git:
      repoURL: https://github.com/example/gitops.git
      revision: HEAD
      directories: [{path: "models/*"}, {path: models/skip, exclude: true}]
      requeueAfterSeconds: 60
  - matrix:
      generators:
      - clusters: {selector: {matchLabels: {env: prod}}}
      - merge:
          mergeKeys: [name]
          generators: [{list: {elements: [{name: a}]}}]
  - merge:
      mergeKeys: [server]
      generators:
      - clusters: {values: {kafka: "true"}}
      - list: {elements: [{server: "https://1.2.3.4"}]}
  template:
    metadata:
      name: '{{.name}}'
      labels: {app: '{{.name}}'}
    spec:
      project: default
      source: {repoURL: "https://github.com/example/gitops.git", targetRevision: HEAD, path: 'models/{{.name}}'}
      destination: {server: "https://kubernetes.default.svc", namespace: seldon}
      syncPolicy: {automated: {prune: true}}
  templatePatch: |
    spec:
      syncPolicy:
        automated:
          selfHeal: {{ .selfHeal }}
  syncPolicy: {applicationsSync: create-update, preserveResourcesOnDeletion: true}
  strategy:
    type: RollingSync
    rollingSync:
      steps:
      - matchExpressions: [{key: env, operator: In, values: [dev]}]
        maxUpdate: 25%
      - matchExpressions: [{key: env, operator: In, values: [prod]}]
        maxUpdate: 1
  preservedFields: {annotations: [keep]}
  ignoreApplicationDifferences: [{jsonPointers: [/spec/source/targetRevision]}]
""")

KIND_CLUSTER = yaml.safe_load("""
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
name: seldon
nodes:
- role: control-plane
  image: kindest/node:v1.30.0
  labels: {ingress-ready: "true"}
  kubeadmConfigPatches:
  - |
    kind: InitConfiguration
    nodeRegistration:
      kubeletExtraArgs:
        node-labels: "ingress-ready=true"
  extraPortMappings:
  - {containerPort: 80, hostPort: 8080, listenAddress: 127.0.0.1, protocol: TCP}
  extraMounts:
  - {hostPath: /tmp/data, containerPath: /data, readOnly: true, propagation: HostToContainer}
- role: worker
networking: {apiServerAddress: 127.0.0.1, apiServerPort: 6443, podSubnet: 10.244.0.0/16, kubeProxyMode: ipvs,
             ipFamily: ipv4, disableDefaultCNI: false}
featureGates: {InPlacePodVerticalScaling: true}
runtimeConfig: {"api/alpha": "false"}
containerdConfigPatches:
- |
  [plugins."io.containerd.grpc.v1.cri".registry]
kubeadmConfigPatchesJSON6902:
- {group: kubeadm.k8s.io, version: v1beta3, kind: ClusterConfiguration, patch: "[]"}
""")

KUSTOMIZATION = yaml.safe_load("""
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
metadata: {name: app}
namespace: seldon
namePrefix: prod-
resources: [base, sdep.yaml, "https://github.com/example/base?ref=v1"]
components: [../components/monitoring]
labels:
- pairs: {team: ml}
  includeSelectors: false
  includeTemplates: true
  fields: [{kind: SeldonDeployment, path: spec/predictors/componentSpecs/metadata/labels, create: true}]
commonAnnotations: {owner: ml}
patches:
- path: patch.yaml
  target: {group: machinelearning.seldon.io, version: v1, kind: SeldonDeployment, labelSelector: "app=iris"}
  options: {allowNameChange: false}
- patch: |-
    - op: replace
      path: /spec/replicas
      value: 2
  target: {kind: Deployment, name: web}
patchesStrategicMerge: [legacy-patch.yaml]
images: [{name: nginx, newName: registry.example.com/nginx, newTag: "1.27"}, {name: model, digest: "sha256:0123"}]
replicas: [{name: web, count: 3}]
replacements:
- path: replacements.yaml
- source: {kind: ConfigMap, name: env, fieldPath: data.host}
  targets:
  - select: {kind: Deployment}
    reject: [{name: other}]
    fieldPaths: [spec.template.spec.containers.0.env.0.value]
    options: {create: true, delimiter: ":", index: 0}
configMapGenerator:
- name: settings
  behavior: create
  literals: [LOG_LEVEL=info]
  files: [config.json]
  envs: [.env]
  options: {labels: {generated: "true"}, disableNameSuffixHash: true, immutable: false}
secretGenerator:
- {name: creds, type: Opaque, literals: [user=admin]}
generatorOptions: {annotations: {note: generated}}
helmGlobals: {chartHome: charts}
helmCharts:
- {name: seldon-core-operator, repo: "https://storage.googleapis.com/seldon-charts", version: 1.18.2,
   releaseName: seldon-core, namespace: seldon-system, includeCRDs: true, valuesInline: {usageMetrics: {enabled: false}}}
transformers:
- |-
  apiVersion: builtin
  kind: PrefixTransformer
  metadata: {name: prefix}
  prefix: x-
  fieldSpecs: [{path: metadata/name}]
generators: [gen.yaml]
validators: []
crds: [crd.json]
configurations: [transformer-config.yaml]
sortOptions: {order: fifo}
buildMetadata: [originAnnotations, managedByLabel]
vars:
- name: SVC
  objref: {kind: Service, name: web, apiVersion: v1}
  fieldref: {fieldPath: metadata.name}
""")

COMPONENT = yaml.safe_load("""
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources: [servicemonitor.yaml]
patches:
- path: add-metrics-port.yaml
images: [{name: model, newTag: "2"}]
""")

SELDON_V1ALPHA2 = {**copy.deepcopy(SELDON), "apiVersion": "machinelearning.seldon.io/v1alpha2"}
SELDON_V1ALPHA3 = {**copy.deepcopy(SELDON), "apiVersion": "machinelearning.seldon.io/v1alpha3"}

POSITIVE = {
    "seldon-v1": SELDON,
    "seldon-v1alpha2": SELDON_V1ALPHA2,
    "seldon-v1alpha3": SELDON_V1ALPHA3,
    "seldon-minimal": yaml.safe_load("""
        apiVersion: machinelearning.seldon.io/v1
        kind: SeldonDeployment
        metadata: {name: m}
        spec: {predictors: [{name: p, graph: {name: g, implementation: SKLEARN_SERVER, modelUri: "gs://m"}}]}
    """),
    "application": APPLICATION,
    "application-hydrator": {
        **copy.deepcopy(APPLICATION),
        "spec": {
            "project": "default",
            "destination": {"name": "in-cluster", "namespace": "x"},
            "sourceHydrator": {
                "drySource": {"repoURL": "https://github.com/e/x.git", "targetRevision": "HEAD", "path": "a"},
                "syncSource": {"targetBranch": "env/prod", "path": "a-hydrated"},
                "hydrateTo": {"targetBranch": "env/prod-next"},
            },
        },
    },
    "appproject": APPPROJECT,
    "applicationset": APPLICATIONSET,
    "kind-cluster": KIND_CLUSTER,
    "kind-cluster-minimal": {"kind": "Cluster", "apiVersion": "kind.x-k8s.io/v1alpha4"},
    "kustomization": KUSTOMIZATION,
    "kustomization-without-type-meta": {"resources": ["deployment.yaml"], "namespace": "x"},
    "component": COMPONENT,
}

DELETE = object()


def mutate(doc: dict, path: tuple, value=DELETE) -> dict:
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


P0 = ("spec", "predictors", 0)
CS0 = P0 + ("componentSpecs", 0)
# (case id, base manifest, path to change, new value or DELETE, instance path of the expected error)
NEGATIVE = [
    # SeldonDeployment
    ("seldon-unknown-spec-field", SELDON, ("spec", "predictor"), [], ("spec",)),
    ("seldon-unknown-predictor-field", SELDON, P0 + ("trafic",), 100, P0),
    ("seldon-replicas-string", SELDON, P0 + ("replicas",), "2", P0 + ("replicas",)),
    ("seldon-traffic-float", SELDON, P0 + ("traffic",), 50.5, P0 + ("traffic",)),
    ("seldon-traffic-int32-overflow", SELDON, P0 + ("traffic",), 2**31, P0 + ("traffic",)),
    ("seldon-null-value", SELDON, P0 + ("replicas",), None, P0 + ("replicas",)),
    ("seldon-missing-predictors", SELDON, ("spec", "predictors"), DELETE, ("spec",)),
    ("seldon-empty-predictors", SELDON, ("spec", "predictors"), [], ("spec", "predictors")),
    ("seldon-missing-graph", SELDON, P0 + ("graph",), DELETE, P0),
    ("seldon-missing-predictor-name", SELDON, P0 + ("name",), DELETE, P0),
    ("seldon-missing-graph-name", SELDON, P0 + ("graph", "name"), DELETE, P0 + ("graph",)),
    ("seldon-child-unknown-field", SELDON, P0 + ("graph", "children", 0, "implementaton"), "X",
     P0 + ("graph", "children", 0)),
    ("seldon-child-missing-name", SELDON, P0 + ("graph", "children", 0, "name"), DELETE,
     P0 + ("graph", "children", 0)),
    ("seldon-parameter-missing-value", SELDON, P0 + ("graph", "children", 0, "parameters", 0, "value"), DELETE,
     P0 + ("graph", "children", 0, "parameters", 0)),
    ("seldon-logger-without-mode", SELDON, P0 + ("graph", "children", 0, "logger", "mode"), DELETE,
     P0 + ("graph", "children", 0, "logger")),
    ("seldon-protocol-unknown", SELDON, ("spec", "protocol"), "grpc", ("spec", "protocol")),
    ("seldon-transport-unknown", SELDON, ("spec", "transport"), "http", ("spec", "transport")),
    ("seldon-podspec-unknown-field", SELDON, CS0 + ("spec", "terminationGracePeriod"), 20, CS0 + ("spec",)),
    ("seldon-podspec-missing-containers", SELDON, CS0 + ("spec", "containers"), DELETE, CS0 + ("spec",)),
    ("seldon-container-bad-pull-policy-type", SELDON, CS0 + ("spec", "containers", 0, "imagePullPolicy"), 22,
     CS0 + ("spec", "containers", 0, "imagePullPolicy")),
    ("seldon-container-unknown-field", SELDON, CS0 + ("spec", "containers", 0, "imagePullSecret"), "x",
     CS0 + ("spec", "containers", 0)),
    ("seldon-component-metadata-unknown-field", SELDON, CS0 + ("metadata", "label"), {}, CS0 + ("metadata",)),
    ("seldon-hpa-missing-max", SELDON, CS0 + ("hpaSpec", "maxReplicas"), DELETE, CS0 + ("hpaSpec",)),
    ("seldon-metricsv2-v2beta1-shape", SELDON, CS0 + ("hpaSpec", "metricsv2"),
     [{"type": "Resource", "resource": {"name": "cpu", "targetAverageUtilization": 70}}],
     CS0 + ("hpaSpec", "metricsv2", 0, "resource")),
    ("seldon-metricsv2-bad-target-type", SELDON, CS0 + ("hpaSpec", "metricsv2", 0, "resource", "target",
                                                        "averageUtilization"), "70%",
     CS0 + ("hpaSpec", "metricsv2", 0, "resource", "target", "averageUtilization")),
    ("seldon-metrics-v2beta1-unknown-field", SELDON, CS0 + ("hpaSpec", "metrics", 0, "resource", "target"), {},
     CS0 + ("hpaSpec", "metrics", 0, "resource")),
    ("seldon-pdb-selector-not-allowed", SELDON, CS0 + ("pdbSpec", "selector"), {}, CS0 + ("pdbSpec",)),
    ("seldon-keda-missing-triggers", SELDON, P0 + ("componentSpecs", 1, "kedaSpec", "triggers"), DELETE,
     P0 + ("componentSpecs", 1, "kedaSpec")),
    ("seldon-explainer-container-unknown-field", SELDON, P0 + ("explainer", "containerSpec", "cpu"), "1",
     P0 + ("explainer", "containerSpec")),
    ("seldon-svcorch-env-bad", SELDON, P0 + ("svcOrchSpec", "env", 0, "value"), 1,
     P0 + ("svcOrchSpec", "env", 0, "value")),
    ("seldon-wrong-api-version", SELDON_V1ALPHA2, ("kind",), "SeldonDeployments", ("kind",)),
    ("seldon-missing-metadata", SELDON, ("metadata",), DELETE, ()),
    # Application
    ("app-missing-project", APPLICATION, ("spec", "project"), DELETE, ("spec",)),
    ("app-missing-destination", APPLICATION, ("spec", "destination"), DELETE, ("spec",)),
    ("app-source-missing-repo", APPLICATION, ("spec", "source", "repoURL"), DELETE, ("spec", "source")),
    ("app-helm-values-object-in-values", APPLICATION, ("spec", "sources", 0, "helm", "values"), {"a": 1},
     ("spec", "sources", 0, "helm", "values")),
    ("app-helm-unknown-field", APPLICATION, ("spec", "sources", 0, "helm", "valueFile"), "x",
     ("spec", "sources", 0, "helm")),
    ("app-prune-string", APPLICATION, ("spec", "syncPolicy", "automated", "prune"), "true",
     ("spec", "syncPolicy", "automated", "prune")),
    ("app-retry-limit-string", APPLICATION, ("spec", "syncPolicy", "retry", "limit"), "5",
     ("spec", "syncPolicy", "retry", "limit")),
    ("app-kustomize-replica-missing-count", APPLICATION, ("spec", "source", "kustomize", "replicas", 0, "count"),
     DELETE, ("spec", "source", "kustomize", "replicas", 0)),
    ("app-ignore-differences-missing-kind", APPLICATION, ("spec", "ignoreDifferences", 0, "kind"), DELETE,
     ("spec", "ignoreDifferences", 0)),
    ("app-unknown-top-level", APPLICATION, ("specs",), {}, ()),
    ("app-metadata-unknown", APPLICATION, ("metadata", "label"), {}, ("metadata",)),
    ("app-hydrator-sync-path-dot", POSITIVE["application-hydrator"],
     ("spec", "sourceHydrator", "syncSource", "path"), ".", ("spec", "sourceHydrator", "syncSource", "path")),
    # AppProject
    ("project-description-too-long", APPPROJECT, ("spec", "description"), "x" * 256, ("spec", "description")),
    ("project-role-missing-name", APPPROJECT, ("spec", "roles", 0, "name"), DELETE, ("spec", "roles", 0)),
    ("project-unknown-field", APPPROJECT, ("spec", "sourceRepo"), [], ("spec",)),
    ("project-whitelist-missing-group", APPPROJECT, ("spec", "clusterResourceWhitelist", 0, "group"), DELETE,
     ("spec", "clusterResourceWhitelist", 0)),
    # ApplicationSet
    ("appset-apps-sync-unknown", APPLICATIONSET, ("spec", "syncPolicy", "applicationsSync"), "create",
     ("spec", "syncPolicy", "applicationsSync")),
    ("appset-git-missing-revision", APPLICATIONSET, ("spec", "generators", 1, "git", "revision"), DELETE,
     ("spec", "generators", 1, "git")),
    ("appset-nested-unknown-generator", APPLICATIONSET, ("spec", "generators", 2, "matrix", "generators", 0),
     {"lists": {}}, ("spec", "generators", 2, "matrix", "generators", 0)),
    ("appset-templated-boolean", APPLICATIONSET, ("spec", "template", "spec", "syncPolicy", "automated", "prune"),
     "{{.prune}}", ("spec", "template", "spec", "syncPolicy", "automated", "prune")),
    ("appset-template-missing-spec", APPLICATIONSET, ("spec", "template", "spec"), DELETE, ("spec", "template")),
    ("appset-template-metadata-unknown", APPLICATIONSET, ("spec", "template", "metadata", "generateName"), "x",
     ("spec", "template", "metadata")),
    ("appset-merge-missing-keys", APPLICATIONSET, ("spec", "generators", 3, "merge", "mergeKeys"), DELETE,
     ("spec", "generators", 3, "merge")),
    ("appset-missing-generators", APPLICATIONSET, ("spec", "generators"), DELETE, ("spec",)),
    # kind Cluster
    ("kind-role-unknown", KIND_CLUSTER, ("nodes", 1, "role"), "master", ("nodes", 1, "role")),
    ("kind-hostport-string", KIND_CLUSTER, ("nodes", 0, "extraPortMappings", 0, "hostPort"), "8080",
     ("nodes", 0, "extraPortMappings", 0, "hostPort")),
    ("kind-unknown-field", KIND_CLUSTER, ("node",), [], ()),
    ("kind-networking-unknown-field", KIND_CLUSTER, ("networking", "serviceSubnets"), "x", ("networking",)),
    ("kind-proxy-mode-unknown", KIND_CLUSTER, ("networking", "kubeProxyMode"), "bpf",
     ("networking", "kubeProxyMode")),
    ("kind-patch-string-not-list", KIND_CLUSTER, ("containerdConfigPatches",), "x", ("containerdConfigPatches",)),
    ("kind-missing-api-version", KIND_CLUSTER, ("apiVersion",), DELETE, ()),
    ("kind-port-out-of-range", KIND_CLUSTER, ("nodes", 0, "extraPortMappings", 0, "containerPort"), 70000,
     ("nodes", 0, "extraPortMappings", 0, "containerPort")),
    ("kind-invalid-cluster-name", KIND_CLUSTER, ("name",), "Seldon_Dev", ("name",)),
    # kustomize
    ("kustomize-unknown-field", KUSTOMIZATION, ("resource",), ["a.yaml"], ()),
    ("kustomize-newtag-number", KUSTOMIZATION, ("images", 0, "newTag"), 1.27, ("images", 0, "newTag")),
    ("kustomize-inline-transformer-object", KUSTOMIZATION, ("transformers", 0), {"apiVersion": "builtin"},
     ("transformers", 0)),
    ("kustomize-patch-unknown-option", KUSTOMIZATION, ("patches", 0, "options", "allowNamespaceChange"), True,
     ("patches", 0, "options")),
    ("kustomize-replica-count-string", KUSTOMIZATION, ("replicas", 0, "count"), "3", ("replicas", 0, "count")),
    ("kustomize-sort-order-unknown", KUSTOMIZATION, ("sortOptions", "order"), "alphabetical",
     ("sortOptions", "order")),
    ("kustomize-label-unknown-field", KUSTOMIZATION, ("labels", 0, "selectors"), True, ("labels", 0)),
    ("kustomize-generator-unknown-field", KUSTOMIZATION, ("configMapGenerator", 0, "literal"), [],
     ("configMapGenerator", 0)),
    ("kustomize-metadata-unknown-field", KUSTOMIZATION, ("metadata", "labelz"), {}, ("metadata",)),
    ("kustomize-wrong-api-version", KUSTOMIZATION, ("apiVersion",), "kustomize.config.k8s.io/v1", ("apiVersion",)),
    ("component-wrong-api-version", COMPONENT, ("apiVersion",), "kustomize.config.k8s.io/v1beta1", ("apiVersion",)),
]


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("case", sorted(POSITIVE))
def test_positive_manifests(case, version):
    assert [(list(e.instance_path), e.message) for e in errors(POSITIVE[case], version)] == []


@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("case_id,base,path,value,expected", NEGATIVE, ids=[n[0] for n in NEGATIVE])
def test_negative_manifests(case_id, base, path, value, expected, version):
    doc = mutate(base, path, value)
    found = errors(doc, version, schema_file=schema_for(base))
    assert found, f"{case_id}: expected a schema error"
    assert tuple(expected) in {tuple(e.instance_path) for e in found}, [
        (list(e.instance_path), e.message) for e in found]


def test_component_requires_kind():
    doc = {k: v for k, v in COMPONENT.items() if k != "kind"}
    assert errors(doc, schema_file="component-kustomize-v1alpha1.json")


def test_kustomization_schema_rejects_component_kind():
    assert errors({**COMPONENT, "apiVersion": "kustomize.config.k8s.io/v1beta1"},
                  schema_file="kustomization-kustomize-v1beta1.json")


@pytest.mark.parametrize("case", sorted(POSITIVE) + [n[0] for n in NEGATIVE])
def test_reference_implementation_agrees(case):
    """python-jsonschema (the reference validator) gives the same verdict as jsonschema-rs."""
    if case in POSITIVE:
        doc, schema_file = POSITIVE[case], schema_for(POSITIVE[case])
    else:
        _, base, path, value, _ = next(n for n in NEGATIVE if n[0] == case)
        doc, schema_file = mutate(base, path, value), schema_for(base)
    reference = jsonschema.Draft202012Validator(SCHEMAS[schema_file], registry=py_registry("1.37.0"))
    assert reference.is_valid(doc) == rs_validator("1.37.0", schema_file).is_valid(doc)


# ------------------------------------------------------------------------------------------------
# Conformance with the upstream examples (data in ../shared/upstream, not part of this repository)
# ------------------------------------------------------------------------------------------------

def _require_upstream():
    if not UPSTREAM.is_dir():
        pytest.skip(f"upstream reference data not found at {UPSTREAM}")


def _upstream_docs(pattern: str):
    """(file, index, document) for every top-level document of a kind we have a schema for."""
    out = []
    for path in sorted(UPSTREAM.glob(pattern)):
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            if isinstance(doc, dict) and (doc.get("apiVersion"), doc.get("kind")) in BY_GVK:
                out.append((path, i, strip_nulls(doc)))
    return out


# docs/operator-manual/applicationset.yaml is an annotated reference with placeholders; it carries fields
# that exist in no Argo CD v3.5 Go type (the CRD silently prunes them; strict field validation rejects
# them) and an indentation slip that lifts generator fields to the wrong level. A strict schema must
# report exactly these; everything else in the file must validate.
ARGOCD_DOCS_APPSET_EXPECTED = {
    ("spec", "generators", 0, "list", "template", "spec", "source"),  # `revision` is not a source field
    ("spec", "generators", 3, "scmProvider", "github"),  # `values` belongs to scmProvider, not github
    ("spec", "generators", 4),  # clusterDecisionResource fields at generator level (indentation)
    ("spec", "generators", 6, "matrix"),  # `generators:` left empty (null) but required
    ("spec", "generators", 8),  # plugin fields at generator level (indentation)
    ("spec", "template", "spec", "source", "helm"),  # `useCredentials` is not a helm field
    ("spec", "template", "spec", "source"),  # `parameters` belongs under helm
}
KNOWN_DEVIATIONS = {"argocd-examples/docs--operator-manual--applicationset.yaml": ARGOCD_DOCS_APPSET_EXPECTED}


@pytest.mark.conformance
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_upstream_examples_validate(version):
    _require_upstream()
    docs = _upstream_docs("seldon-examples/*.yaml") + _upstream_docs("argocd-examples/*.yaml")
    assert len(docs) >= 50, "upstream examples went missing"
    failures = {}
    for path, i, doc in docs:
        rel = str(path.relative_to(UPSTREAM))
        found = {tuple(e.instance_path) for e in errors(doc, version)}
        if found != KNOWN_DEVIATIONS.get(rel, set()):
            failures[f"{rel}#{i}"] = [(list(e.instance_path), e.message) for e in errors(doc, version)]
    assert failures == {}


# Upstream negative inputs (seldon-examples/invalid). Two are schema errors; the other three are rejected
# only by the operator's webhook logic (duplicate predictor names, graph node without container) and must
# pass the schema so that the rule layer reports them.
UPSTREAM_INVALID = {
    "notebooks--resources--model_invalid1.yaml":
        ("spec", "predictors", 0, "componentSpecs", 0, "spec", "containers", 0, "imagePullPolicy"),
    "testing--resources--bad_no_graph.yaml": ("spec", "predictors", 0),
    "testing--resources--bad_duplicate_predictor_name.yaml": None,
    "testing--resources--bad_name_mismatch.yaml": None,
    "notebooks--resources--model_invalid2.yaml": None,
}


@pytest.mark.conformance
@pytest.mark.parametrize("version", K8S_VERSIONS)
@pytest.mark.parametrize("name", sorted(UPSTREAM_INVALID))
def test_upstream_invalid_examples(name, version):
    _require_upstream()
    path = UPSTREAM / "seldon-examples" / "invalid" / name
    if not path.is_file():
        pytest.skip(f"{path} not present")
    [(_, _, doc)] = [d for d in _upstream_docs(f"seldon-examples/invalid/{name}")]
    found = {tuple(e.instance_path) for e in errors(doc, version)}
    expected = UPSTREAM_INVALID[name]
    if expected is None:
        assert found == set()
    else:
        assert expected in found
