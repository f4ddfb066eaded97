"""Secrets must not carry plaintext data in git.

What it does:
    Reports every Secret, rendered or stand-alone, whose ``data`` or ``stringData`` holds any
    value, and every kustomize ``secretGenerator`` that reads literals or files.

Why it matters:
    A GitOps repository is read by everyone who can clone it, and its history keeps every
    value forever. Base64 in ``data`` is an encoding, not encryption.

Example:
    ```yaml
    apiVersion: v1
    kind: Secret
    metadata:
      name: model-store
    stringData:
      AWS_SECRET_ACCESS_KEY: hunter2
    ```

Use instead:
    ```yaml
    apiVersion: bitnami.com/v1alpha1
    kind: SealedSecret
    metadata:
      name: model-store
    spec:
      encryptedData:
        AWS_SECRET_ACCESS_KEY: AgBy8hCi...
    ```
    Store the value encrypted with SealedSecrets, SOPS or External Secrets and commit only the
    encrypted form or the reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "repo-plaintext-secret"
DEFAULT = "error"
KINDS = {("", "Secret")}

# An Argo CD repository Secret that only says where a public repository is holds nothing secret.
_ARGO_SECRET_TYPE = "argocd.argoproj.io/secret-type"
_ARGO_REPOSITORY_TYPES = {"repository", "repo-creds", "repository-write", "repo-write-creds"}
_ARGO_PUBLIC_KEYS = {"url", "name", "type", "project", "insecure", "enableLfs", "enableOCI", "proxy", "noProxy",
                     "forceHttpBasicAuth", "depth"}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    if _public_repository(obj.data):
        return
    for field in ("data", "stringData"):
        values = obj.data.get(field)
        if isinstance(values, dict) and values:
            keys = ", ".join(sorted(str(k) for k in values)[:5])
            generated = obj.rendered is not None and obj.rendered.generator == "SecretGenerator"
            how = "a secretGenerator" if generated else f"{field}"
            yield Violation(f"Secret holds plaintext values in {how} ({keys}): commit it encrypted (SealedSecrets,"
                            " SOPS) or reference an external secret store", (field,))
            return


def _public_repository(data: dict[str, object]) -> bool:
    metadata = data.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if not isinstance(labels, dict) or labels.get(_ARGO_SECRET_TYPE) not in _ARGO_REPOSITORY_TYPES:
        return False
    keys: set[str] = set()
    for field in ("data", "stringData"):
        values = data.get(field)
        if isinstance(values, dict):
            keys |= {str(key) for key in values}
    return keys <= _ARGO_PUBLIC_KEYS
