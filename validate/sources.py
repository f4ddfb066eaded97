"""The offline cache of remote sources (Helm charts, git repositories) and its lock file.

Like Argo CD's repo-server cache, or ``helm dependency build`` with a ``Chart.lock``: the
validator never downloads anything while it checks. ``gitops-validate sources pull`` is the one
command that may use the network; it fills the cache folder with every pinned chart version and
remote git source the repository references and records their digests in
``gitops-sources.lock`` at the repository root. Every other command reads:

* the cache folder (``--sources-dir`` / ``sources.cache`` in the config, default
  ``~/.cache/gitops-validate/sources``), laid out as ``helm/<repository>/<chart>-<version>.tgz``
  and ``git/<repository>/<revision>/``;
* the read-only folders listed under ``sources.readOnly`` in the config (or given with
  ``--sources-dir`` after the first one): each either in the cache's own layout, or a Helm
  repository mirror described by a ``repositories.yaml`` that maps each repoURL to a folder
  holding its ``index.yaml`` and archives (and each git repoURL + revision to a tree).

A source the cache lacks is reported once, with the command that fills it; a source whose
digest differs from the lock is reported once too.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validate.model import Config, ToolError
from validate.yaml_events import SAFE_LOADER

LOCK_NAME = "gitops-sources.lock"
MIRROR_INDEX = "repositories.yaml"
PULL_COMMAND = "gitops-validate sources pull"


@dataclass(frozen=True, order=True)
class ChartRef:
    repo_url: str
    chart: str
    version: str

    def __str__(self) -> str:
        if self.is_local:
            return f"chart folder {self.chart}"
        return f"chart {self.chart} {self.version} from {self.repo_url}"

    @property
    def is_local(self) -> bool:
        """A chart folder of this repository (``chart`` is its repository-relative path)."""
        return not self.repo_url

    @property
    def archive_name(self) -> str:
        """The archive's path in the cache, relative to the folder of its repository URL."""
        return f"{self.unpacked_name}.tgz"

    @property
    def unpacked_name(self) -> str:
        """The chart's name and version as a relative path: an OCI chart named with its registry's namespace
        (``repoURL: registry-1.docker.io``, ``chart: bitnamicharts/mongodb``, as Argo CD accepts it) keeps that
        namespace as a folder; ``..``, empty segments and characters a file name cannot hold are dropped."""
        version = re.sub(r"[/\\\x00]", "_", self.version)
        return f"{folder_key(self.chart) or '_'}-{version}"


@dataclass(frozen=True, order=True)
class GitRef:
    repo_url: str
    revision: str

    def __str__(self) -> str:
        return f"git {self.repo_url} at {self.revision}"


def folder_key(url: str) -> str:
    """A repository URL as a relative folder: scheme, credentials, ``.git`` and slashes dropped."""
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.I)
    value = value.split("@", 1)[-1] if "@" in value.split("/", 1)[0] else value
    value = value.rstrip("/")
    value = value[:-4] if value.endswith(".git") else value
    parts = [re.sub(r"[^A-Za-z0-9._-]", "_", part) for part in value.replace(":", "/").split("/")]
    return "/".join(part for part in parts if part not in ("", ".", ".."))


def same_url(a: str, b: str) -> bool:
    return folder_key(a).lower() == folder_key(b).lower()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gitops-validate" / "sources"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def digest(path: Path) -> str:
    """A chart archive's digest (as a Helm repository index records it), or a tree's."""
    return file_digest(path) if path.is_file() else tree_digest(path)


