"""Shared helpers: run the validator on a copy of a fixture, outside any git repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from validate.findings import Finding
from validate.pipeline import Options, Result, run

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


def validate_tree(repo: Path, **options: object) -> Result:
    return run(Options(paths=[repo], **options))  # type: ignore[arg-type]


def findings_of(result: Result, rule: str) -> list[Finding]:
    return [f for f in result.findings if f.rule == rule]


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
