"""Property tests of the loader and the kustomization reader (issue 13), over the invariants in
:mod:`tests.fuzzing.targets` that ``make fuzz`` also runs under atheris.

Bounded for ``make test``: derandomized, no example database, no deadline, 150
examples each (``GITOPS_VALIDATE_HYPOTHESIS_EXAMPLES`` raises the count for a longer run).
"""

from __future__ import annotations

import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzzing.targets import check_kustomization, check_loader

EXAMPLES = int(os.environ.get("GITOPS_VALIDATE_HYPOTHESIS_EXAMPLES", "150"))
PROFILE = dict(deadline=None, derandomize=True, database=None, max_examples=EXAMPLES,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

PATHS = st.sampled_from(["cm.yaml", "patch.yaml", "data.txt", "bomb.yaml", "sub", "../base", "../comp", ".", "..",
                         "../..", "../../etc/passwd", "/etc/passwd", "missing.yaml", "../app", "./sub/../cm.yaml",
                         "https://example.com/x", "git::https://h/r//p", "github.com/a/b", "x?ref=v1",
                         "key=data.txt", "a=../../x", "sub/", "//", "\0", "~", "$HOME", "*.yaml", "a" * 2000,
                         "cm.yaml\nfoo"]) | st.text(max_size=20)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), PATHS)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(["path", "name", "files", "envs",
                                                                                        "env", "target", "patch"]),
                                                                       inner, max_size=4)), max_leaves=20)
ENTRY = st.one_of(PATHS, st.fixed_dictionaries({}, optional={"path": PATHS, "patch": st.text(max_size=30),
                                                             "target": VALUES}))
GENERATOR = st.fixed_dictionaries({"name": st.text(max_size=8)}, optional={
    "files": st.lists(PATHS, max_size=4), "envs": st.lists(PATHS, max_size=3), "env": PATHS, "literals": VALUES})
HELM = st.fixed_dictionaries({}, optional={"name": PATHS, "valuesFile": PATHS,
                                           "additionalValuesFiles": st.lists(PATHS, max_size=3)})
FIELDS: dict[str, Any] = {
    "apiVersion": st.sampled_from(["kustomize.config.k8s.io/v1beta1", "kustomize.config.k8s.io/v1alpha1", "v1"]),
    "kind": st.sampled_from(["Kustomization", "Component", "Other"]) | st.integers(),
    "resources": st.lists(PATHS, max_size=5) | VALUES, "bases": st.lists(PATHS, max_size=3),
    "components": st.lists(PATHS, max_size=3), "patches": st.lists(ENTRY, max_size=3),
    "patchesStrategicMerge": st.lists(PATHS, max_size=3), "patchesJson6902": st.lists(ENTRY, max_size=3),
    "replacements": st.lists(ENTRY, max_size=2), "configMapGenerator": st.lists(GENERATOR, max_size=2) | VALUES,
    "secretGenerator": st.lists(GENERATOR, max_size=2), "crds": st.lists(PATHS, max_size=2),
    "configurations": st.lists(PATHS, max_size=2), "generators": st.lists(PATHS, max_size=2),
    "transformers": st.lists(PATHS, max_size=2), "validators": st.lists(PATHS, max_size=2),
    "openapi": st.fixed_dictionaries({}, optional={"path": PATHS}) | VALUES,
    "helmGlobals": st.fixed_dictionaries({}, optional={"chartHome": PATHS, "configHome": PATHS}),
    "helmCharts": st.lists(HELM, max_size=2), "namespace": st.text(max_size=8), "namePrefix": VALUES,
    "buildMetadata": VALUES,
}


@st.composite
def kustomizations(draw: st.DrawFn) -> bytes:
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=8, unique=True))
    data = {name: draw(FIELDS[name]) for name in names}
    text = yaml.safe_dump(data, sort_keys=False) if draw(st.booleans()) else yaml.safe_dump(data, default_flow_style=True)
    raw = bytearray(text.encode("utf-8"))
    for _ in range(draw(st.integers(0, 3))):  # sometimes a few bytes broken, as a hostile author would
        position = draw(st.integers(0, len(raw)))
        raw[position:position] = draw(st.sampled_from([b"&a ", b"*a", b"<<: ", b"\t", b"{", b"[", b"\0", b"\xff",
                                                       b"---\n", b"!!int ", b"? "]))
    return bytes(raw)


@settings(**PROFILE)
@given(kustomizations())
def test_the_kustomization_reader_holds_its_invariants(raw: bytes) -> None:
    check_kustomization(raw)


@settings(**PROFILE)
@given(st.binary(max_size=400))
def test_the_kustomization_reader_on_arbitrary_bytes(raw: bytes) -> None:
    check_kustomization(raw)


ALIAS_SOUP = st.lists(st.sampled_from(["a: &a [x, x, x, x, x, x, x, x]", "b: &b [*a, *a, *a, *a, *a, *a, *a, *a]",
                                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]", "d: [*c, *c, *c, *c, *c, *c, *c, *c]",
                                       "e: &e {k: *a, l: *b}", "f:\n  <<: *e", "g: &g [*e, *e, *e]", "- *a", "---",
                                       "h: " + "[" * 40 + "]" * 40, "i: " + "{j: " * 40 + "1" + "}" * 40, "j: *zz",
                                       "k: &k\n  - *k", "? *a\n: v"]), max_size=10)


@settings(**PROFILE)
@given(ALIAS_SOUP)
def test_the_loader_keeps_its_limits_on_alias_and_nesting_soup(lines: list[str]) -> None:
    check_loader(("\n".join(lines) + "\n").encode())


@settings(**PROFILE)
@given(st.binary(max_size=400))
def test_the_loader_keeps_its_limits_on_arbitrary_bytes(raw: bytes) -> None:
    check_loader(raw)


def test_a_known_bomb_is_blocked() -> None:
    """The invariant is not vacuous: a kustomization listing the tree's bomb gets blocked."""
    check_kustomization(b"resources: [cm.yaml, bomb.yaml]\n")
    from tests.fuzzing import targets
    from validate import discover, safety
    root = targets._root()
    files = sorted([*targets._TREE, "app/kustomization.yaml"])
    loaded = {rel: targets.load_bytes(content, rel, targets.LIMITS) for rel, content in targets._TREE.items()
              if rel.endswith(".yaml")}
    loaded["app/kustomization.yaml"] = targets.load_bytes(b"resources: [cm.yaml, bomb.yaml]\n",
                                                          "app/kustomization.yaml", targets.LIMITS)
    inventory = discover.inventory(root, files, loaded, [])
    blocked = safety.blocked_renders(inventory, safety.unsafe_inputs(inventory, loaded, targets.LIMITS))
    assert [(f.rule, f.file, f.line) for f in blocked["app"] if f.rule == "render-unsafe-input"] == \
        [("render-unsafe-input", "app/kustomization.yaml", 1)]
