"""Did-you-mean: the nearest known name to a misspelt one (difflib), for messages users can act on.

Used for unknown fields (checked against the schema: a suggestion is only made when the object
validates with it), kinds, apiVersions, rule ids and configuration keys.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from typing import Any


def closest(word: str, choices: Iterable[str], cutoff: float = 0.75) -> str | None:
    """The nearest choice: a case-insensitive equal first, then difflib's closest above ``cutoff``."""
    pool = sorted(set(choices))
    folded = [c for c in pool if c.lower() == word.lower() and c != word]
    if folded:
        return folded[0]
    found = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    return found[0] if found and found[0] != word else None


def candidates(word: str, choices: Iterable[str], cutoff: float = 0.75, n: int = 6) -> list[str]:
    """Up to ``n`` near choices, nearest first, case-insensitive equals ahead of the rest."""
    pool = sorted(set(choices))
    folded = [c for c in pool if c.lower() == word.lower() and c != word]
    return folded + [c for c in difflib.get_close_matches(word, pool, n=n, cutoff=cutoff) if c != word and c not in folded]


def hint(word: str, choices: Iterable[str], cutoff: float = 0.75) -> str:
    """`` (did you mean 'x'?)`` or nothing."""
    near = closest(word, choices, cutoff)
    return f" (did you mean {near!r}?)" if near else ""


def property_names(schemas: Iterable[Any]) -> set[str]:
    """Every name under a ``properties`` anywhere in these JSON schemas."""
    names: set[str] = set()
    pending: list[Any] = list(schemas)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict):
                names.update(k for k in properties if isinstance(k, str))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return names


# A Kubernetes quantity: a signed decimal number, then a binary (Ki..Ei), decimal (n..E) or exponent suffix.
_QUANTITY = r"[+-]?(\d+(\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?"
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)"
_BINARY = {"k": "Ki", "m": "Mi", "g": "Gi", "t": "Ti", "p": "Pi", "e": "Ei"}
_SCALE = {"": 1, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
          "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}


def is_quantity(text: str) -> bool:
    return re.fullmatch(_QUANTITY, text) is not None


def quantity_fix(text: str) -> str | None:
    """The quantity a malformed one most likely meant: ``500mi``/``500MiB``/``500MB`` -> ``500Mi``/``500M``."""
    match = re.fullmatch(rf"\s*({_NUMBER})\s*([A-Za-z]*)\s*", text)
    if match is None:
        return None
    number, unit = match.group(1), match.group(4)
    if is_quantity(text.strip()) and text.strip() != text:  # `100M `, ` 1Gi`: only the spaces are wrong
        return text.strip()
    if unit.lower() in ("cpu", "cpus", "core", "cores"):  # `0.5cpu`: a CPU quantity is a plain number of cores
        return number
    bare = unit[:-1] if unit[-1:] in ("B", "b") and len(unit) > 1 else unit
    if bare.lower() in ("ki", "mi", "gi", "ti", "pi", "ei"):
        return number + bare[0].upper() + "i"
    if len(bare) == 1 and bare.lower() in _BINARY:
        candidate = number + (bare if bare in ("m", "k") and unit == bare else _BINARY[bare.lower()])
        return candidate if is_quantity(candidate) and candidate != text else None
    return None


def quantity_value(text: str) -> float | None:
    """The quantity's value in base units (bytes, cores), None when it is not one."""
    match = re.fullmatch(_QUANTITY, text)
    if match is None:
        return None
    suffix = match.group(3) or ""
    number = float(text[: len(text) - len(suffix)] if suffix else text)
    if suffix[:1] in ("e", "E") and len(suffix) > 1:
        try:
            return number * 10 ** int(suffix[1:])
        except OverflowError:  # 1e999999: more than a float holds, and so more than any limit
            return math.copysign(math.inf, number) if number else 0.0
    return number * _SCALE[suffix]
