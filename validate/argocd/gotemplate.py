"""ApplicationSet templates offline: legacy fasttemplate and a common subset of Go's text/template
and Sprig. Whatever is beyond the subset is reported as a problem and left as written, so that no
rule judges a guessed value."""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath
from typing import Any


def sanitize_name(name: str) -> str:
    """Argo CD's ``basenameNormalized``: lower case, anything but ``[-a-z0-9.]`` as ``-``."""
    value = re.sub(r"[^-a-z0-9.]", "-", name.lower())[:253]
    return value.strip("-.")


def as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


# --- fasttemplate ------------------------------------------------------------------------------

_FAST_TAG = re.compile(r"\{\{(.*?)\}\}", re.S)


def render_fast(value: str, params: dict[str, Any], problems: list[str]) -> str:
    """Legacy templates: ``{{key}}`` replaced by the flat parameter; unknown keys stay as written."""

    def replace(match: re.Match[str]) -> str:
        key = match.group(1).strip()
        if key in params:
            return as_string(params[key])
        problems.append(f"{{{{{key}}}}} is not a parameter of any generator: Argo CD leaves it as written")
        return match.group(0)

    return _FAST_TAG.sub(replace, value)


# --- Go template subset------------------------------------------------------------------------

_GO_ACTION = re.compile(r"\{\{(-?)(.*?)(-?)\}\}", re.S)
_GO_TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(\|)|(\$?[.\w\[\]-][\w.\-]*)|(\S))')
_NO_VALUE = "<no value>"


class _Unsupported(Exception):
    pass


def render_go(value: str, params: dict[str, Any], problems: list[str]) -> str:
    """Go-template mode: field references, ``index`` and a few Sprig functions; any other action
    is reported and stays as written, so that no rule judges a guessed value."""
    out: list[str] = []
    position = 0
    for match in _GO_ACTION.finditer(value):
        before = value[position:match.start()]
        if match.group(1) == "-" and match.group(2)[:1].isspace():
            before = before.rstrip()
        out.append(before)
        body = match.group(2)
        if match.group(1) == "-":
            body = body[1:] if body[:1].isspace() else body
        try:
            result = _evaluate(body.strip(), params)
            if result is None:
                problems.append(f"{{{{ {body.strip()} }}}} refers to a parameter no generator sets: Argo CD"
                                f" renders {_NO_VALUE!r} (or fails with missingkey=error)")
                out.append(match.group(0))
            else:
                out.append(as_string(result))
        except _Unsupported as reason:
            problems.append(f"{{{{ {body.strip()} }}}}: {reason}; the offline expansion does not evaluate it")
            out.append(match.group(0))
        position = match.end()
        if match.group(3) == "-":
            rest = value[position:]
            position += len(rest) - len(rest.lstrip())
    out.append(value[position:])
    return "".join(out)


def _tokens(body: str) -> list[str]:
    tokens = []
    position = 0
    while position < len(body):
        match = _GO_TOKEN.match(body, position)
        if match is None or match.end() == position:
            break
        token = next(g for g in match.groups() if g is not None) if any(match.groups()) else ""
        if match.group(5) is not None:
            raise _Unsupported(f"{match.group(5)!r} is beyond the supported subset")
        tokens.append(token)
        position = match.end()
        if not body[position:].strip():
            break
    return tokens


_KEYWORDS = {"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"}


def _evaluate(body: str, params: dict[str, Any]) -> Any:
    if body.startswith("/*"):
        return ""
    tokens = _tokens(body)
    if not tokens:
        raise _Unsupported("an empty action")
    if tokens[0] in _KEYWORDS or any(t.startswith("$") and t != "$" and not t.startswith("$.") for t in tokens) \
            or ":=" in body or "(" in body:
        raise _Unsupported("control structures, variables and parentheses are beyond the supported subset")
    commands: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            commands.append([])
        else:
            commands[-1].append(token)
    result: Any = _MISSING
    for command in commands:
        if not command:
            raise _Unsupported("an empty pipeline stage")
        result = _command(command, params, result)
    return None if result is _MISSING else result


_MISSING = object()


def _argument(token: str, params: dict[str, Any]) -> Any:
    if token.startswith('"'):
        return json.loads(token)
    if token.startswith("`"):
        return token[1:-1]
    if token.startswith(".") or token.startswith("$."):
        current: Any = params
        for part in [p for p in token.lstrip("$").split(".") if p]:
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
        return current
    if token == ".":
        return params
    if re.fullmatch(r"-?\d+", token):
        return int(token)
    if token in ("true", "false"):
        return token == "true"
    raise _Unsupported(f"{token!r} is beyond the supported subset")


def _command(command: list[str], params: dict[str, Any], piped: Any) -> Any:
    head, *rest = command
    if head.startswith((".", "$", '"', "`")) or re.fullmatch(r"-?\d+|true|false", head):
        if rest or piped is not _MISSING:
            raise _Unsupported("a value cannot take arguments")
        return _argument(head, params)
    function = _FUNCTIONS.get(head)
    if function is None:
        raise _Unsupported(f"function {head!r} is beyond the supported subset")
    args = [_argument(token, params) for token in rest]
    if piped is not _MISSING:
        args.append(piped)
    try:
        return function(*args)
    except (TypeError, IndexError, KeyError, ValueError) as error:
        raise _Unsupported(f"{head} cannot be evaluated offline ({error})") from None


def _index(collection: Any, *keys: Any) -> Any:
    current = collection
    for key in keys:
        if isinstance(current, list) and isinstance(key, int):
            current = current[key]
        elif isinstance(current, dict):
            current = current.get(key if isinstance(key, str) else str(key))
        else:
            return None
    return current


def _text(value: Any) -> str:
    return as_string(value)


_FUNCTIONS: dict[str, Any] = {
    "index": _index,
    "lower": lambda s: _text(s).lower(),
    "upper": lambda s: _text(s).upper(),
    "title": lambda s: _text(s).title(),
    "trim": lambda s: _text(s).strip(),
    "trimPrefix": lambda prefix, s: _text(s).removeprefix(_text(prefix)),
    "trimSuffix": lambda suffix, s: _text(s).removesuffix(_text(suffix)),
    "replace": lambda old, new, s: _text(s).replace(_text(old), _text(new)),
    "default": lambda fallback, value=None: fallback if value in (None, "", [], {}, False, 0) else value,
    "quote": lambda *values: " ".join(json.dumps(_text(v)) for v in values),
    "toString": _text,
    "base": lambda s: PurePosixPath(_text(s)).name,
    "dir": lambda s: PurePosixPath(_text(s)).parent.as_posix(),
    "join": lambda separator, items: _text(separator).join(_text(i) for i in items),
    "normalize": lambda s: sanitize_name(_text(s)),
    "printf": lambda pattern, *args: _printf(_text(pattern), args),
}


def _printf(pattern: str, args: tuple[Any, ...]) -> str:
    converted = re.sub(r"%[vsdq]", "%s", pattern)
    return converted % tuple(_text(a) for a in args)


