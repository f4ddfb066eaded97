"""The walk outside git (issue 13): bounded as it reads, not after it has listed a whole folder."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from validate import walk as walk_module
from validate.model import ToolError, WalkLimits


def test_the_bound_ends_the_walk_in_the_middle_of_a_large_folder(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """5,000 files in one folder and a bound of 100: the walk reads little more than 100 entries
    (``os.walk`` would list all 5,000 before the budget saw one)."""
    many = tmp_path / "many"
    many.mkdir()
    for number in range(5000):
        (many / f"f{number}.yaml").touch()
    read = 0
    real_scandir = os.scandir

    class Counting:
        def __init__(self, path: Any) -> None:
            self.inner = real_scandir(path)

        def __enter__(self) -> Counting:
            return self

        def __exit__(self, *_: object) -> None:
            self.inner.close()

        def __iter__(self) -> Counting:
            return self

        def __next__(self) -> os.DirEntry[str]:
            nonlocal read
            entry = next(self.inner)
            read += 1
            return entry

    monkeypatch.setattr(walk_module.os, "scandir", Counting)
    with pytest.raises(ToolError, match="more than 100 files and folders"):
        walk_module.walk(tmp_path, limits=WalkLimits(files=100))
    assert read <= 102


def test_within_the_bound_every_file_is_listed_once_and_tool_folders_are_not(tmp_path: Path) -> None:
    for rel in ("a.yaml", "b/c.yaml", "b/d/e.yaml", "node_modules/x.yaml", "env/pyvenv.cfg", "env/y.yaml",
                "other/.git/HEAD", "other/z.yaml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("a: 1\n")
    os.symlink("b", tmp_path / "link-to-b")
    files, findings = walk_module.walk(tmp_path, limits=WalkLimits(files=100))
    assert files == ["a.yaml", "b/c.yaml", "b/d/e.yaml"]
    assert [(f.rule, f.file) for f in findings] == [("discover-nested-repository", "other")]


def test_the_byte_bound_counts_file_sizes_as_they_are_read(tmp_path: Path) -> None:
    for number in range(10):
        (tmp_path / f"f{number}.bin").write_bytes(b"x" * 1000)
    with pytest.raises(ToolError, match="more than 5,000 bytes"):
        walk_module.walk(tmp_path, limits=WalkLimits(bytes=5000))
