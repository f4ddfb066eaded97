"""YAML scalars resolved as Kubernetes' decoder resolves them (YAML 1.1), for the loader.

Kept apart from :mod:`validate.load` (the event-level document builder) because it is the one
place that decides what a scalar *means*: booleans such as ``yes``, octal and base-60 integers,
timestamps kept as strings, and a bound on the digits an integer may have.
"""

from __future__ import annotations

from typing import Any

import yaml


class Abort(Exception):
    """A file-level problem; the message and mark become one finding."""

    def __init__(self, rule: str, message: str, line: int | None, column: int | None = None):
        super().__init__(message)
        self.rule, self.message, self.line, self.column = rule, message, line, column


_resolver = yaml.resolver.Resolver()
_constructor = yaml.constructor.SafeConstructor()


# Python refuses to convert longer digit strings; base-60 integers (1:2:3) of that length would
# cost quadratic time instead. No Kubernetes field holds such a number.
_MAX_INT_CHARS = 4300


_STR = "tag:yaml.org,2002:str"
_PLAIN_CACHE_SIZE = 50_000


_plain: dict[str, tuple[Any, str]] = {}


def scalar(event: Any) -> tuple[Any, str]:
    """Resolve a scalar as YAML 1.1 does (what Kubernetes' decoder does too), timestamps as strings.

    A scalar without a tag resolves from its text alone: quoted and block scalars are strings, and
    a plain one's meaning is remembered per text, since manifests repeat the same keys and values.
    """
    tag = event.tag
    if tag is None:
        if not event.implicit[0]:  # quoted, literal or folded: a string, whatever it reads like
            return event.value, _STR
        found = _plain.get(event.value)
        if found is not None:
            return found
        found = _resolve(event, None)
        if len(_plain) < _PLAIN_CACHE_SIZE:
            _plain[event.value] = found
        return found
    return _resolve(event, tag)


def _resolve(event: Any, tag: str | None) -> tuple[Any, str]:
    if tag is None or tag == "!":
        tag = _resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
        return event.value, tag
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    if tag == "tag:yaml.org,2002:null":
        return None, tag
    try:
        if tag == "tag:yaml.org,2002:bool":
            return _constructor.construct_yaml_bool(node), tag
        if tag == "tag:yaml.org,2002:int":
            if len(event.value) > _MAX_INT_CHARS:
                raise ValueError("too long")
            return _constructor.construct_yaml_int(node), tag
        if tag == "tag:yaml.org,2002:float":
            return _constructor.construct_yaml_float(node), tag
    except (ValueError, KeyError, IndexError, OverflowError, TypeError):  # e.g. `!!int abc`, `!!bool maybe`
        shown = event.value if len(event.value) <= 40 else event.value[:40] + "…"
        kind = tag.rsplit(":", 1)[-1]
        raise Abort("load-invalid-scalar", f"{shown!r} is not a valid {kind}"
                     + (f" ({len(event.value):,} characters)" if len(event.value) > 40 else ""),
                     event.start_mark.line + 1, event.start_mark.column + 1) from None
    return event.value, tag


def key_text(value: Any) -> str:
    """A mapping key as a string, as sigs.k8s.io/yaml turns keys into JSON object keys."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)
