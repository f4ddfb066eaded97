"""Manifests parsed by a native YAML parser wherever that gives exactly what the event builder gives.

The loader's event builder (validate.yaml_events) reads YAML 1.1, as Kubernetes' decoder does,
and records the line and column of every node. Both cost: two thirds of a large stream's parse
was PyYAML building an event and two marks for each of libyaml's events. yaml-rs, a Rust YAML
parser, builds the same data several times faster, but it reads YAML 1.2, where ``yes``, ``on``,
``0755``, ``1:20``, ``1e3`` and ``+.5`` mean something else, and it records no positions.

So a document is taken from yaml-rs only when nothing in it can read differently:

- its text holds no tag, anchor, alias, merge key or tab, and no number written in a form where
  YAML 1.1 and 1.2 disagree (a leading zero or base prefix, an exponent, ``_`` or ``:`` after a
  digit, a signed leading dot, 19 digits or more), and nothing that could nest it deeper than a
  few hundred levels (a line indented 200 spaces, 50 ``- `` in a row);
- its data has only string keys, no ``yes``/``no``/``on``/``off`` in any case YAML 1.1 reads
  as a boolean, and no deeper nesting than the loader's limit.

Any other document goes through the event builder, on its own text. A file with a directive, a
document end marker, a line break other than LF, a byte-order mark or a control character, or
that yaml-rs refuses, is left to the event builder whole (:func:`documents` returns None), so
every finding is worded and placed as before.

Positions are computed on first use (:class:`DeferredPositions`): most documents never have a
finding, and those that do are parsed once more by the event builder, on their own text.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

import yaml_rs

from validate import yaml_positions
from validate.model import Document, FieldPath, Limits
from validate.yaml_events import Builder

# A document starts at a ``---`` line: no scalar can hold one at column 0 (validate.load splits on it too).
_MARKER = re.compile(r"\n---(?=[ \t\n]|$)")
# Left to the event builder whole: directives, document end markers, odd breaks, control characters.
_END_MARKER = re.compile(r"\n\.\.\.(?=[ \t\n]|$)")
# Every character but tab, LF and the printable ones (0x20-0x7e, 0xa0-0xd7ff, 0xe000-0xfefe,
# 0xff00-0xfffd, beyond 0xffff), written as what it matches: compiled in 1 ms instead of 10.
_UNPRINTABLE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]"  # compiled when needed
# A document holding one of these goes through the event builder (see the module's doc block). Each
# pattern starts with a literal, which the regular expression engine finds as fast as str.find; the
# digit patterns run on the text with every digit written as 9.
_RISKS = tuple(re.compile(pattern) for pattern in (
    "!", "&", r"\*", "\t", "<<",
    r"0(?<=[\s\[{,:+-]0)[0-9oOxXbB]",  # a leading zero or base prefix
    r"\.(?<=[-+]\.)[0-9]", r"\.[eE][-+]?[0-9]",  # a signed leading dot; an exponent after a dot
    # Deep block nesting, which yaml-rs builds recursively (20,000 levels overflow its stack): each
    # level needs more indentation or another "- " on the line. Flow nesting it refuses past 255.
    "\n" + " " * 200, re.escape("- " * 50)))
_DIGIT_RISKS = tuple(re.compile(pattern) for pattern in ("9_", "9:", "9e", "9E", "9" * 19))
_NINES = str.maketrans("012345678", "999999999")
_BOOLEAN_WORDS = frozenset(form for word in ("yes", "no", "on", "off")
                           for form in (word, word.capitalize(), word.upper()))


class DeferredPositions:
    """The positions of one fast-parsed document, found on first use: from its lines where they
    are plain block style (validate.yaml_positions), else by the event builder on its own text."""

    __slots__ = ("column", "data", "end", "first_line", "limits", "line", "lines", "rel", "start", "text")

    def __init__(self, text: str, span: tuple[int, int, int], rel: str, limits: Limits, data: Any,
                 root: tuple[int, int]):
        self.text, (self.start, self.end, self.first_line) = text, span
        self.rel, self.limits, self.data, (self.line, self.column) = rel, limits, data, root
        self.lines: Any = None  # for walks along one path: the lines read once, or False when they cannot be

    def __call__(self) -> dict[FieldPath, tuple[int, int]]:
        lines = self.text[self.start:self.end].split("\n")
        found = yaml_positions.find(lines, self.first_line, self.data, self.line - self.first_line, self.column - 1)
        if found is not None:
            return found
        builder = Builder(self.rel, self.limits, self.first_line)
        try:
            for document in builder.documents(self.text[self.start:self.end]):
                return document.positions
        except Exception:  # noqa: BLE001 - yaml-rs read it; a position is then only missing, never wrong
            pass
        return {}

    def along(self, path: FieldPath) -> dict[FieldPath, tuple[int, int]] | None:
        """The positions of the nodes on ``path`` alone (validate.yaml_positions.along), or None
        when the document's lines cannot be passed by indentation or the walk is not certain."""
        if self.lines is None:
            text = self.text[self.start:self.end]
            self.lines = yaml_positions.lines_of(text, self.first_line) if yaml_positions.skippable(text) else False
        if self.lines is False:
            return None
        return yaml_positions.along(self.lines, self.data, self.line - self.first_line, self.column - 1, path)

    @property
    def span(self) -> tuple[int, int, int]:
        return self.start, self.end, self.first_line