def tree_digest(root: Path) -> str:
    """A digest of a directory tree: every regular file's relative path and content, sorted."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink() and ".git" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file_digest(path).encode() + b"\n")
    return "sha256:" + digest.hexdigest()


# --- the lock file ---------------------------------------------------------------------------

# Where a locked chart digest was verified: the repository's own index.yaml (downloaded by
# `sources pull`), the index.yaml of a read-only mirror folder (its archives may be repackaged,
# so their digests need not match what the repository serves), or nothing (an archive or folder
# already in the cache layout; the pull that stored it checked it against the repository).
ORIGINS = ("repository", "mirror", "cache")


@dataclass
class Lock:
    """``gitops-sources.lock``: per chart its archive's sha256 (what a Helm repository index.yaml
    records as ``digest``) and where it was verified; per git source the commit its revision
    resolved to (git's own content address: a partial mirror and a full clone agree on it)."""

    charts: dict[ChartRef, str] = field(default_factory=dict)  # -> digest
    origins: dict[ChartRef, str] = field(default_factory=dict)  # -> one of ORIGINS
    git: dict[GitRef, str | None] = field(default_factory=dict)  # -> commit
    line_of: dict[ChartRef | GitRef, int] = field(default_factory=dict)

    @classmethod
    def read(cls, root: Path) -> Lock | None:
        path = root / LOCK_NAME
        if not path.is_file():
            return None
        try:
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text, Loader=SAFE_LOADER) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise ToolError(f"{LOCK_NAME}: cannot be read ({' '.join(str(error).split())}): rerun"
                            f" `{PULL_COMMAND}`") from None
        if not isinstance(data, dict):
            raise ToolError(f"{LOCK_NAME}: not a mapping: rerun `{PULL_COMMAND}`")
        lock = cls()
        lines = text.splitlines()
        for entry in data.get("helm") or []:
            if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("repoURL", "chart", "version")):
                ref = ChartRef(entry["repoURL"], entry["chart"], entry["version"])
                lock.charts[ref] = str(entry.get("digest", ""))
                lock.origins[ref] = str(entry.get("verifiedAgainst", "cache"))
                lock.line_of[ref] = _line(lines, f"chart: {ref.chart}")
        for entry in data.get("git") or []:
            if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("repoURL", "revision")):
                git_ref = GitRef(entry["repoURL"], entry["revision"])
                commit = entry.get("commit")
                lock.git[git_ref] = commit if isinstance(commit, str) and commit else None
                lock.line_of[git_ref] = _line(lines, f"repoURL: {git_ref.repo_url}")
        return lock

    def write(self, root: Path) -> Path:
        document = {
            "apiVersion": "gitops-validate/v1",
            "helm": [{"repoURL": r.repo_url, "chart": r.chart, "version": r.version, "digest": d,
                      "verifiedAgainst": self.origins.get(r, "cache")}
                     for r, d in sorted(self.charts.items())],
            "git": [{"repoURL": r.repo_url, "revision": r.revision, **({"commit": c} if c else {})}
                    for r, c in sorted(self.git.items())],
        }
        header = (f"# Written by `{PULL_COMMAND}`: every remote source this repository's Applications,\n"
                  "# ApplicationSets and kustomizations reference. Charts: the archive's sha256 (a Helm repository\n"
                  "# index.yaml's `digest`) and the index it was verified against (`repository`, or `mirror` for a\n"
                  "# read-only mirror folder whose archives may be repackaged). Git: the commit the revision names.\n"
                  "# Commit it; every run reports a cached source that differs. `sources pull --update` re-locks.\n")
        path = root / LOCK_NAME
        temporary = path.with_name(f".{LOCK_NAME}.{os.getpid()}.tmp")
        temporary.write_text(header + yaml.safe_dump(document, sort_keys=False, width=200), encoding="utf-8")
        os.replace(temporary, path)
        return path


def _line(lines: list[str], needle: str) -> int:
    return next((number for number, line in enumerate(lines, 1) if needle in line), 1)


# --- the cache -------------------------------------------------------------------------------

@dataclass
class Found:
    path: Path  # a chart archive or directory; a git tree
    folder: Path  # the cache or read-only folder it is in
    commit: str | None = None
    expected: str | None = None  # the digest the Helm repository's index.yaml records for it

    @property
    def origin(self) -> str:
        """Where this chart's digest can be verified (see ``ORIGINS``)."""
        return "mirror" if self.expected is not None else "cache"


