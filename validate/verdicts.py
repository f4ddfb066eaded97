"""What the schema stage says about an object beyond its schema, as the real tools read it.

* nulls are pruned before validation, as the API server prunes them;
* a kind without a schema gets its lifecycle (removed since, not served yet), an error for a
  Kubernetes group, or the ``--missing-schemas`` policy for a custom group;
* a stand-alone document of a kind no schema and no lifecycle knows, written without
  ``metadata``, is a tool's configuration in the Kubernetes style (flux-schema's ``Config``, a
  kubeconfig, a test runner's suite), not an object: every object an API server stores has a name.
"""

from __future__ import annotations

import json
from typing import Any

from validate import classify, schema
from validate.model import Checked, Severity


def prune_nulls(value: Any, shared: bool = True, text: str | None = None) -> Any:
    """``value`` without the ``null`` fields of its mappings, as the API server drops them before
    validating: a built-in type decodes null as "unset", and a custom resource's null fields are
    pruned unless the schema says ``nullable``. Nulls inside lists are kept: the schema judges them.

    Most objects have no null at all: the JSON encoder (in C) tells that in a fraction of the
    time the walk below takes, and the object then comes back as it is, as the walk would return it.
    Only for data known to share no subtree (``shared`` false: no YAML alias in its document): the
    encoder writes a shared subtree once per reference, which an alias-heavy document multiplies.
    ``text``: what :func:`encoded` made of ``value``, when the caller has it already."""
    if not shared:
        text = text if text is not None else encoded(value)
        if text is not None and "null" not in text:
            return value
    return _pruned(value, {})


def encoded(value: Any) -> str | None:
    """``value`` as JSON text (the encoder's default separators), None when it has no JSON form
    (dates, binary) or is too deep. Only for data that shares no subtree (see :func:`prune_nulls`)."""
    try:
        return json.dumps(value, check_circular=False)
    except (TypeError, ValueError, RecursionError):
        return None


def _pruned(value: Any, seen: dict[int, Any]) -> Any:
    """Subtrees without a null come back as they are (no copy), and a subtree shared through YAML
    aliases is visited once: the loader's expansion bound must keep holding here."""
    if not isinstance(value, (dict, list)):
        return value
    key = id(value)
    if key in seen:
        return seen[key]
    if isinstance(value, dict):
        items = {name: _pruned(item, seen) for name, item in value.items() if item is not None}
        same = len(items) == len(value) and all(items[name] is value[name] for name in items)
    else:
        elements = [_pruned(item, seen) for item in value]
        same = all(new is old for new, old in zip(elements, value))
    result = value if same else (items if isinstance(value, dict) else elements)
    seen[key] = result
    return result


def tool_config(candidate: Checked, missing: tuple[str, ...], versions: list[str]) -> bool:
    """Whether a stand-alone document without a schema on any version is a tool's configuration:
    it has no ``metadata`` (so no name: kustomize, kubectl and the API server all refuse such an
    object), and neither the lifecycle table nor the schema data knows its kind at all."""
    data = candidate.data
    standalone = candidate.rendered is None and candidate.locate is None
    if not standalone or "metadata" in data or len(missing) < len(versions):
        return False
    api_version, kind = str(data.get("apiVersion", "")), str(data.get("kind", ""))
    group, _, version = api_version.rpartition("/")
    return api_lifecycle(api_version, kind) is None and not schema.served_versions((group, version, kind))


def tool_config_message(kind: str, api_version: str) -> str:
    return (f"{kind} {api_version} has no schema and no metadata: a tool's configuration written like a Kubernetes"
            " object, not one an API server receives: not checked")


