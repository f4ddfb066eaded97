"""Workload selectors must match their Pod template's labels.

What it does:
    Reports a Deployment, StatefulSet, DaemonSet, ReplicaSet or ReplicationController, and a
    Job with ``manualSelector: true``, whose ``spec.selector`` (``matchLabels`` and
    ``matchExpressions``) does not select the labels of its own ``spec.template``.

Why it matters:
    The API server rejects such a workload ("selector does not match template labels"), and a
    selector can never be changed afterwards: fixing it later means deleting the workload.

Example:
    ```yaml
    spec:
      selector:
        matchLabels:
          app: iris
      template:
        metadata:
          labels:
            app: iris-model
    ```

Use instead:
    ```yaml
    spec:
      selector:
        matchLabels:
          app: iris
      template:
        metadata:
          labels:
            app: iris
    ```
    Make the template carry every label the selector requires.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "api-selector-match"
DEFAULT = "error"
KINDS = {("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"),
         ("extensions", "Deployment"), ("extensions", "DaemonSet"), ("extensions", "ReplicaSet"),
         ("", "ReplicationController"), ("batch", "Job")}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return
    if obj.data.get("kind") == "Job" and spec.get("manualSelector") is not True:
        return
    template = spec.get("template")
    metadata = template.get("metadata") if isinstance(template, dict) else None
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    labels = {str(k): v for k, v in labels.items()} if isinstance(labels, dict) else {}
    selector = spec.get("selector")
    if obj.data.get("kind") == "ReplicationController":
        if isinstance(selector, dict) and selector and all(isinstance(v, str) for v in selector.values()):
            selector = {"matchLabels": selector}
        else:
            return
    if not isinstance(selector, dict):
        return
    for problem, path in _mismatches(selector, labels):
        yield Violation(f"the selector does not match the Pod template's labels: {problem}",
                        ("spec", "selector") + path)


def _mismatches(selector: dict[str, Any], labels: dict[str, Any]) -> Iterator[tuple[str, tuple[str | int, ...]]]:
    match_labels = selector.get("matchLabels")
    for key, value in (match_labels.items() if isinstance(match_labels, dict) else []):
        if str(key) not in labels:
            yield f"the template has no label {key}", ("matchLabels", key)
        elif str(labels[str(key)]) != str(value):
            yield (f"label {key} is {labels[str(key)]!r} in the template, {value!r} in the selector",
                   ("matchLabels", key))
    expressions = selector.get("matchExpressions")
    for index, expression in enumerate(expressions if isinstance(expressions, list) else []):
        if not isinstance(expression, dict) or not isinstance(expression.get("key"), str):
            continue
        key, operator = expression["key"], expression.get("operator")
        raw = expression.get("values")
        values = [str(v) for v in raw] if isinstance(raw, list) else []
        actual = labels.get(key)
        ok = {"In": actual is not None and str(actual) in values,
              "NotIn": actual is None or str(actual) not in values,
              "Exists": actual is not None,
              "DoesNotExist": actual is None}.get(str(operator), True)
        if not ok:
            found = f"the template's value {actual!r}" if actual is not None else f"a template without label {key}"
            shown = f" {values}" if operator in ("In", "NotIn") else ""
            yield f"{key} {operator}{shown} fails for {found}", ("matchExpressions", index)
