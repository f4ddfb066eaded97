"""Measure the validator on real repositories and on kubeconform's and pluto's test data.

Nothing here is shipped or committed from those projects: every input is a folder or file given on
the command line (a copy of a public repository, kubeconform's ``fixtures/``, pluto's
``versions.yaml``), and the output is Markdown tables for docs/realworld.md.

    python benchmarks/realworld.py repos [--sources DIR] /tmp/rw/*  # findings by rule per repository
    python benchmarks/realworld.py kubeconform FIXTURES_DIR   # agreement with kubeconform's verdicts
    python benchmarks/realworld.py pluto VERSIONS_YAML        # agreement with pluto's version table

Each repository is checked in place with ``gitops-validate --format json`` run from inside it (a git
work tree with its real ``origin`` remote, as a clone has; a folder that is no work tree is named on the
command line instead). A traceback or an "internal error" is marked CRASH. Fixtures are copied one by
one into a fresh temporary repository, so that no fixture sees another.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

CLI = str(Path(sys.executable).parent / "gitops-validate")
TIMEOUT = 1800

# kubeconform's verdict for each fixture in strict mode (-strict; our validator is always strict),
# as its acceptance.bats asserts it. None: no test of kubeconform's gives a verdict for that file.
KUBECONFORM: dict[str, str | None] = {
    "valid.yaml": "valid", "folder/valid.yaml": "valid", "folder/multi_valid.yaml": "valid",
    "int_or_string.yaml": "valid", "valid.json": "valid", "generate_name.yaml": "valid", "quantity.yaml": "valid",
    "null_string.yaml": "valid", "null_array.yaml": "valid", "multi_valid.yaml": "valid",
    "multi_invalid.yaml": "invalid", "invalid.yaml": "invalid", "blank.yaml": "valid", "comment.yaml": "valid",
    "missing_kind.yaml": "invalid", "missing_apiversion.yaml": "invalid", "missing_kind_value.yaml": "invalid",
    "test_crd.yaml": "missing schema", "extra_property.yaml": "invalid", "duplicate_property.yaml": "invalid",
    "list_valid.yaml": "valid", "list_invalid.yaml": "invalid", "list_empty_valid.yaml": "valid",
    "multi_with_list.yaml": "valid", "httpproxy.yaml": "missing schema",
    "grafana-alert-rule-group-sample.yaml": "missing schema",
}


def run_cli(folder: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any] | None, str]:
    # From inside a git work tree (its remotes say which repository it is), else with the folder named.
    folder = folder.resolve()  # the CLI runs inside it: a relative name would be read from there
    inside = subprocess.run(["git", "-C", str(folder), "rev-parse", "--is-inside-work-tree"], capture_output=True,
                            text=True).stdout.strip() == "true"
    completed = subprocess.run([CLI, "--format", "json", "--no-progress", *extra, *([] if inside else [str(folder)])],
                               cwd=folder, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
                               env=env)
    try:
        return completed.returncode, json.loads(completed.stdout), completed.stderr
    except json.JSONDecodeError:
        return completed.returncode, None, completed.stderr


def crashed(stderr: str) -> bool:
    """A traceback, or the CLI's one-line "internal error" (exit 2): never acceptable, whatever the input."""
    return "Traceback" in stderr or "internal error" in stderr


def _counts(code: int, report: dict[str, Any] | None, stderr: str) -> tuple[str, list[dict[str, Any]]]:
    crash = " CRASH" if crashed(stderr) else ""
    if report is None:
        return f"{code}{crash}, no JSON: {' '.join(stderr.split())[:120]}", []
    rest = [f for f in report["findings"] if not f["rule"].startswith("yamllint-")]
    counts = collections.Counter(f["severity"] for f in rest)
    return f"{code}{crash}, {counts['error']} ({counts['warning']})", rest


def repos(folders: list[Path], sources: Path | None) -> None:
    """Per repository: exit code and errors (warnings), without and (``--sources``) with the chart source
    cache, then errors and warnings by rule; yamllint-* is left out (style runs only where configured)."""
    cache = " with the chart cache |" if sources else ""
    print(f"| repository | exit, errors (warnings) |{cache} errors by rule | warnings by rule |")
    print(f"|---|---|{'---|' if sources else ''}---|---|")
    for folder in folders:
        code, report, stderr = run_cli(folder)
        shown, rest = _counts(code, report, stderr)
        if sources is not None:
            shown += " | " + _counts(*run_cli(folder, env={**os.environ, "GITOPS_VALIDATE_SOURCES": str(sources)}))[0]
        columns = []
        for severity in ("error", "warning"):
            by_rule = collections.Counter(f["rule"] for f in rest if f["severity"] == severity)
            ordered = sorted(by_rule.items(), key=lambda item: (-item[1], item[0]))
            columns.append(", ".join(f"{rule} {n}" for rule, n in ordered) or "-")
        print(f"| {folder.name} | {shown} | {columns[0]} | {columns[1]} |")


