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
"""

from __future__ import annotations

import marshal
import os
import re
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from validate.model import Document, FieldPath, Finding, Limits, Severity
from validate.yamlscalar import Abort as _Abort
from validate.yamlscalar import scalar as _scalar

Path_ = FieldPath  # the name stage code has used

_Parser = getattr(yaml, "CSafeLoader", None)  # libyaml's event parser; pure Python only without libyaml

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:binary",
    "tag:yaml.org,2002:merge",
}
_MERGE = "tag:yaml.org,2002:merge"


@dataclass
class LoadedFile:
    file: str
    documents: list[Document]
    findings: list[Finding]
    text: str | None = None  # the decoded text, when it could be decoded

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
                         " byte limit (raise max_file_bytes in the config if it is really a manifest)", None)
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
    return (loaded.text,
            [(d.index, d.data, d.line, d.column, d.positions) for d in loaded.documents],
            [(f.rule, f.message, f.line, f.column, int(f.severity)) for f in loaded.findings])


def from_plain(rel: str, plain: tuple[Any, ...]) -> LoadedFile:
    text, documents, findings = plain
    return LoadedFile(rel, [Document(rel, index, data, line, column, positions)
                            for index, data, line, column, positions in documents],
                      [Finding(rule, message, rel, line, column, Severity(severity))
                       for rule, message, line, column, severity in findings], text)


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
    if len(text) >= PARALLEL_MIN_CHARS and not _ODD_BREAK.search(text):  # lines: LF only, as git counts
        halves = _load_halves(text, rel, limits)
        if halves is not None:
            return halves
    builder = _Builder(rel, limits)
    try:
        documents = list(builder.documents(text))
    except _Abort as abort:
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
        if _Parser is not None:  # libyaml counts bytes of the UTF-8 text, pure Python characters
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


# YAML breaks lines at a lone CR, NEL, LS and PS too; git, GitHub, SARIF viewers and editors'
# "go to line" count only LF. Found by fuzzing: a file of lone CRs had its findings on lines past
# its end, where a code-scanning annotation has nowhere to stand.
_YAML_BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
_ODD_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def _as_git_counts(text: str, loaded: LoadedFile) -> LoadedFile:
    """``loaded`` with every line number counted as git counts lines (LF only)."""
    if not _ODD_BREAK.search(text):
        return loaded
    lines = [1]  # YAML's line index -> git's line number
    for match in _YAML_BREAK.finditer(text):
        lines.append(lines[-1] + (1 if match.group().endswith("\n") else 0))

    def git_line(line: int) -> int:
        return lines[min(line, len(lines)) - 1]

    for document in loaded.documents:
        document.line = git_line(document.line)
        document.positions = {path: (git_line(line), column) for path, (line, column) in document.positions.items()}
    loaded.findings = [replace(finding, line=git_line(finding.line)) if finding.line else finding
                       for finding in loaded.findings]
    return loaded


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
    sends back plain data. None whenever that cannot give exactly what one pass gives: no second
    core, other threads running (forking them is unsafe), no document marker to split at, or any
    finding in either half (the one-pass parse then reports it, worded and placed as usual)."""
    if not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or threading.active_count() > 1:
        return None
    split = _document_boundary(text, len(text) // 2)
    if split is None:
        return None
    first_line = text.count("\n", 0, split) + 1
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: parse the second half, send it, never return into the caller
        code = 1
        try:
            os.close(read_end)
            tail = _Builder(rel, limits, first_line)
            documents = list(tail.documents(text[split:]))
            if not tail.findings:
                payload = marshal.dumps((tail.started, [(d.index, d.data, d.line, d.column, d.positions)
                                                        for d in documents]))
                with os.fdopen(write_end, "wb") as out:
                    out.write(payload)
                code = 0
        except BaseException:  # noqa: BLE001 - any failure means: parse it in one pass
            pass
        finally:
            os._exit(code)
    os.close(write_end)
    head: list[Document] | None = None
    try:
        builder = _Builder(rel, limits)
        try:
            head = list(builder.documents(text[:split]))
        except (_Abort, yaml.YAMLError):
            head = None
        with os.fdopen(read_end, "rb") as source:
            payload = source.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if head is None or builder.findings or status != 0 or not payload:
        return None
    started, documents = marshal.loads(payload)
    if builder.started + started > limits.max_documents:
        return None
    offset = builder.started
    return LoadedFile(rel, head + [Document(rel, index + offset, data, line, column, positions)
                                   for index, data, line, column, positions in documents], [])


def _fail(rel: str, rule: str, message: str, line: int | None, column: int | None = None) -> LoadedFile:
    return LoadedFile(rel, [], [Finding(rule, message, rel, line, column)])


class _Frame:
    __slots__ = ("anchor", "container", "is_mapping", "key_mark", "merges", "path", "pending_key", "weight")

    def __init__(self, container: Any, path: Path_, anchor: str | None):
        self.container = container
        self.is_mapping = isinstance(container, dict)
        self.path = path
        self.anchor = anchor
        self.weight = 1
        self.pending_key: Any = _NO_KEY
        self.key_mark: tuple[int, int] = (0, 0)
        self.merges: list[dict[str, Any]] = []


_NO_KEY = object()


class _Builder:
    """Turns libyaml events into plain Python data plus a position index, iteratively."""

    def __init__(self, rel: str, limits: Limits, first_line: int = 1):
        self.rel = rel
        self.limits = limits
        self.first_line = first_line  # the line number of the text's first line in its file
        self.started = 0  # documents begun
        self.findings: list[Finding] = []
        self.done: list[Document] = []
        self.max_nodes = limits.max_nodes_per_document

    def documents(self, text: str) -> Iterator[Document]:
        parser = _Parser(text) if _Parser is not None else yaml.SafeLoader(text)
        anchors: dict[str, tuple[Any, int]] = {}
        open_anchors: set[str] = set()
        stack: list[_Frame] = []
        positions: dict[Path_, tuple[int, int]] = {}
        root: Any = None
        root_mark = (1, 1)
        index = -1
        scalar_event, mapping_end, sequence_end = yaml.ScalarEvent, yaml.MappingEndEvent, yaml.SequenceEndEvent
        alias_event, mapping_start = yaml.AliasEvent, yaml.MappingStartEvent
        document_start, document_end = yaml.DocumentStartEvent, yaml.DocumentEndEvent
        attach = self._attach
        first_line = self.first_line
        try:
            while True:
                event: Any = parser.get_event()
                kind = event.__class__
                # The most frequent events first: scalars, then the ends and starts of collections.
                if kind is scalar_event:
                    start: Any = event.start_mark  # libyaml's marks and PyYAML's differ in type only
                    mark = (start.line + first_line, start.column + 1)
                    tag = event.tag
                    if tag is not None and tag != "!" and tag not in _STANDARD_TAGS:
                        raise _Abort("load-unsafe-tag", f"tag {tag} is not a standard YAML tag; Kubernetes"
                                     " manifests use plain data only", mark[0], mark[1])
                    value, resolved = _scalar(event)
                    if event.anchor is not None:
                        anchors[event.anchor] = (value, 1)
                    if not stack:
                        root, root_mark = value, mark
                        continue
                    attach(stack[-1], value, 1, mark, positions, resolved == _MERGE)
                    continue
                if kind is mapping_end or kind is sequence_end:
                    start = event.start_mark
                    mark = (start.line + first_line, start.column + 1)
                    frame = stack.pop()
                    if frame.merges:
                        for merged in reversed(frame.merges):
                            for key, value in merged.items():
                                frame.container.setdefault(key, value)
                    if frame.anchor is not None:
                        anchors[frame.anchor] = (frame.container, frame.weight)
                        open_anchors.discard(frame.anchor)
                    value, weight = frame.container, frame.weight
                    if not stack:
                        root = value
                        self._check_weight(weight, mark)
                        continue
                    attach(stack[-1], value, weight, mark, positions, False)
                    continue
                if event is None or isinstance(event, yaml.StreamEndEvent):
                    break
                start = event.start_mark
                end: Any = event.end_mark
                if kind is document_start:
                    index += 1
                    self.started = index + 1
                    if index >= self.limits.max_documents:
                        raise _Abort("load-too-many-documents", f"more than {self.limits.max_documents:,}"
                                     " documents in one file", start.line + first_line)
                    anchors, open_anchors, positions, root = {}, set(), {}, None
                    root_mark = (end.line + first_line, end.column + 1)
                    continue
                if kind is document_end:
                    if root is not None:
                        document = Document(self.rel, index, root, root_mark[0], root_mark[1], positions)
                        self.done.append(document)
                        yield document
                    continue
                if isinstance(event, yaml.StreamStartEvent):
                    continue
                mark = (start.line + first_line, start.column + 1)

                if kind is alias_event:
                    if event.anchor in open_anchors:
                        raise _Abort("load-recursive-alias", f"alias *{event.anchor} refers to a node that"
                                     " contains it (recursive structure)", mark[0], mark[1])
                    if event.anchor not in anchors:
                        raise _Abort("load-syntax", f"alias *{event.anchor} has no anchor", mark[0], mark[1])
                    value, weight = anchors[event.anchor]
                    if not stack:
                        root, root_mark = value, mark
                        self._check_weight(weight, mark)
                        continue
                    attach(stack[-1], value, weight, mark, positions, False)
                    continue

                # a collection starts
                tag = getattr(event, "tag", None)
                if tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    raise _Abort("load-unsafe-tag", f"tag {tag} is not a standard YAML tag; Kubernetes"
                                 " manifests use plain data only", mark[0], mark[1])
                if len(stack) >= self.limits.max_depth:
                    raise _Abort("load-too-deep", f"nesting deeper than {self.limits.max_depth} levels",
                                 mark[0], mark[1])
                if stack and stack[-1].is_mapping and stack[-1].pending_key is _NO_KEY:
                    raise _Abort("load-complex-key", "a mapping or sequence used as a mapping key is not"
                                 " valid in a Kubernetes manifest", mark[0], mark[1])
                path = self._child_path(stack[-1]) if stack else ()
                if stack:
                    positions[path] = stack[-1].key_mark if stack[-1].is_mapping else mark
                else:
                    root_mark = mark
                container: Any = {} if kind is mapping_start else []
                if event.anchor is not None:
                    open_anchors.add(event.anchor)
                stack.append(_Frame(container, path, event.anchor))
        finally:
            if hasattr(parser, "dispose"):
                parser.dispose()

    @staticmethod
    def _child_path(parent: _Frame) -> Path_:
        if isinstance(parent.container, dict):
            return parent.path + (parent.pending_key,)
        return parent.path + (len(parent.container),)

    def _attach(self, parent: _Frame, value: Any, weight: int, mark: tuple[int, int],
                positions: dict[Path_, tuple[int, int]], is_merge_target: bool) -> None:
        if not parent.is_mapping:
            container = parent.container
            positions.setdefault(parent.path + (len(container),), mark)
            container.append(value)
            parent.weight += weight
            if parent.weight > self.max_nodes:
                self._check_weight(parent.weight, mark)
            return
        if parent.pending_key is _NO_KEY:  # this scalar (or alias) is a key
            if is_merge_target:
                parent.pending_key = _MERGE
            elif value.__class__ is str:
                parent.pending_key = value
            elif isinstance(value, (dict, list)):
                raise _Abort("load-complex-key", "a mapping or sequence used as a mapping key is not valid in a"
                             " Kubernetes manifest", mark[0], mark[1])
            else:
                parent.pending_key = _key_text(value)
            parent.key_mark = mark
            return
        key = parent.pending_key
        parent.pending_key = _NO_KEY
        if key is _MERGE:
            merged = value if isinstance(value, list) else [value]
            if not all(isinstance(item, dict) for item in merged):
                raise _Abort("load-syntax", "a merge key (<<) must refer to a mapping or a list of mappings",
                             mark[0], mark[1])
            parent.merges.extend(merged)
        else:
            # Merged keys are added only when the mapping ends, so this sees the explicit keys alone.
            if key in parent.container:
                line, column = parent.key_mark
                self.findings.append(Finding("load-duplicate-key", f"duplicate key {key!r}: the API server"
                                             " rejects it and tools disagree on which value wins",
                                             self.rel, line, column))
            parent.container[key] = value
            positions[parent.path + (key,)] = parent.key_mark
        parent.weight += weight
        if parent.weight > self.max_nodes:
            self._check_weight(parent.weight, mark)

    def _check_weight(self, weight: int, mark: tuple[int, int]) -> None:
        if weight > self.limits.max_nodes_per_document:
            raise _Abort("load-alias-bomb", f"document expands to over {self.limits.max_nodes_per_document:,}"
                         " nodes through aliases (an alias bomb?)", mark[0], mark[1])


def _key_text(value: Any) -> str:
    """Mapping keys become strings, as sigs.k8s.io/yaml turns them into JSON object keys."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def iter_objects(loaded: LoadedFile) -> Iterator[Document]:
    """Documents whose data is a mapping (the only kind of document a manifest may hold)."""
    for document in loaded.documents:
        if isinstance(document.data, dict):
            yield document
