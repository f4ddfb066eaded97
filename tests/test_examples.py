"""The documented GitHub Actions example is a well-formed workflow that runs the CLI and uploads SARIF."""

from __future__ import annotations

import shlex

import yaml

from tests.conftest import REPO
from validate.commands.check import build_parser

EXAMPLE = REPO / "docs/examples/github-actions.yaml"


def test_the_github_actions_example_is_a_well_formed_workflow() -> None:
    workflow = yaml.safe_load(EXAMPLE.read_text())
    assert isinstance(workflow, dict) and workflow["name"]
    triggers = workflow.get("on", workflow.get(True))  # PyYAML 1.1 reads the key `on` as True
    assert "pull_request" in triggers
    assert workflow["permissions"]["security-events"] == "write"
    for job in workflow["jobs"].values():
        assert job["runs-on"]
        for step in job["steps"]:
            assert isinstance(step, dict) and ("uses" in step) != ("run" in step), step
            assert set(step) <= {"name", "id", "uses", "with", "run", "if", "continue-on-error", "env"}, step


def test_the_example_validates_to_sarif_and_uploads_that_file() -> None:
    steps = yaml.safe_load(EXAMPLE.read_text())["jobs"]["validate"]["steps"]
    runs = [s for s in steps if "run" in s and s["run"].startswith("gitops-validate ")]
    validate = next(s for s in runs if "--format sarif" in s["run"])
    words = shlex.split(validate["run"])
    output = words[words.index(">") + 1]
    args = build_parser().parse_args(words[1:words.index(">")])  # options the CLI really has
    assert args.format == "sarif"
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == output
    assert steps.index(upload) > steps.index(validate) and validate.get("continue-on-error") is True
    assert any(s.get("if", "").startswith("steps.validate.outcome") for s in steps[steps.index(upload):])
