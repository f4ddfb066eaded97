"""``gitops-validate rules``: the domain rules, as a list or as the generated ``docs/rules.md``."""

from __future__ import annotations

import sys

from validate.commands import Parser
from validate.rules import _docs


def main(argv: list[str]) -> int:
    parser = Parser(prog="gitops-validate rules", description="List the domain rules.")
    parser.add_argument("--format", choices=("text", "markdown"), default="text")
    args = parser.parse_args(argv)
    sys.stdout.write(_docs.markdown() if args.format == "markdown" else _docs.listing())
    return 0
