"""Safe YAML loading that keeps the line and column of every node.

The loader builds Python objects straight from libyaml's event stream, without recursion, so
it can bound what hostile input costs: nesting depth, alias expansion (billion laughs),
document count and file size are all limited, and every violation becomes a finding at the
file and line where it happens, never an exception. Tags other than YAML's standard ones are
refused (no object construction of any kind), duplicate keys are reported (the API server's
decoder rejects them), and timestamps stay strings, as Kubernetes reads them.

Each document records ``positions``: for every path (a tuple of keys and list indexes) the
1-based line and column of the key (mapping entries) or of the item (sequence entries). That
index is what lets a schema error on ``spec.template.spec.containers[0].image`` land on the
line that holds ``image:``.

Documents in which nothing can read differently in YAML 1.2 take a faster road with the same
result (:mod:`validate.fastyaml`): a native parser for the data, positions found when first asked.
"""

from __future__ import annotations

import gc
import marshal
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from validate import fastyaml, forked
from validate.lines import as_git_counts, has_odd_break
from validate.model import Document, FieldPath, Finding, Limits, Severity
from validate.yaml_events import LIBYAML, Abort, Builder

Path_ = FieldPath  # the name stage code has used




@dataclass
class LoadedFile:
    file: str
    documents: list[Document]
    findings: list[Finding]
    text: str | None = None  # the decoded text, when it could be decoded
    digest: str | None = None  # SHA-1 of the file's bytes, when the parse memo took it

    @property
    def ok(self) -> bool:
        return not self.findings


class Memo(Protocol):
    """Remembers parses by content (see :class:`validate.cache.LoadMemo`)."""

    def get(self, rel: str, raw: bytes) -> LoadedFile | None: ...

    def put(self, rel: str, raw: bytes, loaded: LoadedFile) -> None: ...


def load_file(path: Path, rel: str, limits: Limits = Limits(), memo: Memo | None = None) -> LoadedFile:
    """Read and parse one file; every problem is a finding on ``rel``."""
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):  # a FIFO would block the read forever, a device never end
            return _fail(rel, "load-unreadable", "not a regular file (a named pipe, socket or device)", None)
        size = status.st_size
        if size > limits.max_file_bytes:
            return _fail(rel, "load-oversize", f"file is {size:,} bytes, over the {limits.max_file_bytes:,}"
                         " byte limit (raise limits.maxFileBytes in .gitops-validate.yaml if it is really a manifest)", None)
        raw = path.read_bytes()
    except OSError as error:
        return _fail(rel, "load-unreadable", f"cannot read file: {error.strerror or error}", None)
    if memo is not None:
        remembered = memo.get(rel, raw)
        if remembered is not None:
            return remembered
    loaded = load_bytes(raw, rel, limits)
    if memo is not None:
        memo.put(rel, raw, loaded)
    return loaded


def to_plain(loaded: LoadedFile) -> tuple[Any, ...]:
    """A LoadedFile as plain tuples, lists and dicts (what marshal stores)."""
    return (loaded.text, [_plain_document(d) for d in loaded.documents],
            [(f.rule, f.message, f.line, f.column, int(f.severity)) for f in loaded.findings])


def _plain_document(d: Document) -> tuple[Any, ...]:
    """Positions not yet found stay unfound: their span of the text is kept instead."""
    if isinstance(d.deferred, fastyaml.DeferredPositions):
        return (d.index, d.data, d.line, d.column, None, d.shared, d.deferred.span)
    return (d.index, d.data, d.line, d.column, d.positions, d.shared)


def from_plain(rel: str, plain: tuple[Any, ...], limits: Limits = Limits()) -> LoadedFile:
    text, documents, findings = plain
    return LoadedFile(rel, [_document(rel, text, limits, *entry) for entry in documents],
                      [Finding(rule, message, rel, line, column, Severity(severity))
                       for rule, message, line, column, severity in findings], text)


def _document(rel: str, text: str | None, limits: Limits, index: int, data: Any, line: int, column: int,
              positions: dict[FieldPath, tuple[int, int]] | None, *rest: Any) -> Document:
    # An entry written before ``shared`` was recorded says nothing: assume aliases (the careful walk).
    shared = bool(rest[0]) if rest else True
    if positions is None and len(rest) > 1 and text is not None:
        return Document(rel, index, data, line, column, None, shared,
                        deferred=fastyaml.DeferredPositions(text, tuple(rest[1]), rel, limits, data, (line, column)))
    return Document(rel, index, data, line, column, positions or {}, shared)


