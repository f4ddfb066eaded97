"""``new-env``'s edit of ``.gitops-validate.yaml``: the new environment, with the profile of the one it copies.

A text edit, so comments and layout stay: one flow-style line for the new environment right
after the source environment's entry (or a new ``environments:`` section at the end when the
file has none), read back before anything is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from validate import load
from validate.config import CONFIG_NAMES
from validate.environments import OVERLAYS
from validate.newenv.plan import ConfigEdit, Plan, token_pattern


def config_edit(plan: Plan) -> ConfigEdit | None:
    """The edit that registers ``plan.name`` like ``plan.source``; None when there is no
    configuration file, or when the source environment has neither a profile nor paths there."""
    path = next((plan.root / name for name in CONFIG_NAMES if (plan.root / name).is_file()), None)
    if path is None:
        return None
    original = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    loaded = load.load_text(original, path.name)
    data = loaded.documents[0].data if loaded.documents and not loaded.findings else None
    if not isinstance(data, dict):
        return None
    environments: dict[str, Any] = data["environments"] if isinstance(data.get("environments"), dict) else {}
    profiles: dict[str, Any] = data["profiles"] if isinstance(data.get("profiles"), dict) else {}
    settings: dict[str, Any] = environments[plan.source] if isinstance(environments.get(plan.source), dict) else {}
    profile = settings.get("profile", plan.source if plan.source in profiles else None)
    old_prefix, new_prefix = f"{OVERLAYS}/{plan.source}", f"{OVERLAYS}/{plan.name}"
    paths = [token_pattern(old_prefix).sub(new_prefix, p) for p in settings.get("paths", []) if isinstance(p, str)]
    if profile is None and not paths:
        return None
    fields = []
    if paths:
        fields.append(f"paths: [{', '.join(json.dumps(p) for p in paths)}]")
    if profile is not None:
        fields.append(f"profile: {profile if re.fullmatch(r'[A-Za-z][A-Za-z0-9_.-]*', profile) else json.dumps(profile)}")
    lines = original.splitlines(keepends=True)
    section = _section(lines)
    if section is None:
        text = original + ("" if original.endswith("\n") or not original else "\n") + \
            f"environments:\n  {plan.name}: {{{', '.join(fields)}}}\n"
    else:
        start, end, indent = section
        after = _entry_end(lines, start, end, indent, plan.source)
        entry = f"{' ' * indent}{plan.name}: {{{', '.join(fields)}}}\n"
        if after > 0 and not lines[after - 1].endswith("\n"):
            lines[after - 1] += "\n"
        text = "".join(lines[:after]) + entry + "".join(lines[after:])
    read = load.load_text(text, path.name)
    written = read.documents[0].data if read.documents and not read.findings else None
    expected = {**({"paths": paths} if paths else {}), **({"profile": profile} if profile is not None else {})}
    if not isinstance(written, dict) or written.get("environments", {}).get(plan.name) != expected:
        return None
    line = text[:text.index(f"{plan.name}: {{")].count("\n") + 1
    return ConfigEdit(path.name, plan.name, profile, line, original, text)


def _section(lines: list[str]) -> tuple[int, int, int] | None:
    """(first line of the entries, end, indent of the entries) of the top-level ``environments:``
    block mapping; None when there is none (or it is written in flow style)."""
    for number, line in enumerate(lines):
        if re.match(r"environments\s*:\s*(#.*)?$", line.rstrip("\n")):
            end = number + 1
            indent = None
            while end < len(lines):
                stripped = lines[end].strip()
                if stripped and not stripped.startswith("#"):
                    current = len(lines[end]) - len(lines[end].lstrip(" "))
                    if current == 0:
                        break
                    indent = current if indent is None else indent
                end += 1
            return (number + 1, end, indent) if indent is not None else None
    return None


def _entry_end(lines: list[str], start: int, end: int, indent: int, key: str) -> int:
    """The line after ``key``'s entry in the block, or after the last entry when ``key`` is absent."""
    last = start
    index = start
    while index < end:
        line = lines[index]
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and len(line) - len(line.lstrip(" ")) == indent:
            found = re.match(rf"\s*{re.escape(key)}\s*:", line) is not None
            index += 1
            while index < end and (not lines[index].strip() or
                                   len(lines[index]) - len(lines[index].lstrip(" ")) > indent):
                index += 1
            last = index
            if found:
                return _trim(lines, start, index)
            continue
        index += 1
    return _trim(lines, start, last)


def _trim(lines: list[str], start: int, index: int) -> int:
    """Back over trailing blank lines, so the new entry sits right after the one it copies."""
    while index > start and not lines[index - 1].strip():
        index -= 1
    return index
