"""The corpus itself: deterministic, large, covering every family, split before anyone looks."""

from __future__ import annotations

import json

import pytest

from tests.conftest import UPSTREAM
from tests.oracle.corpus import MUTATIONS, builtin_bases, custom_bases, generate, split_of, upstream_bases

pytestmark = pytest.mark.skipif(not UPSTREAM.is_dir(), reason=f"upstream reference data not found at {UPSTREAM}:"
                                " the corpus uses its Seldon examples")


def bases() -> list:  # type: ignore[type-arg]
    return upstream_bases(UPSTREAM) + builtin_bases() + custom_bases()


def test_corpus_is_deterministic() -> None:
    first = [(c.id, json.dumps(c.obj, sort_keys=True)) for c in generate(bases())]
    second = [(c.id, json.dumps(c.obj, sort_keys=True)) for c in generate(bases())]
    assert first == second


def test_corpus_covers_every_family_with_hundreds_of_cases() -> None:
    cases = list(generate(bases()))
    assert len(cases) >= 500
    families = {c.family for c in cases}
    assert {"metadata", "deployment", "pod", "service", "config", "rbac", "crd", "policy", "network"} <= families
    assert {c.mutation for c in cases} - {"none"} == set(MUTATIONS)  # every mutation finds bases without the repository
    held_out = sum(c.split == "held-out" for c in cases) / len(cases)
    assert 0.2 < held_out < 0.4


def test_split_depends_on_the_id_only() -> None:
    assert split_of("pod-env-01") == split_of("pod-env-01")
    assert {split_of(f"x-{n}") for n in range(50)} == {"dev", "held-out"}
