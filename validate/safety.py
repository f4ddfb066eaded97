"""What never reaches kustomize: inputs that failed the loader's safety checks.

kustomize (like Argo CD's repo-server) parses YAML with its own limits, or none: a ten-line
alias bomb listed under ``resources:`` grew three kustomize processes past 11 GB each. A
rendered path that could read such a file is not rendered; the finding names the file, the
check it failed, and the kustomization line that makes the render read it.
"""

from __future__ import annotations

from validate.discover import Inventory, render_inputs, where_named
from validate.load import LoadedFile, load_bytes
from validate.model import Finding, Limits

# What kustomize must never read: it parses YAML with its own limits, or none (an alias bomb of ten
# lines grew three kustomize processes past 11 GB each).
UNSAFE_RULES = ("load-alias-bomb", "load-recursive-alias", "load-too-deep", "load-too-many-documents",
                "load-oversize", "load-binary")
# For files the validator does not read as YAML (any name kustomize accepts, generator sources):
# binary content is legitimate there (a ConfigMap's binaryData), so only what bombs a parser counts.
_UNSAFE_ELSEWHERE = ("load-alias-bomb", "load-recursive-alias", "load-too-deep", "load-too-many-documents",
                     "load-oversize")


def unsafe_inputs(inventory: Inventory, loaded: dict[str, LoadedFile], limits: Limits) -> dict[str, Finding]:
    """Every file some render could read that failed the loader's safety checks, with the finding.

    Files loaded as YAML already carry their findings (reported by the load stage). Any other
    file a render could read (``bomb.txt`` listed under ``resources:`` is parsed all the same) is
    checked here, and its finding is new: it goes with the renders it blocks.
    """
    candidates: set[str] = set()
    for directory in inventory.rendered:
        candidates |= render_inputs(inventory, directory)
    unsafe: dict[str, Finding] = {}
    for rel in sorted(candidates):
        if rel in loaded:
            finding = next((f for f in loaded[rel].findings if f.rule in UNSAFE_RULES), None)
            if finding is not None:
                unsafe[rel] = finding
            continue
        path = inventory.root / rel
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                unsafe[rel] = Finding("load-oversize", f"file is {size:,} bytes, over the {limits.max_file_bytes:,}"
                                      " byte limit (raise limits.maxFileBytes in the config if a render really"
                                      " reads it)", rel, None)
                continue
            raw = path.read_bytes()
        except OSError:
            continue  # kustomize will say it cannot read it
        finding = next((f for f in load_bytes(raw, rel, limits).findings if f.rule in _UNSAFE_ELSEWHERE), None)
        if finding is not None:
            unsafe[rel] = finding
    return unsafe


def blocked_renders(inventory: Inventory, unsafe: dict[str, Finding]) -> dict[str, list[Finding]]:
    """Rendered paths that could read an unsafe file: each a finding where the file is named."""
    blocked: dict[str, list[Finding]] = {}
    if not unsafe:
        return blocked
    for directory in inventory.rendered:
        bad = sorted(set(unsafe) & render_inputs(inventory, directory))
        findings: list[Finding] = []
        for rel in bad:
            problem = unsafe[rel]
            where = f"line {problem.line}" if problem.line else "the file"
            file, line = where_named(inventory, directory, rel)
            findings.append(Finding("render-unsafe-input", f"not rendered: it reads {rel}, which failed the loader's"
                                    f" safety checks ({problem.rule} at {where}); kustomize, like Argo CD's"
                                    " repo-server, would parse it without limits", file, line, render=directory))
            findings.append(problem)  # for YAML files the same finding as the load stage's: merged
        blocked[directory] = findings
    return blocked
