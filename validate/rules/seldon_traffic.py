"""Traffic splits between predictors add up to 100.

What it does:
    Applies the Seldon Core v1 webhook's traffic checks (``checkTraffic`` and
    ``validateShadow`` in ``operator/apis/machinelearning.seldon.io/v1/seldondeployment_webhook.go``)
    when any predictor sets ``traffic``: the non-shadow predictors' traffic must sum to 100
    when there are several; a single predictor's traffic, when set, must be 100; at most one
    predictor may be a shadow, its traffic between 0 and 100, and a shadow cannot be the only
    predictor.

Why it matters:
    The webhook rejects the object, so the sync fails; and a split that does not sum to 100
    is usually a half-finished canary edit (the new weight raised, the old one not lowered).

Example:
    ```yaml
    predictors:
    - name: main
      traffic: 90
    - name: canary
      traffic: 20
    ```

Use instead:
    ```yaml
    predictors:
    - name: main
      traffic: 80
    - name: canary
      traffic: 20
    ```
    Make the non-shadow predictors' `traffic` values add up to exactly 100.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, as_dict, as_list

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-traffic"
DEFAULT = "error"
KINDS = SELDON_KINDS


def _traffic(predictor: dict) -> int:
    value = predictor.get("traffic")
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _where(p: int, predictor: dict) -> tuple[str | int, ...]:
    field = "traffic" if "traffic" in predictor else "name" if "name" in predictor else None
    return ("spec", "predictors", p, field) if field else ("spec", "predictors", p)


def _through(obj: Checked) -> str:
    """Where else the weights may be set: the kustomization that renders the object, when it is not
    the folder of the file that declares it (an overlay that patches or replaces traffic)."""
    if obj.render is None or obj.file is None or PurePosixPath(obj.file).parent.as_posix() == obj.render:
        return ""
    return (f" here and in {obj.render}, which renders this object and may set traffic too; move traffic in one"
            " commit and drop a predictor in the next, from the base and every overlay together")


def _replaced_at(obj: Checked, ctx: Context, predictor: str) -> tuple[str, int] | None:
    """Where the kustomization that renders ``obj`` copies this predictor's traffic from, when one of
    its replacements targets ``spec.predictors.[name=<predictor>].traffic``: that value's file and line."""
    kustomization = ctx.inventory.kustomizations.get(obj.render or "")
    document = kustomization.document if kustomization else None
    data = document.data if document is not None else None
    wanted = f"spec.predictors.[name={predictor}].traffic"
    name = as_dict(obj.data.get("metadata")).get("name")
    for replacement in as_list(as_dict(data).get("replacements")):
        source = as_dict(as_dict(replacement).get("source"))
        for target in as_list(as_dict(replacement).get("targets")):
            select = as_dict(as_dict(target).get("select"))
            if select.get("kind") not in (None, "SeldonDeployment") or select.get("name") not in (None, name):
                continue
            if wanted in as_list(as_dict(target).get("fieldPaths")) and isinstance(source.get("fieldPath"), str):
                return _source_value(ctx, obj.render or "", source)
    return None


def _source_value(ctx: Context, directory: str, source: dict) -> tuple[str, int] | None:
    path = tuple(source["fieldPath"].split("."))
    prefix = "" if directory == "." else directory + "/"
    for rel, loaded in sorted(ctx.loaded.items()):
        if not rel.startswith(prefix) or "/" in rel[len(prefix):]:
            continue
        for document in loaded.documents:
            data = as_dict(document.data)
            if data.get("kind") == source.get("kind") and \
                    as_dict(data.get("metadata")).get("name") == source.get("name"):
                position = document.position(path)
                if position is not None:
                    return rel, position[0]
    return None


def _violation(obj: Checked, ctx: Context, message: str, p: int, predictor: dict) -> Violation:
    """At the predictor's traffic, or at the overlay value a replacement copies into it."""
    name = predictor.get("name")
    found = _replaced_at(obj, ctx, name) if isinstance(name, str) else None
    if found is not None:
        return Violation(f"{message}; {obj.render} copies this value into predictor {name!r} (a replacement), so"
                         f" change it together with {obj.file}: move traffic in one commit, drop a predictor in the"
                         " next, from the base and every overlay together", _where(p, predictor),
                         file=found[0], line=found[1])
    return Violation(message + _through(obj), _where(p, predictor))


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    all_predictors = as_list(as_dict(obj.data.get("spec")).get("predictors"))
    indexed = [(p, pr) for p, pr in enumerate(all_predictors) if isinstance(pr, dict)]
    shadows = [(p, pr) for p, pr in indexed if pr.get("shadow") is True]
    serving = [(p, pr) for p, pr in indexed if pr.get("shadow") is not True]
    for p, predictor in shadows[1:]:
        yield Violation(f"predictor {predictor.get('name')!r} is a second shadow: only one predictor may be a"
                        " shadow", ("spec", "predictors", p, "shadow"))
    for p, predictor in shadows:
        if not 0 <= _traffic(predictor) <= 100:
            yield Violation(f"shadow predictor {predictor.get('name')!r} has traffic {_traffic(predictor)}: use a"
                            " value between 0 and 100", _where(p, predictor))
    if len(all_predictors) == 1 and shadows:
        yield Violation("the only predictor is a shadow: add the predictor it shadows, or drop shadow: true",
                        ("spec", "predictors", 0, "shadow"))
    if not any("traffic" in pr for _, pr in indexed):
        return
    total = sum(_traffic(pr) for _, pr in serving)
    if len(serving) > 1 and total != 100:
        split = " + ".join(f"{pr.get('name')}={_traffic(pr)}" for _, pr in serving)
        for p, predictor in serving:
            yield _violation(obj, ctx, f"traffic over the non-shadow predictors sums to {total} ({split}), not 100,"
                             " and the operator's webhook rejects it: make the weights add up to 100",
                             p, predictor)
    elif len(all_predictors) == 1 and serving and 0 < total < 100:
        p, predictor = serving[0]
        yield _violation(obj, ctx, f"the only predictor has traffic {total}, and the operator's webhook rejects it:"
                         " set it to 100 or remove it", p, predictor)
