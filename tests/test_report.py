"""The report formats: JUnit XML, SARIF 2.1.0, GitHub workflow commands and Markdown.

Most tests build a :class:`Result` by hand, so every corner (no line, no file, no column,
hostile characters, empty runs) is reached without a repository; a few run the real pipeline
through the CLI to check exit codes and that every format parses.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from validate import __version__, registry, rules
from validate.cli import main
from validate.model import Checked, Config, Finding, ObjectRef, Result, Severity
from validate.report import REPORTERS, GithubReporter, MarkdownReporter, default_format, markdown_cell

NASTY = 'value "a|b" <x> & 100% done, key: v\nsecond line\rthird'
SD = ObjectRef("machinelearning.seldon.io/v1", "SeldonDeployment", "seldon-prod", "iris")


def make_result(findings: list[Finding], root: Path, *, rendered: list[str] | None = None,
                objects: list[str] | None = None, render_seconds: dict[str, float] | None = None,
                repo_url: str | None = None, source: str | None = None) -> Result:
    config = Config(root=root, repo_url=repo_url, source=source)
    checked = [Checked({"apiVersion": "v1", "kind": "ConfigMap"}, file, 1, None) for file in objects or []]
    return Result(root=root, config=config, versions=["1.25", "1.37"],
                  findings=sorted(findings, key=Finding.sort_key), rendered=rendered or [], objects=checked,
                  files=len(set(objects or [])), seconds=1.23456, render_seconds=render_seconds or {})


def report(fmt: str, result: Result) -> str:
    out = io.StringIO()
    REPORTERS[fmt](out).report(result)
    return out.getvalue()


@pytest.fixture
def mixed(tmp_path: Path) -> Result:
    """Errors, a warning and an info, with and without lines, columns, files and objects."""
    findings = [
        Finding("schema-type", NASTY, "apps/a.yaml", 7, 3, Severity.ERROR, SD, "overlays/prod/a"),
        Finding("pod-privileged", "container 'c' is privileged", "apps/a.yaml", 12, None, Severity.ERROR, SD),
        Finding("pod-image-digest", "not pinned", "apps/a.yaml", 20, 5, Severity.WARNING, SD),
        Finding("yamllint-truthy", "truthy value", "apps/b.yaml", None, None, Severity.INFO),
        Finding("render-failed", "kustomize says no", "overlays/prod/a/kustomization.yaml", 1, None,
                Severity.ERROR, None, "overlays/prod/a"),
        Finding("repo-plaintext-secret", "a repository-wide problem", None, None, None, Severity.ERROR),
    ]
    return make_result(findings, tmp_path, rendered=["overlays/prod/a", "overlays/dev/a"],
                       objects=["apps/a.yaml", "apps/c.yaml"], render_seconds={"overlays/dev/a": 0.25})


def test_every_format_is_registered() -> None:
    assert {"text", "json", "junit", "sarif", "github", "markdown"} <= set(REPORTERS)
    assert all(name == cls.name for name, cls in REPORTERS.items())


@pytest.mark.parametrize("fmt", ["junit", "sarif", "github", "markdown"])
def test_output_is_deterministic(fmt: str, mixed: Result) -> None:
    assert report(fmt, mixed) == report(fmt, mixed)


# JUnit -----------------------------------------------------------------------------------------

def junit(result: Result) -> tuple[ET.Element, dict[str, ET.Element]]:
    text = report("junit", result)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    [suite] = root.findall("testsuite")
    return suite, {case.get("name", ""): case for case in suite.findall("testcase")}


def test_junit_has_one_suite_with_a_testcase_per_file_and_rendered_path(mixed: Result) -> None:
    suite, cases = junit(mixed)
    assert suite.get("name") == "gitops-validate"
    assert list(cases) == ["<repository>", "apps/a.yaml", "apps/b.yaml", "apps/c.yaml",
                           "kustomize build overlays/dev/a", "kustomize build overlays/prod/a"]
    assert suite.get("tests") == "6" and suite.get("failures") == "3"
    assert suite.get("errors") == "0" and suite.get("skipped") == "0"
    assert suite.get("time") == "1.235"
    assert cases["apps/a.yaml"].get("classname") == "apps"
    assert cases["apps/a.yaml"].get("file") == "apps/a.yaml"
    assert cases["kustomize build overlays/dev/a"].get("classname") == "overlays/dev/a"
    assert cases["kustomize build overlays/dev/a"].get("time") == "0.250"
    assert "file" not in cases["<repository>"].attrib


def test_junit_failure_lists_every_error_and_escapes_them(mixed: Result) -> None:
    _, cases = junit(mixed)
    [failure] = cases["apps/a.yaml"].findall("failure")
    # The message attribute: the first error, as file:line:col rule message; the text: all errors.
    assert failure.get("message") == f"apps/a.yaml:7:3 schema-type {NASTY} (and 1 more error)"  # \r kept too
    assert failure.get("type") == "schema-type"
    lines = (failure.text or "").split("\n")
    assert lines[0] == "apps/a.yaml:7:3: error schema-type " + NASTY.replace("\r", "\n").split("\n")[0]
    assert ("apps/a.yaml:12:1: error pod-privileged container 'c' is privileged"
            " [SeldonDeployment seldon-prod/iris]") in lines
    # Warnings and info never fail a testcase; they are its output.
    assert "pod-image-digest" in (cases["apps/a.yaml"].findtext("system-out") or "")
    assert cases["apps/b.yaml"].find("failure") is None
    output = (cases["apps/b.yaml"].findtext("system-out") or "").split("\n")
    assert output[0] == "apps/b.yaml: info yamllint-truthy truthy value"
    assert output[1:] == [f"    fix: {registry.remediation('yamllint-truthy')} (gitops-validate rules yamllint-truthy)"]
    assert cases["apps/c.yaml"].find("failure") is None and cases["apps/c.yaml"].find("system-out") is None


def test_junit_puts_render_failures_on_the_rendered_path(mixed: Result) -> None:
    _, cases = junit(mixed)
    failure = cases["kustomize build overlays/prod/a"].find("failure")
    assert failure is not None and failure.get("type") == "render-failed"
    assert "overlays/prod/a/kustomization.yaml" not in cases  # the finding appears once
    assert cases["kustomize build overlays/dev/a"].find("failure") is None
    assert cases["<repository>"].find("failure").get("message") == (  # type: ignore[union-attr]
        "<repository> repo-plaintext-secret a repository-wide problem")


def test_junit_clean_and_empty_runs_are_valid_documents(tmp_path: Path) -> None:
    suite, cases = junit(make_result([], tmp_path, rendered=["overlays/dev"], objects=["a.yaml", "a.yaml"]))
    assert (suite.get("tests"), suite.get("failures")) == ("2", "0")
    assert list(cases) == ["a.yaml", "kustomize build overlays/dev"]
    assert cases["a.yaml"].get("classname") == "."
    suite, cases = junit(make_result([], tmp_path))
    assert (suite.get("tests"), suite.get("failures"), cases) == ("0", "0", {})


def test_junit_survives_characters_xml_cannot_carry(tmp_path: Path) -> None:
    finding = Finding("load-binary", "byte \x00, escape \x1b[31m, non-character \ufffe", "bin.yaml", 1, 1)
    _, cases = junit(make_result([finding], tmp_path))
    message = cases["bin.yaml"].find("failure").get("message")  # type: ignore[union-attr]
    assert message == "bin.yaml:1:1 load-binary byte \\x00, escape \\x1b[31m, non-character \\xfffe"


def test_what_junit_escapes_is_exactly_what_xml_1_0_cannot_carry() -> None:
    """XML 1.0's Char production (tab, LF, CR, 0x20-0xd7ff, 0xe000-0xfffd, beyond 0xffff), on every code point."""
    from validate.report import _XML_INVALID

    carried = ((0x20, 0xD7FF), (0xE000, 0xFFFD), (0x10000, 0x10FFFF))
    wrong = [hex(point) for point in range(0x110000)
             if (_XML_INVALID.match(chr(point)) is None)
             != (point in (0x09, 0x0A, 0x0D) or any(low <= point <= high for low, high in carried))]
    assert wrong == []


