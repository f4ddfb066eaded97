"""Shared helpers: run the validator on a copy of a fixture, outside any git repository."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import tarfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from validate.model import Finding
from validate.pipeline import Options, Run, run

REPO = Path(__file__).resolve().parents[1]

UPSTREAM = REPO.parent / "shared" / "upstream"

# Every property test runs on a shared, loaded machine: no deadline and no health check that
# judges speed (a slow example generator is not a failure); @settings in a test adds to this.
settings.register_profile("loaded-machine", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("loaded-machine")


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


# The slow tier, by file: `make test` runs it, `make test-fast` (-m "not slow") leaves it out.
SLOW = ("tests/hostile/", "tests/oracle/", "tests/test_properties.py", "tests/test_fuzz_properties.py",
        "tests/test_diff.py", "tests/test_newenv.py", "tests/test_precommit.py", "tests/test_repository_content.py",
        "tests/test_content_mutations.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        rel = Path(str(item.fspath)).relative_to(REPO).as_posix()
        if rel.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


MARK = re.compile(r"#\s*<-\s*([a-z0-9*-]+)\s*$")


def marked_lines(repo: Path, rule_id: str) -> set[tuple[str, int]]:
    """Every (file, line) of ``repo`` that ends with the comment ``# <- rule_id``."""
    marked = set()
    for path in sorted(p for p in repo.rglob("*") if p.is_file()):
        for number, line in enumerate(path.read_bytes().decode("utf-8", "replace").splitlines(), 1):
            match = MARK.search(line)
            if match and match.group(1) == rule_id:
                marked.add((path.relative_to(repo).as_posix(), number))
    return marked


def check_fixture(rule_id: str, source: Path, tmp_path: Path, expect: bool) -> None:
    """Run the validator on a copy of ``source`` and match the findings of ``rule_id`` exactly,
    yamllint-style. A negative fixture has a finding of the rule on every line that ends with
    ``# <- rule_id`` and on no other line (at least one). A positive fixture has none, and must
    load (no ``load-*`` finding) and have at least one object checked: a fixture that is not even
    valid YAML proves nothing."""
    repo = copy_fixture(source, tmp_path)
    result = validate_tree(repo)
    found = findings_of(result, rule_id)
    marked = marked_lines(repo, rule_id)
    if not expect:
        assert found == [], f"{source.name}: unexpected {rule_id}: {found}"
        assert not marked, f"{source.name}: a positive fixture marks lines {sorted(marked)}"
        unloaded = [f for f in result.findings if f.rule.startswith("load-")]
        assert not unloaded, f"{source.name}: a positive fixture must load: {unloaded}"
        assert result.objects, f"{source.name}: a positive fixture must have at least one object checked"
        return
    assert found, f"{rule_id} found nothing in {source.name}"
    lines = {(f.file, f.line) for f in found}
    assert lines == marked, (f"{source.name}: {rule_id} expected exactly at {sorted(marked)}, got {sorted(lines)}"
                             f" (missing {sorted(marked - lines)}, unmarked {sorted(lines - marked, key=str)})")


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


def chart_archive(archive: Path, top: str, files: dict[str, str] | dict[str, bytes]) -> Path:
    """A gzipped tar as `helm package` writes one: every file under the folder ``top``."""
    with tarfile.open(archive, "w:gz") as tar:
        for rel, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


def helm_repository_mirror(root: Path, repo_url: str, name: str, version: str, files: dict[str, str],
                           digest: str | None = None) -> Path:
    """A Helm repository mirror as ../shared/upstream/charts lays it out (``repositories.yaml`` naming the
    folder ``example``, its ``index.yaml`` and the packaged chart), at ``root/mirror``. The index records
    ``digest``, or the archive's true one."""
    folder = root / "mirror" / "example"
    folder.mkdir(parents=True)
    archive = chart_archive(folder / f"{name}-{version}.tgz", name, files)
    recorded = digest or hashlib.sha256(archive.read_bytes()).hexdigest()
    (folder / "index.yaml").write_text(f"apiVersion: v1\nentries:\n  {name}:\n    - name: {name}\n"
                                       f"      version: {version}\n      digest: {recorded}\n"
                                       f"      urls: [{archive.name}]\n")
    (root / "mirror" / "repositories.yaml").write_text(f"helm:\n  - repoURL: {repo_url}\n    path: example\n")
    return root / "mirror"
