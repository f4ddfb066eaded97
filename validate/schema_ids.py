"""The URIs by which schemas refer to each other; shared by the schema store and our schemas."""

K8S_DEFINITIONS = "https://kubernetes.io/api/_definitions.json"
OWN_PREFIX = "https://gitops-validate.schemas/"


def crd_schema_id(group: str, version: str, kind: str) -> str:
    return f"https://gitops-validate.crd/{group}/{kind.lower()}_{version}.json"
