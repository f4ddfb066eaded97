"""Where each key and item of a block-style document stands, read from its lines and its data.

The event builder (validate.yaml_events) records every node's position, but pays for a Python
event and two marks per node. A document read by the native parser (validate.fastyaml) already
has its data, and in block style the rest is visible line by line: a mapping's keys stand at one
indentation, a sequence's items after a ``- `` at one indentation, and whatever is more indented
belongs to the value before it. :func:`find` walks the lines and the data together and records,
as the event builder does, the line and column of each mapping key and of the first character of
each sequence item's value.

Every key read from a line must be the data's next key, and no content line may be left over,
so a line is never taken for a node it is not. Whatever this walk does not read with certainty
gives None, and the caller runs the event builder: flow collections with content, explicit,
multi-line or escaped keys, an item whose value is a scalar on a later line, an empty item.

:func:`along` finds only the nodes on one path, for a finding to be placed: the keys and items
before the one on the path are checked against the data as above, but what stands under them is
passed by its indentation alone. That holds where every line is a node's own: in a document with
no flow collection or quoted scalar that goes on to another line (:func:`skippable`).
"""

from __future__ import annotations

from typing import Any

from validate.model import FieldPath


class _GiveUp(Exception):
    pass


_BLANK = 1 << 30  # the depth of a blank or comment line: never a node's, always skipped


def find(lines: list[str], first_line: int, data: Any, row: int, column: int) -> dict[FieldPath, tuple[int, int]] | None:
    """The positions of ``data``'s nodes, 1-based, or None; ``lines`` are the document's text (the
    first is line ``first_line`` of its file) and its root node starts at 0-based ``row``, ``column``."""
    walk = _Walk(lines, first_line)
    try:
        if data.__class__ is dict:
            end = walk.mapping(row, column, data, ())
        elif data.__class__ is list:
            end = walk.sequence(row, column, data, ())
        else:
            return {}
        if walk.content(end) < len(lines):
            return None
    except (_GiveUp, IndexError, RecursionError):  # RecursionError: a nesting limit raised in the configuration
        return None
    return walk.found


def skippable(text: str) -> bool:
    """Whether every line of this document's ``text`` belongs to the node it is indented under: no
    flow collection and no quoted scalar goes on to another line (where a line may stand at any
    indentation). Told by counting on the lines that hold a quote or a bracket: some one-line values
    are taken for open ones (an apostrophe in a comment), and the caller then reads the whole document."""
    if "\\\"" in text:
        return False
    for mark in ('"', "'", "[", "{"):
        at = text.find(mark)
        while at >= 0:
            begin, end = text.rfind("\n", 0, at) + 1, text.find("\n", at)
            end = len(text) if end < 0 else end
            if mark in "\"'":
                if text.count(mark, begin, end) % 2:  # a quote left open
                    return False
            elif (text.count('"', begin, end) or text.count("'", begin, end)  # a quote may hide a closing bracket
                  or text.count("[", begin, end) + text.count("{", begin, end)
                  != text.count("]", begin, end) + text.count("}", begin, end)):
                return False
            at = text.find(mark, end)
    return True


def lines_of(text: str, first_line: int) -> _Walk:
    """A document's lines read once (their indentation) for any number of :func:`along` walks."""
    return _Walk(text.split("\n"), first_line)


def along(walk: _Walk, data: Any, row: int, column: int, path: FieldPath) -> dict[FieldPath, tuple[int, int]] | None:
    """The positions of the nodes on ``path`` that ``data`` has (the path itself when it has it; its
    deepest existing ancestor otherwise), or None where :func:`find` would give up on them. Only for
    a document that is :func:`skippable`: the nodes beside the path are passed by indentation."""
    walk.found = {}
    try:
        walk.towards(row, column, data, path)
    except (_GiveUp, IndexError):
        return None
    return walk.found


