"""Syntax checks of k8s.io/apimachinery/pkg/util/validation, with the API server's messages.

Each function returns the list of problems with ``value`` (empty when it is valid), worded as the
server words them, so a finding reads like the rejection a user would see from ``kubectl apply``.
"""

from __future__ import annotations

import ipaddress
import re

DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
QUALIFIED_NAME_MAX = 63
LABEL_VALUE_MAX = 63

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_C_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CONFIG_MAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
_ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_IANA_SVC_NAME = re.compile(r"^[-a-z0-9]+$")
_IANA_SVC_LETTER = re.compile(r"[a-z]")
_WILDCARD_SUBDOMAIN = re.compile(r"^\*\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_PERCENT = re.compile(r"^[0-9]+%$")

LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start " \
    "and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is " \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and " \
    "must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " \
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
DNS1035_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic " \
    "character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation " \
    "is '[a-z]([-a-z0-9]*[a-z0-9])?')"
QUALIFIED_MSG = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an " \
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " \
    "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"


def max_len(length: int) -> str:
    return f"must be no more than {length} bytes"


def dns1123_label(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_LABEL_MAX:
        errors.append(max_len(DNS1123_LABEL_MAX))
    if not _DNS1123_LABEL.match(value):
        errors.append(LABEL_MSG)
    return errors


def dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errors.append(max_len(DNS1123_SUBDOMAIN_MAX))
    if not _DNS1123_SUBDOMAIN.match(value):
        errors.append(SUBDOMAIN_MSG)
    return errors


def dns1035_label(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_LABEL_MAX:
        errors.append(max_len(DNS1123_LABEL_MAX))
    if not _DNS1035_LABEL.match(value):
        errors.append(DNS1035_MSG)
    return errors


def wildcard_dns1123_subdomain(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errors.append(max_len(DNS1123_SUBDOMAIN_MAX))
    if not _WILDCARD_SUBDOMAIN.match(value):
        errors.append("a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain")
    return errors


def qualified_name(value: str) -> list[str]:
    """``[prefix/]name``: a DNS subdomain prefix and a name of at most 63 characters."""
    errors = []
    parts = value.split("/")
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors += ["prefix part " + e for e in dns1123_subdomain(prefix)]
    else:
        return ["a qualified name " + QUALIFIED_MSG.removeprefix("name part ") +
                " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > QUALIFIED_NAME_MAX:
        errors.append("name part " + max_len(QUALIFIED_NAME_MAX))
    if name and not _QUALIFIED_NAME.match(name):
        errors.append(QUALIFIED_MSG)
    return errors


def label_value(value: str) -> list[str]:
    errors = []
    if len(value) > LABEL_VALUE_MAX:
        errors.append(max_len(LABEL_VALUE_MAX))
    if not _LABEL_VALUE.match(value):
        errors.append("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.',"
                      " and must start and end with an alphanumeric character")
    return errors


def c_identifier(value: str) -> list[str]:
    if _C_IDENTIFIER.match(value):
        return []
    return ["a valid C identifier must start with alphabetic character or '_', followed by a string of alphanumeric"
            " characters or '_'"]


def config_map_key(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errors.append(max_len(DNS1123_SUBDOMAIN_MAX))
    if not _CONFIG_MAP_KEY.match(value):
        errors.append("a valid config key must consist of alphanumeric characters, '-', '_' or '.'")
    if value == ".":
        errors.append("must not be '.'")
    elif value == "..":
        errors.append("must not be '..'")
    elif value.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def env_var_name(value: str, relaxed: bool) -> list[str]:
    """Relaxed (RelaxedEnvironmentVariableValidation, on from 1.32): printable ASCII except '='."""
    if relaxed:
        if value and all(" " <= ch <= "~" and ch != "=" for ch in value):
            return []
        return ["a valid environment variable name must consist only of printable ASCII characters other than '='"]
    errors = []
    if not _ENV_VAR_NAME.match(value):
        errors.append("a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or"
                      " '.', and must not start with a digit")
    errors += _no_dots(value)
    return errors


def _no_dots(value: str) -> list[str]:
    if value == ".":
        return ["must not be '.'"]
    if value == "..":
        return ["must not be '..'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def port_name(value: str) -> list[str]:
    """IANA_SVC_NAME: at most 15 characters, lowercase alphanumerics and '-', a letter, no '--', no edge '-'."""
    errors = []
    if len(value) > 15:
        errors.append("must be no more than 15 characters")
    if not _IANA_SVC_NAME.match(value):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if "--" in value:
        errors.append("must not contain consecutive hyphens")
    if not _IANA_SVC_LETTER.search(value):
        errors.append("must contain at least one letter (a-z)")
    if value.startswith("-") or value.endswith("-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def port_number(value: int) -> list[str]:
    return [] if 1 <= value <= 65535 else ["must be between 1 and 65535, inclusive"]


def ip(value: str) -> list[str]:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return ["must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"]
    return []


def cidr(value: str) -> list[str]:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]
    return [] if "/" in value else ["must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"]


def is_percent(value: str) -> bool:
    return bool(_PERCENT.match(value))


def path_segment(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{c}'" for c in ("/", "%") if c in value]
