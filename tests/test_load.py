"""The loader: data as the API server reads it, positions for every node, hostile input as findings."""

from __future__ import annotations

from validate.load import Limits, load_bytes, load_text


def rules(loaded) -> list[str]:
    return [f.rule for f in loaded.findings]


def test_positions_point_at_keys_and_items() -> None:
    loaded = load_text("kind: Pod\nspec:\n  containers:\n  - name: a\n    image: b\n", "p.yaml")
    document = loaded.documents[0]
    assert document.position(("spec", "containers", 0, "image")) == (5, 5)
    assert document.position(("spec", "containers", 0)) == (4, 5)
    assert document.position(("spec",)) == (2, 1)
    assert document.position(("spec", "missing")) is None
    assert document.nearest(("spec", "containers", 0, "resources", "limits")) == (("spec", "containers", 0), (4, 5))


def test_documents_keep_their_index_and_start_line() -> None:
    loaded = load_text("a: 1\n---\n# comment\nb: 2\n---\n", "f.yaml")
    assert [(d.index, d.line, d.data) for d in loaded.documents] == [(0, 1, {"a": 1}), (1, 4, {"b": 2})]


def test_yaml_1_1_scalars_as_kubernetes_reads_them_and_timestamps_stay_strings() -> None:
    data = load_text("a: yes\nb: 0x1F\nc: '010'\nd: 2020-01-01\ne: ~\nf: 1.5\n8080: port\n", "f").documents[0].data
    assert data == {"a": True, "b": 31, "c": "010", "d": "2020-01-01", "e": None, "f": 1.5, "8080": "port"}


def test_merge_keys_are_applied() -> None:
    data = load_text("base: &b {x: 1, y: 2}\nobj:\n  <<: *b\n  y: 3\n", "f").documents[0].data
    assert data["obj"] == {"x": 1, "y": 3}


def test_duplicate_key_is_a_finding_at_the_second_key() -> None:
    loaded = load_text("metadata:\n  name: a\n  name: b\n", "f")
    assert [(f.rule, f.line) for f in loaded.findings] == [("load-duplicate-key", 3)]


def test_alias_bomb_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        name = chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    loaded = load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert rules(loaded) == ["load-alias-bomb"]
    assert loaded.documents == []


def test_recursive_alias_is_refused() -> None:
    assert rules(load_text("a: &x [*x]\n", "f")) == ["load-recursive-alias"]


def test_deep_nesting_is_bounded() -> None:
    loaded = load_text("[" * 20_000 + "]" * 20_000, "deep.yaml", Limits(max_depth=100))
    assert rules(loaded) == ["load-too-deep"]


def test_unsafe_tags_are_refused_never_constructed() -> None:
    loaded = load_text("a: !!python/object/apply:os.system ['touch /tmp/pwned']\n", "f")
    assert rules(loaded) == ["load-unsafe-tag"]
    assert rules(load_text("a: !Ref thing\n", "f")) == ["load-unsafe-tag"]


def test_syntax_errors_and_tabs_have_positions() -> None:
    loaded = load_text("a:\n\t- b\n", "f")
    assert [(f.rule, f.line) for f in loaded.findings] == [("load-syntax", 2)]


def test_invalid_utf8_is_located() -> None:
    loaded = load_bytes(b"a: 1\nb: \xff\xfe\n", "f")
    assert [(f.rule, f.line, f.column) for f in loaded.findings] == [("load-encoding", 2, 4)]


def test_nul_bytes_mean_binary() -> None:
    assert rules(load_bytes(b"\x89PNG\r\n\x1a\n\0\0", "logo.yaml")) == ["load-binary"]


def test_oversize_and_document_count_limits() -> None:
    assert rules(load_bytes(b"a: 1\n" * 100, "f", Limits(max_file_bytes=10))) == ["load-oversize"]
    assert rules(load_text("---\na: 1\n" * 20, "f", Limits(max_documents=10))) == ["load-too-many-documents"]


def test_complex_keys_are_refused() -> None:
    assert rules(load_text("? [a, b]\n: c\n", "f")) == ["load-complex-key"]


def test_bom_is_ignored() -> None:
    assert load_bytes("\ufeffa: 1\n".encode(), "f").documents[0].data == {"a": 1}


HALVES_SCRIPT = r"""
import sys
from validate import load

def plain(loaded):
    return (repr([(d.index, d.data, d.line, d.column, sorted(d.positions.items())) for d in loaded.documents]),
            [(f.rule, f.message, f.line, f.column) for f in loaded.findings])

text = sys.stdin.read()
halves = load._load_halves(text, "s.yaml", load.Limits())
load.PARALLEL_MIN_CHARS = 1 << 62
serial = load.load_text(text, "s.yaml")
load.PARALLEL_MIN_CHARS = 100
either = load.load_text(text, "s.yaml")
print("split" if halves is not None else "one-pass", plain(either) == plain(serial),
      halves is None or plain(halves) == plain(serial), len(serial.documents), len(serial.findings))
"""


def _halves(text: str) -> list[str]:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", HALVES_SCRIPT], input=text, capture_output=True, text=True,
                          timeout=300, check=True)
    return done.stdout.split()


def test_a_large_stream_parsed_in_two_halves_is_the_one_pass_parse() -> None:
    documents = [f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm{i}\ndata:\n  a: 'x'\n  b: {i}\n"
                 f"  c: [yes, 0755, 1:20, ~]\n" for i in range(300)]
    text = "# a comment before the first document\n" + "".join(documents) + "---\n...\n---\nlast: &a {x: 1}\nm:\n  <<: *a\n"
    assert _halves(text) == ["split", "True", "True", "301", "0"]


def test_a_problem_in_either_half_is_reported_as_by_the_one_pass_parse() -> None:
    good = "".join(f"---\nkind: ConfigMap\nmetadata:\n  name: cm{i}\n" for i in range(200))
    for text in (good + "---\na: 1\na: 2\n",                      # duplicate key in the second half
                 "---\na: [1\n" + good,                          # syntax error in the first half
                 good + "---\nb: !custom x\n"):                  # refused tag in the second half
        mode, same, same_halves, _, findings = _halves(text)
        assert (same, same_halves, findings) == ("True", "True", "1"), text[-40:]


def test_lines_are_counted_as_git_counts_them_whatever_the_line_breaks() -> None:
    """YAML also breaks lines at a lone CR, NEL, LS and PS; git, GitHub and SARIF count LF only.
    Found by `make fuzz`: a file of lone CRs had its findings on lines past its end."""
    loaded = load_bytes(b"# comment\r\r\r\r\ra: 1\nb: [\n", "x.yaml")
    assert [(f.rule, f.line) for f in loaded.findings] == [("load-syntax", 3)]
    loaded = load_bytes("a: 1\u2028b: 2\x85c: 3\nd: {e: 1}\n".encode(), "x.yaml")
    assert loaded.findings == [] and loaded.documents[0].position(("d", "e")) == (2, 5)
    crlf = load_bytes(b"a: 1\r\nb:\r\n  c: [\r\n", "x.yaml")
    assert [f.line for f in crlf.findings] == [4]
