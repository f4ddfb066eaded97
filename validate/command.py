"""What every command of the CLI shares: argument errors as exit 2, and the repository a path names."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from validate.findings import ToolError
from validate.pipeline import find_root, implicit_root


class Parser(argparse.ArgumentParser):
    """argparse with the CLI's contract: a usage error is one line on stderr and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def parse(parser: argparse.ArgumentParser, argv: Sequence[str], intermixed: bool = False) -> argparse.Namespace | int:
    """The parsed arguments, or the exit code of a usage error or of --help (commands return codes)."""
    try:
        return parser.parse_intermixed_args(argv) if intermixed else parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2


def repository_root(path: Path | None) -> Path:
    """The repository holding ``path`` (default: the working directory)."""
    if path is None:
        return implicit_root()
    start = path
    if not start.exists():
        raise ToolError(f"{start}: no such file or directory")
    return find_root(start)
