"""Walking: which files a repository has, without entering what is not part of it.

In a git work tree, git says which files there are (tracked and untracked, without what
.gitignore excludes); elsewhere (a folder given explicitly) the folder is walked. Either way the
walk never enters version-control folders, virtual environments, caches, node_modules or nested
repositories (each is its own root: an info finding says so), never follows a link out of the
repository, never opens special files, and stops with an error past its limits.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path

from validate import children
from validate.model import ChildLimits, Finding, Severity, ToolError, WalkLimits

# Never walked: version control, virtual environments, caches, dependencies. Besides these names,
# any folder holding pyvenv.cfg (a virtual environment) or CACHEDIR.TAG (a cache, by the standard
# cache-folder tag) is skipped, and any folder holding .git is a nested repository.
SKIPPED_DIRS = {".git", ".hg", ".svn", ".bzr", "_darcs", ".jj", ".venv", "venv", "node_modules",
                "bower_components", "__pycache__", "__pypackages__", ".tox", ".nox", ".eggs", ".mypy_cache",
                ".ruff_cache", ".pytest_cache", ".hypothesis", ".cache", ".direnv", ".terraform", ".gradle",
                ".m2", ".npm", ".yarn", ".pnpm-store"}
# Folders the validator's own commands build before moving them into place (new-env).
WORK_DIR_PREFIX = ".gitops-validate-"

class _Budget:
    def __init__(self, root: Path, limits: WalkLimits):
        self.root, self.limits = root, limits
        self.entries = 0
        self.bytes = 0

    def count(self, size: int = 0) -> None:
        self.entries += 1
        self.bytes += size
        if self.entries > self.limits.files:
            raise ToolError(f"{self.root} holds more than {self.limits.files:,} files and folders: is it really a"
                            " repository of manifests? Give the folder to check, list what to skip under `ignore:`,"
                            " or raise limits.maxWalkFiles in .gitops-validate.yaml")
        if self.bytes > self.limits.bytes:
            raise ToolError(f"{self.root} holds more than {self.limits.bytes:,} bytes of files: is it really a"
                            " repository of manifests? Give the folder to check, list what to skip under `ignore:`,"
                            " or raise limits.maxWalkBytes in .gitops-validate.yaml")


def walk(root: Path, ignore: Iterable[str] = (), limits: WalkLimits | None = None,
         child_limits: ChildLimits | None = None) -> tuple[list[str], list[Finding]]:
    """Every file of the repository (repository-relative, sorted), and findings about what is not read.

    In a git work tree, git says which files there are (tracked and untracked, without what
    .gitignore excludes); elsewhere (a folder given explicitly) the folder is walked. Either way
    the walk never enters version-control folders, virtual environments, caches, node_modules or
    nested repositories (each is its own root: an info finding says so), never follows a link
    out of the repository, never opens special files, and stops with an error past ``limits``.
    """
    patterns = list(ignore)
    limits = limits or WalkLimits()
    budget = _Budget(root, limits)
    findings: list[Finding] = []
    listed = _git_listing(root, child_limits or ChildLimits(), limits, findings) if (root / ".git").exists() else None
    if listed is None:
        candidates = _walk_folder(root, patterns, budget, findings)
    else:
        candidates = _from_listing(root, listed, patterns, findings)
    real_root = root.resolve()
    files: list[str] = []
    for rel, seen in candidates:
        if seen is not None and stat.S_ISREG(seen.st_mode):
            if listed is not None:
                budget.count(seen.st_size)
            files.append(rel)  # the walk's own lstat: a regular file (counted already when walked)
            continue
        full = root / rel
        info: os.stat_result | None
        try:
            info = seen or full.lstat()
        except OSError:
            continue  # deleted since git listed it
        if stat.S_ISLNK(info.st_mode):
            if _is_loop(full):
                findings.append(Finding("discover-symlink-loop", f"link {rel} is a loop of symbolic links;"
                                        " it is not followed", rel, None))
                continue
            if not _inside(full, real_root):
                findings.append(Finding("discover-symlink-escape", f"link {rel} points outside the repository;"
                                        " it is not followed", rel, None))
                continue
            if full.is_dir():
                continue  # a folder seen twice: its own files are listed under their real path
            try:
                info = full.stat()
            except OSError:
                info = None
        if info is not None and stat.S_ISDIR(info.st_mode):
            continue
        special = _special(full)
        if special:
            # Opening a FIFO blocks forever and a device can be endless: such entries are never read.
            findings.append(Finding("discover-special-file", f"{rel} is a {special}, not a regular file;"
                                    " it is not read", rel, None))
            continue
        if listed is not None:
            budget.count(info.st_size if info is not None else 0)
        files.append(rel)
    return sorted(files), findings


# Folders that are never walked: version control, virtual environments, caches, dependencies.
def _skipped(full: Path, name: str) -> bool:
    return (name in SKIPPED_DIRS or name.startswith(WORK_DIR_PREFIX) or (full / "pyvenv.cfg").exists()
            or (full / "CACHEDIR.TAG").exists())


def _nested_repository(rel: str) -> Finding:
    return Finding("discover-nested-repository", f"{rel} is a git repository of its own: it is not checked"
                   " as part of this one (run the validator in it)", rel, None, severity=Severity.INFO)


def _walk_folder(root: Path, patterns: list[str],
                 budget: _Budget, findings: list[Finding]) -> Iterator[tuple[str, os.stat_result | None]]:
    """Files below ``root`` by walking it (outside git), with what lstat said of each, within the budget.

    Every entry is counted as it is read, so the budget also ends the walk in the middle of a folder
    of a million files (``os.walk`` lists a whole folder first); one lstat per entry, none per path
    object: ``gitops-validate /tmp`` reaches the bound in seconds."""
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            scanner = os.scandir(os.path.join(root, rel_dir) if rel_dir else root)
        except OSError:
            continue  # unreadable or gone: nothing of it can be checked (as os.walk skips it)
        folders = []
        with scanner:
            for entry in scanner:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if _ignored(rel, patterns):
                    continue
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue  # gone since listed
                if stat.S_ISDIR(info.st_mode):
                    full = Path(entry.path)
                    if _skipped(full, entry.name):
                        continue
                    budget.count()
                    if (full / ".git").exists():
                        findings.append(_nested_repository(rel))
                        continue
                    folders.append(rel)
                    continue
                if stat.S_ISLNK(info.st_mode) and _skipped(Path(entry.path), entry.name) and entry.is_dir():
                    continue  # a link named like a tool folder, or to one: never entered
                budget.count(info.st_size if stat.S_ISREG(info.st_mode) else 0)
                yield rel, info  # links: reported (loop, escape) or dropped by the caller, never followed
        pending.extend(sorted(folders, reverse=True))


def _from_listing(root: Path, listed: list[str], patterns: list[str],
                  findings: list[Finding]) -> Iterator[tuple[str, os.stat_result | None]]:
    """git's list of files, without what the walk never enters; folders in it are nested repositories."""
    excluded: set[str] = set()  # folders found to be skipped, and their verdicts
    kept: set[str] = set()
    for rel in listed:
        rel = rel.rstrip("/")
        if not rel or _ignored(rel, patterns):
            continue
        parts = rel.split("/")
        skip = False
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in kept:
                continue
            if folder in excluded or _skipped(root / folder, parts[depth - 1]):
                excluded.add(folder)
                skip = True
                break
            kept.add(folder)
        if skip or parts[-1] in SKIPPED_DIRS or parts[-1].startswith(WORK_DIR_PREFIX):
            continue  # a tool folder (or a link named like one) listed as one entry: never entered
        try:
            info = os.lstat(os.path.join(root, rel))  # one call per file: the caller needs no other
        except OSError:
            continue  # deleted since git listed it
        if stat.S_ISDIR(info.st_mode):
            if os.path.exists(os.path.join(root, rel, ".git")):
                findings.append(_nested_repository(rel))
            continue
        yield rel, info