class _Walk:
    __slots__ = ("depth", "first_line", "found", "lines")

    def __init__(self, lines: list[str], first_line: int):
        self.lines = lines
        self.first_line = first_line
        self.found: dict[FieldPath, tuple[int, int]] = {}
        # Each line's indentation, or _BLANK for a blank or comment line.
        self.depth = [len(line) - len(stripped) if (stripped := line.lstrip(" ")) and stripped[0] != "#" else _BLANK
                      for line in lines]

    def content(self, row: int) -> int:
        """The first row from ``row`` on that is neither blank nor a comment."""
        depth, end = self.depth, len(self.depth)
        while row < end and depth[row] == _BLANK:
            row += 1
        return row

    def skip(self, row: int, column: int) -> int:
        """The first row from ``row`` on with content indented ``column`` or less."""
        depth, end = self.depth, len(self.depth)
        while row < end and depth[row] > column:
            row += 1
        return row

    def mapping(self, row: int, column: int, data: dict[str, Any], path: FieldPath) -> int:
        """Reads ``data``, whose first key stands at ``row``, ``column`` and the others at that
        indentation on later lines; returns the row after it."""
        lines, depth, found, first_line = self.lines, self.depth, self.found, self.first_line
        end = len(lines)
        first = True
        for key, value in data.items():
            if first:
                first = False
            else:
                while row < end and depth[row] == _BLANK:
                    row += 1
                if row >= end or depth[row] != column:
                    raise _GiveUp
            line = lines[row]
            after = _colon(line, column, key)
            found[path + (key,)] = (first_line + row, column + 1)
            kind = value.__class__
            if kind is not dict and kind is not list:  # a scalar: its more indented lines continue it
                row += 1
                while row < end and depth[row] > column:
                    row += 1
                continue
            row = self.container(row, column, line[after + 1:].strip(" "), value, path + (key,))
        return row

    def container(self, row: int, column: int, rest: str, value: Any, path: FieldPath) -> int:
        """Reads the mapping or sequence that is the value of the key at ``row`` (indented
        ``column``), ``rest`` being what follows the key's colon."""
        kind = value.__class__
        if rest and rest[0] != "#":
            if not value and rest.split(" #", 1)[0].rstrip(" ") == ("{}" if kind is dict else "[]"):
                return row + 1
            raise _GiveUp
        row = self.content(row + 1)
        inner = self.depth[row]
        if kind is dict:
            if inner <= column:
                raise _GiveUp
            return self.mapping(row, inner, value, path)
        if inner < column:
            raise _GiveUp
        return self.sequence(row, inner, value, path)

    def sequence(self, row: int, column: int, data: list[Any], path: FieldPath) -> int:
        """Reads ``data``, whose first ``-`` stands at ``row``, ``column`` and the others at that
        indentation on later lines; returns the row after it."""
        lines, depth, found, first_line = self.lines, self.depth, self.found, self.first_line
        end = len(lines)
        for index, value in enumerate(data):
            if index:
                while row < end and depth[row] == _BLANK:
                    row += 1
                if row >= end or depth[row] != column:
                    raise _GiveUp
            line = lines[row]
            start = _dash(line, column)
            kind = value.__class__
            item = path + (index,)
            if start == len(line) or line[start] == "#":  # the value starts on a later line
                if kind is not dict and kind is not list:
                    raise _GiveUp
                row = self.content(row + 1)
                inner = depth[row]
                if inner <= column:
                    raise _GiveUp
                found[item] = (first_line + row, inner + 1)
                row = self.mapping(row, inner, value, item) if kind is dict else self.sequence(row, inner, value, item)
                continue
            found[item] = (first_line + row, start + 1)
            if kind is dict:
                row = self.mapping(row, start, value, item)
            elif kind is list:
                if line[start] != "-":
                    raise _GiveUp
                row = self.sequence(row, start, value, item)
            else:
                row += 1
                while row < end and depth[row] > column:
                    row += 1
        return row

    # --- one path --------------------------------------------------------------------------------

    def towards(self, row: int, column: int, node: Any, path: FieldPath) -> None:
        """Records the nodes of ``path`` from ``node`` (standing at ``row``, ``column``) down."""
        lines, depth, found = self.lines, self.depth, self.found
        done: FieldPath = ()
        for step in path:
            if node.__class__ is dict:
                if step.__class__ is not str or step not in node:
                    return
                row, after = self._key_row(row, column, node, str(step))
                found[done + (step,)] = (self.first_line + row, column + 1)
                value = node[step]
                if value.__class__ is not dict and value.__class__ is not list:
                    return
                rest = lines[row][after + 1:].strip(" ")
                if rest and rest[0] != "#":
                    if not value:  # {} or []: nothing under it
                        return
                    raise _GiveUp
                row = self.content(row + 1)
                inner = depth[row]
                if inner < column or (inner == column and value.__class__ is dict):
                    raise _GiveUp
                column = inner
            elif node.__class__ is list:
                if step.__class__ is not int or not 0 <= step < len(node):
                    return
                row, start = self._item_row(row, column, step)
                line = lines[row]
                value = node[step]
                if start == len(line) or line[start] == "#":  # the value starts on a later line
                    if value.__class__ is not dict and value.__class__ is not list:
                        raise _GiveUp
                    row = self.content(row + 1)
                    if depth[row] <= column:
                        raise _GiveUp
                    start = depth[row]
                elif value.__class__ is list and line[start] != "-":
                    raise _GiveUp
                found[done + (step,)] = (self.first_line + row, start + 1)
                column = start
            else:
                return
            done += (step,)
            node = value

    def _key_row(self, row: int, column: int, mapping: dict[str, Any], wanted: str) -> tuple[int, int]:
        """The row of key ``wanted`` of ``mapping`` (its first key at ``row``), checking each key
        before it against the data, and the offset after its colon."""
        lines, depth = self.lines, self.depth
        end = len(lines)
        for index, (key, value) in enumerate(mapping.items()):
            if index:
                row = self.content(row)
                if row >= end or depth[row] != column:
                    raise _GiveUp
            after = _colon(lines[row], column, key)
            if key == wanted:
                return row, after
            row += 1  # past what stands under this key: more indented lines, and a list's "- " at its column
            compact = value.__class__ is list
            while row < end and (depth[row] > column or (compact and depth[row] == column and lines[row][column] == "-"
                                                          and lines[row][column + 1: column + 2] in ("", " "))):
                row += 1
        raise _GiveUp

    def _item_row(self, row: int, column: int, wanted: int) -> tuple[int, int]:
        """The row of item ``wanted`` of the sequence whose first ``-`` stands at ``row``, ``column``,
        and the offset after its dash and spaces."""
        depth = self.depth
        end = len(depth)
        for index in range(wanted + 1):
            if index:
                row += 1
                while row < end and depth[row] > column:
                    row += 1
            if row >= end or depth[row] != column:
                raise _GiveUp
            start = _dash(self.lines[row], column)
        return row, start


