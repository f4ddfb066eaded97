"""Stages after the loader visit a subtree shared through YAML aliases once (issue 13).

The loader bounds what a document expands to (``limits.maxNodesPerDocument``), but it keeps
aliased subtrees shared, as PyYAML does: ``b: &b [*a, *a, ...]`` holds the same list object ten
times. A stage that walks the data as if it were expanded pays for every expansion: 2,000
documents of 111,110 expanded nodes each (each just under the bound, 28 distinct containers)
cost minutes of CPU in the schema stage's memory-quantity check. These tests count the
containers a stage really opens, which no machine load changes.
"""

from __future__ import annotations

from typing import Any

from validate.load import load_text
from validate.schema import implausible_quantities
from validate.verdicts import prune_nulls


class Counter:
    opened = 0


class CountingDict(dict):  # type: ignore[type-arg]
    def items(self):  # type: ignore[no-untyped-def]
        Counter.opened += 1
        return super().items()


class CountingList(list):  # type: ignore[type-arg]
    def __iter__(self):  # type: ignore[no-untyped-def]
        Counter.opened += 1
        return super().__iter__()


def counting(value: Any, made: dict[int, Any] | None = None) -> Any:
    """``value`` rebuilt from counting containers, keeping its sharing (one copy per shared node)."""
    made = {} if made is None else made
    if id(value) in made:
        return made[id(value)]
    if isinstance(value, dict):
        copy: Any = CountingDict()
        made[id(value)] = copy
        for key, item in value.items():
            copy[key] = counting(item, made)
    elif isinstance(value, list):
        copy = CountingList()
        made[id(value)] = copy
        copy.extend(counting(item, made) for item in value)
    else:
        return value
    return copy


def containers(value: Any, seen: set[int] | None = None) -> int:
    """Distinct containers of ``value`` (each shared one counted once)."""
    seen = set() if seen is None else seen
    if not isinstance(value, (dict, list)) or id(value) in seen:
        return 0
    seen.add(id(value))
    items = value.values() if isinstance(value, dict) else value
    return 1 + sum(containers(item, seen) for item in items)


