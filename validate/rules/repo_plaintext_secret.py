"""Secrets must not carry plaintext data in git.

What it does:
    Reports every Secret, rendered or stand-alone, whose ``data`` or ``stringData`` holds any
    value, and every kustomize ``secretGenerator`` that reads literals or files. A Secret that a
    chart from a Helm repository (or a remote git source) renders is reported only for the values
    this repository gives it: a value the chart makes up (a generated certificate, its default
    configuration) is not in this repository, and no encryption of this repository changes it.
    A Secret whose every value is a placeholder (``UPDATE_AWS_ACCESS_KEY_ID``, ``<your-token>``,
    ``${TOKEN}``, ``changeme``) holds nothing secret yet and is not reported.

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

import base64
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.helm.values import leaves
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
    if _public_repository(obj.data) or _placeholders_only(obj.data):
        return
    if obj.repository_values is not None:
        yield from _rendered_elsewhere(obj)
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


def _rendered_elsewhere(obj: Checked) -> Iterator[Violation]:
    """A Secret whose template is not in this repository: only the values set here are secrets here."""
    given = [value for _path, value in leaves(obj.repository_values) if isinstance(value, str) and len(value) >= 4]
    found: list[tuple[str, str]] = []
    for field in ("data", "stringData"):
        values = obj.data.get(field)
        for key, value in values.items() if isinstance(values, dict) else ():
            text = plaintext(value) if field == "data" else str(value)
            if any(text == mine or (len(mine) >= 8 and mine in text) for mine in given):
                found.append((field, str(key)))
    if found:
        keys = ", ".join(key for _field, key in found[:5])
        yield Violation(f"Secret holds values ({keys}) that this repository gives the chart in plaintext: keep them"
                        " out of the Helm values; give the chart an existing Secret instead (most charts take an"
                        " existingSecret value) and commit that one encrypted (SealedSecrets, SOPS) or reference"
                        " an external secret store", found[0])


def plaintext(value: object) -> str:
    """A ``data`` value as the container sees it (base64 decoded; as written when it is not base64)."""
    try:
        return base64.b64decode(str(value), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return str(value)


# A value written to be replaced (UPDATE_AWS_ACCESS_KEY_ID, <your-token>, ${TOKEN}, changeme): the
# Secret shows the shape the user must fill in, and holds nothing secret yet.
_PLACEHOLDER = re.compile(r"(?:(?:UPDATE|REPLACE|CHANGE|INSERT|ENTER|YOUR|PUT)(?:[-_ ].*|ME)"
                          r"|changeme|change[-_ ]me|replace[-_ ]me|todo|fixme|placeholder|x{3,}|\*{3,}"
                          r"|<[^<>]+>|\$\{[^}]+\}|\$\([^)]+\))", re.IGNORECASE)


def _placeholders_only(data: dict[str, object]) -> bool:
    found = False
    for field in ("data", "stringData"):
        values = data.get(field)
        for value in values.values() if isinstance(values, dict) else ():
            text = (plaintext(value) if field == "data" else str(value if value is not None else "")).strip()
            if text and not _PLACEHOLDER.fullmatch(text):
                return False
            found = True
    return found


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
