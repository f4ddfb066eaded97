"""The native-parser path of the loader (validate.fastyaml, validate.yaml_positions) gives exactly
what the event builder gives: the same data, types included, the same document indexes, lines and
columns, the same position of every key and item, the same findings. Checked on crafted cases
where YAML 1.1 and 1.2 disagree, on generated documents, on every YAML file of this repository
and, when it is there, on ../shared."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_properties import PROFILE, json_values, mutated_bytes, text, yaml_documents
from validate import fastyaml, load, yaml_positions
from validate.load import LoadedFile, from_plain, load_bytes, load_text, to_plain
from validate.model import Limits

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def _slow(text: str) -> LoadedFile:
    original = fastyaml.documents
    fastyaml.documents = lambda *args: None  # type: ignore[assignment]
    try:
        return load_text(text, "m.yaml")
    finally:
        fastyaml.documents = original  # type: ignore[assignment]


def _paths(data: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node's path, and a missing child of each collection and scalar."""
    found = [at + ("absent",), at + (10**6,)]
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        found += [at + (key,), *_paths(value, at + (key,))]
    return found


def _lookups(document: Any) -> list[Any]:
    """What placing findings asks of a document: each node's position, and the nearest existing
    node of a path; asked before anything finds all positions (so a native document walks one path
    at a time). At most 200 paths a document, spread over it."""
    paths = _paths(document.data)
    return [(path, document.position(path), document.nearest(path)) for path in paths[::max(1, len(paths) // 200)]]


def _seen(loaded: LoadedFile) -> tuple[Any, ...]:
    """Everything a later stage can see of a parse; repr keeps 1, 1.0 and True apart."""
    return (repr([(d.index, d.data, d.line, d.column, d.shared) for d in loaded.documents]),
            [_lookups(d) for d in loaded.documents],
            [sorted(d.positions.items(), key=repr) for d in loaded.documents],
            [(f.rule, f.message, f.line, f.column) for f in loaded.findings])


def assert_same(text: str) -> LoadedFile:
    fast = load_text(text, "m.yaml")
    assert _seen(fast) == _seen(_slow(text))
    return fast


def _fast_documents(text: str) -> int:
    """How many documents of ``text`` the native parser read."""
    return sum(d.deferred is not None for d in load_text(text, "m.yaml").documents)


# --- where YAML 1.1 and 1.2 disagree: the loader reads 1.1, as Kubernetes does -------------------

DISAGREEING = ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
               "0755", "089", "0o17", "0x1F", "0X1F", "0b101", "1_000", "1:20", "190:20:30.15",
               "+.5", "-.5", "1e3", "1E3", "1.0e3", "0e0", "12345678901234567890123"]


@pytest.mark.parametrize("scalar", DISAGREEING)
def test_a_scalar_read_differently_in_yaml_1_2_is_read_as_yaml_1_1(scalar: str) -> None:
    for document in (f"a: 1\nk: {scalar}\n", f"a: 1\n{scalar}: v\n", f"a: 1\nk:\n- {scalar}\n"):
        assert_same(document)
        assert _fast_documents(document) == 0
    assert load_text("mode: 0755\n", "m.yaml").documents[0].data == {"mode": 493}
    assert load_text("on: push\n", "m.yaml").documents[0].data == {"true": "push"}


@pytest.mark.parametrize("document", [
    "a: !!str 1\n", "a: &x {b: 1}\nc: *x\n", "base: &b {x: 1}\nd:\n  <<: *b\n", "a:\n\tb: 1\n",
    "%YAML 1.1\n---\na: 1\n", "a: 1\n...\n---\nb: 2\n", "a: 1\r\nb: 2\r\n", "a: 1\x85b: 2\n", "a: \x07\n",
    "a: 1\na: 2\n", "1: a\n", "true: a\n", "null: a\n", "? [a]\n: b\n", "a: |\n  no final break",
    "--- {a: 1}\n", "--- |\n  text\n", "\n".join("  " * i + f"k{i}:" for i in range(250)) + " 1\n",
    "[" * 300 + "]" * 300 + "\n", "- " * 1000 + "x\n", "a:\n" + " " * 210 + "b: 1\n", "---x: 1\n", "a: 'it''s'\n'b''c': 1\n", 'a: "x\\ty"\n"b\\"c": 1\n',
])
def test_what_the_native_parser_is_not_trusted_with_reads_as_before(document: str) -> None:
    assert_same(document)


def test_plain_manifests_are_read_natively_and_placed_exactly() -> None:
    stream = (
        "# leading comment\n"
        "apiVersion: apps/v1\n"
        "kind: Deployment\n"
        "metadata:\n"
        "  name: web   # trailing comment\n"
        "  labels: {}\n"
        "spec:\n"
        "  template:\n"
        "    spec:\n"
        "      containers:\n"
        "      - name: web\n"
        "        image: 'nginx:1.27'\n"
        "        args:\n"
        "        - --port\n"
        "        - \"8080\"\n"
        "        command:\n"
        "          - sh\n"
        "        env:\n"
        "        -\n"
        "          name: A\n"
        "          value: |\n"
        "            line: one\n"
        "            - two\n"
        "      - - nested\n"
        "        - list\n"
        "---\n"
        "--- # a comment on the marker line\n"
        "kind: ConfigMap\n"
        "data:\n"
        "  \"quoted key\": plain\n"
        "  folded: >-\n"
        "    a\n"
        "    b\n"
        "  plain: multi\n"
        "    line\n"
    )
    fast = assert_same(stream)
    assert [d.index for d in fast.documents] == [0, 2]
    assert _fast_documents(stream) == 2
    deployment = fast.documents[0]
    assert deployment.position(("spec", "template", "spec", "containers", 0, "image")) == (12, 9)
    assert deployment.position(("spec", "template", "spec", "containers", 0, "env", 0)) == (20, 11)
    assert deployment.position(("spec", "template", "spec", "containers", 1, 0)) == (24, 11)


@pytest.mark.parametrize("document", [
    "a: [1, 2]\n", "a: {b: 1}\n", "a:\n-\n  - b\n", "- \n  x\n", "a: b\n  : c\n",
])
def test_the_line_walk_gives_up_where_it_cannot_be_sure(document: str) -> None:
    fast = assert_same(document)
    for d in fast.documents:
        lines = document.split("\n")
        assert yaml_positions.find(lines, 1, d.data, d.line - 1, d.column - 1) is None or d.deferred is None


@pytest.mark.parametrize("document", [
    "a: [1,\n  2]\nb: 3\n",  # a flow collection going on to another line
    "a: {k: v,\n  b: 1}\nb: 2\n",  # ... with a line that looks like a key
    "a: \"x\n  b: y\"\nb: 3\n",  # a double-quoted scalar likewise
    "a: 'x\n  b: y'\nb: 3\n",  # a single-quoted one
    "a: \"\\\" [\"\nb: 3\n",  # an escaped quote
    "a: ['x]',\n  1]\nb: 3\n",  # a bracket inside quotes
    "a:\n- x\n- y: 1\n  z:\n  - 2\nb: 1\n",  # compact sequences, passed to reach b
    "# it's a comment\na:\n  b: 1\nc: [1, 2]\nd: 2\n",  # an apostrophe: not passed by indentation
    "a:\n  - |\n    text\n\n    more\n  - b: 1\n    c: 2\nd: 3\n",  # block scalars and blank lines
])
def test_one_path_walks_are_exact_or_give_way(document: str) -> None:
    """Placing a finding walks one path and passes the rest by indentation where every line is
    its node's own; where a value may go on to other lines, the whole document is read."""
    assert _fast_documents(document) == 1
    assert_same(document)


@pytest.mark.parametrize("document", ["a: [1,\n2]\nb: 3\n", "a: {k: v,\nb: 1}\nb: 2\n", "a: \"x\nb: y\"\nb: 3\n"])
def test_a_value_going_on_at_its_parents_indentation_is_read_by_the_event_builder(document: str) -> None:
    """Where no line may be passed by indentation: the native parser refuses these, and they never
    reach a one-path walk."""
    assert _fast_documents(document) == 0
    assert_same(document)


def test_positions_not_yet_found_survive_the_parse_cache() -> None:
    text = "a: 1\n---\nkind: x\nspec:\n  b:\n  - c: 2\n"
    loaded = load_bytes(text.encode(), "m.yaml")
    assert all(d.deferred is not None for d in loaded.documents)
    restored = from_plain("m.yaml", to_plain(loaded))
    assert all(d.deferred is not None for d in restored.documents)
    assert _seen(restored) == _seen(_slow(text))


# --- generated documents ---------------------------------------------------------------------------

@settings(max_examples=300, **PROFILE)
@given(yaml_documents())
def test_generated_documents_read_the_same(case: tuple[Any, str]) -> None:
    assert_same(case[1])


@settings(max_examples=300, **PROFILE)
@given(st.lists(st.dictionaries(text, json_values, max_size=6), min_size=1, max_size=4),
       st.sampled_from([False, None]), st.integers(2, 6), st.booleans(), st.sampled_from([20, 80, 10_000]))
def test_generated_streams_in_every_style_read_the_same(data: list[Any], flow: bool | None, indent: int,
                                                        explicit: bool, width: int) -> None:
    assert_same(yaml.safe_dump_all(data, default_flow_style=flow, indent=indent, explicit_start=explicit,
                                   width=width, sort_keys=False))


@settings(max_examples=300, **PROFILE)
@given(mutated_bytes())
def test_mutated_documents_read_the_same(raw: bytes) -> None:
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    if "\0" not in decoded:
        assert_same(decoded.removeprefix("\ufeff"))


# --- real files -------------------------------------------------------------------------------------

def _yaml_files(root: Path) -> list[Path]:
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", ".venv", "node_modules", "__pycache__")]
        found += [Path(folder) / name for name in files if name.endswith((".yaml", ".yml"))]
    return sorted(found)


def _assert_files_read_the_same(files: list[Path]) -> None:
    different = []
    for path in files:
        try:
            decoded = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        except (OSError, UnicodeDecodeError):
            continue
        if "\0" in decoded:
            continue
        if _seen(load_text(decoded, "m.yaml")) != _seen(_slow(decoded)):
            different.append(str(path))
    assert different == []


def test_every_yaml_file_of_this_repository_reads_the_same() -> None:
    listed = subprocess.run(["git", "ls-files", "*.yaml", "*.yml"], cwd=REPO, capture_output=True, text=True,
                            check=True).stdout.split()
    _assert_files_read_the_same([REPO / name for name in listed])


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared is not beside the repository (upstream and real-world"
                    " YAML files for the differential check)")
def test_every_yaml_file_of_shared_reads_the_same() -> None:
    _assert_files_read_the_same(_yaml_files(SHARED))


def test_limits_hold_on_the_native_path() -> None:
    limits = Limits(max_documents=3)
    text = "".join(f"---\na: {i}\n" for i in range(5))
    assert [f.rule for f in load.load_text(text, "m.yaml", limits).findings] == ["load-too-many-documents"]


def test_unprintable_means_every_character_but_tab_lf_and_the_printable_ones() -> None:
    """The class is written as what it matches (cheaper to compile): checked on every code point."""
    printable = ((0x20, 0x7E), (0xA0, 0xD7FF), (0xE000, 0xFEFE), (0xFF00, 0xFFFD), (0x10000, 0x10FFFF))
    unprintable = re.compile(fastyaml._UNPRINTABLE)
    wrong = [hex(point) for point in range(0x110000)
             if (unprintable.match(chr(point)) is None)
             != (point in (0x09, 0x0A) or any(low <= point <= high for low, high in printable))]
    assert wrong == []