def expanded(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + sum(expanded(item) for item in value.values())
    if isinstance(value, list):
        return 1 + sum(expanded(item) for item in value)
    return 0


def heavy_document(levels: int = 4) -> Any:
    """A Widget whose spec shares each level ten times in the next, as the hostile corpus's
    alias-heavy-documents case does; its own line of resources shares one mapping twice."""
    lines = ["apiVersion: example.com/v1", "kind: Widget", "metadata: {name: w, namespace: apps}", "spec:",
             "  a: &a [{memory: x}, {memory: y}]"]
    for level in range(1, levels + 1):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    lines += ["  resources:", "    limits: &small {memory: 500m}", "    requests: *small"]
    loaded = load_text("\n".join(lines) + "\n", "widget.yaml")
    assert loaded.ok, loaded.findings
    return loaded.documents[0].data


def test_the_document_is_shared_not_expanded() -> None:
    data = heavy_document()
    assert containers(data) < 20 < 20_000 < expanded(data)


def test_the_memory_quantity_check_opens_each_shared_container_once() -> None:
    data = counting(heavy_document())
    Counter.opened = 0
    found = list(implausible_quantities(data))
    # each container once, the mapping shared by limits and requests once (it is the same mapping)
    assert Counter.opened == containers(data)
    assert [(issue.rule, issue.path) for issue in found] == [
        ("schema-quantity", ("spec", "resources", "limits", "memory"))]


def test_the_memory_quantity_check_still_finds_the_quantity_under_every_unshared_parent() -> None:
    data = {"spec": {"containers": [{"resources": {"limits": {"memory": "1"}, "requests": {"memory": "2"}}},
                                    {"resources": {"limits": {"memory": "1Gi"}}, "memory": "3"}]}}
    assert [issue.path for issue in implausible_quantities(data)] == [
        ("spec", "containers", 0, "resources", "limits", "memory"),
        ("spec", "containers", 0, "resources", "requests", "memory")]


def test_a_mapping_shared_in_and_out_of_resources_is_judged_where_it_means_a_quantity() -> None:
    """The same mapping is a quantity holder under ``limits`` and plain data elsewhere: visited once
    per meaning, so the finding does not depend on which occurrence comes first."""
    loaded = load_text("spec:\n  note: &m {memory: 500m}\n  resources:\n    limits: *m\n", "w.yaml")
    assert [issue.path for issue in implausible_quantities(loaded.documents[0].data)] == [
        ("spec", "resources", "limits", "memory")]


def test_null_pruning_opens_each_shared_container_a_bounded_number_of_times() -> None:
    data = counting(heavy_document())
    Counter.opened = 0
    pruned = prune_nulls(data)
    # once to prune, once more to compare a list with its pruned elements: never once per expansion
    assert containers(data) <= Counter.opened <= 2 * containers(data)
    assert pruned is data  # nothing to prune: no copy


def test_null_pruning_keeps_the_sharing_of_what_it_copies() -> None:
    loaded = load_text("spec:\n  a: &a {x: 1, gone: null}\n  b: [*a, *a, *a]\n", "w.yaml")
    pruned = prune_nulls(loaded.documents[0].data)
    assert pruned["spec"]["a"] == {"x": 1}
    assert all(item is pruned["spec"]["a"] for item in pruned["spec"]["b"])


def test_the_loader_says_which_documents_share_subtrees() -> None:
    """Null pruning's fast path (the JSON encoder, which writes a shared subtree once per reference)
    is taken only for documents the loader marks as written without aliases."""
    loaded = load_text("a: &a {x: 1}\nb: *a\n---\na: {x: 1}\nb: {x: 1}\n", "w.yaml")
    assert [document.shared for document in loaded.documents] == [True, False]


def test_null_pruning_of_a_document_without_aliases_returns_it_unchanged() -> None:
    data = load_text("spec:\n  a: {x: 1}\n  b: [1, 2]\n", "w.yaml").documents[0].data
    assert prune_nulls(data, shared=False) is data
    assert prune_nulls({"spec": {"a": None, "b": 1}}, shared=False) == {"spec": {"b": 1}}


def seldon_graph(levels: int = 4) -> Any:
    """A predictor whose graph shares each level ten times in the next (10**levels leaves expanded)."""
    def node(level: int) -> str:
        if level == 0:
            return "&g0 {name: m0, type: MODEL, implementation: SKLEARN_SERVER, modelUri: 'gs://b/m'}"
        return (f"&g{level} {{name: m{level}, type: COMBINER, children: [{node(level - 1)}"
                + f", *g{level - 1}" * 9 + "]}")
    text = ("apiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nmetadata: {name: sd}\n"
            f"spec:\n  predictors:\n  - name: p\n    graph: {node(levels)}\n")
    loaded = load_text(text, "sd.yaml")
    assert loaded.ok, loaded.findings
    return loaded.documents[0].data


def test_the_seldon_rules_walk_a_shared_graph_node_once() -> None:
    """Every Seldon graph rule walks the graph through iter_units: each node once, at its anchor."""
    from validate.rules._podspec import iter_units

    predictor = seldon_graph()["spec"]["predictors"][0]
    assert expanded(predictor["graph"]) > 10_000
    units = list(iter_units(predictor, 0))
    assert [unit["name"] for _, unit in units] == ["m4", "m3", "m2", "m1", "m0"]
    assert units[-1][0] == ("spec", "predictors", 0, "graph", *("children", 0) * 4)


def test_a_shared_graph_node_is_a_name_used_twice_once_per_alias() -> None:
    """graph-names-unique sees each later occurrence (not its subtree): 9 aliases on each of the 4
    levels walked, not the 11,105 repeated names of the expanded graph."""
    from validate.rules._podspec import iter_units

    predictor = seldon_graph()["spec"]["predictors"][0]
    units = list(iter_units(predictor, 0, repeats=True))
    assert len(units) == 5 + 4 * 9
    assert ("spec", "predictors", 0, "graph", "children", 1) in [path for path, _ in units]
