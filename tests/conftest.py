"""Shared helpers: run the validator on a copy of a fixture, outside any git repository."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from validate.model import Finding
from validate.pipeline import Options, Run, run

REPO = Path(__file__).resolve().parents[1]
UPSTREAM = REPO.parent / "shared" / "upstream"


def copy_fixture(source: Path, target_root: Path) -> Path:
    """Copy a fixture (a file or a folder) to ``target_root/repo``; return that folder."""
    repo = target_root / "repo"
    if source.is_dir():
        shutil.copytree(source, repo, symlinks=True)
    else:
        repo.mkdir(parents=True)
        shutil.copy(source, repo / source.name)
    return repo


def validate_tree(repo: Path, **options: object) -> Run:
    return run(Options(paths=[repo], **options))  # type: ignore[arg-type]


def findings_of(result: Run, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


@pytest.fixture(autouse=True)
def private_render_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own render cache, never the user's."""
    folder = tmp_path_factory.mktemp("render-cache")
    monkeypatch.setenv("GITOPS_VALIDATE_CACHE_DIR", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "xdg"))  # nor the user's source cache (validate.sources)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)  # would switch the default format to annotations
    return folder


MARK = re.compile(r"#\s*<-\s*([a-z0-9*-]+)\s*$")


def check_fixture(rule_id: str, source: Path, tmp_path: Path, expect: bool) -> None:
    """Run the validator on a copy of ``source``: a positive fixture has no finding of ``rule_id``;
    a negative one has one on every line that ends with ``# <- rule_id``, and at least one."""
    repo = copy_fixture(source, tmp_path)
    found = findings_of(validate_tree(repo), rule_id)
    if not expect:
        assert found == [], f"{source.name}: unexpected {rule_id}: {found}"
        return
    assert found, f"{rule_id} found nothing in {source.name}"
    marked = set()
    for path in sorted(p for p in repo.rglob("*") if p.is_file()):
        for number, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), 1):
            match = MARK.search(line)
            if match and match.group(1) == rule_id:
                marked.add((path.relative_to(repo).as_posix(), number))
    lines = {(f.file, f.line) for f in found}
    assert marked <= lines, f"expected {rule_id} at {sorted(marked - lines)}, got {sorted(lines)}"


@pytest.fixture
def write_tree(tmp_path: Path):
    """Write {relative path: text} into a fresh folder and return the folder."""

    def write(files: dict[str, str | bytes]) -> Path:
        repo = tmp_path / "repo"
        for rel, content in files.items():
            path = repo / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        repo.mkdir(exist_ok=True)
        return repo

    return write
