"""``gitops-validate new-env NAME --from ENV``: arguments and output of :mod:`validate.newenv`."""

from __future__ import annotations

import sys
from pathlib import Path, PurePosixPath
from typing import Any

from validate import discover
from validate.commands import Parser, repository_root
from validate.commands.graph import UPDATE_DOCS, update_docs
from validate.model import Severity, ToolError
from validate.newenv import Plan, apply, make_plan, token_pattern
from validate.pipeline import Options, Run, run
from validate.report import TextReporter


def describe(plan: Plan, dry_run: bool) -> list[str]:
    verb = "would " if dry_run else ""
    kustomizations = sorted({PurePosixPath(r).parent.as_posix() for r in plan.files
                             if PurePosixPath(r).name in discover.KUSTOMIZATION_NAMES})
    out = [(f"{'plan: ' if dry_run else ''}{plan.target}/ from {plan.source_dir}/"
            f" ({len(kustomizations)} overlays, {len(plan.files) + len(plan.links)} files)")]
    out.append(f"  {verb}create {plan.target}/")
    for label, number in sorted(plan.counts.items()):
        out.append(f"    renamed {label} in {number} file{'s' if number != 1 else ''}")
    for edit in plan.project_edits:
        out.append(f"  {verb}edit {edit.file}: AppProject {edit.project} gets destination namespace"
                   f" {edit.namespace} (after {edit.after}, line {edit.line})")
    if plan.config_edit is not None:
        config = plan.config_edit
        profile = f" with profile {config.profile}" if config.profile else ""
        out.append(f"  {verb}edit {config.file}: environment {config.environment}{profile} (line {config.line})")
    for note in plan.notes:
        out.append(f"  note: {note}")
    if plan.review:
        out.append(f"  review: these lines of the copy still mention {plan.source!r} (left as written):")
        out.extend(f"    {line}" for line in plan.review)
    if plan.applications:
        out.append(f"Argo CD Applications that {'would' if dry_run else 'will'} appear:")
        width = max(len(app.name) for app in plan.applications)
        for app in plan.applications:
            where = f" in {app.namespace}" if app.namespace else ""
            out.append(f"  {app.name.ljust(width)}  {app.path}{where}  [{app.owner}]")
    else:
        out.append("Argo CD Applications that will appear: none (no generator matches the new folders)")
    return out


def new_environment_findings(result: Run, plan: Plan) -> tuple[list[Any], int]:
    """Error findings about the new environment, and how many other errors the repository has."""
    names = [app.name for app in plan.applications]
    prefix = plan.target + "/"
    edited = {edit.file for edit in plan.project_edits} | ({plan.config_edit.file} if plan.config_edit else set())
    ours, others = [], 0
    for finding in result.findings:
        if finding.severity != Severity.ERROR:
            continue
        about_us = (finding.file or "").startswith(prefix) or (finding.render or "").startswith(prefix) or \
            finding.render == plan.target or finding.file in edited or \
            any(token_pattern(name).search(finding.message) for name in names)
        if about_us:
            ours.append(finding)
        else:
            others += 1
    return ours, others


def main(argv: list[str]) -> int:
    parser = Parser(prog="gitops-validate new-env", description="Fork an environment: copy overlays/ENV to"
                     " overlays/NAME with its namespaces and environment labels renamed, add the namespace to"
                     " the AppProjects, then validate the repository.")
    parser.add_argument("name", metavar="NAME", help="the new environment (a DNS-1123 label)")
    parser.add_argument("--from", dest="source", required=True, metavar="ENV", help="the environment to copy")
    parser.add_argument("--dry-run", "-n", action="store_true", help="print the plan, write nothing")
    parser.add_argument("path", nargs="?", type=Path, metavar="PATH",
                        help="the repository (default: the one the current directory is in)")
    parser.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    args = parser.parse_intermixed_args(argv)
    root = repository_root(args.path)
    plan = make_plan(root, args.name, args.source)
    if args.dry_run:
        print("\n".join(describe(plan, dry_run=True)))
        return 0
    apply(plan)
    print("\n".join(describe(plan, dry_run=False)))
    try:
        changed = update_docs(root)
        if changed:
            print(f"  regenerated {', '.join(changed)}")
    except (OSError, ToolError) as error:
        print(f"  the generated docs could not be updated ({error}): run `{UPDATE_DOCS}`")
    sys.stdout.flush()
    try:
        result = run(Options(paths=[root]))
    except ToolError as error:
        raise ToolError(f"{plan.target} is written, but the validation could not run: {error}") from None
    ours, others = new_environment_findings(result, plan)
    for finding in ours:
        print(TextReporter.line(finding))
    elsewhere = f"; {others} error{'s' if others != 1 else ''} elsewhere in the repository" if others else ""
    if ours:
        print(f"validation: {len(ours)} error{'s' if len(ours) != 1 else ''} in {plan.target}{elsewhere}"
              f" ({plan.target} is written: fix it, or delete it)")
        return 1
    print(f"validation: no error in {plan.target}{elsewhere}")
    return 0