class SourceCache:
    """Where cached sources are; never downloads."""

    def __init__(self, primary: Path, read_only: Iterable[Path] = ()):
        self.primary = primary
        self.read_only = [p for p in read_only if p != primary]
        self._mirrors: dict[Path, dict[str, Any]] = {}

    @property
    def folders(self) -> list[Path]:
        return [self.primary, *self.read_only]

    def describe(self) -> str:
        return ", ".join(str(p) for p in self.folders)

    def chart(self, ref: ChartRef) -> Found | None:
        for folder in self.folders:
            own = folder / "helm" / folder_key(ref.repo_url) / ref.archive_name
            if own.is_file():
                return Found(own, folder)
            unpacked = folder / "helm" / folder_key(ref.repo_url) / ref.unpacked_name
            if (unpacked / "Chart.yaml").is_file():
                return Found(unpacked, folder)
            for entry in self._mirror(folder).get("helm") or []:
                if isinstance(entry, dict) and same_url(str(entry.get("repoURL", "")), ref.repo_url):
                    found = _from_index(folder / str(entry.get("path", "")), ref)
                    if found is not None:
                        return Found(found[0], folder, expected=found[1])
        return None

    def git(self, ref: GitRef) -> Found | None:
        for folder in self.folders:
            own = folder / "git" / folder_key(ref.repo_url) / _safe(ref.revision)
            if own.is_dir():
                commit_file = own.parent / (_safe(ref.revision) + ".commit")
                commit = commit_file.read_text().strip() if commit_file.is_file() else None
                return Found(own, folder, commit)
            for entry in self._mirror(folder).get("git") or []:
                if isinstance(entry, dict) and same_url(str(entry.get("repoURL", "")), ref.repo_url) and \
                        str(entry.get("targetRevision", "")) == ref.revision:
                    tree = folder / str(entry.get("path", ""))
                    if tree.is_dir():
                        commit = entry.get("commit")
                        return Found(tree, folder, commit if isinstance(commit, str) else None)
        return None

    def _mirror(self, folder: Path) -> dict[str, Any]:
        if folder not in self._mirrors:
            data: Any = {}
            index = folder / MIRROR_INDEX
            if index.is_file():
                try:
                    data = yaml.load(index.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
                except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
                    raise ToolError(f"{index}: cannot be read: {' '.join(str(error).split())}") from None
            self._mirrors[folder] = data if isinstance(data, dict) else {}
        return self._mirrors[folder]

    def store_chart(self, ref: ChartRef, archive: Path) -> Path:
        target = self.primary / "helm" / folder_key(ref.repo_url) / ref.archive_name
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(archive, target)
        return target

    def git_target(self, ref: GitRef) -> Path:
        return self.primary / "git" / folder_key(ref.repo_url) / _safe(ref.revision)


def _safe(revision: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", revision) or "_"


def index_digest(index: Any, ref: ChartRef) -> str | None:
    """The ``sha256:…`` digest a Helm repository index records for ``ref``, or None."""
    entries = index.get("entries", {}).get(ref.chart) if isinstance(index, dict) and \
        isinstance(index.get("entries"), dict) else None
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and str(entry.get("version")) == ref.version and isinstance(entry.get("digest"), str):
            value = entry["digest"]
            return value if value.startswith("sha256:") else "sha256:" + value
    return None


def _from_index(repository: Path, ref: ChartRef) -> tuple[Path, str | None] | None:
    """The archive of ``ref`` in a Helm repository folder, through its index.yaml."""
    index = repository / "index.yaml"
    if index.is_file():
        try:
            data = yaml.load(index.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            data = None
        entries = data.get("entries", {}).get(ref.chart) if isinstance(data, dict) and \
            isinstance(data.get("entries"), dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and str(entry.get("version")) == ref.version:
                for url in entry.get("urls") or []:
                    if isinstance(url, str) and "://" not in url:
                        candidate = (repository / url).resolve()
                        if candidate.is_file() and repository.resolve() in candidate.parents:
                            return candidate, index_digest(data, ref)
    plain = repository / ref.archive_name
    return (plain, None) if plain.is_file() else None


# --- verifying what the cache holds against the lock -------------------------------------------

@dataclass(frozen=True)
class Mismatch:
    message: str
    error: bool = True  # False: the source cannot be verified (a warning), not a proven difference


def check_chart(ref: ChartRef, found: Found, lock: Lock | None) -> Mismatch | None:
    """At most one problem per cached chart: its archive against the index beside it, then against the lock."""
    actual = digest(found.path)
    if found.expected is not None and actual != found.expected:
        return Mismatch(f"the archive of {ref} in {found.folder} has digest {actual}, its repository index records"
                        f" {found.expected}: the archive is corrupt or was replaced")
    if lock is None:
        return None
    locked = lock.charts.get(ref)
    if locked is None:
        return Mismatch(f"{ref} is not in {LOCK_NAME}, so its digest is not verified: run `{PULL_COMMAND}` and"
                        " commit the lock", error=False)
    if locked == actual:
        return None
    origin = lock.origins.get(ref, "cache")
    why = ("the lock was written from a mirror whose archives are repackaged, so a cache holding the published"
           " archive differs from it" if origin == "mirror" and found.origin != "mirror" else
           "the published chart changed, or the cache is corrupt")
    return Mismatch(f"the cached archive of {ref} ({found.folder}) has digest {actual}, {LOCK_NAME} records"
                    f" {locked} (verified against: {origin}): {why}; review, then `{PULL_COMMAND} --update`"
                    " re-locks")


def check_git(ref: GitRef, found: Found, lock: Lock | None) -> Mismatch | None:
    """A cached git tree against the commit the lock records for its revision."""
    if lock is None:
        return None
    if ref not in lock.git:
        return Mismatch(f"{ref} is not in {LOCK_NAME}, so the commit it names is not verified: run `{PULL_COMMAND}`"
                        " and commit the lock", error=False)
    locked = lock.git[ref]
    if locked is None or found.commit == locked:
        return None
    if found.commit is None:
        return Mismatch(f"the cached tree of {ref} ({found.folder}) records no commit, {LOCK_NAME} records {locked}:"
                        f" it cannot be verified; rerun `{PULL_COMMAND}`", error=False)
    return Mismatch(f"the cached tree of {ref} ({found.folder}) is commit {found.commit}, {LOCK_NAME} records"
                    f" {locked}: the revision moved, or the cache is stale; review, then `{PULL_COMMAND} --update`"
                    " re-locks")


ENV_READ_ONLY = "GITOPS_VALIDATE_SOURCES"  # extra read-only source folders, os.pathsep-separated


def source_cache(config: Config, sources_dirs: list[Path]) -> SourceCache:
    """The cache folder and the read-only folders: flags first, then the config, then the environment."""
    primary = sources_dirs[0].resolve() if sources_dirs else (config.sources_cache or default_cache_dir())
    read_only = [p.resolve() for p in sources_dirs[1:]] + list(config.sources_read_only)
    read_only += [Path(p).resolve() for p in os.environ.get(ENV_READ_ONLY, "").split(os.pathsep) if p]
    return SourceCache(primary, read_only)