def documents(text: str, rel: str, limits: Limits, begin: int = 0, end: int | None = None,
              first_line: int = 1) -> tuple[list[Document], int] | None:
    """The documents of ``text`` (or of its part from ``begin``, a document's start, to ``end``,
    ``begin`` being on line ``first_line``) as the event builder would give them, and how many
    documents the part starts (empty ones included); None when the part must go through the event
    builder whole (see the module's doc block)."""
    part = text[begin:end] if begin or end is not None else text
    if _odd(part):
        return None
    starts = [0] + [match.start() + 1 for match in _MARKER.finditer(part)]
    marked = _MARKER.match("\n" + part[:4]) is not None  # the first document starts with its own ---
    if len(starts) > limits.max_documents:  # the event builder reports the excess
        return None
    risky = _risky_offsets(part)
    ends = starts[1:] + [len(part)]
    result: list[Document] = []
    index = -1
    line = first_line
    try:
        for start, stop in zip(starts, ends):
            explicit = start > 0 or marked
            root = _root_mark(part, start, stop, explicit)
            if explicit or root is not None:
                index += 1
            if root is not None:
                at = bisect_left(risky, start)
                # A block scalar at the end of a file with no final line break: yaml-rs gives it one anyway.
                clean = root != ON_MARKER_LINE and (at == len(risky) or risky[at] >= stop) \
                    and stop - start <= limits.max_nodes_per_document and part.endswith("\n", start, stop)
                read = _native(text, begin + start, begin + stop, line, index, root, rel, limits) if clean else None
                if read is None:
                    read = _built(text, begin + start, begin + stop, line, index, rel, limits)
                if read is not None:
                    result.append(read)
            line += part.count("\n", start, stop)
    except _Refused:
        return None
    return result, index + 1


class _Refused(Exception):
    """A document with a finding: the whole file goes through the event builder, which reports it."""


def _odd(text: str) -> bool:
    """Whether the file has a directive, a document end marker, a line break other than LF, a
    byte-order mark or a control character, or starts with a zero."""
    text = "\n" + text
    if "\n%" in text or _END_MARKER.search(text) or text.startswith("\n0"):
        return True
    if text.isascii():
        return not text.replace("\n", "").replace("\t", "").isprintable()
    return re.search(_UNPRINTABLE, text) is not None


def _risky_offsets(text: str) -> list[int]:
    """The sorted offsets of everything that sends a document to the event builder."""
    nines = text.translate(_NINES)
    offsets = [match.start() for pattern in _RISKS for match in pattern.finditer(text)]
    offsets += [match.start() for pattern in _DIGIT_RISKS for match in pattern.finditer(nines)]
    offsets.sort()
    return offsets


ON_MARKER_LINE = (0, 0)  # what _root_mark gives for content on the --- line itself


def _root_mark(text: str, start: int, end: int, explicit: bool) -> tuple[int, int] | None:
    """(lines after the span's first, 1-based column) of the document's first node; ON_MARKER_LINE
    when something follows the ``---`` on its line; None when the span holds nothing but blank and
    comment lines."""
    at = start
    offset = 0
    if explicit:
        newline = text.find("\n", start, end)
        rest = text[start + 3: newline if newline >= 0 else end].strip(" ")
        if rest and not rest.startswith("#"):
            return ON_MARKER_LINE
        if newline < 0:
            return None
        at, offset = newline + 1, 1
    while at < end:
        newline = text.find("\n", at, end)
        stop = newline if newline >= 0 else end
        stripped = text[at:stop].lstrip(" ")
        if stripped and not stripped.startswith("#"):
            return offset, stop - at - len(stripped) + 1
        if newline < 0:
            return None
        at, offset = newline + 1, offset + 1
    return None


def _native(text: str, start: int, end: int, line: int, index: int, root: tuple[int, int], rel: str,
            limits: Limits) -> Document | None:
    try:
        data = yaml_rs.loads(text[start:end], parse_datetime=False)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - refused (or a Rust panic): the event builder reports it as always
        return None
    if data is None:
        return None
    if (data.__class__ is dict or data.__class__ is list) and not _reads_the_same(data, 1, limits.max_depth):
        return None
    if data.__class__ is str and data in _BOOLEAN_WORDS:
        return None
    where = (line + root[0], root[1])
    return Document(rel, index, data, *where,
                    deferred=DeferredPositions(text, (start, end, line), rel, limits, data, where))


def _built(text: str, start: int, end: int, line: int, index: int, rel: str, limits: Limits) -> Document | None:
    """The document of one span through the event builder (raises _Refused on any finding)."""
    builder = Builder(rel, limits, line)
    try:
        built = list(builder.documents(text[start:end]))
    except Exception as error:  # noqa: BLE001 - Abort or a YAML error: reported by the whole-file pass
        raise _Refused from error
    if builder.findings or len(built) > 1:
        raise _Refused
    if not built:
        return None
    document = built[0]
    document.index = index
    return document


def _reads_the_same(node: Any, depth: int, max_depth: int) -> bool:
    """Whether yaml-rs's reading of this container is the YAML 1.1 one: string keys only, no
    boolean word, and within the nesting limit."""
    if depth > max_depth:
        return False
    words = _BOOLEAN_WORDS
    values = node
    if node.__class__ is dict:
        for key in node:
            if key.__class__ is not str or key in words:
                return False
        values = node.values()
    for value in values:
        kind = value.__class__
        if kind is dict or kind is list:
            if not _reads_the_same(value, depth + 1, max_depth):
                return False
        elif kind is str and value in words:
            return False
    return True