def _git_listing(root: Path, child_limits: ChildLimits, limits: WalkLimits,
                 findings: list[Finding]) -> list[str] | None:
    """The files git sees in the work tree at ``root`` (tracked and untracked, .gitignore applied),
    or None when git cannot say (not installed, not a valid repository, owned by someone else).

    The repository's own git configuration is untrusted input: :func:`children.git` switches off
    what makes git run programs (fsmonitor, hooks).
    """
    try:
        completed = children.git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                                 purpose="listing the files", limits=child_limits, timeout=120,
                                 output_cap=min(limits.files * 512, 1 << 30))
    except children.Interrupted:
        raise
    except ToolError as error:
        findings.append(Finding("discover-no-git", f"git could not list the files ({error}); the folder was walked"
                                " instead, without .gitignore", None, None, severity=Severity.INFO))
        return None
    if completed.overflow:
        raise ToolError(f"{root}: git lists more than {limits.files:,} files; is it really a repository of manifests?"
                        " (raise limits.maxWalkFiles in .gitops-validate.yaml)")
    if completed.returncode != 0:
        reason = (completed.stderr.decode("utf-8", "replace").strip().splitlines() or ["git failed"])[-1]
        findings.append(Finding("discover-no-git", f"git could not list the files ({reason.removeprefix('fatal: ')});"
                                " the folder was walked instead, without .gitignore", None, None,
                                severity=Severity.INFO))
        return None
    listed = sorted({entry for entry in completed.stdout.decode("utf-8", "surrogateescape").split("\0") if entry})
    if len(listed) > limits.files:
        raise ToolError(f"{root}: git lists {len(listed):,} files, more than {limits.files:,}: is it really a"
                        " repository of manifests? (raise limits.maxWalkFiles in .gitops-validate.yaml)")
    return listed


def _is_loop(path: Path) -> bool:
    try:
        path.resolve(strict=True)
    except RuntimeError:  # Python 3.11 reports a loop this way
        return True
    except OSError as error:
        return error.errno == errno.ELOOP
    return False


def _special(path: Path) -> str | None:
    """What a non-regular entry is (None for regular files and dangling links, reported when read)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def _inside(path: Path, real_root: Path) -> bool:
    try:
        path.resolve().relative_to(real_root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _ignored(rel: str, patterns: list[str]) -> bool:
    """Whether a configured ignore pattern matches ``rel``, a file or a folder above it."""
    matches, prefixes = _ignore_matcher(tuple(patterns))
    return rel.startswith(prefixes) or (matches is not None and matches(rel) is not None)


@lru_cache(maxsize=8)
def _ignore_matcher(patterns: tuple[str, ...]) -> tuple[Callable[[str], re.Match[str] | None] | None, tuple[str, ...]]:
    """One regular expression for every pattern (``fnmatch`` of the pattern, or of the pattern with
    ``/*``, matching ``rel``), and the patterns taken literally as folder prefixes: a walk asks for
    every file, and fnmatch pattern by pattern cost more than the rest of the walk."""
    stripped = [pattern.rstrip("/") for pattern in patterns]
    alternatives = [fnmatch.translate(glob) for pattern in stripped for glob in (pattern, pattern + "/*")]
    matches = re.compile("|".join(f"(?:{alternative})" for alternative in alternatives)).match if alternatives \
        else None
    return matches, tuple(pattern + "/" for pattern in stripped)
