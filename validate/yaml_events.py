"""YAML events to Python data with positions: the loader's builder, without recursion.

It turns libyaml's event stream into plain data and records, for every path of a document, the
1-based line and column of the key or item; on the way it enforces the limits (depth, aliases,
nodes, documents) and refuses non-standard tags by raising ``Abort``, which the loader turns
into one finding. ``validate.load`` decides what to read and how to report; this module only
builds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from validate.model import Document, FieldPath, Finding, Limits
from validate.yamlscalar import Abort, key_text, scalar

Path_ = FieldPath

# PyYAML's safe loader on libyaml (its parser in C, several times faster) where PyYAML has it, else in Python
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
LIBYAML = SAFE_LOADER is not yaml.SafeLoader  # libyaml marks count bytes of the UTF-8 text, Python's characters

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


class Builder:
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
        parser = SAFE_LOADER(text)
        anchors: dict[str, tuple[Any, int]] = {}
        open_anchors: set[str] = set()
        stack: list[_Frame] = []
        positions: dict[Path_, tuple[int, int]] = {}
        root: Any = None
        shared = False
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
                        raise Abort("load-unsafe-tag", f"tag {tag} is not a standard YAML tag; Kubernetes"
                                     " manifests use plain data only", mark[0], mark[1])
                    value, resolved = scalar(event)
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
                        raise Abort("load-too-many-documents", f"more than {self.limits.max_documents:,}"
                                     " documents in one file", start.line + first_line)
                    anchors, open_anchors, positions, root = {}, set(), {}, None
                    shared = False
                    root_mark = (end.line + first_line, end.column + 1)
                    continue
                if kind is document_end:
                    if root is not None:
                        document = Document(self.rel, index, root, root_mark[0], root_mark[1], positions, shared)
                        self.done.append(document)
                        yield document
                    continue
                if isinstance(event, yaml.StreamStartEvent):
                    continue
                mark = (start.line + first_line, start.column + 1)

                if kind is alias_event:
                    if event.anchor in open_anchors:
                        raise Abort("load-recursive-alias", f"alias *{event.anchor} refers to a node that"
                                     " contains it (recursive structure)", mark[0], mark[1])
                    if event.anchor not in anchors:
                        raise Abort("load-syntax", f"alias *{event.anchor} has no anchor", mark[0], mark[1])
                    value, weight = anchors[event.anchor]
                    shared = True
                    if not stack:
                        root, root_mark = value, mark
                        self._check_weight(weight, mark)
                        continue
                    attach(stack[-1], value, weight, mark, positions, False)
                    continue

                # a collection starts
                tag = getattr(event, "tag", None)
                if tag not in (None, "!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"):
                    raise Abort("load-unsafe-tag", f"tag {tag} is not a standard YAML tag; Kubernetes"
                                 " manifests use plain data only", mark[0], mark[1])
                if len(stack) >= self.limits.max_depth:
                    raise Abort("load-too-deep", f"nesting deeper than {self.limits.max_depth} levels",
                                 mark[0], mark[1])
                if stack and stack[-1].is_mapping and stack[-1].pending_key is _NO_KEY:
                    raise Abort("load-complex-key", "a mapping or sequence used as a mapping key is not"
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
                raise Abort("load-complex-key", "a mapping or sequence used as a mapping key is not valid in a"
                             " Kubernetes manifest", mark[0], mark[1])
            else:
                parent.pending_key = key_text(value)
            parent.key_mark = mark
            return
        key = parent.pending_key
        parent.pending_key = _NO_KEY
        if key is _MERGE:
            merged = value if isinstance(value, list) else [value]
            if not all(isinstance(item, dict) for item in merged):
                raise Abort("load-syntax", "a merge key (<<) must refer to a mapping or a list of mappings",
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
            raise Abort("load-alias-bomb", f"document expands to over {self.limits.max_nodes_per_document:,}"
                         " nodes through aliases (an alias bomb?)", mark[0], mark[1])
