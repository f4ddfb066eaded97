"""Suppression annotations (a reason is required) and rule severities from the configuration."""

from __future__ import annotations

from tests.conftest import findings_of, validate_tree

SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: demo
  namespace: seldon
{annotations}stringData:
  TOKEN: not-really-secret
"""


def secret(annotations: str = "") -> str:
    return SECRET.format(annotations=annotations)


def test_a_suppression_with_a_reason_silences_the_rule_on_that_object(write_tree) -> None:
    repo = write_tree({"s.yaml": secret("  annotations:\n    ignore-check.gitops-validate.io/repo-plaintext-secret:"
                                        " \"a public demo token, rotated daily\"\n")})
    result = validate_tree(repo)
    assert findings_of(result, "repo-plaintext-secret") == []
    assert findings_of(result, "suppression-reason") == []


def test_a_suppression_without_a_reason_is_itself_a_finding(write_tree) -> None:
    repo = write_tree({"s.yaml": secret("  annotations:\n    ignore-check.gitops-validate.io/repo-plaintext-secret:"
                                        " \"\"\n")})
    result = validate_tree(repo)
    [finding] = findings_of(result, "suppression-reason")
    assert (finding.file, finding.line) == ("s.yaml", 7)
    assert findings_of(result, "repo-plaintext-secret"), "an empty reason suppresses nothing"


def test_a_suppression_names_one_rule_only(write_tree) -> None:
    repo = write_tree({"s.yaml": secret("  annotations:\n    ignore-check.gitops-validate.io/pod-probes: because\n")})
    assert findings_of(validate_tree(repo), "repo-plaintext-secret")


def test_rules_can_be_turned_off_or_reweighted_by_id_or_prefix(write_tree) -> None:
    files = {"s.yaml": secret()}
    off = validate_tree(write_tree({**files, ".gitops-validate.yaml": "rules:\n  repo-plaintext-secret: 'off'\n"}))
    assert findings_of(off, "repo-plaintext-secret") == []


def test_the_most_specific_setting_wins(write_tree) -> None:
    config = "rules:\n  repo-*: info\n  repo-plaintext-secret: warning\n  yamllint-*: 'off'\n"
    result = validate_tree(write_tree({"s.yaml": secret(), ".gitops-validate.yaml": config}))
    [finding] = findings_of(result, "repo-plaintext-secret")
    assert str(finding.severity) == "warning" and result.exit_code == 0
    assert not [f for f in result.findings if f.rule.startswith("yamllint-")]


def test_environment_profiles_apply_to_renders_of_that_environment(write_tree) -> None:
    config = ("environments:\n  dev: {paths: ['overlays/dev/**'], profile: lax}\n"
              "profiles:\n  lax: {repo-plaintext-secret: info}\n")
    repo = write_tree({
        ".gitops-validate.yaml": config,
        "base/kustomization.yaml": "resources: [secret.yaml]\n", "base/secret.yaml": secret(),
        "overlays/dev/kustomization.yaml": "resources: [../../base]\n",
    })
    [finding] = findings_of(validate_tree(repo), "repo-plaintext-secret")
    assert str(finding.severity) == "info"
