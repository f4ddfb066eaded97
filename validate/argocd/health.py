"""Which kinds Argo CD v3.5.1 can assess the health of, before any configuration.

Two sources, both at tag v3.5.1 (commit 109ca7ca71139e514114499d294a492e7910a965):

* the checks compiled into the controller, ``gitops-engine/pkg/health/health.go``
  (``GetHealthCheckFunc``): :data:`BUILT_IN`;
* the Lua checks shipped in ``resource_customizations/<group>/<kind>/health.lua``, where a
  folder named ``_`` stands for ``*`` (any group prefix or any kind): :data:`SHIPPED`, listed
  by folder name (``git ls-tree`` of that tree; 238 entries).

A repository adds checks in ``argocd-cm``, as ``resource.customizations.health.<group>_<kind>``
keys or in the older ``resource.customizations`` block: :func:`configured` reads both.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

import yaml

from validate.yaml_events import SAFE_LOADER

HEALTH_KEY_PREFIX = "resource.customizations.health."
LEGACY_KEY = "resource.customizations"
ARGOCD_CM = "argocd-cm"

BUILT_IN: frozenset[str] = frozenset({
    "apps/Deployment", "apps/StatefulSet", "apps/ReplicaSet", "apps/DaemonSet",
    "extensions/Ingress", "networking.k8s.io/Ingress",
    "argoproj.io/Workflow",
    "apiregistration.k8s.io/APIService",
    "/Service", "/PersistentVolumeClaim", "/Pod",
    "batch/Job",
    "autoscaling/HorizontalPodAutoscaler",
})

SHIPPED: frozenset[str] = frozenset({
    "*.cnrm.cloud.google.com/*",
    "*.crossplane.io/*",
    "*.upbound.io/*",
    "acid.zalan.do/postgresql",
    "addons.cluster.x-k8s.io/ClusterResourceSet",
    "apiextensions.k8s.io/CustomResourceDefinition",
    "apps.3scale.net/APIManager",
    "apps.kruise.io/AdvancedCronJob",
    "apps.kruise.io/BroadcastJob",
    "apps.kruise.io/CloneSet",
    "apps.kruise.io/DaemonSet",
    "apps.kruise.io/StatefulSet",
    "apps.openshift.io/DeploymentConfig",
    "argoproj.io/AnalysisRun",
    "argoproj.io/ApplicationSet",
    "argoproj.io/CronWorkflow",
    "argoproj.io/EventBus",
    "argoproj.io/Experiment",
    "argoproj.io/Rollout",
    "astra.netapp.io/AppVault",
    "astra.netapp.io/Application",
    "astra.netapp.io/Backup",
    "astra.netapp.io/ExecHook",
    "astra.netapp.io/ExecHooksRun",
    "astra.netapp.io/ResourceBackup",
    "astra.netapp.io/ResticVolumeBackup",
    "astra.netapp.io/Schedule",
    "astra.netapp.io/Snapshot",
    "batch/CronJob",
    "beat.k8s.elastic.co/Beat",
    "bitnami.com/SealedSecret",
    "camel.apache.org/Integration",
    "capabilities.3scale.net/ActiveDoc",
    "capabilities.3scale.net/Application",
    "capabilities.3scale.net/ApplicationAuth",
    "capabilities.3scale.net/Backend",
    "capabilities.3scale.net/CustomPolicyDefinition",
    "capabilities.3scale.net/DeveloperAccount",
    "capabilities.3scale.net/DeveloperUser",
    "capabilities.3scale.net/OpenAPI",
    "capabilities.3scale.net/Product",
    "capabilities.3scale.net/ProxyConfigPromote",
    "capabilities.3scale.net/Tenant",
    "cassandra.rook.io/Cluster",
    "cdi.kubevirt.io/DataVolume",
    "ceph.rook.io/CephCluster",
    "ceph.rook.io/CephObjectStore",
    "cert-manager.io/Certificate",
    "cert-manager.io/ClusterIssuer",
    "cert-manager.io/Issuer",
    "certmanager.k8s.io/Certificate",
    "certmanager.k8s.io/Issuer",
    "clickhouse-keeper.altinity.com/ClickHouseKeeperInstallation",
    "clickhouse.altinity.com/ClickHouseInstallation",
    "cloudfront.aws.crossplane.io/Distribution",
    "cluster.x-k8s.io/Cluster",
    "cluster.x-k8s.io/Machine",
    "cluster.x-k8s.io/MachineDeployment",
    "cluster.x-k8s.io/MachineHealthCheck",
    "cluster.x-k8s.io/MachinePool",
    "controlplane.cluster.x-k8s.io/AWSManagedControlPlane",
    "coralogix.com/Alert",
    "coralogix.com/RecordingRuleGroupSet",
    "core.gardener.cloud/Shoot",
    "core.humio.com/HumioAction",
    "core.humio.com/HumioAlert",
    "core.humio.com/HumioCluster",
    "core.humio.com/HumioIngestToken",
    "core.humio.com/HumioParser",
    "core.humio.com/HumioRepository",
    "core.humio.com/HumioView",
    "core.spinkube.dev/SpinApp",
    "datadoghq.com/DatadogMetric",
    "db.atlasgo.io/AtlasMigration",
    "db.atlasgo.io/AtlasSchema",
    "elasticsearch.k8s.elastic.co/Elasticsearch",
    "external-secrets.io/ClusterExternalSecret",
    "external-secrets.io/ClusterSecretStore",
    "external-secrets.io/ExternalSecret",
    "external-secrets.io/PushSecret",
    "external-secrets.io/SecretStore",
    "flagger.app/Canary",
    "flink.apache.org/FlinkDeployment",
    "game.kruise.io/GameServer",
    "game.kruise.io/GameServerSet",
    "gateway.networking.k8s.io/BackendTLSPolicy",
    "gateway.networking.k8s.io/GRPCRoute",
    "gateway.networking.k8s.io/Gateway",
    "gateway.networking.k8s.io/GatewayClass",
    "gateway.networking.k8s.io/HTTPRoute",
    "gateway.solo.io/Gateway",
    "gateway.solo.io/MatchableHttpGateway",
    "gateway.solo.io/RouteOption",
    "gateway.solo.io/RouteTable",
    "gateway.solo.io/VirtualHostOption",
    "gateway.solo.io/VirtualService",
    "gloo.solo.io/Proxy",
    "gloo.solo.io/Settings",
    "gloo.solo.io/Upstream",
    "gloo.solo.io/UpstreamGroup",
    "grafana-org-operator.kubitus-project.gitlab.io/*",
    "grafana.integreatly.org/Grafana",
    "grafana.integreatly.org/GrafanaDashboard",
    "grafana.integreatly.org/GrafanaDatasource",
    "grafana.integreatly.org/GrafanaFolder",
    "helm.toolkit.fluxcd.io/HelmRelease",
    "iam.aws.crossplane.io/Policy",
    "iam.aws.crossplane.io/Role",
    "iam.aws.crossplane.io/RolePolicyAttachment",
    "iammanager.keikoproj.io/Iamrole",
    "image.toolkit.fluxcd.io/ImagePolicy",
    "image.toolkit.fluxcd.io/ImageRepository",
    "image.toolkit.fluxcd.io/ImageUpdateAutomation",
    "install.istio.io/IstioOperator",
    "jaegertracing.io/Jaeger",
    "k8s.keycloak.org/Keycloak",
    "k8s.mariadb.com/Backup",
    "k8s.mariadb.com/Database",
    "k8s.mariadb.com/Grant",
    "k8s.mariadb.com/MariaDB",
    "k8s.mariadb.com/SqlJob",
    "k8s.mariadb.com/User",
    "kafka.banzaicloud.io/KafkaCluster",
    "kafka.strimzi.io/Kafka",
    "kafka.strimzi.io/KafkaBridge",
    "kafka.strimzi.io/KafkaConnect",
    "kafka.strimzi.io/KafkaConnector",
    "kafka.strimzi.io/KafkaTopic",
    "kafka.strimzi.io/KafkaUser",
    "karpenter.k8s.aws/EC2NodeClass",
    "karpenter.sh/NodeClaim",
    "karpenter.sh/NodePool",
    "keda.sh/ScaledJob",
    "keda.sh/ScaledObject",
    "kiali.io/Kiali",
    "kubernetes-client.io/ExternalSecret",
    "kubevirt.io/VirtualMachine",
    "kubevirt.io/VirtualMachineInstance",
    "kustomize.toolkit.fluxcd.io/Kustomization",
    "kyverno.io/Policy",
    "lifecycle.keptn.sh/KeptnAppVersion",
    "lifecycle.keptn.sh/KeptnEvaluation",
    "lifecycle.keptn.sh/KeptnTask",
    "lifecycle.keptn.sh/KeptnWorkloadInstance",
    "lifecycle.keptn.sh/KeptnWorkloadVersion",
    "logstash.k8s.elastic.co/Logstash",
    "mariadb.mmontes.io/MariaDB",
    "metrics.keptn.sh/Analysis",
    "metrics.keptn.sh/KeptnMetric",
    "minio.min.io/Tenant",
    "monitoring.coreos.com/Prometheus",
    "networking.gke.io/ManagedCertificate",
    "nmstate.io/NodeNetworkConfigurationPolicy",
    "notification.toolkit.fluxcd.io/Receiver",
    "numaflow.numaproj.io/InterStepBufferService",
    "numaflow.numaproj.io/MonoVertex",
    "numaflow.numaproj.io/Pipeline",
    "numaflow.numaproj.io/Vertex",
    "numaplane.numaproj.io/ISBServiceRollout",
    "numaplane.numaproj.io/MonoVertexRollout",
    "numaplane.numaproj.io/NumaflowControllerRollout",
    "numaplane.numaproj.io/PipelineRollout",
    "objectbucket.io/ObjectBucketClaim",
    "ocs.openshift.io/StorageCluster",
    "onepassword.com/OnePasswordItem",
    "openfaas.com/Function",
    "opentelemetry.io/OpenTelemetryCollector",
    "operator.knative.dev/KnativeEventing",
    "operator.knative.dev/KnativeServing",
    "operator.openshift.io/IngressController",
    "operator.victoriametrics.com/*",
    "operators.coreos.com/Subscription",
    "pkg.crossplane.io/Provider",
    "platform.confluent.io/Connect",
    "platform.confluent.io/Connector",
    "platform.confluent.io/ControlCenter",
    "platform.confluent.io/Kafka",
    "platform.confluent.io/KsqlDB",
    "platform.confluent.io/SchemaRegistry",
    "platform.confluent.io/Zookeeper",
    "policy.open-cluster-management.io/CertificatePolicy",
    "policy.open-cluster-management.io/ConfigurationPolicy",
    "policy.open-cluster-management.io/OperatorPolicy",
    "policy.open-cluster-management.io/Policy",
    "policy/PodDisruptionBudget",
    "postgresql.cnpg.io/Cluster",
    "proclaim.dogmatiq.io/DNSSDServiceInstance",
    "projectcontour.io/ExtensionService",
    "projectcontour.io/HTTPProxy",
    "promoter.argoproj.io/ArgoCDCommitStatus",
    "promoter.argoproj.io/ChangeTransferPolicy",
    "promoter.argoproj.io/ClusterScmProvider",
    "promoter.argoproj.io/CommitStatus",
    "promoter.argoproj.io/GitCommitStatus",
    "promoter.argoproj.io/GitRepository",
    "promoter.argoproj.io/PromotionStrategy",
    "promoter.argoproj.io/PullRequest",
    "promoter.argoproj.io/ScmProvider",
    "promoter.argoproj.io/TimedCommitStatus",
    "promoter.argoproj.io/WebRequestCommitStatus",
    "psmdb.percona.com/PerconaServerMongoDB",
    "pxc.percona.com/PerconaXtraDBCluster",
    "rabbitmq.com/Binding",
    "rabbitmq.com/Exchange",
    "rabbitmq.com/Permission",
    "rabbitmq.com/Policy",
    "rabbitmq.com/Queue",
    "rabbitmq.com/RabbitmqCluster",
    "rabbitmq.com/Shovel",
    "rabbitmq.com/User",
    "rabbitmq.com/Vhost",
    "rds.aws.crossplane.io/DBCluster",
    "rds.aws.crossplane.io/DBInstance",
    "rollouts.kruise.io/Rollout",
    "route.openshift.io/Route",
    "route53.aws.crossplane.io/ResourceRecordSet",
    "s3.aws.crossplane.io/Bucket",
    "services.cloud.sap.com/ServiceBinding",
    "services.cloud.sap.com/ServiceInstance",
    "serving.knative.dev/Service",
    "serving.kserve.io/InferenceService",
    "snapshot.storage.k8s.io/VolumeSnapshot",
    "snapshot.storage.k8s.io/VolumeSnapshotContent",
    "solr.apache.org/SolrCloud",
    "source.toolkit.fluxcd.io/Bucket",
    "source.toolkit.fluxcd.io/GitRepository",
    "source.toolkit.fluxcd.io/HelmChart",
    "source.toolkit.fluxcd.io/HelmRepository",
    "source.toolkit.fluxcd.io/OCIRepository",
    "sparkoperator.k8s.io/SparkApplication",
    "spot.io/SpotDeployment",
    "stacks.crossplane.io/ClusterStackInstall",
    "tower.ansible.com/AnsibleJob",
    "trident.netapp.io/TridentBackendConfig",
    "trident.netapp.io/TridentOrchestrator",
    "work.karmada.io/ClusterResourceBinding",
    "work.karmada.io/ResourceBinding",
    "zookeeper.pravega.io/ZookeeperCluster",
})


def _matches(patterns: Iterable[str], group: str, kind: str) -> bool:
    # A pattern without a wildcard matches only itself: fnmatch would compile a regular expression
    # for each of the hundreds of names above just to say so (a tenth of a one-edit run's CPU time).
    wanted = f"{group}/{kind}"
    return any(pattern == wanted or (not _WILDCARDS.isdisjoint(pattern) and fnmatch.fnmatchcase(wanted, pattern))
               for pattern in patterns)


_WILDCARDS = frozenset("*?[")


def assessed(group: str, kind: str, configured_patterns: Iterable[str] = ()) -> bool:
    """Whether Argo CD v3.5.1 gives objects of ``group``/``kind`` a health status."""
    return _matches(BUILT_IN, group, kind) or _matches(SHIPPED, group, kind) or \
        _matches(configured_patterns, group, kind)


def _health_patterns_of_data(data: Any) -> set[str]:
    found: set[str] = set()
    if not isinstance(data, dict):
        return found
    for key, value in data.items():
        if not isinstance(key, str):
            continue
        if key.startswith(HEALTH_KEY_PREFIX):
            group, _, kind = key[len(HEALTH_KEY_PREFIX):].rpartition("_")
            if kind:
                found.add(f"{group}/{kind}")
        elif key == LEGACY_KEY and isinstance(value, str):
            try:
                legacy = yaml.load(value, Loader=SAFE_LOADER)
            except yaml.YAMLError:
                continue
            for name, entry in legacy.items() if isinstance(legacy, dict) else ():
                if isinstance(name, str) and isinstance(entry, dict) and "health.lua" in entry:
                    group, _, kind = name.rpartition("/")
                    found.add(f"{group}/{kind}")
    return found


def _is_argocd_cm(data: Any) -> bool:
    if not isinstance(data, dict) or data.get("kind") != "ConfigMap":
        return False
    metadata = data.get("metadata")
    return isinstance(metadata, dict) and metadata.get("name") == ARGOCD_CM


def configured(candidates: Iterable[Any]) -> set[str]:
    """``group/kind`` patterns an ``argocd-cm`` of the repository gives a health check: a
    ConfigMap ``argocd-cm`` among ``candidates`` (object data), or an inline kustomize patch of
    ``argocd-cm`` in an Application that installs Argo CD."""
    found: set[str] = set()
    for data in candidates:
        if _is_argocd_cm(data):
            found |= _health_patterns_of_data(data.get("data"))
        if isinstance(data, dict) and data.get("kind") == "Application":
            for patch in _inline_patches(data):
                try:
                    documents = list(yaml.load_all(patch, Loader=SAFE_LOADER))
                except yaml.YAMLError:
                    continue
                for document in documents:
                    if _is_argocd_cm(document):
                        found |= _health_patterns_of_data(document.get("data"))
    return found


def _inline_patches(application: dict[str, Any]) -> list[str]:
    spec = application.get("spec")
    if not isinstance(spec, dict):
        return []
    sources = [spec.get("source"), *(spec.get("sources") or [])] if isinstance(spec.get("sources"), list) \
        else [spec.get("source")]
    patches: list[str] = []
    for source in sources:
        kustomize = source.get("kustomize") if isinstance(source, dict) else None
        for patch in kustomize.get("patches") or [] if isinstance(kustomize, dict) else []:
            if isinstance(patch, dict) and isinstance(patch.get("patch"), str):
                patches.append(patch["patch"])
    return patches