def load_bytes(raw: bytes, rel: str, limits: Limits = Limits()) -> LoadedFile:
    if len(raw) > limits.max_file_bytes:
        return _fail(rel, "load-oversize", f"file is {len(raw):,} bytes, over the {limits.max_file_bytes:,}"
                     " byte limit", None)
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        return _fail(rel, "load-binary", "file contains a NUL byte: binary data, not YAML", line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return _fail(rel, "load-encoding", f"invalid UTF-8 (byte 0x{raw[error.start]:02x}): YAML files must be"
                     " UTF-8", line, column)
    if text.startswith("\ufeff"):
        text = text[1:]
    loaded = load_text(text, rel, limits)
    loaded.text = text
    return loaded


# From this size on, a stream of many documents is parsed in two halves, one in a forked child.
PARALLEL_MIN_CHARS = 1 << 20


def load_text(text: str, rel: str, limits: Limits = Limits()) -> LoadedFile:
    with _collector_paused():
        return _load_text(text, rel, limits)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a file is parsed. The loader builds trees and shared
    subtrees (aliases) but never a cycle (recursive aliases are refused), so the collector finds
    nothing here; yet every few hundred containers built it walks the young objects, and now and
    then the whole heap: a third of the parse's CPU time on a large stream (measured in
    benchmarks/README.md). What was built is then frozen out of the collector's walks (freed
    as usual when no longer used): left young, all of it was walked at the next collection, and
    again at the next older one (0.07 s each after a 4 MB stream). A nested use leaves the
    collector as the outermost one found it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def _load_text(text: str, rel: str, limits: Limits) -> LoadedFile:
    if len(text) >= PARALLEL_MIN_CHARS and not has_odd_break(text):  # lines: LF only, as git counts
        halves = _load_halves(text, rel, limits)
        if halves is not None:
            return halves
    fast = fastyaml.documents(text, rel, limits)
    if fast is not None:
        return LoadedFile(rel, fast[0], [])
    builder = Builder(rel, limits)
    try:
        documents = list(builder.documents(text))
    except Abort as abort:
        return _as_git_counts(text, LoadedFile(rel, builder.done, [Finding(abort.rule, abort.message, rel, abort.line,
                                                                           abort.column)]))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return _as_git_counts(text, LoadedFile(rel, builder.done, [Finding("load-syntax", f"YAML syntax error: {message}",
                                                                           rel, line, column)]))
    except yaml.reader.ReaderError as error:  # control characters: a position, no mark
        position = error.position if isinstance(error.position, int) else 0
        if LIBYAML:  # libyaml counts bytes of the UTF-8 text, pure Python characters
            encoded = text.encode("utf-8", "surrogatepass")
            line_start = encoded.rfind(b"\n", 0, position) + 1
            line = encoded.count(b"\n", 0, position) + 1
            column = len(encoded[line_start:position].decode("utf-8", "replace")) + 1
        else:
            line = text.count("\n", 0, position) + 1
            column = position - (text.rfind("\n", 0, position) + 1) + 1
        character = error.character if isinstance(error.character, int) else ord(str(error.character)[:1] or "\0")
        return LoadedFile(rel, builder.done, [Finding("load-syntax", f"YAML error: unacceptable character"
                                                      f" #x{character:04x}: {error.reason}", rel, line, column)])
    except yaml.YAMLError as error:
        message = " ".join(str(error).split())
        return _as_git_counts(text, LoadedFile(rel, builder.done, [Finding("load-syntax", f"YAML error: {message}", rel,
                                                                           None)]))
    return _as_git_counts(text, LoadedFile(rel, documents, builder.findings))


def _document_boundary(text: str, start: int) -> int | None:
    """The offset of the first ``---`` line at or after ``start``: a document marker, which no scalar
    can contain, so the text before it and the text from it on are streams of their own."""
    at = start
    while True:
        at = text.find("\n---", at)
        if at < 0:
            return None
        after = text[at + 4: at + 5]
        if after in ("", "\n", "\r", " ", "\t"):
            return at + 1
        at += 4


def _load_halves(text: str, rel: str, limits: Limits) -> LoadedFile | None:
    """A large multi-document stream parsed on two cores: the second half in a forked child that
    sends back plain data (validate.forked). None whenever that cannot give exactly what one pass
    gives: no second core, other threads running (forking them is unsafe), no document marker to
    split at, or any finding in either half (the one-pass parse then reports it, worded and placed
    as usual)."""
    if not forked.can_fork():
        return None
    split = _document_boundary(text, len(text) // 2)
    if split is None:
        return None
    first_line = text.count("\n", 0, split) + 1

    def head() -> tuple[int, list[Document]] | None:
        fast = fastyaml.documents(text, rel, limits, 0, split)
        if fast is not None:
            return fast[1], fast[0]
        builder = Builder(rel, limits)
        try:
            documents = list(builder.documents(text[:split]))
        except (Abort, yaml.YAMLError):
            return None
        return None if builder.findings else (builder.started, documents)

    def tail() -> tuple[int, list[tuple[Any, ...]]] | None:
        fast = fastyaml.documents(text, rel, limits, split, None, first_line)
        if fast is not None:
            return fast[1], [_plain_document(d) for d in fast[0]]
        builder = Builder(rel, limits, first_line)
        try:
            documents = list(builder.documents(text[split:]))
        except (Abort, yaml.YAMLError):
            return None
        return None if builder.findings else (builder.started, [_plain_document(d) for d in documents])

    first, second = forked.in_two(head, tail, marshal.dumps, marshal.loads)
    if first is None or second is None:
        return None
    (offset, documents), (started, rest) = first, second
    if offset + started > limits.max_documents:
        return None
    return LoadedFile(rel, documents + [_document(rel, text, limits, index + offset, *entry)
                                        for index, *entry in rest], [])


def _as_git_counts(text: str, loaded: LoadedFile) -> LoadedFile:
    loaded.findings = as_git_counts(text, loaded.documents, loaded.findings)  # see validate.lines
    return loaded


def _fail(rel: str, rule: str, message: str, line: int | None, column: int | None = None) -> LoadedFile:
    return LoadedFile(rel, [], [Finding(rule, message, rel, line, column)])
