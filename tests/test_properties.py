"""Property-based tests: whatever the input, the loader, the schema stage and the rules return
findings, never raise.

Reproducible: derandomized, no example database, no deadline; sized to run in well under a
minute on two cores.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from validate import rules
from validate.discover import Inventory
from validate.load import Limits, LoadedFile, load_bytes, load_file, load_text
from validate.model import Checked, Config, Document, Finding
from validate.schema import SchemaStore

REPO = Path(__file__).resolve().parents[1]
PROFILE = dict(deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- strategies ---------------------------------------------------------------------------------

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70),
                    st.floats(allow_nan=False, allow_infinity=True), text)
json_values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                            st.dictionaries(text, inner, max_size=5)),
                           max_leaves=30)


@st.composite
def yaml_documents(draw: st.DrawFn) -> tuple[Any, str]:
    data = draw(st.dictionaries(text, json_values, max_size=6))
    return data, yaml.safe_dump(data, sort_keys=False, allow_unicode=draw(st.booleans()))


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    _, dumped = draw(yaml_documents())
    raw = bytearray(dumped.encode("utf-8"))
    for _ in range(draw(st.integers(1, 8))):
        operation = draw(st.sampled_from(["flip", "delete", "insert"]))
        position = draw(st.integers(0, len(raw)))
        if operation == "insert" or not raw:
            raw[position:position] = draw(st.binary(min_size=1, max_size=4)
                                          | st.sampled_from([b"&a ", b"*a", b"<<: ", b"!!int ", b"\t", b"- ", b"{",
                                                             b"[", b"? ", b"---\n", b"\0", b"\xff", b":", b"'", b'"']))
        elif operation == "delete":
            del raw[min(position, len(raw) - 1)]
        else:
            raw[min(position, len(raw) - 1)] ^= 1 << draw(st.integers(0, 7))
    return bytes(raw)


def _assert_loaded(loaded: LoadedFile, rel: str) -> None:
    assert isinstance(loaded, LoadedFile)
    for finding in loaded.findings:
        assert isinstance(finding, Finding) and finding.rule.startswith("load-") and finding.file == rel
        assert "\n" not in finding.message, finding.message
        assert finding.line is None or finding.line >= 1
    for document in loaded.documents:
        assert isinstance(document, Document) and document.line >= 1


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


# --- the loader -----------------------------------------------------------------------------------

@settings(max_examples=1000, **PROFILE)
@given(st.text(max_size=300))
def test_load_text_never_raises(source: str) -> None:
    _assert_loaded(load_text(source, "f.yaml"), "f.yaml")


@settings(max_examples=1000, **PROFILE)
@given(st.binary(max_size=300))
def test_load_bytes_never_raises(raw: bytes) -> None:
    _assert_loaded(load_bytes(raw, "f.yaml"), "f.yaml")


@settings(max_examples=300, **PROFILE)
@given(yaml_documents())
def test_dumped_yaml_loads_back_unchanged_with_positions(document: tuple[Any, str]) -> None:
    data, dumped = document
    loaded = load_text(dumped, "f.yaml")
    assert loaded.findings == []
    # The reference is PyYAML's own reading of the dump (its emitter folds a few line-break
    # characters, so the dump is not always the data): same values, and a position for every key.
    assert len(loaded.documents) == 1 and _same(loaded.documents[0].data, yaml.safe_load(dumped))
    for key in loaded.documents[0].data:  # the keys as read (a dumped NEL may fold into a space)
        assert loaded.documents[0].position((key,)) is not None


@settings(max_examples=1000, **PROFILE)
@given(mutated_bytes())
def test_mutated_yaml_never_raises(raw: bytes) -> None:
    _assert_loaded(load_bytes(raw, "f.yaml", Limits(max_depth=20, max_nodes_per_document=10_000)), "f.yaml")


@settings(max_examples=200, **PROFILE)
@given(st.lists(st.sampled_from(["a: &a [1, 2]", "b: [*a, *a]", "<<: *a", "c: *b", "d: &d {x: *a}", "<<: *d",
                                 "e: !!int x", "f: !!float ''", "? [a]\n: b", "g: *zz", "---", "- 1", "h: {",
                                 "i: 0x", "j: 1:2:3", "k: .nan", "l: !!binary AAAA", "m: !!timestamp 2020-01-01"]),
                max_size=8))
def test_alias_merge_and_tag_soup_never_raises(lines: list[str]) -> None:
    _assert_loaded(load_text("\n".join(lines) + "\n", "f.yaml"), "f.yaml")


# --- the schema stage --------------------------------------------------------------------------------

KINDS = [("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("machinelearning.seldon.io/v1", "SeldonDeployment"),
         ("argoproj.io/v1alpha1", "Application")]
_STORE = SchemaStore(["1.37"])


@st.composite
def shaped_objects(draw: st.DrawFn) -> dict[str, Any]:
    api_version, kind = draw(st.sampled_from(KINDS))
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    obj["metadata"] = draw(st.one_of(json_values, st.fixed_dictionaries(
        {"name": text}, optional={"namespace": text, "labels": json_values, "annotations": json_values})))
    for name in draw(st.lists(st.sampled_from(["spec", "data", "status", "template", "x"]), max_size=3)):
        obj[name] = draw(json_values)
    return obj


@settings(max_examples=300, **PROFILE)
@given(shaped_objects())
def test_schema_check_never_raises(obj: dict[str, Any]) -> None:
    verdict = _STORE.check(obj)
    for issue, versions in verdict.issues:
        assert issue.rule.startswith("schema-") and versions == ("1.37",)


# --- the rules ---------------------------------------------------------------------------------------

def _seed_manifests() -> list[dict[str, Any]]:
    """One real object of each kind this repository holds: realistic shapes to mutate."""
    by_kind: dict[str, dict[str, Any]] = {}
    for folder in ("apps", "argocd", "base"):
        for path in sorted((REPO / folder).rglob("*.yaml")):
            for document in load_file(path, path.name).documents:
                data = document.data
                if isinstance(data, dict) and isinstance(data.get("kind"), str) and "apiVersion" in data:
                    by_kind.setdefault(data["kind"], data)
    return [by_kind[kind] for kind in sorted(by_kind)]


SEEDS = _seed_manifests()


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, prefix + (index,))
    return found


@st.composite
def mutated_manifests(draw: st.DrawFn) -> dict[str, Any]:
    obj = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(obj) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = obj
        for part in path[:-1]:
            parent = parent[part]
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(st.one_of(json_values, st.sampled_from(
                ["", "-1", "0", "1Gi", "x:latest", "a" * 300, "*", "../..", "/", "{{.path}}", "HEAD"])))
    return obj


def _context(objects: list[dict[str, Any]], root: Path) -> rules.Context:
    documents = [Document("m.yaml", index, data, 1 + 10 * index, 1) for index, data in enumerate(objects)]
    loaded = {"m.yaml": LoadedFile("m.yaml", documents, [], yaml.safe_dump_all(objects))}
    inventory = Inventory(root, ["m.yaml"], {}, [], [], {}, ["m.yaml"], [], files=["m.yaml"], directories=[])
    checked = [Checked(document.data, "m.yaml", document.line, None, document=document) for document in documents]
    return rules.Context(Config(root=root, repo_url="https://github.com/example/repo.git"), inventory, loaded,
                         checked, [], ["1.25", "1.37"])


def _run_every_rule(ctx: rules.Context) -> None:
    for rule_id, module in rules.registry().items():
        check = getattr(module, "check", None)
        if check is not None:
            for obj in ctx.objects:
                if rules.applies(module, obj.data):
                    for violation in check(obj, ctx):
                        assert isinstance(violation, rules.Violation), rule_id
                        assert isinstance(violation.message, str) and violation.message, rule_id
        check_repository = getattr(module, "check_repository", None)
        if check_repository is not None:
            for violation in check_repository(ctx):
                assert isinstance(violation, rules.Violation), rule_id


@settings(max_examples=1000, **PROFILE)
@given(st.lists(mutated_manifests(), min_size=1, max_size=3))
def test_rules_never_raise_on_mutated_manifests(objects: list[dict[str, Any]]) -> None:
    _run_every_rule(_context(objects, REPO))


@settings(max_examples=500, **PROFILE)
@given(st.lists(shaped_objects(), min_size=1, max_size=3))
def test_rules_never_raise_on_arbitrary_objects(objects: list[dict[str, Any]]) -> None:
    _run_every_rule(_context(objects, REPO))


def test_there_are_seeds_and_rules() -> None:
    assert len(SEEDS) >= 5 and len(rules.registry()) >= 10


# --- Argo CD directory patterns: the regular-expression fast path agrees with the automaton ------

glob_patterns = st.lists(st.sampled_from(["a", "b", "/", "*", "?", "**", "."]), max_size=8).map("".join)
glob_texts = st.lists(st.sampled_from(["a", "b", "/", ".", "\n"]), max_size=10).map("".join)


@settings(max_examples=500, **PROFILE)
@given(glob_patterns, glob_texts)
def test_directory_pattern_fast_path_matches_the_automaton(pattern: str, text: str) -> None:
    from validate.argocd.sources import GlobPattern

    compiled = GlobPattern(pattern)
    automaton = GlobPattern(pattern)
    automaton._regex = None
    assert compiled.match(text) == automaton.match(text), (pattern, text)


def test_directory_pattern_fast_path_is_taken_only_where_it_cannot_backtrack() -> None:
    from validate.argocd.sources import GlobPattern

    assert GlobPattern("overlays/*/*")._regex is not None
    assert GlobPattern("overlays/*/*").match("overlays/dev/app")
    assert GlobPattern("overlays/*/*").match("overlays/dev/app/x") is None
    assert GlobPattern("apps/*a*b")._regex is None  # two stars in one segment: the automaton
    assert GlobPattern("apps/**")._regex is None
