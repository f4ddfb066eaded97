"""Reporters: one class per output format, all reading the same sorted findings and summary.

Every reporter sees only the :class:`Result` (findings, rendered paths, counts), never a
stage's internals, and writes deterministic output: the same findings give the same bytes,
except for the run time that the summary line and the JUnit ``time`` attributes carry.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Generic, TextIO, TypeVar
from urllib.parse import quote

from validate import __version__, registry, rules
from validate.model import Finding, Result, Severity
from validate.rules import _docs

Subject = TypeVar("Subject")


class Reporter(Generic[Subject]):
    """Writes one subject in one format to a stream: the protocol every command's output shares.

    ``check`` reports a :class:`Result` (the formats below), ``diff`` a
    :class:`~validate.commands.diff.DiffReport`, ``graph`` a :class:`~validate.graph.Graph`; each
    command keeps a ``REPORTERS`` table of its formats by ``name``."""

    name = ""

    def __init__(self, out: TextIO):
        self.out = out

    def report(self, subject: Subject) -> None:
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
        "charts": result.charts,
        "chartsMissing": result.charts_missing,
        "objects": len(result.objects),
        "files": result.files,
        "kubernetesVersions": result.versions,
        "seconds": round(result.seconds, 3),
    }


class TextReporter(Reporter[Result]):
    name = "text"

    def report(self, result: Result) -> None:
        for finding in result.findings:
            self.out.write(self.line(finding) + "\n")
        self.out.write(summary_line(result) + "\n")

    @staticmethod
    def line(finding: Finding) -> str:
        line = f"{location(finding)}: {finding.severity} {finding.rule} {described(finding)}"
        fix = fix_line(finding)
        return f"{line}\n    {fix}" if fix else line


def described(finding: Finding) -> str:
    """The finding's message as every format prints it: with the object it is about and the rendered
    path it came from, when it has them."""
    about = f" [{finding.object}]" if finding.object and finding.object.kind else ""
    via = f" (rendered from {finding.render})" if finding.render else ""
    return finding.message + about + via


def fix_line(finding: Finding) -> str:
    """What to do about ``finding`` as the human-readable formats print it ("" when the rule has no
    remediation): ``fix: <one sentence> (gitops-validate rules <rule>)``, the command that explains more."""
    fix = registry.remediation(finding.rule)
    return f"fix: {fix} (gitops-validate rules {finding.rule})" if fix else ""


class JsonReporter(Reporter[Result]):
    name = "json"

    def report(self, result: Result) -> None:
        """One finding per line (``grep``-able; and json's C encoder, which indenting would give up
        for the pure-Python one: 0.08 s instead of 0.03 on 2,700 findings), the summary indented."""
        findings = ",\n    ".join(json.dumps(self.finding(f)) for f in result.findings)
        listed = f"\n    {findings}\n  " if findings else ""
        summary_text = json.dumps(summary(result), indent=2).replace("\n", "\n  ")
        # One write: many small writes cost a stream run more than the encoding.
        self.out.write(f'{{\n  "findings": [{listed}],\n  "summary": {summary_text}\n}}\n')

    @staticmethod
    def finding(finding: Finding) -> dict[str, Any]:
        """The finding's contract keys, and ``fix``: the rule's remediation, when it has one."""
        out = finding.as_json()
        fix = registry.remediation(finding.rule)
        if fix:
            out["fix"] = fix
        return out


def location(finding: Finding) -> str:
    """``file:line:col`` as the text format prints it (``<repository>`` when there is no file)."""
    where = finding.file or "<repository>"
    if finding.line is not None:
        where += f":{finding.line}:{finding.column or 1}"
    return where


def summary_line(result: Result) -> str:
    """The closing summary line every human-readable format ends with, without its newline."""
    counts = summary(result)
    plural = lambda n, word: f"{n} {word}{'' if n == 1 else 's'}"  # noqa: E731
    cached = f" ({result.cache_hits} from cache)" if result.cache_hits else ""
    return (f"{plural(counts['errors'], 'error')}, {plural(counts['warnings'], 'warning')}, {counts['infos']} info;"
            f" {plural(result.files, 'YAML file')}, {plural(len(result.rendered), 'path')} rendered{cached},"
            f"{_charts(result)}"
            f" {plural(len(result.objects), 'object')} checked against Kubernetes {', '.join(result.versions)}"
            f" in {result.seconds:.1f}s")



def _charts(result: Result) -> str:
    if not result.charts and not result.charts_missing:
        return ""
    missing = f", {len(result.charts_missing)} not in the source cache" if result.charts_missing else ""
    return f" {len(result.charts)} chart(s) and remote source(s) rendered{missing},"

# JUnit XML -----------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all, not even escaped (a message can quote a binary file):
# all but tab, LF, CR, 0x20-0xd7ff, 0xe000-0xfffd and beyond 0xffff, written as what it matches
# (compiled at every start: 1 ms instead of 10).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_INVALID.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class JunitReporter(Reporter[Result]):
    """One ``<testsuite name="gitops-validate">``; one ``<testcase>`` per checked file and one per
    rendered path (``kustomize build <dir>``), so a clean run still counts what it checked.

    A testcase with error-level findings has a single ``<failure>``: its ``message`` is the first
    error as ``file:line:col rule message`` and its text lists every error, one per line (test
    report viewers disagree on a second ``<failure>`` in one testcase; several show only the first).
    Warnings and info go to the testcase's ``<system-out>``; they do not fail it. ``classname`` is
    the file's directory: Jenkins splits a classname at its last dot into package and class, which
    would make ``yaml`` the class of every file; the testcase ``name`` and GitLab's ``file``
    attribute carry the full path. Render failures belong to the ``kustomize build`` testcase of
    their path; every other finding to the testcase of its file (``<repository>`` when it has none).
    """

    name = "junit"
    SUITE = "gitops-validate"

    def report(self, result: Result) -> None:
        cases = self.cases(result)
        failing = sum(1 for findings, _ in cases.values()
                      if any(f.severity == Severity.ERROR for f in findings))
        seconds = f"{result.seconds:.3f}"
        counts = {"tests": str(len(cases)), "failures": str(failing), "errors": "0", "skipped": "0"}
        root = ET.Element("testsuites", {"name": self.SUITE, **counts, "time": seconds})
        suite = ET.SubElement(root, "testsuite", {"name": self.SUITE, **counts, "time": seconds})
        properties = ET.SubElement(suite, "properties")
        versions = ", ".join(result.versions)
        ET.SubElement(properties, "property", {"name": "kubernetes-versions", "value": versions})
        ET.SubElement(properties, "property", {"name": "version", "value": __version__})
        for (kind, name), (findings, case_seconds) in cases.items():
            JunitReporter.testcase(suite, kind, name, findings, case_seconds)
        ET.indent(root)
        self.out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        self.out.write(ET.tostring(root, encoding="unicode"))
        self.out.write("\n")

    @staticmethod
    def cases(result: Result) -> dict[tuple[str, str], tuple[list[Finding], float]]:
        """Testcases by (``file`` or ``render``, name), in a stable order: files, then renders."""
        rendered = set(result.rendered)
        files = {f.file or "<repository>" for f in result.findings
                 if not (f.rule.startswith("render-") and f.render in rendered)}
        files |= {obj.file for obj in result.objects if obj.file}
        cases: dict[tuple[str, str], tuple[list[Finding], float]] = {}
        for file in sorted(files):
            cases[("file", file)] = ([], 0.0)
        for directory in sorted(rendered):
            cases[("render", directory)] = ([], result.render_seconds.get(directory, 0.0))
        for finding in result.findings:
            if finding.rule.startswith("render-") and finding.render in rendered:
                cases[("render", finding.render or "")][0].append(finding)
            else:
                cases[("file", finding.file or "<repository>")][0].append(finding)
        return cases

    @staticmethod
    def testcase(suite: ET.Element, kind: str, name: str, findings: list[Finding], seconds: float) -> None:
        if kind == "render":
            attributes = {"name": f"kustomize build {name}", "classname": name}
        else:
            directory = name.rpartition("/")[0] if "/" in name else "."
            attributes = {"name": name, "classname": directory}
            if name != "<repository>":
                attributes["file"] = name
        attributes["time"] = f"{seconds:.3f}"
        case = ET.SubElement(suite, "testcase", {k: _xml_text(v) for k, v in attributes.items()})
        errors = [f for f in findings if f.severity == Severity.ERROR]
        others = [f for f in findings if f.severity != Severity.ERROR]
        if errors:
            first = errors[0]
            message = f"{location(first)} {first.rule} {first.message}"
            if len(errors) > 1:
                message += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
            failure = ET.SubElement(case, "failure", {"message": _xml_text(message), "type": first.rule})
            failure.text = _xml_text("\n".join(TextReporter.line(f) for f in errors))
        if others:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(TextReporter.line(f) for f in others))


# SARIF 2.1.0 ---------------------------------------------------------------------------------

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}



class SarifReporter(Reporter[Result]):
    """SARIF 2.1.0 for code scanning: one run, a rule descriptor for every rule that has a result.

    Paths are relative to ``%SRCROOT%`` (the repository root). A result is always anchored to a
    file, because GitHub refuses a whole upload when one result has no location: a finding that
    names no file is placed on the configuration file when there is one, and only otherwise left
    without a location. Domain rules carry their documentation as ``help``, and ``helpUri`` points
    at the rule's section of ``docs/rules.md`` in the configured ``repoURL`` when that is an https
    URL (the repository the validator ships in), which is also the ``informationUri``.
    """

    name = "sarif"

    def report(self, result: Result) -> None:
        json.dump(self.document(result), self.out, indent=2, ensure_ascii=False)
        self.out.write("\n")

    def document(self, result: Result) -> dict[str, Any]:
        rule_ids = sorted({f.rule for f in result.findings})
        index = {rule_id: number for number, rule_id in enumerate(rule_ids)}
        driver: dict[str, Any] = {"name": "gitops-validate", "version": __version__,
                                  "semanticVersion": __version__}
        home = _web_url(result.config.repo_url)
        if home:
            driver["informationUri"] = home
        driver["rules"] = [self.rule(rule_id, home) for rule_id in rule_ids]
        root_uri = result.root.resolve().as_uri().rstrip("/") + "/"
        run: dict[str, Any] = {
            "tool": {"driver": driver},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "results": [self.result(f, index[f.rule], result.config.source) for f in result.findings],
        }
        return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}

    @staticmethod
    def rule(rule_id: str, home: str | None = None) -> dict[str, Any]:
        name = "".join(part.capitalize() for part in re.split(r"[-_]", rule_id))
        descriptor: dict[str, Any] = {"id": rule_id, "name": name}
        module = rules.registry().get(rule_id)
        if module is not None:
            found = rules.sections(module)
            short = rules.title(module) or rule_id
            descriptor["shortDescription"] = {"text": short + "."}
            descriptor["fullDescription"] = {"text": _one_paragraph(found.get("What it does", short))}
            body = [f"**{heading}.**\n\n{found[heading]}" for heading in rules.SECTIONS if found.get(heading)]
            text = [f"{heading}:\n{found[heading]}" for heading in rules.SECTIONS if found.get(heading)]
            if body:
                descriptor["help"] = {"text": "\n\n".join(text), "markdown": "\n\n".join(body)}
            if home:
                descriptor["helpUri"] = f"{home}/blob/HEAD/docs/rules.md#{rule_id}"
            default = str(getattr(module, "DEFAULT", "error"))
        else:
            prefix = next((p for p in registry.FAMILIES if rule_id.startswith(p)), None)
            short = registry.FAMILIES[prefix] if prefix else rule_id
            descriptor["shortDescription"] = {"text": short + "."}
            descriptor["fullDescription"] = {"text": f"{short} ({rule_id})."}
            meaning = registry.known().get(rule_id)
            fix = registry.remediation(rule_id)
            if meaning and fix:
                descriptor["help"] = {"text": f"{meaning}.\n\nFix: {fix}",
                                      "markdown": f"{meaning}.\n\n**Fix.** {fix}"}
            if home and rule_id in registry.STAGES:
                descriptor["helpUri"] = f"{home}/blob/HEAD/docs/rules.md#{_docs.STAGES_ANCHOR}"
            default = "error"
        descriptor["defaultConfiguration"] = {"level": SARIF_LEVELS[Severity.parse(default)]}
        descriptor["properties"] = {"tags": [rule_id.split("-")[0]]}
        return descriptor

    @staticmethod
    def result(finding: Finding, rule_index: int, fallback_file: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"ruleId": finding.rule, "ruleIndex": rule_index,
                               "level": SARIF_LEVELS[finding.severity], "message": {"text": described(finding)}}
        locations: list[dict[str, Any]] = []
        file = finding.file or fallback_file
        if file:
            artifact = {"uri": quote(file, safe="/"), "uriBaseId": "%SRCROOT%"}
            physical: dict[str, Any] = {"artifactLocation": artifact}
            if finding.file and finding.line is not None and finding.line >= 1:
                region = {"startLine": finding.line}
                if finding.column is not None and finding.column >= 1:
                    region["startColumn"] = finding.column
                physical["region"] = region
            locations.append({"physicalLocation": physical})
        if finding.object and finding.object.kind:
            logical = {"name": finding.object.name or "?", "fullyQualifiedName": str(finding.object),
                       "kind": "resource"}
            if locations:
                locations[0]["logicalLocations"] = [logical]
            else:
                locations.append({"logicalLocations": [logical]})
        if locations:
            out["locations"] = locations
        if finding.render:
            out["properties"] = {"render": finding.render}
        return out


def _web_url(repo_url: str | None) -> str | None:
    """The browsable https address of a git URL, or None for anything else (ssh, file, unset)."""
    if not repo_url or not repo_url.startswith("https://"):
        return None
    url = repo_url.rstrip("/")
    return url.removesuffix(".git")


def _one_paragraph(text: str) -> str:
    return " ".join(text.split())


# GitHub Actions workflow commands -------------------------------------------------------------

GITHUB_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


class GithubReporter(Reporter[Result]):
    """``::error file=...,line=...,col=...,title=rule::message`` per finding, then the summary line.

    GitHub turns each command into an annotation on the file and line (it shows a limited number
    per step; the rest stay in the log). Chosen by default inside GitHub Actions, see
    :func:`default_format`.
    """

    name = "github"

    def report(self, result: Result) -> None:
        for finding in result.findings:
            self.out.write(self.command(finding) + "\n")
        self.out.write(summary_line(result) + "\n")

    @staticmethod
    def command(finding: Finding) -> str:
        properties: list[tuple[str, str]] = []
        if finding.file:
            properties.append(("file", finding.file))
            if finding.line is not None:
                properties.append(("line", str(finding.line)))
                if finding.column is not None:
                    properties.append(("col", str(finding.column)))
        properties.append(("title", finding.rule))
        where = "" if finding.file else "<repository>: "
        rendered = ",".join(f"{key}={_github_property(value)}" for key, value in properties)
        fix = fix_line(finding)
        # The fix on a line of its own under the message: GitHub shows an annotation's newlines (%0A).
        message = _github_data(where + described(finding) + (f"\n{fix}" if fix else ""))
        return f"::{GITHUB_COMMANDS[finding.severity]} {rendered}::{message}"


def default_format(environ: Mapping[str, str]) -> str:
    """The format when the user gives none: workflow commands inside GitHub Actions, else text."""
    return GithubReporter.name if environ.get("GITHUB_ACTIONS") == "true" else TextReporter.name


# Markdown (a pull-request comment) ------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")


def markdown_cell(text: str) -> str:
    """Text safe in a GitHub-flavoured Markdown table cell: no formatting, no HTML, no column break."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\r\n", "\n").replace("\r", "\n"))
    return escaped.replace("\n", "<br>")


