"""``gitops-validate [PATH...]``: run every stage and report the findings in one format."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from validate import __version__
from validate.commands import Parser
from validate.config import check_overrides
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
    parser.add_argument("--missing-schemas", choices=("error", "warn", "skip"), default=None,
                        help="a custom resource whose kind has no schema (no CRD in the repository, no --crd):"
                        " an error, a warning or nothing (default from the config's missingSchemas, else warn)")
    parser.add_argument("--rule", action="append", default=[], metavar="ID=LEVEL",
                        help="set a rule's severity (error, warning, info or off) for this run, over the"
                        " configuration; ID may end in * (repeatable)")
    parser.add_argument("--changed-since", metavar="REF", help="check only what changed since this git revision"
                        " (plus Argo CD manifests and repository-wide rules)")
    parser.add_argument("--hook", action="store_true", help="pre-commit's contract: PATHS are the files of the"
                        " commit (plus the deletions it stages) and what reads them; none, or every tracked file"
                        " (--all-files): the whole repository")
    parser.add_argument("--no-cache", action="store_true", help="render everything afresh; do not read or write"
                        " the render cache")
    parser.add_argument("--sources-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="the source cache folder (first use), then extra read-only source folders (repeatable;"
                        " default from the config's sources, else ~/.cache/gitops-validate/sources)")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="parallel kustomize processes (default: one per core)")
    parser.add_argument("--child-memory-limit", type=int, default=None, metavar="MIB",
                        help="memory cap of every kustomize process (default: kustomize.memoryLimitMiB of the"
                        " config, else 2048)")
    parser.add_argument("--child-cpu-limit", type=int, default=None, metavar="SECONDS",
                        help="CPU-time cap of every kustomize process (default: kustomize.cpuLimitSeconds of the"
                        " config, else 120)")
    parser.add_argument("--no-progress", action="store_true", help="never draw the render progress line")
    parser.add_argument("--server", action="store_true", help="also dry-run every object on a real API server: a"
                        " throw-away control plane from $KUBEBUILDER_ASSETS, or a cluster (--context/--kubeconfig)")
    parser.add_argument("--context", help="with --server: the kubeconfig context of the cluster to dry-run on")
    parser.add_argument("--kubeconfig", help="with --server: the kubeconfig file (default $KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    parser.add_argument("--version", action="version", version=f"gitops-validate {__version__}")
    return parser


class Progress:
    """``rendering 12 paths…`` on an interactive terminal; silent under CI, pre-commit and pipes."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.done = 0
        self.total = 0  # renders to do, when the pipeline has said (Options.on_total)
        self.drawn = False

    @classmethod
    def for_terminal(cls, stream: TextIO, environ: Mapping[str, str], enabled: bool = True) -> Progress | None:
        quiet = environ.get("CI") or environ.get("PRE_COMMIT") or environ.get("GITHUB_ACTIONS")
        interactive = hasattr(stream, "isatty") and stream.isatty()
        return cls(stream) if enabled and interactive and not quiet else None

    def tick(self, _result: object) -> None:
        self.done += 1
        total = f"/{self.total}" if self.total else ""
        self.stream.write(f"\rrendering: {self.done}{total} paths done")
        self.stream.flush()
        self.drawn = True

    def set_total(self, total: int) -> None:
        self.total = total

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


def main(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.jobs is not None and args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if args.child_memory_limit is not None and args.child_memory_limit < 128:
        parser.error("--child-memory-limit must be at least 128 (MiB): kustomize cannot start with less")
    if args.child_cpu_limit is not None and args.child_cpu_limit < 1:
        parser.error("--child-cpu-limit must be at least 1 (second)")
    for folder in args.schema_dir:
        if not folder.is_dir():
            parser.error(f"--schema-dir {folder}: not a directory")
    for file in args.crd:
        if not file.is_file():
            parser.error(f"--crd {file}: not a file")
    if (args.context or args.kubeconfig) and not args.server:
        parser.error("--context and --kubeconfig go with --server")
    changed = None
    if args.hook:
        if args.changed_since:
            parser.error("--hook and --changed-since do not go together")
        from validate import hook
        from validate.pipeline import implicit_root

        changed = hook.changed(implicit_root(), args.paths, os.environ)
        args.paths = []
    progress = Progress.for_terminal(sys.stderr, os.environ, enabled=not args.no_progress)
    options = Options(paths=args.paths, on_render=progress.tick if progress else None,
                      on_total=progress.set_total if progress else None,
                      kubernetes_versions=args.kubernetes_version, crd_files=args.crd, schema_dirs=args.schema_dir,
                      missing_schemas=args.missing_schemas,
                      jobs=args.jobs, changed_since=args.changed_since, changed=changed, use_cache=not args.no_cache,
                      child_memory_mib=args.child_memory_limit, child_cpu_seconds=args.child_cpu_limit,
                      severities=check_overrides(args.rule),
                      sources_dirs=args.sources_dir)
    try:
        result = run(options)
    finally:
        if progress:
            progress.close()
    if args.server:
        from validate import servermode

        target = servermode.Target(context=args.context, kubeconfig=args.kubeconfig)
        servermode.merge(result, servermode.check(result, target, args.crd))
    REPORTERS[args.format or default_format(os.environ)](sys.stdout).report(result)
    sys.stdout.flush()
    _kept[:] = [result]
    return result.exit_code


# The last run, kept: freeing a large run's objects one at a time when main returns takes a tenth
# of a second, which the console script's exit then skips (validate.cli.entry).
_kept: list[Any] = []
