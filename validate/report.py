"""Reporters: one class per output format, all reading the same sorted findings and summary.

Every reporter sees only the :class:`Result` (findings, rendered paths, counts), never a
stage's internals, and writes deterministic output: the same findings give the same bytes,
except for the run time that the summary line and the JUnit ``time`` attributes carry.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, TextIO
from urllib.parse import quote

from validate import __version__, rules
from validate.findings import Finding, Severity
from validate.pipeline import Result


class Reporter:
    name = ""

    def __init__(self, out: TextIO):
        self.out = out

    def report(self, result: Result) -> None:
        raise NotImplementedError


def summary(result: Result) -> dict[str, object]:
    counts = {str(severity): result.count(severity) for severity in Severity}
    return {
        "counts": counts,
        "errors": counts["error"],
        "warnings": counts["warning"],
        "infos": counts["info"],
        "exitCode": result.exit_code,
        "rendered": result.rendered,
        "renderedCount": len(result.rendered),
        "renderCache": {"hits": result.cache_hits, "misses": result.cache_misses},
        "objects": len(result.objects),
        "files": result.files,
        "kubernetesVersions": result.versions,
        "seconds": round(result.seconds, 3),
    }


class TextReporter(Reporter):
    name = "text"

    def report(self, result: Result) -> None:
        for finding in result.findings:
            self.out.write(self.line(finding) + "\n")
        counts = summary(result)
        plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
        self.out.write(
            f"{plural(counts['errors'], 'error')}, {plural(counts['warnings'], 'warning')},"
            f" {counts['infos']} info; {plural(result.files, 'YAML file')}, {plural(len(result.rendered), 'path')}"
            f" rendered{f' ({result.cache_hits} from cache)' if result.cache_hits else ''},"
            f" {plural(len(result.objects), 'object')} checked against Kubernetes"
            f" {', '.join(result.versions)} in {result.seconds:.1f}s\n")

    @staticmethod
    def line(finding: Finding) -> str:
        where = finding.file or "<repository>"
        if finding.line is not None:
            where += f":{finding.line}:{finding.column or 1}"
        about = f" [{finding.object}]" if finding.object and finding.object.kind else ""
        via = f" (rendered from {finding.render})" if finding.render else ""
        return f"{where}: {finding.severity} {finding.rule} {finding.message}{about}{via}"


class JsonReporter(Reporter):
    name = "json"

    def report(self, result: Result) -> None:
        document = {"findings": [f.as_json() for f in result.findings], "summary": summary(result)}
        json.dump(document, self.out, indent=2, sort_keys=False)
        self.out.write("\n")


#NEWREPORTERS
