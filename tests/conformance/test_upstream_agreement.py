"""Conformance: our schemas against the upstream examples and against the upstream CRDs.

Runs when ``../shared/upstream`` exists (select with ``-m conformance``) and skips with a
message otherwise. Three claims:

1. every top-level upstream example, nulls stripped, gives no schema finding through the whole
   validator (except one Argo CD documentation example that really carries fields no Argo CD
   type has; its exact findings are pinned);
2. the invalid examples ``model_invalid1`` and ``bad_no_graph`` give schema errors;
3. on generated mutants of every example, our schema's verdict (valid or not) equals the verdict
   of a strict schema derived from the upstream CRD by :mod:`validate.crd`, outside a short,
   explained list of places where we are deliberately stricter.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import UPSTREAM, copy_fixture, validate_tree
from validate.schema import SchemaStore

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(not UPSTREAM.is_dir(), reason=f"upstream reference data not found at {UPSTREAM}:"
                       " the conformance suite needs ../shared/upstream"),
]

CRDS = {
    ("machinelearning.seldon.io", "SeldonDeployment"): "seldondeployments.machinelearning.seldon.io.v1.18.2.full.yaml",
    ("argoproj.io", "Application"): "argocd-application-crd.v3.5.1.yaml",
    ("argoproj.io", "AppProject"): "argocd-appproject-crd.v3.5.1.yaml",
    ("argoproj.io", "ApplicationSet"): "argocd-applicationset-crd.v3.5.1.yaml",
}
# The upstream operator-manual ApplicationSet is a field catalogue, not a working manifest: it
# uses fields no Argo CD type has (source.revision, helm.useCredentials, source.parameters,
# scmProvider.github.values, plugin/clusterDecisionResource fields one level too high) and a
# matrix without generators. The API server prunes unknown fields silently; a strict schema
# derived from the v3.5.1 CRD names the same 11 problems ours does.
KNOWN_INVALID = {
    "docs--operator-manual--applicationset.yaml": 11,
}
# Where our schemas are deliberately stricter than the CRDs, each with the reason.
STRICTER = [
    (re.compile(r"^spec\.predictors\[\d+\]\.(graph(\.children\[\d+\])*\.)?logger\.mode$"),
     "the webhook requires logger.mode"),
    (re.compile(r"^spec\.(protocol|transport|serverType)$"), "the webhook checks these enums"),
    (re.compile(r"^spec\.predictors$"), "the webhook requires at least one predictor"),
    (re.compile(r"\.graph(\.children\[\d+\])*\.children\[\d+\]"),
     "OpenAPI cannot express the recursive graph: the CRD leaves children free-form, ours checks each node"),
]


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_nulls(v) for v in value if v is not None]
    return value


def _examples() -> list[Path]:
    if not UPSTREAM.is_dir():
        return []
    return sorted([*(UPSTREAM / "seldon-examples").glob("*.yaml"), *(UPSTREAM / "argocd-examples").glob("*.yaml")])


def _objects(path: Path) -> list[dict[str, Any]]:
    return [_strip_nulls(d) for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]


def _key(data: dict[str, Any]) -> tuple[str, str]:
    return str(data.get("apiVersion", "")).rpartition("/")[0], str(data.get("kind", ""))


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.name)
def test_upstream_example_has_no_schema_finding(path: Path, tmp_path: Path) -> None:
    target = tmp_path / "example" / path.name
    target.parent.mkdir()
    target.write_text(yaml.safe_dump_all(_objects(path), sort_keys=False))
    result = validate_tree(copy_fixture(target.parent, tmp_path))
    schema = [f for f in result.findings if f.rule.startswith("schema")]
    assert len(schema) == KNOWN_INVALID.get(path.name, 0), [f"{f.line}: {f.rule} {f.message}" for f in schema]


@pytest.mark.parametrize("name", ["notebooks--resources--model_invalid1.yaml", "testing--resources--bad_no_graph.yaml"])
def test_invalid_upstream_examples_give_schema_errors(name: str, tmp_path: Path) -> None:
    path = UPSTREAM / "seldon-examples" / "invalid" / name
    if not path.exists():
        pytest.skip(f"{name} is not in this copy of the upstream data")
    result = validate_tree(copy_fixture(path, tmp_path))
    assert any(f.rule.startswith("schema") and str(f.severity) == "error" for f in result.findings)


# --- mutants -----------------------------------------------------------------------------------

def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield prefix, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, prefix + (index,))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _mutants(data: dict[str, Any], rng: random.Random, count: int) -> Iterator[tuple[str, tuple[Any, ...], Any]]:
    nodes = [(p, v) for p, v in _paths(data) if len(p) > 1 and p[0] == "spec"]
    for _ in range(count):
        path, value = rng.choice(nodes)
        mutant = copy.deepcopy(data)
        if isinstance(value, dict):
            operation = rng.choice(["unknown-field", "to-list"])
            if operation == "unknown-field":
                _set(mutant, path + ("zzUnknownField",), "x")
            else:
                _set(mutant, path, [1])
        elif isinstance(value, bool):
            operation = "bool-to-string"
            _set(mutant, path, "maybe")
        elif isinstance(value, int):
            operation = "int-to-word"
            _set(mutant, path, "many")
        elif isinstance(value, str):
            operation = "string-to-object"
            _set(mutant, path, {"zz": 1})
        elif isinstance(value, list):
            operation = "list-to-string"
            _set(mutant, path, "x")
        else:
            continue
        yield operation, path, mutant


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


@pytest.fixture(scope="module")
def stores() -> tuple[SchemaStore, SchemaStore]:
    crds = []
    for file in CRDS.values():
        crds += [d for d in yaml.safe_load_all((UPSTREAM / "crds" / file).read_text()) if isinstance(d, dict)]
    return SchemaStore(["1.37"]), SchemaStore(["1.37"], crds=crds)


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.name)
def test_mutant_verdicts_agree_with_the_upstream_crds(path: Path, stores: tuple[SchemaStore, SchemaStore]) -> None:
    ours, theirs = stores
    rng = random.Random(path.name)
    disagreements = []
    checked = 0
    for data in _objects(path):
        if _key(data) not in CRDS:
            continue
        for operation, where, mutant in _mutants(data, rng, 25):
            dotted = _dotted(where)
            if any(pattern.search(dotted) for pattern, _ in STRICTER):
                continue
            checked += 1
            our_verdict = bool(ours.check(mutant).issues)
            their_verdict = bool(theirs.check(mutant).issues)
            if our_verdict != their_verdict:
                disagreements.append(f"{operation} at {dotted}: ours {'rejects' if our_verdict else 'accepts'},"
                                     f" the CRD {'rejects' if their_verdict else 'accepts'}")
    assert not disagreements, "\n".join(disagreements)
    if any(_key(d) in CRDS for d in _objects(path)):
        assert checked > 0
