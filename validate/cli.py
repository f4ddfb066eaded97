"""Command-line interface: pick the command, run it inside the one error handler, exit 0/1/2.

Exit codes: 0 no error-level finding; 1 at least one; 2 the tool could not do its job (bad
usage, kubectl missing or wrong, unreadable configuration, internal error), with one line on
standard error saying why. No traceback unless ``--debug``. Each command is a module of
:mod:`validate.commands` with ``main(argv) -> int``; it raises :class:`ToolError` for what the
user can fix and never prints errors itself.
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
from collections.abc import Callable
from typing import cast

from validate import children
from validate.model import ToolError

# Subcommands: a first argument with one of these names (a folder of that name is still
# reachable as ./name). Anything else is the check command's arguments.
SUBCOMMANDS: dict[str, str] = {
    "rules": "validate.commands.rules",
    "diff": "validate.commands.diff",
    "graph": "validate.commands.graph",
    "new-env": "validate.commands.new_env",
    "sources": "validate.commands.sources",
}
CHECK = "validate.commands.check"


def command(name: str | None) -> Callable[[list[str]], int]:
    """The ``main`` of a subcommand (None: the check command)."""
    module = importlib.import_module(SUBCOMMANDS[name] if name is not None else CHECK)
    return cast(Callable[[list[str]], int], module.main)


def entry() -> None:
    """The console script and ``python -m validate``: :func:`main`, then the process ends as at a
    normal exit (output flushed, exit handlers run) but without freeing what the run built one
    object at a time, which takes a tenth of a second after a large run."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: started with that descriptor closed
                stream.flush()
        except (OSError, ValueError):  # the reader went away (``| head``), a full disk, a closed stream
            code = code or 2
    atexit._run_exitfuncs()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    # Ctrl-C and SIGTERM end every child process group first, then unwind (cleaning up as they go).
    restore = children.install_signal_handlers()
    try:
        return _main(sys.argv[1:] if argv is None else argv)
    finally:
        restore()


def _main(argv: list[str]) -> int:
    name = argv[0] if argv[:1] and argv[0] in SUBCOMMANDS else None
    prog = f"gitops-validate {name}" if name else "gitops-validate"
    arguments = argv[1:] if name else argv
    try:
        return command(name)(arguments)
    except SystemExit as exit_:  # argparse: --help, --version (0) and usage errors (2, already printed)
        return exit_.code if isinstance(exit_.code, int) else 2
    except ToolError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (``| head``): nothing more to say
        return 2
    except Exception as error:  # noqa: BLE001 - the contract is one line and exit 2, never a traceback
        if "--debug" in arguments:
            raise
        print(f"{prog}: internal error: {type(error).__name__}: {error} (rerun with --debug)", file=sys.stderr)
        return 2
