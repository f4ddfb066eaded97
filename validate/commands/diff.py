"""``gitops-validate diff --base REF``: arguments and output of :mod:`validate.diff`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from validate import diff
from validate.commands import Parser, repository_root
from validate.model import ToolError
from validate.report import Reporter


@dataclass(frozen=True)
class DiffReport:
    """What ``diff`` reports: every Application's change against ``ref``."""

    diffs: list[diff.AppDiff]
    ref: str

    @property
    def changed(self) -> list[diff.AppDiff]:
        return [d for d in self.diffs if d.status != "unchanged"]

    def summary(self) -> str:
        counts = {status: sum(1 for d in self.diffs if d.status == status)
                  for status in ("changed", "added", "removed", "unchanged")}
        return (f"{len(self.diffs)} Applications compared with {self.ref}: {counts['changed']} changed,"
                f" {counts['added']} added, {counts['removed']} removed, {counts['unchanged']} unchanged")


class TextDiffReporter(Reporter[DiffReport]):
    name = "text"

    def report(self, subject: DiffReport) -> None:
        for d in subject.changed:
            self.out.write(f"Application {d.name} ({d.status}): {d.counts()}\n{d.diff}")
        self.out.write(subject.summary() + "\n")


class MarkdownDiffReporter(Reporter[DiffReport]):
    """A pull-request comment: a table of the changed Applications, each diff folded."""

    name = "markdown"

    def report(self, subject: DiffReport) -> None:
        out = [f"### Rendered changes against `{subject.ref}`", "", subject.summary(), ""]
        if subject.changed:
            out += ["| Application | change | objects added | removed | changed |", "|---|---|---|---|---|"]
            out += [f"| `{d.name}` | {d.status} | {d.objects_added} | {d.objects_removed} | {d.objects_changed} |"
                    for d in subject.changed]
            out.append("")
        for d in subject.changed:
            fence = "````" if "```" in d.diff else "```"
            out += ["<details>", f"<summary><code>{d.name}</code> ({d.status})</summary>", "", f"{fence}diff",
                    d.diff.rstrip("\n"), fence, "", "</details>", ""]
        self.out.write("\n".join(out).rstrip() + "\n")


REPORTERS: dict[str, type[Reporter[DiffReport]]] = {r.name: r for r in (TextDiffReporter, MarkdownDiffReporter)}


def main(argv: list[str]) -> int:
    parser = Parser(prog="gitops-validate diff", description="Render every Argo CD Application at a git"
                     " revision and in the working tree, and show what would change.",
                     epilog="exit codes: 0 compared (changes or not, without --exit-code); 1 with --exit-code and"
                     " at least one Application changed, added or removed; 2 the tool could not run (bad revision,"
                     " not a git repository, kubectl missing), one line on stderr")
    parser.add_argument("--base", required=True, metavar="REF", help="the git revision to compare with")
    parser.add_argument("--format", choices=sorted(REPORTERS), default="text")
    parser.add_argument("--exit-code", action="store_true", help="exit 1 when any Application changes")
    parser.add_argument("path", nargs="?", type=Path, default=None, help="a folder of the repository")
    parser.add_argument("--sources-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="the source cache folder, then read-only folders (as for the check command)")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    args = parser.parse_args(argv)
    root = repository_root(args.path)
    if not (root / ".git").exists():
        raise ToolError(f"{root} is not in a git repository: diff compares with a git revision")
    report = DiffReport(diff.render_both(root, args.base, sources_dirs=args.sources_dir), args.base)
    REPORTERS[args.format](sys.stdout).report(report)
    sys.stdout.flush()
    return 1 if args.exit_code and report.changed else 0