# SARIF -----------------------------------------------------------------------------------------

# The parts of the SARIF 2.1.0 schema (docs.oasis-open.org/sarif/sarif/v2.1.0) for the objects
# the reporter writes: every property name each object may have, the required ones, the enums
# and the minimums. The official schema is not available offline; like it, this subset forbids
# additional properties, so a misspelt or invented key fails.
def _object(names: str, required: tuple[str, ...] = (), **specific: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {name: {} for name in names.split()}
    properties.update(specific)
    return {"type": "object", "additionalProperties": False, "required": list(required),
            "properties": properties}


_STRING = {"type": "string"}
_BAG = {"type": "object", "properties": {"tags": {"type": "array", "items": _STRING, "uniqueItems": True}}}
_MESSAGE = _object("arguments", text=_STRING, markdown=_STRING, id=_STRING, properties=_BAG)
_MESSAGE["anyOf"] = [{"required": ["text"]}, {"required": ["id"]}]
_MULTIFORMAT = _object("", ("text",), text=_STRING, markdown=_STRING, properties=_BAG)
_ARTIFACT_LOCATION = _object("description", uri=_STRING, uriBaseId=_STRING,
                             index={"type": "integer", "minimum": -1}, properties=_BAG)
_REGION = _object("charOffset charLength byteOffset byteLength snippet message sourceLanguage properties", (),
                  **{name: {"type": "integer", "minimum": 1}
                     for name in ("startLine", "startColumn", "endLine", "endColumn")})
_PHYSICAL = _object("address contextRegion", artifactLocation=_ARTIFACT_LOCATION, region=_REGION,
                    properties=_BAG)
_PHYSICAL["anyOf"] = [{"required": ["address"]}, {"required": ["artifactLocation"]}]
_LOGICAL = _object("index parentIndex", name=_STRING, fullyQualifiedName=_STRING, decoratedName=_STRING,
                   kind=_STRING, properties=_BAG)
_LOCATION = _object("id message annotations relationships", physicalLocation=_PHYSICAL,
                    logicalLocations={"type": "array", "items": _LOGICAL}, properties=_BAG)
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
_DESCRIPTOR = _object(
    "deprecatedIds guid deprecatedGuids deprecatedNames messageStrings relationships", ("id",),
    id=_STRING, name=_STRING, shortDescription=_MULTIFORMAT, fullDescription=_MULTIFORMAT, help=_MULTIFORMAT,
    helpUri={"type": "string", "pattern": "^https://"}, properties=_BAG,
    defaultConfiguration=_object("enabled rank parameters properties", level=_LEVEL))
_RESULT = _object(
    "rule kind analysisTarget guid correlationGuid occurrenceCount partialFingerprints fingerprints stacks"
    " codeFlows graphs graphTraversals relatedLocations suppressions baselineState rank attachments"
    " hostedViewerUri workItemUris provenance fixes taxa webRequest webResponse", ("message",),
    ruleId=_STRING, ruleIndex={"type": "integer", "minimum": -1}, level=_LEVEL, message=_MESSAGE,
    locations={"type": "array", "items": _LOCATION}, properties=_BAG)
_DRIVER = _object(
    "guid organization product productSuite shortDescription fullDescription fullName semanticVersion"
    " dottedQuadFileVersion releaseDateUtc downloadUri globalMessageStrings notifications taxa locations"
    " language contents isComprehensive localizedDataSemanticVersion"
    " minimumRequiredLocalizedDataSemanticVersion associatedComponent translationMetadata"
    " supportedTaxonomies",
    ("name",), name=_STRING, version=_STRING, informationUri={"type": "string", "pattern": "^https://"},
    rules={"type": "array", "items": _DESCRIPTOR}, properties=_BAG)
_RUN = _object(
    "invocations conversion language versionControlProvenance artifacts logicalLocations graphs"
    " automationDetails runAggregates baselineGuid redactionTokens defaultEncoding defaultSourceLanguage"
    " newlineSequences externalPropertyFileReferences threadFlowLocations taxonomies addresses translations"
    " policies webRequests webResponses specialLocations", ("tool",),
    tool=_object("extensions", ("driver",), driver=_DRIVER, properties=_BAG),
    originalUriBaseIds={"type": "object", "additionalProperties": _ARTIFACT_LOCATION},
    columnKind={"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
    results={"type": "array", "items": _RESULT}, properties=_BAG)
SARIF_SUBSET = _object("inlineExternalProperties", ("version", "runs"), **{"$schema": _STRING},
                       version={"const": "2.1.0"}, runs={"type": "array", "items": _RUN}, properties=_BAG)


def sarif(result: Result) -> dict[str, Any]:
    document = json.loads(report("sarif", result))
    jsonschema.validate(document, SARIF_SUBSET)
    return document


def test_sarif_log_run_and_driver(mixed: Result) -> None:
    document = sarif(mixed)
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    [run] = document["runs"]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("gitops-validate", __version__)
    assert "informationUri" not in driver  # no https repoURL configured: nothing true to point at
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == mixed.root.resolve().as_uri() + "/"
    assert run["columnKind"] == "unicodeCodePoints"


def test_sarif_rules_are_described_and_indexed(mixed: Result) -> None:
    run = sarif(mixed)["runs"][0]
    descriptors = run["tool"]["driver"]["rules"]
    ids = [d["id"] for d in descriptors]
    assert ids == sorted({f.rule for f in mixed.findings})
    for result in run["results"]:
        assert descriptors[result["ruleIndex"]]["id"] == result["ruleId"]
    by_id = {d["id"]: d for d in descriptors}
    privileged = by_id["pod-privileged"]
    assert privileged["shortDescription"]["text"] == rules.title(rules.registry()["pod-privileged"]) + "."
    assert privileged["defaultConfiguration"]["level"] == "error"
    assert "**Use instead.**" in privileged["help"]["markdown"]
    assert by_id["pod-image-digest"]["defaultConfiguration"]["level"] == {
        "error": "error", "warning": "warning", "info": "note"}[rules.registry()["pod-image-digest"].DEFAULT]
    assert by_id["schema-type"]["shortDescription"]["text"] == "The object does not match its strict schema."
    assert by_id["render-failed"]["shortDescription"]["text"].startswith("The path does not render")
    assert by_id["yamllint-truthy"]["name"] == "YamllintTruthy"


def test_sarif_results_levels_locations_and_messages(mixed: Result) -> None:
    results = sarif(mixed)["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "error", "warning", "note", "error", "error"]
    first = results[0]
    assert first["message"]["text"] == f"{NASTY} [{SD}] (rendered from overlays/prod/a)"
    [location] = first["locations"]
    assert location["physicalLocation"] == {
        "artifactLocation": {"uri": "apps/a.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7, "startColumn": 3}}
    assert location["logicalLocations"] == [
        {"name": "iris", "fullyQualifiedName": "SeldonDeployment seldon-prod/iris", "kind": "resource"}]
    assert results[1]["locations"][0]["physicalLocation"]["region"] == {"startLine": 12}  # no column
    assert "region" not in results[3]["locations"][0]["physicalLocation"]  # no line
    assert "locations" not in results[5]  # no file and no configuration file to anchor it to


def test_sarif_anchors_a_fileless_finding_on_the_config_and_encodes_uris(tmp_path: Path) -> None:
    findings = [Finding("repo-plaintext-secret", "repository-wide", None, None, None),
                Finding("schema-type", "x", "apps/with space#1.yaml", 3, 1)]
    run = sarif(make_result(findings, tmp_path, source=".gitops-validate.yaml",
                            repo_url="https://github.com/you/fork.git"))["runs"][0]
    assert run["tool"]["driver"]["informationUri"] == "https://github.com/you/fork"
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    assert uris == ["apps/with%20space%231.yaml", ".gitops-validate.yaml"]
    assert "region" not in run["results"][1]["locations"][0]["physicalLocation"]


@pytest.mark.parametrize("mutate", [
    lambda d: d["runs"][0]["results"][0].update(severity="error"),  # not a SARIF key
    lambda d: d["runs"][0]["results"][0].update(level="info"),
    lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(startLine=0),
    lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].pop("id"),
    lambda d: d.update(version="2.0.0"),
])
def test_the_sarif_subset_schema_is_not_vacuous(mutate: Any, mixed: Result) -> None:
    document = sarif(mixed)
    mutate(document)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SARIF_SUBSET)


def test_sarif_empty_run(tmp_path: Path) -> None:
    run = sarif(make_result([], tmp_path))["runs"][0]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


# GitHub workflow commands -----------------------------------------------------------------------

def test_github_commands_escape_data_and_properties(tmp_path: Path) -> None:
    finding = Finding("schema-type", NASTY, "dir,x/a:b%.yaml", 7, 3, Severity.ERROR)
    assert GithubReporter.command(finding) == (
        "::error file=dir%2Cx/a%3Ab%25.yaml,line=7,col=3,title=schema-type::"
        'value "a|b" <x> & 100%25 done, key: v%0Asecond line%0Dthird'
        f"%0Afix: {registry.remediation('schema-type')} (gitops-validate rules schema-type)")


def test_github_annotations_carry_the_fix_escaped_as_message_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The remediation the text format prints, on its own line of the annotation's message: escaped
    as workflow command data (``%``, CR and LF), never as a property (``:`` and ``,`` stay)."""
    monkeypatch.setattr(registry, "remediation", lambda rule: "Use 100%, not: 50%\r\nof it." if rule == "x" else "")
    fixed = GithubReporter.command(Finding("x", "broken", "a.yaml", 1, 1, Severity.ERROR))
    assert fixed == "::error file=a.yaml,line=1,col=1,title=x::broken%0Afix: Use 100%25, not: 50%25%0D%0Aof it." \
                    " (gitops-validate rules x)"
    assert GithubReporter.command(Finding("y", "broken", "a.yaml", 1, 1)) == \
        "::error file=a.yaml,line=1,col=1,title=y::broken"  # no remediation, no fix line


def test_every_finding_of_a_registered_rule_shows_its_fix_in_github_markdown_and_json(mixed: Result) -> None:
    fixes = {f.rule: registry.remediation(f.rule) for f in mixed.findings}
    assert all(fixes.values()), fixes  # every rule of the fixture is registered with a remediation
    github = report("github", mixed).splitlines()
    for finding, command in zip(mixed.findings, github):
        assert command.endswith(f"%0Afix: {fixes[finding.rule]} (gitops-validate rules {finding.rule})")
    rows = [line for line in report("markdown", mixed).splitlines() if line.startswith("| ") and "`" in line]
    for finding in mixed.findings:
        [row] = [r for r in rows if f"`{finding.rule}`" in r]
        assert row.endswith(f" | {markdown_cell(fixes[finding.rule])} |")
    listed = json.loads(report("json", mixed))["findings"]
    assert [entry["fix"] for entry in listed] == [fixes[f.rule] for f in mixed.findings]
    assert all(set(entry) >= {"rule", "severity", "message", "file", "line", "column", "object", "render"}
               for entry in listed)  # the contract's keys stay


def test_json_is_one_finding_per_line_and_a_clean_run_is_a_valid_document(mixed: Result, tmp_path: Path) -> None:
    text = report("json", mixed)
    lines = text.splitlines()
    start = lines.index('  "findings": [')
    entries = lines[start + 1:start + 1 + len(mixed.findings)]
    assert [json.loads(line.strip().rstrip(",")) for line in entries] == json.loads(text)["findings"]
    assert lines[start + 1 + len(mixed.findings)] == "  ],"
    clean = json.loads(report("json", make_result([], tmp_path)))
    assert clean["findings"] == [] and clean["summary"]["errors"] == 0


def test_github_levels_and_missing_positions(mixed: Result) -> None:
    lines = report("github", mixed).splitlines()
    assert lines[0].startswith("::error file=apps/a.yaml,line=7,col=3,title=schema-type::")
    assert lines[1] == ("::error file=apps/a.yaml,line=12,title=pod-privileged::container 'c' is privileged"
                        " [SeldonDeployment seldon-prod/iris]"
                        f"%0Afix: {registry.remediation('pod-privileged')} (gitops-validate rules pod-privileged)")
    assert lines[2].startswith("::warning file=apps/a.yaml,line=20,col=5,title=pod-image-digest::")
    assert lines[3].startswith("::notice file=apps/b.yaml,title=yamllint-truthy::truthy value%0Afix: ")
    assert lines[5].startswith("::error title=repo-plaintext-secret::<repository>: a repository-wide problem%0Afix: ")
    # One command per finding (newlines escaped), then the text format's summary line.
    assert len(lines) == len(mixed.findings) + 1
    assert lines[-1] == report("text", mixed).splitlines()[-1]
    assert lines[-1].startswith("4 errors, 1 warning, 1 info;")


@pytest.mark.parametrize(("environ", "expected"), [
    ({"GITHUB_ACTIONS": "true"}, "github"),
    ({"GITHUB_ACTIONS": "false"}, "text"),
    ({"CI": "true"}, "text"),
    ({}, "text"),
])
def test_default_format(environ: dict[str, str], expected: str) -> None:
    assert default_format(environ) == expected
    assert default_format(environ) in REPORTERS


# Markdown -------------------------------------------------------------------------------------

def unescaped_pipes(row: str) -> int:
    return sum(1 for i, c in enumerate(row) if c == "|" and (i == 0 or row[i - 1] != "\\"))


def test_markdown_verdict_summary_and_findings(mixed: Result) -> None:
    text = report("markdown", mixed)
    lines = text.splitlines()
    assert lines[0] == "## ❌ gitops-validate: 4 errors"
    for row in ("| errors | 4 |", "| warnings | 1 |", "| info | 1 |", "| rendered paths | 2 |",
                "| objects checked | 2 |", "| Kubernetes versions | 1.25, 1.37 |"):
        assert row in lines
    table = lines[lines.index("| severity | location | rule | message | fix |") + 2:]
    assert len(table) == len(mixed.findings)
    assert all(unescaped_pipes(row) == 6 for row in table)  # no message breaks out of its cell
    severities = [row.split(" | ")[0] for row in table]
    assert severities == ["| ❌ error"] * 4 + ["| ⚠️ warning", "| ℹ️ info"]
    first = table[0]
    assert "apps/a.yaml:7" in first and "`schema-type`" in first
    assert 'value "a\\|b" \\<x\\> \\& 100% done, key: v<br>second line<br>third' in first
    assert "| apps/b.yaml | `yamllint-truthy` |" in text  # no line: the file alone
    assert "| \\<repository\\> | `repo-plaintext-secret` |" in text


def test_markdown_clean_run(tmp_path: Path) -> None:
    text = report("markdown", make_result([], tmp_path))
    assert text.splitlines()[0] == "## ✅ gitops-validate: no errors"
    assert "| severity |" not in text


def test_markdown_caps_the_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = [Finding("schema-type", f"problem {n}", "a.yaml", n, 1) for n in range(1, 8)]
    monkeypatch.setattr(MarkdownReporter, "MAX_ROWS", 5)
    lines = report("markdown", make_result(findings, tmp_path)).splitlines()
    assert sum(1 for line in lines if line.startswith("| ❌ error")) == 5
    assert lines[-1] == "2 more findings not shown; run `gitops-validate` for them all."


def test_markdown_cell_escapes() -> None:
    assert markdown_cell("a|b\nc") == "a\\|b<br>c"
    assert markdown_cell("*x* _y_ `z` [l](u) <b>") == "\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u) \\<b\\>"


# Through the CLI, on a real (tiny) repository --------------------------------------------------

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: seldon\ndata:\n  A: '1'\n"
BAD = GOOD.replace("A: '1'", "A: 1")
LINT = "extends: default\nrules:\n  document-start: disable\n"


@pytest.mark.parametrize("fmt", ["junit", "sarif", "github", "markdown"])
def test_cli_exit_codes_and_parseable_output(fmt: str, write_tree, capsys) -> None:
    repo = write_tree({".yamllint": LINT, "bad.yaml": BAD, "app/cm.yaml": GOOD,
                       "app/kustomization.yaml": "resources:\n  - cm.yaml\n"})
    assert main([str(repo), "--format", fmt]) == 1
    out = capsys.readouterr().out
    if fmt == "junit":
        suite = ET.fromstring(out.encode()).find("testsuite")
        assert suite is not None
        names = [case.get("name") for case in suite.findall("testcase")]
        assert names == ["app/cm.yaml", "bad.yaml", "kustomize build app"]
        assert suite.get("failures") == "1"
    elif fmt == "sarif":
        document = json.loads(out)
        jsonschema.validate(document, SARIF_SUBSET)
        [result] = document["runs"][0]["results"]
        assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 3}
    elif fmt == "github":
        assert out.startswith("::error file=bad.yaml,line=7,col=3,title=schema-type::data.A: 1 is not")
    else:
        assert out.startswith("## ❌ gitops-validate: 1 error\n")

    clean = write_tree({".yamllint": LINT, "bad.yaml": GOOD})
    assert main([str(clean), "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "junit":
        suite = ET.fromstring(out.encode()).find("testsuite")
        assert suite is not None and suite.get("failures") == "0"
    elif fmt == "sarif":
        assert json.loads(out)["runs"][0]["results"] == []

