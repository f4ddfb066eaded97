"""``--server`` without a server: the server's answers (as the REST API sends them) become findings at lines."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import validate_tree
from validate.apiserver import Verdict, _verdict, _warning_text
from validate.locate import Locator
from validate.servermode import INVALID, UNCHECKED, WARNING, _judge

MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  bad key: "1"
"""


def judged(tmp_path: Path, verdict: Verdict, repository_namespaces: set[str] = frozenset()) -> list[tuple[str, int | None]]:  # type: ignore[assignment]
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "configmap.yaml").write_text(MANIFEST)
    run = validate_tree(repo)
    assert run.context is not None
    obj = next(o for o in run.objects if o.data.get("kind") == "ConfigMap")
    return [(f.rule, f.line) for f in _judge(None, obj, verdict, Locator(run.context.loaded),  # type: ignore[arg-type]
                                             set(repository_namespaces), set())]


def test_a_rejection_lands_on_the_field_the_server_names(tmp_path: Path) -> None:
    body = {"kind": "Status", "reason": "Invalid", "message": 'ConfigMap "settings" is invalid: data[bad key]: ...',
            "details": {"causes": [{"field": "data[bad key]", "message": 'Invalid value: "bad key": ...'}]}}
    assert judged(tmp_path, _verdict(422, body, [])) == [(INVALID, 7)]


def test_unknown_fields_of_strict_decoding_land_on_the_field(tmp_path: Path) -> None:
    body = {"kind": "Status", "reason": "BadRequest",
            "message": 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown'
                       ' field "data"'}
    assert judged(tmp_path, _verdict(400, body, [])) == [(INVALID, 6)]


def test_warnings_and_unjudged_objects(tmp_path: Path) -> None:
    warning = _warning_text('299 - "data[bad key]: something to know"')
    assert warning == "data[bad key]: something to know"
    assert judged(tmp_path, Verdict(True, warnings=[warning])) == [(WARNING, 7)]
    missing = Verdict(False, 'namespaces "shop" not found', "NotFound", code=404)
    assert judged(tmp_path, missing, {"shop"}) == [(UNCHECKED, 5)]
    assert judged(tmp_path, missing, set()) == [(INVALID, 1)]  # the object itself