def _fresh_repo(base: Path, name: str) -> Path:
    repo = base / name.replace("/", "_")
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def kubeconform(fixtures: Path) -> None:
    names = sorted(p.relative_to(fixtures).as_posix() for p in fixtures.rglob("*")
                   if p.is_file() and p.suffix in (".yaml", ".yml", ".json") and "cache" not in p.parts
                   and "registry" not in p.parts and p.name != "grafanaalertrulegroup_v1beta1.json")
    agree = total = 0
    print("| fixture | kubeconform -strict | schema verdict here | exit | findings (errors; yamllint-* left out) |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as temp:
        for name in names:
            repo = _fresh_repo(Path(temp), name)
            shutil.copy(fixtures / name, repo / Path(name).name)
            code, report, stderr = run_cli(repo)
            findings = report["findings"] if report else []
            errors = [f for f in findings if f["severity"] == "error" and not f["rule"].startswith("yamllint-")]
            schema = [f for f in findings if f["rule"].startswith(("schema-", "load-"))]
            if any(f["rule"] == "schema-unknown-kind" and f["severity"] != "error" for f in schema) and \
                    not any(f["severity"] == "error" for f in schema):
                verdict = "missing schema"
            else:
                verdict = "invalid" if any(f["severity"] == "error" for f in schema) else "valid"
            expected = KUBECONFORM.get(name)
            if expected is not None:
                total += 1
                agree += expected == verdict
            rules = collections.Counter(f["rule"] for f in errors)
            listed = ", ".join(f"{r} {n}" for r, n in sorted(rules.items())) or "-"
            crash = " CRASH" if crashed(stderr) else ""
            print(f"| {name} | {expected or '(no verdict)'} | {verdict} | {code}{crash} | {listed} |")
    print(f"\nagreement: {agree} of {total} fixtures with a kubeconform verdict")


def pluto(versions_file: Path) -> None:
    entries = [e for e in yaml.safe_load(versions_file.read_text())["deprecated-versions"] if e["component"] == "k8s"]
    with tempfile.TemporaryDirectory() as temp:
        repo = _fresh_repo(Path(temp), "pluto")
        for index, entry in enumerate(entries):
            manifest = {"apiVersion": entry["version"], "kind": entry["kind"],
                        "metadata": {"name": f"entry-{index}", "namespace": "default"}}
            (repo / f"entry-{index:03}.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
        code, report, stderr = run_cli(repo, "-k", "1.25", "-k", "1.37")
        if report is None:
            print(f"no report: {stderr}")
            return
        by_file: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
        for finding in report["findings"]:
            by_file[finding["file"]].append(finding)
    agree = 0
    print("| apiVersion | kind | pluto: deprecated / removed | expected here (matrix 1.25-1.37) | found here | agrees |")
    print("|---|---|---|---|---|---|")
    for index, entry in enumerate(entries):
        removed = (entry.get("removed-in") or "").lstrip("v")
        deprecated = (entry.get("deprecated-in") or "").lstrip("v")
        expected = "api-removed" if removed and _minor(removed) <= (1, 37) else \
            "api-deprecated" if deprecated and _minor(deprecated) <= (1, 37) else "nothing"
        found = sorted({f["rule"] for f in by_file.get(f"entry-{index:03}.yaml", [])
                        if f["rule"] in ("api-removed", "api-deprecated", "schema-unknown-kind", "schema-not-kubernetes")})
        verdict = expected if expected in found else (found[0] if len(found) == 1 else "+".join(found) or "nothing")
        same_version = True
        if verdict == "api-removed":
            message = next(f["message"] for f in by_file[f"entry-{index:03}.yaml"] if f["rule"] == "api-removed")
            same_version = f"since Kubernetes {'.'.join(removed.split('.')[:2])}" in message
        ok = verdict == expected and same_version
        agree += ok
        note = "" if same_version else " (other version)"
        print(f"| {entry['version']} | {entry['kind']} | {deprecated or '-'} / {removed or '-'} | {expected} |"
              f" {verdict}{note} | {'yes' if ok else 'no'} |")
    print(f"\nagreement: {agree} of {len(entries)} Kubernetes entries")


def _minor(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    repos_parser = sub.add_parser("repos")
    repos_parser.add_argument("folders", nargs="+", type=Path)
    repos_parser.add_argument("--sources", type=Path, help="run each twice, the second with GITOPS_VALIDATE_SOURCES")
    sub.add_parser("kubeconform").add_argument("fixtures", type=Path)
    sub.add_parser("pluto").add_argument("versions", type=Path)
    args = parser.parse_args()
    if args.what == "repos":
        not_folders = [str(folder) for folder in args.folders if not folder.is_dir()]
        if not_folders:
            parser.error(f"not a repository folder: {', '.join(not_folders)}")
        repos(args.folders, args.sources)
    elif args.what == "kubeconform":
        kubeconform(args.fixtures)
    else:
        pluto(args.versions)


if __name__ == "__main__":
    main()
