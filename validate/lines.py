"""Line numbers as git counts them.

YAML (libyaml, PyYAML) breaks lines at a lone CR, NEL, LS and PS as well as at LF; git, GitHub,
SARIF viewers and editors' "go to line" count LF only. Every position the loader reports is
renumbered here when a file uses such breaks, so a finding never points past the file's end.
"""

from __future__ import annotations

import re
from dataclasses import replace

from validate.model import Document, Finding

# YAML breaks lines at a lone CR, NEL, LS and PS too; git, GitHub, SARIF viewers and editors'
# "go to line" count only LF. Found by fuzzing: a file of lone CRs had its findings on lines past
# its end, where a code-scanning annotation has nowhere to stand.
_YAML_BREAK = re.compile("\r\n|\r|\n|\x85|\u2028|\u2029")
ODD_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")


def has_odd_break(text: str) -> bool:
    """Whether ``text`` breaks a line anywhere but at an LF (the plain searches first: the pattern
    alone takes a tenth of a second on a 4 MB stream)."""
    if "\r" not in text and "\x85" not in text and "\u2028" not in text and "\u2029" not in text:
        return False
    return ODD_BREAK.search(text) is not None


def as_git_counts(text: str, documents: list[Document], findings: list[Finding]) -> list[Finding]:
    """Renumber ``documents`` in place, and return ``findings``, with every line number counted as
    git counts lines (LF only)."""
    if not has_odd_break(text):
        return findings
    lines = [1]  # YAML's line index -> git's line number
    for match in _YAML_BREAK.finditer(text):
        lines.append(lines[-1] + (1 if match.group().endswith("\n") else 0))

    def git_line(line: int) -> int:
        return lines[min(line, len(lines)) - 1]

    for document in documents:
        document.line = git_line(document.line)
        document.positions = {path: (git_line(line), column) for path, (line, column) in document.positions.items()}
    return [replace(finding, line=git_line(finding.line)) if finding.line else finding for finding in findings]
