"""Validator verdicts against the API server's, on the generated corpus.

``python -m tests.oracle.agreement [--split dev|held-out|all] [--show N]`` starts its own control
plane and prints the agreement per split and per family, and the disagreements of the chosen split
(developers look at ``dev`` only; ``held-out`` is for measuring).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO, UPSTREAM
from tests.oracle.corpus import SEED, Case, builtin_bases, custom_bases, generate, upstream_bases
from validate.apivalidation.meta import CONTROLLER_FINALIZERS
from validate.model import Severity
from validate.pipeline import Options, run

# What counts as the validator saying "the API server refuses this": the schema stage, the
# API-validation stage, and the API rules that model the server's own checks. Domain rules
# (seldon-*, pod-*, argocd-*, repo-*) are policy, stricter than any server on purpose.
SERVER_RULES = re.compile(r"^(schema-.*|apivalidation-.*|load-.*|api-object-name|api-labels|api-selector-match)$")
DOCS = REPO / "docs" / "apivalidation.md"
PODMONITOR_CRD = UPSTREAM / "crds" / "monitoring.coreos.com_podmonitors.v0.93.0.yaml"
NOT_API_OBJECTS = {("kind.x-k8s.io/v1alpha4", "Cluster")}  # a kind cluster's config file, never applied


SELDON_POD = "apivalidation-seldon-pod"


@dataclass
class Outcome:
    """One case: the server's verdict and the validator's. For a SeldonDeployment also the verdict on the
    Deployments the operator makes of its componentSpecs, compared with the ``apivalidation-seldon-pod``
    findings (the server itself checks a SeldonDeployment against its CRD only)."""

    case: Case
    server_accepts: bool
    server_message: str
    validator_accepts: bool
    validator_messages: list[str] = field(default_factory=list)
    server_warnings: list[str] = field(default_factory=list)
    validator_warnings: list[str] = field(default_factory=list)
    operator_accepts: bool = True
    operator_message: str = ""
    validator_pods_accept: bool = True

    @property
    def agrees(self) -> bool:
        return self.server_accepts == self.validator_accepts and self.operator_accepts == self.validator_pods_accept


@contextlib.contextmanager
def _no_chart_sources() -> Iterator[None]:
    """Run the validator without the chart source cache that CI offers (GITOPS_VALIDATE_SOURCES)."""
    saved = os.environ.pop("GITOPS_VALIDATE_SOURCES", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["GITOPS_VALIDATE_SOURCES"] = saved


def repository_bases() -> list[tuple[str, dict[str, Any]]]:
    """The objects this repository's kustomize paths render. Chart-rendered objects are left out: the
    oracle installs only the CRDs this repository's own objects need, not those of the charts."""
    with _no_chart_sources():
        result = run(Options(paths=[REPO]))
    bases = []
    for checked in result.objects:
        data = checked.data
        if (data.get("apiVersion"), data.get("kind")) in NOT_API_OBJECTS:
            continue
        bases.append((f"repo/{checked.render or checked.file}/{data.get('kind')}/"
                      f"{(data.get('metadata') or {}).get('name')}", data))
    return bases


REPOSITORY = "repository"  # the split (and id prefix) of this repository's own objects


def stable_bases() -> list[tuple[str, dict[str, Any]]]:
    """The bases the mutations draw from: data that ships with ../shared or with this test code, never
    this repository's content (users edit that; the seeded draws and the case ids must not move with it)."""
    return upstream_bases(UPSTREAM) + builtin_bases() + custom_bases()


def repository_cases() -> list[Case]:
    """This repository's objects, unchanged and never mutated: each must be accepted by the server and
    by the validator. Their own split keeps the measured agreement independent of the repository."""
    return [Case(f"{REPOSITORY}-{index:03d}", "clean", "none", base_id, obj, REPOSITORY)
            for index, (base_id, obj) in enumerate(repository_bases())]


def corpus(seed: int = SEED) -> list[Case]:
    return list(generate(stable_bases(), seed=seed)) + repository_cases()