_INDICATORS = frozenset("?-[]{},#&*!|>%@`\"'")


def _dash(line: str, column: int) -> int:
    """The offset after the ``-`` at ``column`` and the spaces after it, which must be an item's dash."""
    if line[column] != "-" or line[column + 1: column + 2] not in ("", " "):
        raise _GiveUp
    start = column + 1
    while line[start: start + 1] == " ":
        start += 1
    return start


def _colon(line: str, column: int, key: str) -> int:
    """The offset of the colon after ``key``, which must be the key written at ``column``."""
    after = column + len(key)
    # The usual plain key, checked against the data's; anything else is read in full.
    if line.startswith(key, column) and line[after: after + 1] == ":" and line[after + 1: after + 2] in ("", " ") \
            and key[:1] not in _INDICATORS:
        return after
    text, after = _key(line, column)
    if text != key:
        raise _GiveUp
    return after - 1


def _key(line: str, column: int) -> tuple[str, int]:
    """The mapping key at ``column`` and the offset after its colon."""
    quote = line[column]
    if quote == '"' or quote == "'":
        close = line.find(quote, column + 1)
        if close < 0:
            raise _GiveUp
        text = line[column + 1: close]
        if (quote == '"' and "\\" in text) or (quote == "'" and line[close + 1: close + 2] == "'"):
            raise _GiveUp  # escapes: the event builder reads them
        colon = close + 1
        while line[colon: colon + 1] == " ":
            colon += 1
        if line[colon: colon + 1] != ":" or line[colon + 1: colon + 2] not in ("", " "):
            raise _GiveUp
        return text, colon + 1
    if quote in "?-[]{},#&*!|>%@`":
        raise _GiveUp
    colon = line.find(":", column)
    while colon >= 0 and line[colon + 1: colon + 2] not in ("", " "):
        colon = line.find(":", colon + 1)
    if colon < 0 or " #" in line[column:colon]:
        raise _GiveUp
    return line[column:colon].rstrip(" "), colon + 1
