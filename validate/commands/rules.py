"""``gitops-validate rules``: the domain rules, as a list or as the generated ``docs/rules.md``."""

from __future__ import annotations

import sys
from pathlib import Path

from validate.commands import Parser
from validate.model import ToolError
from validate.rules import _docs, _scaffold


def main(argv: list[str]) -> int:
    parser = Parser(prog="gitops-validate rules", description="List the domain rules.")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    parser.add_argument("--new", metavar="ID", help="start a new rule in this source checkout: its module, its"
                        " registry entry and its fixtures (see CONTRIBUTING.md)")
    parser.add_argument("--title", help="with --new: one line saying what must hold")
    parser.add_argument("--default", choices=("error", "warning", "info"), default="error",
                        help="with --new: the rule's default severity")
    args = parser.parse_args(argv)
    if args.new is not None:
        if not args.title:
            parser.error("--new needs --title")
        root = Path(_scaffold.__file__).resolve().parents[2]
        if not (root / "tests" / "rules" / "fixtures").is_dir():
            raise ToolError(f"--new writes into a source checkout of the validator; {root} is not one")
        for path in _scaffold.scaffold(root, args.new, args.title, args.default):
            print(f"wrote {path.relative_to(root)}")
        return 0
    sys.stdout.write(_docs.markdown() if args.format == "markdown" else _docs.listing())
    return 0
