"""The one definition of an environment, used by the severity profiles, the rules, ``graph`` and ``new-env``.

An environment is a folder directly under ``overlays/``: ``overlays/<env>/<app>`` holds the
overlay of one app in it, and copying ``overlays/<env>`` forks it (``new-env``). The
configuration's ``environments`` may map path patterns to environment names (and a severity
profile); a file or render path then belongs to the first environment one of whose patterns
matches it, and otherwise to the ``overlays/`` folder it is in.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

OVERLAYS = "overlays"


def environment_of(configured: Mapping[str, Mapping[str, Any]], rel: str) -> str | None:
    """The environment a repository path (a file, or a rendered directory) belongs to, if any.

    ``configured`` is the configuration's ``environments`` section."""
    for name, settings in configured.items():
        for pattern in settings.get("paths", []):
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel + "/", pattern) or rel.startswith(
                    pattern.rstrip("*").rstrip("/") + "/"):
                return name
    parts = rel.split("/")
    if len(parts) >= 2 and parts[0] == OVERLAYS:
        return parts[1]
    return None


def names(directories: Iterable[str]) -> list[str]:
    """The environments a repository has: the folders directly under ``overlays/``."""
    return sorted({d.split("/")[1] for d in directories if d.count("/") == 1 and d.startswith(OVERLAYS + "/")})


def folder(environment: str) -> str:
    """Where an environment's overlays live."""
    return f"{OVERLAYS}/{environment}"


def overlay(environment: str, app: str) -> str:
    """The folder of ``app``'s overlay in ``environment``."""
    return f"{OVERLAYS}/{environment}/{app}"


def is_app_overlay(directory: str) -> bool:
    """``overlays/<env>/<app>`` or deeper: an overlay of an app, not the environment folder itself."""
    parts = directory.split("/")
    return len(parts) >= 3 and parts[0] == OVERLAYS