class MarkdownReporter(Reporter[Result]):
    """A verdict heading, a summary table and a findings table, for a pull-request comment.

    Errors come first; the table stops at :attr:`MAX_ROWS` rows or when the comment would grow past
    :attr:`MAX_CHARS` (GitHub refuses comments over 65,536 characters), and says how many it left out.
    """

    name = "markdown"
    MAX_ROWS = 200
    MAX_CHARS = 60_000
    MAX_MESSAGE = 1_000

    def report(self, result: Result) -> None:
        self.out.write(self.render(result))

    def render(self, result: Result) -> str:
        errors, warnings, infos = (result.count(s) for s in (Severity.ERROR, Severity.WARNING, Severity.INFO))
        if errors:
            heading = f"## ❌ gitops-validate: {_plural(errors, 'error')}"
        else:
            heading = "## ✅ gitops-validate: no errors"
        lines = [heading, "", "| | |", "|---|---:|",
                 f"| errors | {errors} |", f"| warnings | {warnings} |", f"| info | {infos} |",
                 f"| YAML files | {result.files} |", f"| rendered paths | {len(result.rendered)} |",
                 f"| objects checked | {len(result.objects)} |",
                 f"| Kubernetes versions | {markdown_cell(', '.join(result.versions))} |"]
        # Errors first, so a capped table still shows them; the sort is stable, so file order stays.
        findings = sorted(result.findings, key=lambda f: -int(f.severity))
        if findings:
            lines += ["", "| severity | location | rule | message | fix |", "|---|---|---|---|---|"]
            size = sum(len(line) + 1 for line in lines)
            shown = 0
            for finding in findings:
                row = self.row(finding)
                if shown >= self.MAX_ROWS or size + len(row) + 1 > self.MAX_CHARS:
                    break
                lines.append(row)
                size += len(row) + 1
                shown += 1
            if shown < len(findings):
                left = len(findings) - shown
                note = f"{_plural(left, 'more finding')} not shown; run `gitops-validate` for them all."
                lines += ["", note]
        return "\n".join(lines) + "\n"

    def row(self, finding: Finding) -> str:
        where = finding.file or "<repository>"
        if finding.line is not None:
            where += f":{finding.line}"
        message = described(finding)
        if len(message) > self.MAX_MESSAGE:
            message = message[:self.MAX_MESSAGE] + "…"
        icon = {Severity.ERROR: "❌ error", Severity.WARNING: "⚠️ warning", Severity.INFO: "ℹ️ info"}
        return (f"| {icon[finding.severity]} | {markdown_cell(where)} | `{finding.rule}` |"
                f" {markdown_cell(message)} | {markdown_cell(registry.remediation(finding.rule))} |")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class TapReporter(Reporter[Result]):
    """TAP version 13 (as kubeconform offers): one test per checked file, ``not ok`` when it has an
    error-level finding; its findings in the test's YAML block. Findings without a file form one
    more test, ``repository``."""

    name = "tap"

    def report(self, result: Result) -> None:
        by_file: dict[str, list[Finding]] = {c.file: [] for c in result.objects if c.file}
        for finding in result.findings:
            by_file.setdefault(finding.file or "repository", []).append(finding)
        self.out.write(f"TAP version 13\n1..{len(by_file)}\n")
        for number, (file, found) in enumerate(sorted(by_file.items()), 1):
            failed = any(f.severity == Severity.ERROR for f in found)
            self.out.write(f"{'not ok' if failed else 'ok'} {number} - {file}\n")
            if found:
                self.out.write("  ---\n  findings:\n")
                for finding in found:
                    self.out.write(f"    - {json.dumps(TextReporter.line(finding).splitlines()[0], ensure_ascii=False)}\n")
                self.out.write("  ...\n")
        self.out.write(f"# {summary_line(result)}\n")


REPORTERS: dict[str, type[Reporter[Result]]] = {
    cls.name: cls
    for cls in (TextReporter, JsonReporter, JunitReporter, SarifReporter, GithubReporter, MarkdownReporter,
                TapReporter)
}
