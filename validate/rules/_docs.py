"""``docs/rules.md`` and ``gitops-validate rules``, generated from the rule docstrings."""

from __future__ import annotations

from validate import registry as ids
from validate.rules import SECTIONS, registry, sections, title

HEADER = """# Rules

Generated from the rule docstrings by `gitops-validate rules --format markdown`; a test keeps it
up to date. Besides these rules, every stage reports under its own ids: `load-*` (reading YAML),
`yamllint-*` (style), `discover-*`, `render-*` (kustomize), `schema-*` (strict schemas) and
`apivalidation-*` (the API server's semantic validation: `apivalidation-invalid`, `apivalidation-warning`,
`apivalidation-seldon-pod`; see docs/apivalidation.md); [Stage findings](#stage-findings) lists each
of them with its fix.

Suppress a rule on one object with an annotation whose value says why:

```yaml
metadata:
  annotations:
    ignore-check.gitops-validate.io/<rule-id>: "the reason it does not apply"
```

An empty reason is itself a finding (`suppression-reason`), and so is an annotation naming no
rule (`suppression-unknown-rule`).
"""


STAGES_ANCHOR = "stage-findings"


def stage_table() -> list[str]:
    """The stages' finding ids with what each means and its fix (``validate/registry.py`` holds both)."""
    out = ["## Stage findings", "",
           "Reported by the validator's stages (reading, rendering, schemas, sources, API validation), not by a"
           " domain rule; the text report prints the fix under each finding, and `gitops-validate rules ID`"
           " explains one.", "", "| id | what | fix |", "|---|---|---|"]
    for stage_id, stage in sorted(ids.STAGES.items()):
        out.append(f"| `{stage_id}` | {stage.title} | {stage.fix}. |")
    return out


def listing() -> str:
    rows = [f"{rule_id:40} {getattr(module, 'DEFAULT', 'error'):8} {title(module)}"
            for rule_id, module in registry().items()]
    return "\n".join(rows) + "\n"


def markdown() -> str:
    out = [HEADER, "| rule | default | what |", "|---|---|---|"]
    for rule_id, module in registry().items():
        out.append(f"| [`{rule_id}`](#{rule_id}) | {getattr(module, 'DEFAULT', 'error')} | {title(module)} |")
    for rule_id, module in registry().items():
        out += ["", f"## {rule_id}", "", f"{title(module)}. Default severity: {getattr(module, 'DEFAULT', 'error')}."]
        found = sections(module)
        for heading in SECTIONS:
            out += ["", f"**{heading}.**", "", found.get(heading, "")]
    out += ["", *stage_table()]
    return "\n".join(out).rstrip() + "\n"


def full(rule_id: str) -> str:
    """``gitops-validate rules ID``: the rule's whole documentation, as text."""
    module = registry()[rule_id]
    out = [f"{rule_id}: {title(module)}", f"default severity: {getattr(module, 'DEFAULT', 'error')}"]
    found = sections(module)
    for heading in SECTIONS:
        if found.get(heading):
            out += ["", f"{heading}:", *("    " + line if line else "" for line in found[heading].splitlines())]
    out += ["", "Suppress on one object, saying why:",
            f"    metadata.annotations: {{ignore-check.gitops-validate.io/{rule_id}: \"the reason\"}}"]
    return "\n".join(out) + "\n"