def deliberate() -> dict[str, str]:
    """Case ids listed in docs/apivalidation.md as deliberate disagreements, with the reason."""
    found = {}
    if DOCS.is_file():
        text = DOCS.read_text()
        section = text[text.find("## Deliberate disagreements"):] if "## Deliberate disagreements" in text else ""
        for line in section.splitlines():
            match = re.match(r"^\|\s*`([a-z0-9_-]+)`\s*\|(.*)\|\s*$", line)
            if match:
                found[match.group(1)] = match.group(2).strip()
    return found


def deliberate_warning(warning: str) -> bool:
    """The server's warning on Argo CD's own finalizer names, which the validator leaves out on purpose
    (docs/apivalidation.md, "Deliberate disagreements"): this repository's Applications carry one."""
    return any(warning.startswith(f'metadata.finalizers: "{name}":') for name in CONTROLLER_FINALIZERS)


def validator_verdicts(cases: list[Case], work: Path) -> dict[str, tuple[list[str], list[str]]]:
    repo = work / "corpus"
    (repo / "cases").mkdir(parents=True)
    (repo / ".gitops-validate.yaml").write_text('kubernetesVersions: ["1.36"]\n')
    for case in cases:
        (repo / "cases" / f"{case.id}.yaml").write_text(yaml.safe_dump(case.obj, sort_keys=False))
    with _no_chart_sources():  # the corpus holds Applications: their charts are not what is compared
        result = run(Options(paths=[repo], crd_files=[PODMONITOR_CRD], use_cache=False))
    verdicts: dict[str, tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for finding in result.findings:
        if not finding.file or not SERVER_RULES.match(finding.rule):
            continue
        case_id = Path(finding.file).stem
        errors, warnings = verdicts[case_id]
        (errors if finding.severity == Severity.ERROR else warnings).append(f"{finding.rule}: {finding.message}")
    return dict(verdicts)


def operator_deployments(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The Deployments the Seldon operator makes of a SeldonDeployment's componentSpecs, as far as pod-spec
    validation sees them: the pod spec copied into a template, an empty image filled (the operator does that
    for prepackaged servers), the restart policy left as written."""
    if obj.get("kind") != "SeldonDeployment" or not isinstance(obj.get("spec"), dict):
        return []
    made = []
    namespace = (obj.get("metadata") or {}).get("namespace") or "default"
    for predictor in obj["spec"].get("predictors") or []:
        for index, component in enumerate((predictor or {}).get("componentSpecs") or []):
            pod = (component or {}).get("spec")
            if not isinstance(pod, dict):
                continue
            pod = json.loads(json.dumps(pod))
            for container in pod.get("containers") or []:
                if isinstance(container, dict) and not container.get("image"):
                    container["image"] = "seldonio/prepackaged-server:filled-by-operator"
            made.append({"apiVersion": "apps/v1", "kind": "Deployment",
                         "metadata": {"name": f"operator-made-{index}", "namespace": namespace},
                         "spec": {"replicas": (predictor or {}).get("replicas", 1)
                                  if isinstance((predictor or {}).get("replicas", 1), int) else 1,
                                  "selector": {"matchLabels": {"seldon-deployment-id": "x"}},
                                  "template": {"metadata": {"labels": {"seldon-deployment-id": "x"}}, "spec": pod}}})
    return made


def measure(oracle: Any, cases: list[Case], work: Path) -> list[Outcome]:
    offline = validator_verdicts(cases, work)
    outcomes = []
    for case in cases:
        verdict = oracle.dry_run(case.obj)
        errors, warnings = offline.get(case.id, ([], []))
        object_errors = [e for e in errors if not e.startswith(SELDON_POD)]
        server_warnings = [w for w in verdict.warnings if not deliberate_warning(w)]
        outcome = Outcome(case, verdict.accepted, verdict.message, not object_errors, errors, server_warnings, warnings,
                          validator_pods_accept=len(object_errors) == len(errors))
        if not verdict.accepted:  # the operator never sees a SeldonDeployment the server refused
            outcome.validator_pods_accept = True
        for deployment in operator_deployments(case.obj) if verdict.accepted else []:
            made = oracle.dry_run(deployment)
            outcome.server_warnings += [f"(operator's Deployment) {w}" for w in made.warnings]
            if not made.accepted:
                outcome.operator_accepts = False
                outcome.operator_message = made.message
                break
        outcomes.append(outcome)
    return outcomes


def summary(outcomes: list[Outcome], known: dict[str, str]) -> str:
    lines = []
    for split in ("dev", "held-out", REPOSITORY, "all"):
        chosen = [o for o in outcomes if split == "all" or o.case.split == split]
        if not chosen:
            continue
        agree = sum(o.agrees for o in chosen)
        refused = sum(not o.server_accepts for o in chosen)
        missed = sum(o.validator_accepts and not o.server_accepts for o in chosen)
        false_alarms = sum(o.server_accepts and not o.validator_accepts for o in chosen)
        documented = sum(not o.agrees and o.case.id in known for o in chosen)
        lines.append(f"{split:9} {agree}/{len(chosen)} agree ({100 * agree / len(chosen):.1f} %); server refuses"
                     f" {refused}; validator misses {missed}, false alarms {false_alarms}; documented {documented}")
    server_warned = {o.case.id for o in outcomes if o.server_accepts and o.server_warnings}
    validator_warned = {o.case.id for o in outcomes if o.server_accepts and o.validator_warnings}
    lines.append(f"warnings (accepted objects): server warns on {len(server_warned)}, validator on {len(validator_warned)},"
                 f" both on {len(server_warned & validator_warned)}")
    families: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        families[outcome.case.family]["all"] += 1
        families[outcome.case.family]["agree"] += outcome.agrees
    lines.append("per family: " + ", ".join(f"{name} {c['agree']}/{c['all']}" for name, c in sorted(families.items())))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from tests.oracle.conftest import Oracle, oracle_assets, oracle_crds, skip_reason
    from validate.apiserver import ControlPlane

    parser = argparse.ArgumentParser(prog="python -m tests.oracle.agreement")
    parser.add_argument("--split", choices=("dev", "held-out", REPOSITORY, "all"), default="dev")
    parser.add_argument("--show", type=int, default=40, help="disagreements to print")
    parser.add_argument("--family", default=None)
    parser.add_argument("--seed", type=int, default=SEED, help="another seed draws a fresh corpus (its cases are"
                        " new to the validator; documented case ids do not apply to it)")
    parser.add_argument("--warnings", action="store_true", help="also print cases whose warnings differ")
    args = parser.parse_args(argv)
    reason = skip_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 2
    assets = oracle_assets()
    assert assets is not None
    cases = corpus(args.seed)
    with tempfile.TemporaryDirectory() as work, ControlPlane(assets, Path(work) / "plane") as plane:
        client = plane.client()
        client.install_crds(oracle_crds())
        outcomes = measure(Oracle(plane, client, []), cases, Path(work))
    known = deliberate() if args.seed == SEED else {}
    print(summary(outcomes, known))
    shown = 0
    if args.warnings:
        for outcome in outcomes:
            if outcome.server_accepts and (outcome.server_warnings or outcome.validator_warnings) and (
                    args.split == "all" or outcome.case.split == args.split):
                print(f"\nWARNINGS {outcome.case.id}\n  server: {outcome.server_warnings}"
                      f"\n  validator: {outcome.validator_warnings}")
    for outcome in outcomes:
        if outcome.agrees or outcome.case.id in known:
            continue
        if args.split != "all" and outcome.case.split != args.split:
            continue
        if args.family and outcome.case.family != args.family:
            continue
        if shown >= args.show:
            break
        shown += 1
        if outcome.server_accepts != outcome.validator_accepts:
            side = "MISSED" if outcome.validator_accepts else "FALSE ALARM"
        else:
            side = "OPERATOR-DEPLOYMENT " + ("MISSED" if outcome.validator_pods_accept else "FALSE ALARM")
        print(f"\n{side} {outcome.case.id} ({outcome.case.base})\n  server: {outcome.server_message[:400]}"
              f"\n  operator's Deployment: {outcome.operator_message[:400]}"
              f"\n  validator: {outcome.validator_messages[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
