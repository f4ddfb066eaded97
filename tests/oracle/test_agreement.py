"""The validator's verdicts against a real kube-apiserver's, on the generated corpus.

The corpus mutates stable bases only (upstream examples, objects written in tests/oracle/corpus.py);
this repository's own objects, which users edit, are checked unchanged beside it (the ``repository``
split), so a fork's edits change neither the case ids nor the agreement measured. Every case is
dry-run on the server (strict field validation) and checked offline; for a
SeldonDeployment the Deployments the operator makes of its componentSpecs are dry-run too and
compared with ``apivalidation-seldon-pod``. Any disagreement fails unless docs/apivalidation.md
lists the case as deliberate or as a known gap; the held-out split must agree on at least 98 %;
no clean object may raise a false alarm. ``python -m tests.oracle.agreement`` prints the same
numbers with the disagreements.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.oracle.agreement import corpus, deliberate, measure, summary
from tests.oracle.conftest import Oracle

pytestmark = pytest.mark.oracle
GOAL = 0.98


def test_validator_agrees_with_the_api_server(oracle: Oracle, tmp_path: Path) -> None:
    cases = corpus()
    outcomes = measure(oracle, cases, tmp_path)
    known = deliberate()
    print(summary(outcomes, known))
    false_alarms = [o.case.id for o in outcomes if o.case.family == "clean" and not o.agrees]
    assert false_alarms == [], f"the validator refuses unchanged objects the server accepts: {false_alarms}"
    undocumented = {o.case.id: (o.server_message or o.operator_message, o.validator_messages[:2])
                    for o in outcomes if not o.agrees and o.case.id not in known}
    assert undocumented == {}, "disagreements with the API server not listed in docs/apivalidation.md"
    stale = sorted(set(known) - {o.case.id for o in outcomes if not o.agrees})
    assert stale == [], f"docs/apivalidation.md lists cases that agree now (or no longer exist): {stale}"
    held_out = [o for o in outcomes if o.case.split == "held-out"]
    agreement = sum(o.agrees for o in held_out) / len(held_out)
    assert agreement >= GOAL, f"held-out agreement {agreement:.1%} is below {GOAL:.0%}"
    warned = [o.case.id for o in outcomes if o.server_accepts and bool(o.server_warnings) != bool(o.validator_warnings)]
    assert warned == [], f"the server's warnings and the validator's differ on {warned}"


def test_clean_repository_is_accepted_by_the_server(oracle: Oracle) -> None:
    from tests.oracle.agreement import repository_bases

    refused = {base: verdict.message for base, obj in repository_bases()
               if not (verdict := oracle.dry_run(obj)).accepted}
    assert refused == {}
