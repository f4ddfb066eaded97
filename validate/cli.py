"""Command-line interface: parse arguments, run the pipeline, report, exit 0/1/2.

Exit codes: 0 no error-level finding; 1 at least one; 2 the tool could not do its job (bad
usage, kubectl missing or wrong, unreadable configuration, internal error), with one line on
standard error saying why. No traceback unless ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO, cast

from validate import __version__
from validate.command import Parser
from validate.findings import ToolError
from validate.pipeline import Options, run
from validate.report import REPORTERS, default_format


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="gitops-validate", description="Validate a Seldon Core + Argo CD GitOps repository"
                     " offline: render as Argo CD does, check every object strictly, report at file:line.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="other commands (each with --help):\n"
                     "  gitops-validate rules                       the domain rules\n"
                     "  gitops-validate diff --base REF             rendered changes per Argo CD Application\n"
                     "  gitops-validate graph                       apps, environments, Applications, projects\n"
                     "  gitops-validate new-env NAME --from ENV     fork an environment\n"
                     "  gitops-validate sources pull|list           the offline chart and git source cache (pull: network)\n\n"
                     "exit codes: 0 no error, 1 errors found, 2 the tool could not run")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders to check (default: the repository"
                        " the current directory is in)")
    parser.add_argument("--format", choices=sorted(REPORTERS), default=None,
                        help="output format (default: github inside GitHub Actions, else text)")
    parser.add_argument("--kubernetes-version", "-k", action="append", default=[], metavar="VERSION",
                        help="check against this Kubernetes version (repeatable; default from the config,"
                        " else the oldest and newest shipped)")
    parser.add_argument("--crd", action="append", default=[], type=Path, metavar="FILE",
                        help="a CustomResourceDefinition file whose schemas to use (repeatable)")
    parser.add_argument("--schema-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="a folder of JSON schemas in kubeconform's layout (repeatable)")
    parser.add_argument("--changed-since", metavar="REF", help="check only what changed since this git revision"
                        " (plus Argo CD manifests and repository-wide rules)")
    parser.add_argument("--no-cache", action="store_true", help="render everything afresh; do not read or write"
                        " the render cache")
    parser.add_argument("--sources-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="the source cache folder (first use), then extra read-only source folders (repeatable;"
                        " default from the config's sources, else ~/.cache/gitops-validate/sources)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="parallel renders (default: 2 x cores)")
    parser.add_argument("--no-progress", action="store_true", help="never draw the render progress line")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    parser.add_argument("--version", action="version", version=f"gitops-validate {__version__}")
    return parser


class Progress:
    """``rendering 12 paths…`` on an interactive terminal; silent under CI, pre-commit and pipes."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.done = 0
        self.drawn = False

    @classmethod
    def for_terminal(cls, stream: TextIO, environ: Mapping[str, str], enabled: bool = True) -> Progress | None:
        quiet = environ.get("CI") or environ.get("PRE_COMMIT") or environ.get("GITHUB_ACTIONS")
        interactive = hasattr(stream, "isatty") and stream.isatty()
        return cls(stream) if enabled and interactive and not quiet else None

    def tick(self, _result: object) -> None:
        self.done += 1
        self.stream.write(f"\rrendering: {self.done} paths done")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


def rules_main(argv: list[str]) -> int:
    from validate.rules import _docs

    parser = Parser(prog="gitops-validate rules", description="List the domain rules.")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    args = parser.parse_args(argv)
    sys.stdout.write(_docs.markdown() if args.format == "markdown" else _docs.listing())
    return 0


# Subcommands: a first argument with one of these names (a folder of that name is still
# reachable as ./name). Each takes the remaining arguments and returns the exit code.
SUBCOMMANDS: dict[str, str] = {
    "rules": "validate.cli:rules_main",
    "diff": "validate.diff:main",
    "graph": "validate.graph:main",
    "new-env": "validate.newenv:main",
    "sources": "validate.sources_command:main",
}


def _subcommand(name: str) -> Callable[[list[str]], int]:
    module_name, _, function = SUBCOMMANDS[name].partition(":")
    module = importlib.import_module(module_name)
    return cast(Callable[[list[str]], int], getattr(module, function))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] and argv[0] in SUBCOMMANDS:
        try:
            return _subcommand(argv[0])(argv[1:])
        except SystemExit as exit_:
            return exit_.code if isinstance(exit_.code, int) else 2
        except KeyboardInterrupt:
            print(f"gitops-validate {argv[0]}: interrupted", file=sys.stderr)
            return 2
        except Exception as error:  # noqa: BLE001 - the contract is one line and exit 2, never a traceback
            if "--debug" in argv:
                raise
            print(f"gitops-validate {argv[0]}: internal error: {type(error).__name__}: {error}", file=sys.stderr)
            return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    for folder in args.schema_dir:
        if not folder.is_dir():
            parser.error(f"--schema-dir {folder}: not a directory")
    for file in args.crd:
        if not file.is_file():
            parser.error(f"--crd {file}: not a file")
    progress = Progress.for_terminal(sys.stderr, os.environ, enabled=not args.no_progress)
    options = Options(paths=args.paths, on_render=progress.tick if progress else None,
                      kubernetes_versions=args.kubernetes_version, crd_files=args.crd, schema_dirs=args.schema_dir,
                      jobs=args.jobs, changed_since=args.changed_since, use_cache=not args.no_cache,
                      sources_dirs=args.sources_dir)
    try:
        try:
            result = run(options)
        finally:
            if progress:
                progress.close()
        REPORTERS[args.format or default_format(os.environ)](sys.stdout).report(result)
        sys.stdout.flush()
    except ToolError as error:
        print(f"gitops-validate: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gitops-validate: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 2
    except Exception as error:
        if args.debug:
            raise
        print(f"gitops-validate: internal error: {type(error).__name__}: {error} (rerun with --debug)",
              file=sys.stderr)
        return 2
    return result.exit_code
