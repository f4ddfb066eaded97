"""A render cache outside the repository, keyed by the content of every input of a render.

A stale entry must never hide an error, so the key covers :func:`validate.discover.render_inputs`,
a deliberate superset of what kustomize reads, plus the kustomize version and the build
options: an entry is only reused when kustomize would read exactly the same bytes.

Entries live in ``$GITOPS_VALIDATE_CACHE_DIR`` or ``$XDG_CACHE_HOME/gitops-validate`` (by default
``~/.cache/gitops-validate``), one small JSON file per render; the oldest are pruned beyond a
bound. Several validators may share the folder at once:

* every file is written to a temporary file beside it and renamed into place (``os.replace`` is
  atomic), so a reader sees the old entry or the new one, never half of one; a write interrupted
  by an exception or a signal removes its temporary file, and one left by a killed process is
  swept by a later run once its process is gone;
* every entry starts with a header holding the SHA-256 of its body, checked on every read: a
  truncated, corrupt or foreign entry is a miss, never an error and never a wrong result;
* a cache that cannot be written (read-only or full disk, no permission) is used read-only for
  the rest of the run, and :attr:`RenderCache.warning` says why.
"""

from __future__ import annotations

import errno
import hashlib
import json
import marshal
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from validate.discover import Inventory, render_inputs
from validate.load import LoadedFile, from_plain, to_plain

MAX_ENTRIES = 4000
MAX_CHART_ENTRIES = 200  # a rendered chart can be megabytes
_FORMAT = 3
_MAGIC = b"gitops-validate-cache"
_TEMPORARY = ".tmp"


def seal(body: bytes) -> bytes:
    """``body`` behind a header that names the format and holds the body's SHA-256."""
    return b"%s %d %s\n" % (_MAGIC, _FORMAT, hashlib.sha256(body).hexdigest().encode()) + body


def unseal(raw: bytes) -> bytes | None:
    """The body of a sealed file, or None when it is truncated, corrupt or of another format."""
    header, newline, body = raw.partition(b"\n")
    parts = header.split(b" ")
    if not newline or len(parts) != 3 or parts[0] != _MAGIC or parts[1] != str(_FORMAT).encode():
        return None
    return body if hashlib.sha256(body).hexdigest().encode() == parts[2] else None


def atomic_write(target: Path, data: bytes) -> None:
    """Write ``target`` so that no reader ever sees part of it, and leave no temporary file behind
    whatever interrupts the write (the caller handles OSError)."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.{os.getpid()}.",
                                         suffix=_TEMPORARY)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def sweep_temporaries(folder: Path, older_than: float = 3600.0) -> None:
    """Remove temporary files that a killed process left in ``folder``'s subfolders: those of a
    process that no longer exists, or older than ``older_than`` seconds."""
    now = time.time()
    try:
        leftovers = list(folder.glob(f"*/.*{_TEMPORARY}")) + list(folder.glob(f".*{_TEMPORARY}"))
    except OSError:
        return
    for path in leftovers:
        parts = path.name.split(".")
        pid = int(parts[-3]) if len(parts) >= 4 and parts[-3].isdigit() else None
        try:
            stale = (pid is not None and pid != os.getpid() and not _alive(pid)) or now - path.stat().st_mtime > older_than
            if stale:
                path.unlink()
        except OSError:
            continue


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True


_DISK_TROUBLE = {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM}


def default_dir() -> Path:
    explicit = os.environ.get("GITOPS_VALIDATE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gitops-validate"


class RenderCache:
    def __init__(self, folder: Path, root: Path, inventory: Inventory, salt: str):
        self.folder = folder / f"renders-v{_FORMAT}"
        self.root = root
        self.inventory = inventory
        self.salt = salt
        self._digests: dict[str, str] = {}
        self.hits = 0
        self.misses = 0
        self.writable = True
        self.warning: str | None = None  # why the cache could not be written, once it could not
        sweep_temporaries(self.folder)

    # -- keys ---------------------------------------------------------------------------------

    def key(self, directory: str) -> str:
        digest = hashlib.sha256(f"{self.salt}\0{directory}\0".encode())
        for rel in sorted(render_inputs(self.inventory, directory)):
            digest.update(f"{rel}\0{self._digest(rel)}\0".encode())
        return digest.hexdigest()

    def _digest(self, rel: str) -> str:
        if rel not in self._digests:
            try:
                self._digests[rel] = hashlib.sha256((self.root / rel).read_bytes()).hexdigest()
            except OSError:
                self._digests[rel] = "unreadable"
        return self._digests[rel]

    # -- entries ------------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.folder / key[:2] / f"{key}.json"
        try:
            body = unseal(path.read_bytes())
            entry = json.loads(body) if body is not None else None
        except (OSError, ValueError):
            entry = None
        if not isinstance(entry, dict) or not isinstance(entry.get("ok"), bool) or \
                not isinstance(entry.get("objects"), list) or \
                not all(isinstance(o, dict) and isinstance(o.get("data"), dict) for o in entry["objects"]):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store a render: whether it worked, its failure message, its objects with their provenance."""
        if not self.writable:
            return
        target = self.folder / key[:2] / f"{key}.json"
        try:
            body = json.dumps(entry).encode("utf-8")
        except (TypeError, ValueError):
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, seal(body))
        except OSError as error:
            self.writable = False
            reason = error.strerror or str(error)
            hint = " (read-only or full disk?)" if error.errno in _DISK_TROUBLE else ""
            self.warning = (f"the render cache in {self.folder} cannot be written: {reason}{hint}; this run"
                            " continues without storing renders (set GITOPS_VALIDATE_CACHE_DIR to a writable"
                            " folder, or pass --no-cache)")
            return
        self._prune()

    def _prune(self) -> None:
        try:
            entries = [p for p in self.folder.glob("*/*.json")]
            if len(entries) <= MAX_ENTRIES:
                return
            entries.sort(key=lambda p: p.stat().st_mtime)
            for old in entries[: len(entries) - MAX_ENTRIES]:
                old.unlink(missing_ok=True)
        except OSError:
            return


