"""ObjectMeta and label selectors (k8s.io/apimachinery/pkg/api/validation, .../apis/meta/v1/validation).

Name syntax, labels and annotation keys are the ``api-object-name`` and ``api-labels`` rules'
business; this module checks the rest of ObjectMeta: a name or generateName, the generateName
syntax, the namespace name and the finalizers.
"""

from __future__ import annotations

from typing import Any

from validate.apivalidation import names
from validate.apivalidation.field import Errors, Path, as_dict, as_list, show

# Finalizers the API server knows without a domain (k8s.io/api/core/v1 and metav1).
STANDARD_FINALIZERS = {"kubernetes", "orphan", "foregroundDeletion"}
# Finalizers of custom resources that their controller's documentation tells every user to write
# exactly so: the API server warns that they have no "/", but the user cannot choose another name
# (the controller would not honour it), so the warning is noise. Deliberate: docs/apivalidation.md.
CONTROLLER_FINALIZERS = {
    "resources-finalizer.argocd.argoproj.io",  # Argo CD: cascade deletion of an Application, AppProject in use
    "pre-delete-finalizer.argocd.argoproj.io",  # Argo CD: PreDelete hooks
    "post-delete-finalizer.argocd.argoproj.io",  # Argo CD: PostDelete hooks
}
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


def object_meta(errors: Errors, obj: dict[str, Any], namespaced: bool | None, builtin: bool) -> None:
    """``namespaced`` None: the scope is unknown (a kind without schema), so the namespace is not judged."""
    meta = as_dict(obj.get("metadata"))
    path: Path = ("metadata",)
    name, generate = meta.get("name"), meta.get("generateName")
    if not name and not generate:
        errors.required(path + ("name",), "name or generateName is required")
    if isinstance(generate, str) and generate and not name:
        masked = generate[:-1] + "a" if generate.endswith("-") else generate
        if not names.dns1123_subdomain(masked) == []:
            errors.invalid_all(path + ("generateName",), generate, names.dns1123_subdomain(masked))
    namespace = meta.get("namespace")
    if namespaced and isinstance(namespace, str) and namespace:
        errors.invalid_all(path + ("namespace",), namespace, names.dns1123_label(namespace))
    finalizers(errors, meta.get("finalizers"), path + ("finalizers",), builtin)


def finalizers(errors: Errors, value: Any, path: Path, builtin: bool) -> None:
    for index, finalizer in enumerate(as_list(value)):
        if not isinstance(finalizer, str):
            continue
        problems = names.qualified_name(finalizer)
        if problems:
            errors.invalid_all(path + (index,), finalizer, problems)
            continue
        if "/" in finalizer or finalizer in STANDARD_FINALIZERS:
            continue
        if not builtin and finalizer in CONTROLLER_FINALIZERS:
            continue
        if builtin:
            errors.invalid(path + (index,), finalizer, "name is neither a standard finalizer name nor is it fully"
                           " qualified")
        else:
            qualified = "including a path (/) " if "." in finalizer else ""
            errors.warn(path + (index,), f"{show(finalizer)}: prefer a domain-qualified finalizer name {qualified}to"
                        " avoid accidental conflicts with other finalizer writers")


# the selectors whose matchLabels the api-labels rule checks (validate/rules/api_labels.py)
LABELS_RULE_SELECTORS = {("spec", "selector"), ("spec", "jobTemplate", "spec", "selector")}


def label_selector(errors: Errors, selector: Any, path: Path) -> None:
    """metav1validation.ValidateLabelSelector: matchLabels keys and values, operators, values per operator,
    key syntax. The matchLabels of ``spec.selector`` (and of a CronJob's Job) are left to the ``api-labels``
    rule, which checks them on every kind (one finding per bad label, not two)."""
    selector = as_dict(selector)
    if path not in LABELS_RULE_SELECTORS:
        labels(errors, selector.get("matchLabels"), path + ("matchLabels",))
    for index, expression in enumerate(as_list(selector.get("matchExpressions"))):
        expression = as_dict(expression)
        where = path + ("matchExpressions", index)
        operator = expression.get("operator")
        values = as_list(expression.get("values"))
        if operator in ("In", "NotIn"):
            if not values:
                errors.required(where + ("values",), "must be specified when `operator` is 'In' or 'NotIn'")
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                errors.forbidden(where + ("values",), "may not be specified when `operator` is 'Exists' or"
                                 " 'DoesNotExist'")
        elif isinstance(operator, str):
            errors.invalid(where + ("operator",), operator, "not a valid selector operator")
        key = expression.get("key")
        if isinstance(key, str):
            errors.invalid_all(where + ("key",), key, names.qualified_name(key))


def labels(errors: Errors, value: Any, path: Path) -> None:
    for key, label in as_dict(value).items():
        errors.invalid_all(path, key, names.qualified_name(str(key)))
        if isinstance(label, str):
            errors.invalid_all(path, label, names.label_value(label))
