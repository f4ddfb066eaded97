"""Acceptance: a patch that renames its target is no no-op (kustomize-noop-patch).

Reproductions from real repositories: a patch selects its target by the name or namespace the
object has *before* the patch (and before the outer kustomizations' patches), so a rendered object
that a patch renamed, or whose namespace it removed, still counts as that patch's target. A patch
of an outer kustomization that selects the name an inner kustomization renamed away still matches
nothing, and is still reported.
"""

from __future__ import annotations

import pytest

from tests.conftest import findings_of, validate_tree

CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n  a: b\n"

# (the repository's files, where kustomize-noop-patch is expected), by the case's name
CASES = {
    # argoproj/argo-cd manifests/ha/base/redis-ha: the chart's objects lose their namespace
    "a_patch_that_removes_the_namespace_it_selects_by": ({
        "redis-ha/kustomization.yaml": "resources:\n  - upstream.yaml\npatches:\n  - target:\n      version: v1\n"
                                       "      kind: ConfigMap\n      name: redis-ha-configmap\n      namespace: argocd\n"
                                       "    path: overlays/remove-namespace.yaml\n",
        "redis-ha/upstream.yaml": CONFIGMAP.format(name="redis-ha-configmap", namespace="argocd"),
        "redis-ha/overlays/remove-namespace.yaml": "- {op: remove, path: /metadata/namespace}\n",
    }, []),
    # redhat-cop/gitops-catalog ack-*-controller/operator/overlays/alpha
    "a_patch_that_renames_its_own_target": ({
        "app/kustomization.yaml": "resources:\n  - configmap.yaml\npatches:\n  - target:\n      kind: ConfigMap\n"
                                  "      name: user-config\n    patch: |-\n      - op: replace\n"
                                  "        path: /metadata/name\n        value: ack-ec2-settings\n",
        "app/configmap.yaml": CONFIGMAP.format(name="user-config", namespace="ack"),
    }, []),
    # redhat-cop/gitops-catalog amq-broker-operator: components patch "default", the example renames it after
    "a_component_patch_whose_target_the_including_kustomization_renames": ({
        "example/kustomization.yaml": "resources:\n  - configmap.yaml\ncomponents:\n  - ../component\npatches:\n"
                                      "  - target:\n      kind: ConfigMap\n      name: default\n    patch: |-\n"
                                      "      - op: replace\n        path: /metadata/name\n        value: broker\n",
        "example/configmap.yaml": CONFIGMAP.format(name="default", namespace="amq"),
        "component/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
                                        "  - target:\n      kind: ConfigMap\n      name: default\n    patch: |-\n"
                                        "      - op: add\n        path: /data/c\n        value: d\n",
    }, []),
    # redhat-cop/gitops-catalog ack-system/overlays/aws-ops: the inner overlays renamed the ConfigMap first
    # (ack-controller-user-config to ack-ec2-user-config there)
    "an_outer_patch_that_selects_a_name_an_inner_kustomization_renamed_away": ({
        "inner/kustomization.yaml": "resources:\n  - configmap.yaml\npatches:\n  - target:\n      kind: ConfigMap\n"
                                    "      name: user-config\n    patch: |-\n      - op: replace\n"
                                    "        path: /metadata/name\n        value: ack-ec2-config\n",
        "inner/configmap.yaml": CONFIGMAP.format(name="user-config", namespace="ack"),
        "outer/kustomization.yaml": "resources:\n  - ../inner\npatches:\n  - target:\n      kind: ConfigMap\n"
                                    "      name: user-config\n    patch: |-\n      - op: replace\n"
                                    "        path: /data/a\n        value: c\n",
    }, [("outer/kustomization.yaml", 4)]),
    # redhat-cop/gitops-catalog amq-broker-operator: components/authentication/guest lists ../_base, whose
    # patch works on what the example that lists guest holds
    "a_component_listed_by_a_component": ({
        "example/kustomization.yaml": "resources:\n  - configmap.yaml\ncomponents:\n  - ../guest\n",
        "example/configmap.yaml": CONFIGMAP.format(name="default", namespace="amq"),
        "guest/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                    "components:\n  - ../base\n",
        "base/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n"
                                   "  - target:\n      kind: ConfigMap\n      name: default\n    patch: |-\n"
                                   "      - op: add\n        path: /data/c\n        value: d\n",
    }, []),
}


@pytest.mark.parametrize(("files", "expected"), list(CASES.values()), ids=list(CASES))
def test_kustomize_noop_patch_follows_renames(write_tree, files: dict[str, str],
                                             expected: list[tuple[str, int]]) -> None:
    repo = write_tree(files)
    found = [(f.file, f.line) for f in findings_of(validate_tree(repo), "kustomize-noop-patch")]
    assert found == expected
