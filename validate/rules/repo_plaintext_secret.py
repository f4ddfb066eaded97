"""Secrets must not carry plaintext data in git.

What it does:
    Reports every Secret, rendered or stand-alone, whose ``data`` or ``stringData`` holds any
    value, and every kustomize ``secretGenerator`` that reads literals or files. A Secret that a
    chart from a Helm repository (or a remote git source) renders is reported only for the values
    this repository gives it: a value the chart makes up (a generated certificate, its default
    configuration) is not in this repository, and no encryption of this repository changes it.
    A Secret whose every value is a placeholder (``UPDATE_AWS_ACCESS_KEY_ID``, ``<your-token>``,
    ``${TOKEN}``, ``changeme``) holds nothing secret yet and is not reported. Nor is an ``Opaque``
    Secret that holds only configuration text: values that are ``key=value`` or ``key: value``
    lines (Java properties, INI, env files) and comments, where no data key and no setting names a
    credential (password, passwd, pwd, secret, token, credential, key, auth, private, salt, ...)
    unless its value is a placeholder, and no value holds a PEM block, a URL with user
    information, a password hash or a long random-looking string. Some operators read their
    configuration only from Secrets (the AMQ Broker operator's ``*.broker.properties``); the
    decision is made from the data, never from the Secret's name.

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
    if _public_repository(obj.data) or _placeholders_only(obj.data) or _configuration_only(obj.data):
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


# --- configuration text ----------------------------------------------------------------------------------
# Words of a key (camelCase, snake_case, dotted, dashed) that name a credential.
_CREDENTIAL_WORDS = frozenset({
    "password", "passwords", "passwd", "pwd", "pw", "pass", "passphrase", "secret", "secrets", "token", "tokens",
    "credential", "credentials", "creds", "key", "keys", "apikey", "auth", "authorization", "bearer", "cookie",
    "session", "private", "privatekey", "salt", "hmac", "jwt", "dsn", "license", "licence", "pin", "otp",
    "htpasswd", "kubeconfig", "sasl", "jaas",
})
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_COMMENT = re.compile(r"\s*(?:[#!;]|//|$)")
_SECTION = re.compile(r"\s*\[[^\]]*\]\s*$")
# key=value, key = value, or key: value (a colon followed by a blank: "user:$apr1$..." is no setting).
_SETTING = re.compile(r"\s*(?P<key>(?:\\.|[^\s=:\\])+)\s*(?:=|:(?=\s|$))\s*(?P<value>.*)$")
# key=... or key: ... inside a value (a JAAS option, a connection string's password=...).
_EMBEDDED = re.compile(r"(?P<key>[A-Za-z_][\w.-]*)\s*(?:=|:(?=\s))")
_CREDENTIAL_VALUE = re.compile(
    r"-----BEGIN"  # a PEM block: private key, certificate
    r"|[a-z][a-z0-9+.-]*://[^/\s@]+@"  # user information in a URL
    r"|\$(?:apr1|2[abxy]?|1|5|6|y|argon2(?:id|i|d)?|pbkdf2[\w-]*|scrypt)\$"  # a crypt(3) or htpasswd hash
    r"|\{(?:S?SHA|PBKDF2|CRYPT|MD5)[\w-]*\}",
    re.IGNORECASE)
_TOKEN_RUN = re.compile(r"[A-Za-z0-9+/=_-]{20,}")
_HEX_RUN = re.compile(r"[0-9a-fA-F]{32,}")


# ... and stems that name one inside a longer word (SECRETKEY, dbpasswd, ApiToken2).
_CREDENTIAL_STEMS = ("passw", "passwd", "pwd", "secret", "token", "credential", "apikey", "privatekey", "accesskey")


def _names_credential(key: str) -> bool:
    words = [word.lower() for word in _WORD.findall(key)]
    return any(word in _CREDENTIAL_WORDS or any(stem in word for stem in _CREDENTIAL_STEMS) for word in words)


def _random_looking(value: str) -> bool:
    """A long run of token characters mixing digits, upper- and lowercase letters (an API key, a
    generated password), or a long hex string; a URL's path is neither (its user information is
    judged by :data:`_CREDENTIAL_VALUE`)."""
    for word in value.split():
        if "://" in word:
            continue
        if _HEX_RUN.search(word) or any(re.search(r"[0-9]", run) and re.search(r"[a-z]", run) and
                                        re.search(r"[A-Z]", run) for run in _TOKEN_RUN.findall(word)):
            return True
    return False


def _placeholder(value: str) -> bool:
    text = value.strip().strip("\"'").strip("_").strip()
    return not text or bool(_PLACEHOLDER.fullmatch(text))


def _configuration_text(text: str) -> bool:
    """Lines of settings and comments (properties, INI, env file), none of them naming or holding a
    credential."""
    for line in text.splitlines():
        if _COMMENT.match(line) or _SECTION.match(line):
            if _holds_credential(line):
                return False  # a commented-out password is committed all the same
            continue
        setting = _SETTING.match(line)
        if setting is None:
            return False
        key, value = setting.group("key"), setting.group("value")
        if _names_credential(key) and not _placeholder(value):
            return False
        if _holds_credential(value):
            return False
    return True


def _holds_credential(text: str) -> bool:
    return bool(_CREDENTIAL_VALUE.search(text)) or _random_looking(text) or \
        any(_names_credential(inner.group("key")) for inner in _EMBEDDED.finditer(text))


def _configuration_only(data: dict[str, object]) -> bool:
    """An Opaque Secret whose every value is configuration text with no credential in it."""
    if data.get("type", "Opaque") not in ("Opaque", None):
        return False
    found = False
    for field in ("data", "stringData"):
        values = data.get(field)
        for key, value in values.items() if isinstance(values, dict) else ():
            text = plaintext(value) if field == "data" else str(value if value is not None else "")
            if _names_credential(str(key)) or _CREDENTIAL_VALUE.search(text) or not _configuration_text(text):
                return False
            found = True
    return found
