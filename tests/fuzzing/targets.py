"""What must hold for any bytes, shared by the property tests (hypothesis, in ``make test``) and
the coverage-guided fuzzer (atheris, ``make fuzz``).

* :func:`check_loader`: the loader returns findings, never raises, and what it returns respects
  its limits (depth, nodes after alias expansion, documents), with sane positions.
* :func:`check_kustomization`: the kustomization reader, the inventory and everything the
  render stage derives from a kustomization before kustomize runs (its inputs, where each is
  named, batching, the unsafe-input and remote-reference checks) never raise, never name a
  file outside the repository, and always block a render that reads an unsafe file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from validate import batching, discover, safety
from validate.load import Limits, LoadedFile, load_bytes
from validate.model import Finding
from validate.remote_bases import RemoteBases

LIMITS = Limits(max_file_bytes=1 << 20, max_documents=50, max_depth=30, max_nodes_per_document=5_000)


def _assert_findings(findings: list[Finding], rel: str | None = None) -> None:
    for finding in findings:
        assert isinstance(finding, Finding)
        assert "\n" not in finding.message, finding.message
        assert finding.line is None or finding.line >= 1, finding
        assert finding.column is None or finding.column >= 1, finding
        if rel is not None:
            assert finding.file == rel and finding.rule.startswith("load-"), finding


def _weight_and_depth(value: Any, budget: int) -> tuple[int, int]:
    """Nodes (aliases expanded) and depth of ``value``, counting at most ``budget`` nodes."""
    count, depth = 0, 0
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending and count <= budget:
        current, level = pending.pop()
        count += 1
        depth = max(depth, level)
        if isinstance(current, dict):
            pending.extend((item, level + 1) for item in current.values())
        elif isinstance(current, list):
            pending.extend((item, level + 1) for item in current)
    return count, depth


def check_loader(raw: bytes) -> LoadedFile:
    loaded = load_bytes(raw, "f.yaml", LIMITS)
    assert isinstance(loaded, LoadedFile)
    _assert_findings(loaded.findings, "f.yaml")
    assert len(loaded.documents) <= LIMITS.max_documents
    lines = raw.count(b"\n") + 2
    for document in loaded.documents:
        assert document.file == "f.yaml" and 1 <= document.line <= lines
        count, depth = _weight_and_depth(document.data, 4 * LIMITS.max_nodes_per_document)
        # The bound counts every node once per path to it (what a consumer walking the data pays).
        assert count <= LIMITS.max_nodes_per_document + 1, count
        assert depth <= LIMITS.max_depth + 1, depth
        for path, (line, column) in document.positions.items():
            assert isinstance(path, tuple) and 1 <= line <= lines and column >= 1
    return loaded


# A small repository the fuzzed kustomization lives in (created once per process).
_TREE = {
    "base/kustomization.yaml": b"resources: [cm.yaml]\n",
    "base/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n",
    "app/cm.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n",
    "app/patch.yaml": b"- op: add\n  path: /data\n  value: {}\n",
    "app/data.txt": b"x=1\n",
    "app/sub/kustomization.yaml": b"resources: [../cm.yaml]\n",
    "comp/kustomization.yaml": b"apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
    "app/bomb.yaml": b"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                     b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
}
_ROOT: Path | None = None


def _root() -> Path:
    global _ROOT
    if _ROOT is None:
        _ROOT = Path(tempfile.mkdtemp(prefix="gitops-validate-fuzz-"))
        for rel, content in _TREE.items():
            (_ROOT / rel).parent.mkdir(parents=True, exist_ok=True)
            (_ROOT / rel).write_bytes(content)
    return _ROOT


def check_kustomization(raw: bytes) -> None:
    root = _root()
    files = sorted([*_TREE, "app/kustomization.yaml"])
    loaded = {rel: load_bytes(content, rel, LIMITS) for rel, content in _TREE.items() if rel.endswith(".yaml")}
    loaded["app/kustomization.yaml"] = load_bytes(raw, "app/kustomization.yaml", LIMITS)
    findings: list[Finding] = []
    inventory = discover.inventory(root, files, loaded, findings)
    _assert_findings(findings)
    known = set(files)
    for kustomization in inventory.kustomizations.values():
        for rel in kustomization.files:
            assert rel in known, rel
        for included in kustomization.includes:
            assert not included.startswith("../") and included != "..", included
    unsafe = safety.unsafe_inputs(inventory, loaded, LIMITS)
    blocked = safety.blocked_renders(inventory, unsafe)
    RemoteBases.resolve(inventory, None).blocked(inventory)  # remote references: findings, never a fetch
    for directory in inventory.rendered:
        inputs = discover.render_inputs(inventory, directory)
        assert inputs <= known, inputs - known
        for rel in inputs:
            file, line = discover.where_named(inventory, directory, rel)
            assert file in {k.file for k in inventory.kustomizations.values()}, file
            assert line is None or line >= 1
        batching.emitting_files(inventory, directory, loaded)
        if inputs & set(unsafe):
            assert any(f.rule == "render-unsafe-input" for f in blocked.get(directory, [])), directory
        _assert_findings(blocked.get(directory, []))
