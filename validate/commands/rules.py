"""``gitops-validate rules``: the domain rules, as a list or as the generated ``docs/rules.md``."""

from __future__ import annotations

import sys
from pathlib import Path

from validate import registry as ids
from validate import suggest
from validate.commands import Parser
from validate.model import ToolError
from validate.rules import _docs, _scaffold, registry


def main(argv: list[str]) -> int:
    parser = Parser(prog="gitops-validate rules", description="List the domain rules, or explain one.")
    parser.add_argument("rule", nargs="?", metavar="ID", help="print this rule's full documentation")
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
    if args.rule is not None:
        known = registry()
        if args.rule in known:
            sys.stdout.write(_docs.full(args.rule))
            return 0
        if ids.is_known(args.rule):  # a stage's finding (schema-quantity, load-syntax, yamllint-indentation)
            sys.stdout.write(stage(args.rule))
            return 0
        raise ToolError(f"no rule {args.rule!r}{suggest.hint(args.rule, ids.known(), cutoff=0.6)}; the list:"
                        " gitops-validate rules")
    sys.stdout.write(_docs.markdown() if args.format == "markdown" else _docs.listing())
    return 0


# Where each stage's findings are explained (paths in the validator's source checkout and repository).
STAGE_DOCS = {
    "apivalidation-": "docs/apivalidation.md",
    "yamllint-": "docs/validator.md, \"YAML style\", and yamllint's documentation of the rule",
    "kustomize-": "docs/validator.md, \"Kustomize diagnostics\"",
    "schema-": "docs/validator.md, \"Schemas\"",
    "source-": "docs/validator.md, \"Helm sources and the source cache\"",
    "helm-": "docs/validator.md, \"Helm sources and the source cache\"",
    "server-": "docs/validator.md, \"Server-side mode\"",
    "load-": "docs/validator.md, \"Hostile input, faults and load\"",
}


def stage(rule_id: str) -> str:
    """What ``gitops-validate rules ID`` says about a finding a stage reports (not a domain rule)."""
    prefix = next((p for p in STAGE_DOCS if rule_id.startswith(p)), None)
    where = STAGE_DOCS[prefix] if prefix else "docs/validator.md"
    return (f"{rule_id}: {ids.known()[rule_id]}.\n\n"
            f"Fix: {ids.remediation(rule_id)}\n\n"
            "Reported by a stage of the validator (reading, rendering, schemas, API validation), not by a domain"
            " rule: the message of each finding says what is wrong and, where it can, what was meant"
            f" (\"did you mean ...\"). Its severity is the one each finding shows; change it"
            f" with `rules: {{{rule_id}: warning}}` in .gitops-validate.yaml or `--rule {rule_id}=warning`."
            f" Explained in {where}.\n")