def missing_schema(api_version: str, kind: str, missing: tuple[str, ...], versions: list[str],
                   policy: str) -> list[tuple[str, str, Severity]]:
    """Findings (rule, message, severity) for a kind without a schema on some versions of the matrix.

    * a version the API lifecycle table knows to be removed (``extensions/v1beta1 Deployment``):
      nothing here, api-removed says since when and what replaces it;
    * a Kubernetes group whose kind the schema data has on other versions: its lifecycle, as
      api-removed ("no longer served since 1.32, use admissionregistration.k8s.io/v1") for versions
      after it was last served, and schema-unknown-kind ("first served in 1.26") for versions before;
    * a Kubernetes group without the kind anywhere: misspelt or nonexistent, always an error;
    * a group close to a Kubernetes group (``app/v1``): a typo, always an error;
    * a custom group (``argoproj.io``): its CRD is not in the repository; ``--missing-schemas``
      (or ``missingSchemas``) decides between error, warning and nothing.
    """
    on = "" if len(missing) == len(versions) else f" on Kubernetes {', '.join(missing)}"
    lifecycle = api_lifecycle(api_version, kind)
    removed = _minor(lifecycle[1]) if lifecycle and lifecycle[1] else None
    if removed is not None and all((_minor(v) or (0, 0)) >= removed for v in missing):
        return []  # api-removed says since when and what replaces it
    group, _, version = api_version.rpartition("/")
    if classify.is_builtin_group(group):
        served = schema.served_versions((group, version, kind))
        if not served:
            return [("schema-unknown-kind", f"no schema for {kind} {api_version}{on}: Kubernetes does not serve that"
                     " kind in that API version; check kind and apiVersion against `kubectl api-resources`",
                     Severity.ERROR)]
        first, last = _minor(served[0]) or (0, 0), _minor(served[-1]) or (0, 0)
        after = [v for v in missing if (_minor(v) or (0, 0)) > last]
        before = [v for v in missing if (_minor(v) or (0, 0)) < first]
        found = []
        if after and removed is None:
            shipped = schema.available_versions()
            gone = shipped[shipped.index(served[-1]) + 1] if served[-1] != shipped[-1] else after[0]
            found.append(("api-removed", f"{api_version} {kind} is no longer served since Kubernetes {gone} (the"
                          f" schema data has it from {served[0]} to {served[-1]}): use"
                          f" {_replacement(group, kind, versions[-1], version)}", Severity.ERROR))
        if before:
            found.append(("schema-unknown-kind", f"{api_version} {kind} is not served yet on Kubernetes"
                          f" {', '.join(before)}: the schema data has it from {served[0]}; raise the oldest version of"
                          " the matrix or use an API version it serves", Severity.ERROR))
        return found
    near = classify.misspelt_builtin_group(api_version)
    if near is not None:  # `app/v1`: a typo of a Kubernetes group, not a custom resource without its CRD
        return [("schema-unknown-kind", f"no schema for {kind} {api_version}{on}: no API server serves the group"
                 f" {group!r}, which is close to the Kubernetes group {near!r}", Severity.ERROR)]
    if policy == "skip":
        return []
    return [("schema-unknown-kind", f"no schema for {kind} {api_version}{on}: add its CRD, pass --crd or"
             " --schema-dir, or list it under skipKinds in .gitops-validate.yaml",
             Severity.ERROR if policy == "error" else Severity.WARNING)]


def _replacement(group: str, kind: str, newest: str, old_version: str) -> str:
    """The API versions of the same kind that the newest Kubernetes of the matrix serves."""
    others = sorted({v for g, v, k in schema.served_gvks(newest) if g == group and k == kind and v != old_version})
    if not others:
        return f"another API for {kind} (Kubernetes {newest} serves none in {group or 'the core group'})"
    return " or ".join(f"{group}/{v}" if group else v for v in others)


def _minor(text: str) -> tuple[int, int] | None:
    parts = text.lstrip("v").split(".")
    return (int(parts[0]), int(parts[1])) if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() else None


def api_lifecycle(api_version: str, kind: str) -> tuple[str, str | None, str] | None:
    from validate.lifecycle import lookup

    return lookup(api_version.strip(), kind)
