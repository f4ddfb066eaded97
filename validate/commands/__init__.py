"""The CLI's commands, one module each (check, rules, diff, graph, new_env): arguments and output only.

The work happens in the pipeline, the stages and the domain modules; a command parses its
arguments, calls them, and writes the result through a :class:`~validate.report.Reporter`.
Commands raise :class:`~validate.model.ToolError` for what the user can fix and never print
errors themselves: ``cli.py`` runs every command inside one error handler (exit 2, one line,
``--debug`` for the traceback). This module holds what they share.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from validate.model import ToolError
from validate.pipeline import find_root, implicit_root


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's contract: a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def repository_root(path: Path | None) -> Path:
    """The repository holding ``path`` (default: the working directory)."""
    if path is None:
        return implicit_root()
    start = path
    if not start.exists():
        raise ToolError(f"{start}: no such file or directory")
    return find_root(start)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it: readers see old or new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        else:
            os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