class LoadMemo:
    """Parsed YAML files by content, so a run does not re-parse what an earlier run parsed.

    One marshal file per repository (marshal: plain data only, nothing to execute), read once at
    the start and rewritten at the end when anything changed. Keyed by the bytes of each file
    and the loader's limits; an unreadable or foreign memo is simply empty.
    """

    def __init__(self, folder: Path, root: Path, salt: str):
        name = hashlib.sha256(f"{root.resolve()}\0{salt}".encode()).hexdigest()[:32]
        self.path = folder / f"loads-v{_FORMAT}" / f"{name}.marshal"
        self.old: dict[str, tuple[str, Any]] = {}
        self.new: dict[str, tuple[str, Any]] = {}
        self.changed = False
        try:
            # marshal is not meant for untrusted bytes: only a body whose checksum matches is decoded.
            body = unseal(self.path.read_bytes())
            data = marshal.loads(body) if body is not None else None
            if isinstance(data, dict):
                self.old = data
        except (OSError, ValueError, EOFError, TypeError):
            pass

    def get(self, rel: str, raw: bytes) -> LoadedFile | None:
        digest = hashlib.sha1(raw).hexdigest()
        entry = self.old.get(rel)
        if not isinstance(entry, tuple) or len(entry) != 2 or entry[0] != digest:
            return None
        try:
            loaded = from_plain(rel, entry[1])
        except (TypeError, ValueError):
            return None
        self.new[rel] = entry
        return loaded

    def put(self, rel: str, raw: bytes, loaded: LoadedFile) -> None:
        self.new[rel] = (hashlib.sha1(raw).hexdigest(), to_plain(loaded))
        self.changed = True

    def save(self) -> None:
        if not self.changed and self.new.keys() == self.old.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            sweep_temporaries(self.path.parent.parent)
            atomic_write(self.path, seal(marshal.dumps(self.new)))
        except (OSError, ValueError):
            return


class ChartRenderCache:
    """Rendered Helm charts (template path -> text), keyed by everything ``helm template`` reads: the
    chart's digest, the merged values, release name, namespace, Kubernetes and API versions, the
    flags and the engine's name and version. Written and read like :class:`RenderCache` (atomic
    writes, sealed entries, read-only when the disk refuses)."""

    def __init__(self, folder: Path):
        self.folder = folder / f"charts-v{_FORMAT}"
        self.hits = 0
        self.misses = 0
        self.writable = True
        sweep_temporaries(self.folder)

    @staticmethod
    def key(*parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """``{"manifests": {template: text}, "volatile": {template: [[field path, ...] per document]}}``."""
        try:
            body = unseal((self.folder / key[:2] / f"{key}.json").read_bytes())
            entry = json.loads(body) if body is not None else None
        except (OSError, ValueError):
            entry = None
        manifests = entry.get("manifests") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(manifests, dict) or \
                not all(isinstance(k, str) and isinstance(v, str) for k, v in manifests.items()) or \
                not isinstance(entry.get("volatile"), dict):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        if not self.writable:
            return
        target = self.folder / key[:2] / f"{key}.json"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, seal(json.dumps(entry).encode("utf-8")))
        except OSError:
            self.writable = False  # the render cache reports an unwritable folder; this one follows it quietly
            return
        try:
            entries = sorted(self.folder.glob("*/*.json"), key=lambda p: p.stat().st_mtime)
            for old in entries[: max(0, len(entries) - MAX_CHART_ENTRIES)]:
                old.unlink(missing_ok=True)
        except OSError:
            return
