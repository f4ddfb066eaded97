"""Each issue-15 check catches its defect in a copy of this repository, at the file and line to edit.

Every test copies the repository's manifests and configuration (apps/, base/, overlays/,
argocd/, .gitops-validate.yaml, .yamllint) to a temporary folder, reintroduces one defect
the way a user's fork could (drop a retry, a project entry, a health check; add a wave, a
-dev tag, a cascading finalizer; promote a canary halfway), runs the validator on the copy,
and asserts the finding's rule, file and line. Lines are found by searching the mutated file
for the text the mutation wrote or the field it names, never hard-coded. The unmutated copy
is checked first: it has no error and none of these findings.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO, validate_tree
from validate.model import Finding, Severity

COPIED = ("apps", "base", "overlays", "argocd", ".gitops-validate.yaml", ".yamllint")
CHECKS = ("argocd-project-resources", "argocd-wave-health", "argocd-sync-retry", "pod-image-prerelease",
          "argocd-cascade-delete", "seldon-traffic", "render-failed")


def _copy(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, repo / name)
        else:
            shutil.copy(source, repo / name)
    return repo


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: expected exactly one {old!r} to mutate"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _cut(path: Path, start: str, end: str | None) -> None:
    """Remove the text from ``start`` up to (not including) ``end``, or to the end of the file."""
    text = path.read_text(encoding="utf-8")
    i = text.index(start)
    j = text.index(end, i) if end is not None else len(text)
    path.write_text(text[:i] + text[j:], encoding="utf-8")


def _line(path: Path, text: str) -> int:
    lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line]
    assert len(lines) == 1, f"{path}: {text!r} is on lines {lines}, expected one"
    return lines[0]


def _at(found: list[Finding], repo: Path, rel: str, text: str) -> list[Finding]:
    line = _line(repo / rel, text)
    here = [f for f in found if f.file == rel and f.line == line]
    assert here, f"nothing at {rel}:{line} ({text!r}); found at {sorted({(f.file, f.line) for f in found})}"
    return here


def _mutated(tmp_path: Path, mutate: Callable[[Path], None]) -> tuple[Path, list[Finding]]:
    repo = _copy(tmp_path)
    mutate(repo)
    return repo, validate_tree(repo).findings


def test_the_unmutated_copy_is_clean(tmp_path: Path) -> None:
    repo = _copy(tmp_path)
    findings = validate_tree(repo).findings
    assert [f for f in findings if f.severity is Severity.ERROR] == []
    assert [f for f in findings if f.rule in CHECKS] == []


# --- argocd-project-resources ------------------------------------------------------------------


def test_a_project_without_the_namespace_kind_is_caught_at_the_application_source(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        _edit(repo / "argocd/projects/seldon-series.yaml", '    - group: ""\n      kind: Namespace\n',
              "    - group: rbac.authorization.k8s.io\n      kind: ClusterRole\n")

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "argocd-project-resources"), repo,
               "argocd/applicationsets/seldon-series.yaml", "path: '{{.path.path}}'")
    assert any("Namespace seldon-dev" in f.message and "clusterResourceWhitelist" in f.message for f in here)
    assert all(f.severity is Severity.ERROR for f in here)


def test_a_project_without_a_destination_is_caught_naming_the_object(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        _edit(repo / "argocd/projects/seldon-series.yaml",
              "    - server: https://kubernetes.default.svc\n      namespace: seldon-prod\n", "")

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "argocd-project-resources"), repo,
               "argocd/applicationsets/seldon-series-prod.yaml", "path: '{{.path.path}}'")
    assert any("SeldonDeployment seldon-prod/iris" in f.message and "namespace seldon-prod is not a destination"
               in f.message for f in here)


# --- argocd-sync-retry -----------------------------------------------------------------------------


def test_an_automated_sync_without_retry_is_a_warning_at_automated(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        _cut(repo / "argocd/platform/metrics-server.yaml", "    retry:\n", None)

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "argocd-sync-retry"), repo, "argocd/platform/metrics-server.yaml",
               "automated:")
    assert all(f.severity is Severity.WARNING for f in here)


# --- argocd-wave-health ------------------------------------------------------------------------------


def test_a_wave_on_a_kind_without_health_is_caught_at_the_annotation(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        _edit(repo / "apps/07-analytics-loadtest/pod-monitor.yaml",
              "    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true\n",
              "    argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true\n"
              '    argocd.argoproj.io/sync-wave: "2"\n')

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "argocd-wave-health"), repo, "apps/07-analytics-loadtest/pod-monitor.yaml",
               "argocd.argoproj.io/sync-wave")
    assert any("monitoring.coreos.com/PodMonitor" in f.message for f in here)


def test_dropping_the_seldon_health_check_is_caught_at_the_seldon_wave(tmp_path: Path) -> None:
    key = "resource.customizations.health.machinelearning.seldon.io_SeldonDeployment"

    def mutate(repo: Path) -> None:
        _cut(repo / "argocd/bootstrap/argocd-cm-health.yaml", f"  {key}:", None)  # the last entry
        _cut(repo / "argocd/platform/argo-cd.yaml", f"              {key}", "  destination:")

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "argocd-wave-health"), repo,
               "base/components/seldon-sync-order/sync-order.yaml", "argocd.argoproj.io/sync-wave")
    assert any("SeldonDeployment" in f.message for f in here)


# --- pod-image-prerelease -------------------------------------------------------------------------------


def test_a_development_image_is_an_error_in_prod_and_not_in_dev(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        _edit(repo / "apps/05-seldon-operator/seldondeployment.yaml", "seldonio/mock_classifier:1.13.1",
              "seldonio/mock_classifier:1.16.0-dev")

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "pod-image-prerelease"), repo,
               "apps/05-seldon-operator/seldondeployment.yaml", "mock_classifier:1.16.0-dev")
    assert [f.render for f in here if f.severity is Severity.ERROR] == ["overlays/prod/05-seldon-operator"]
    assert not [f for f in here if f.render == "overlays/dev/05-seldon-operator"]


# --- argocd-cascade-delete ----------------------------------------------------------------------------------


def test_a_cascading_application_set_over_shared_namespaces_is_a_warning(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        _edit(repo / "argocd/applicationsets/seldon-series.yaml",
              "        environment: '{{index .path.segments 1}}'\n    spec:\n",
              "        environment: '{{index .path.segments 1}}'\n      finalizers:\n"
              "        - resources-finalizer.argocd.argoproj.io\n    spec:\n")

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "argocd-cascade-delete"), repo,
               "argocd/applicationsets/seldon-series.yaml", "finalizers:")
    assert len(here) == 1 and here[0].severity is Severity.WARNING
    assert "seldon-dev" in here[0].message and "seldon-staging" in here[0].message


# --- the broken traffic state ----------------------------------------------------------------------------------


def test_dropping_main_from_the_base_only_fails_prod_at_the_replacement_with_the_remedy(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        base = repo / "apps/10-continuous-delivery/seldondeployment.yaml"
        _cut(base, "    - name: main\n", "    - name: canary\n")
        _edit(base, "      traffic: 25\n", "      traffic: 100\n")

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "render-failed"), repo, "overlays/prod/10-continuous-delivery/kustomization.yaml",
               "spec.predictors.[name=main].traffic")
    assert any("remove or update the replacement" in f.message for f in here)


def test_a_prod_split_that_does_not_add_up_is_caught_at_the_overlay_value(tmp_path: Path) -> None:
    def mutate(repo: Path) -> None:
        _edit(repo / "overlays/prod/10-continuous-delivery/traffic.yaml", "  canary: 10\n", "  canary: 20\n")

    repo, findings = _mutated(tmp_path, mutate)
    here = _at(findings_of_rule(findings, "seldon-traffic"), repo, "overlays/prod/10-continuous-delivery/traffic.yaml",
               "canary: 20")
    assert any("add up to 100" in f.message and "apps/10-continuous-delivery/seldondeployment.yaml" in f.message
               for f in here)


def findings_of_rule(findings: list[Finding], rule: str) -> list[Finding]:
    found = [f for f in findings if f.rule == rule]
    assert found, f"no {rule} finding"
    return found


@pytest.fixture(autouse=True)
def _needs_the_repository_content() -> None:
    if not all((REPO / name).exists() for name in COPIED):
        pytest.skip("the repository's manifests are not here")

