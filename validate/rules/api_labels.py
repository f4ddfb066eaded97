"""Label and annotation keys and values must be valid.

What it does:
    Checks the labels and annotations of every object and of its Pod and Job templates, and
    label selectors (``matchLabels``, a Service's ``selector``): keys must be qualified names
    (an optional DNS subdomain prefix of at most 253 characters and ``/``, then at most 63
    letters, digits, ``-``, ``_`` and ``.``, starting and ending alphanumeric); label values at
    most 63 such characters or empty; all annotations of an object together at most 256 KiB.

Why it matters:
    The API server rejects the whole object for one bad label, when Argo CD syncs it. A long
    generated value (a git SHA with a prefix, a URL) is the usual culprit.

Example:
    ```yaml
    metadata:
      labels:
        app.kubernetes.io/version: "build 2024-05-01 #17"
    ```

Use instead:
    ```yaml
    metadata:
      labels:
        app.kubernetes.io/version: 2024-05-01-17
      annotations:
        example.com/build: "build 2024-05-01 #17"
    ```
    Keep label values short and plain, and move free text into an annotation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-labels"
DEFAULT = "error"

NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
PREFIX = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
ANNOTATIONS_LIMIT = 256 * 1024
TEMPLATES: list[tuple[str, ...]] = [(), ("spec", "template"), ("spec", "jobTemplate"),
                                    ("spec", "jobTemplate", "spec", "template")]


@lru_cache(maxsize=8192)  # the same few keys on every object
def key_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not PREFIX.match(prefix)):
        return f"prefix {prefix!r} is not a lowercase DNS subdomain of at most 253 characters"
    if not name or len(name) > 63 or not NAME.match(name):
        return (f"name {name!r} must be 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a"
                " letter or digit")
    return None


def value_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return None  # the schema stage reports non-strings
    return _string_value_problem(value)


@lru_cache(maxsize=8192)
def _string_value_problem(value: str) -> str | None:
    if value and (len(value) > 63 or not NAME.match(value)):
        return ("must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or"
                " digit, or empty")
    return None


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        data = data.get(part) if isinstance(data, dict) else None
    return data


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    appset = str(obj.data.get("apiVersion", "")).startswith("argoproj.io/")
    for base in TEMPLATES[:1] if appset else TEMPLATES:
        metadata = _at(obj.data, base + ("metadata",))
        if not isinstance(metadata, dict):
            continue
        yield from _labels(metadata.get("labels"), base + ("metadata", "labels"), "label")
        annotations = metadata.get("annotations")
        if isinstance(annotations, dict):
            total = 0
            for key, value in annotations.items():
                problem = key_problem(str(key).lower())
                if problem:
                    yield Violation(f"annotation key {key!r}: {problem}", base + ("metadata", "annotations", key))
                total += len(str(key)) + (len(value) if isinstance(value, str) else 0)
            if total > ANNOTATIONS_LIMIT:
                yield Violation(f"annotations total {total} bytes, more than the API server's limit of 256 KiB",
                                base + ("metadata", "annotations"))
    for path in (("spec", "selector", "matchLabels"), ("spec", "jobTemplate", "spec", "selector", "matchLabels")):
        yield from _labels(_at(obj.data, path), path, "selector label")
    if obj.data.get("kind") == "Service" and obj.data.get("apiVersion") == "v1":
        yield from _labels(_at(obj.data, ("spec", "selector")), ("spec", "selector"), "selector label")


def _labels(labels: Any, path: tuple[str, ...], what: str) -> Iterator[Violation]:
    if not isinstance(labels, dict):
        return
    for key, value in labels.items():
        if "{{" in str(key) or "{{" in str(value):
            continue  # a template's placeholder, resolved elsewhere
        problem = key_problem(str(key))
        if problem:
            yield Violation(f"{what} key {key!r}: {problem}", path + (key,))
        problem = value_problem(value)
        if problem:
            yield Violation(f"{what} {key} value {value!r} {problem}", path + (key,))
