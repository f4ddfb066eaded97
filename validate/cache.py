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
# Each format has folders of its own, so two versions sharing a cache folder never read each
# other's entries. 4: a parse memo document may keep its positions unfound (a text span instead).
_FORMAT = 4
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


class _Entries:
    """Sealed JSON entries in ``folder/<2 hex>/<key>.json``: atomic writes, verified reads (a torn or
    foreign entry is a miss), the oldest pruned beyond ``limit``, and no more writing once the disk
    refuses (``writable`` false, ``error`` says why)."""

    def __init__(self, folder: Path, limit: int):
        self.folder = folder
        self.limit = limit
        self.hits = 0
        self.misses = 0
        self.writable = True
        sweep_temporaries(self.folder)

    def _read(self, key: str) -> Any:
        try:
            body = unseal((self.folder / key[:2] / f"{key}.json").read_bytes())
            return json.loads(body) if body is not None else None
        except (OSError, ValueError):
            return None

    def _counted(self, entry: dict[str, Any] | None) -> dict[str, Any] | None:
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def _write(self, key: str, entry: dict[str, Any]) -> OSError | None:
        """Store ``entry`` (nothing when it is not JSON data); the error when the disk refused it."""
        if not self.writable:
            return None
        try:
            body = json.dumps(entry).encode("utf-8")
        except (TypeError, ValueError):
            return None
        target = self.folder / key[:2] / f"{key}.json"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, seal(body))
        except OSError as error:
            self.writable = False
            return error
        try:
            entries = sorted(self.folder.glob("*/*.json"), key=lambda p: p.stat().st_mtime)
            for old in entries[: max(0, len(entries) - self.limit)]:
                old.unlink(missing_ok=True)
        except OSError:
            pass
        return None


class RenderCache(_Entries):
    def __init__(self, folder: Path, root: Path, inventory: Inventory, salt: str,
                 digests: dict[str, str] | None = None):
        super().__init__(folder / f"renders-v{_FORMAT}", MAX_ENTRIES)
        self.root = root
        self.inventory = inventory
        self.salt = salt
        # SHA-1 of each input file's bytes; those the parse memo already took are not read again.
        self._digests: dict[str, str] = dict(digests or {})
        self.warning: str | None = None  # why the cache could not be written, once it could not

    # -- keys ---------------------------------------------------------------------------------

    def key(self, directory: str) -> str:
        digest = hashlib.sha256(f"{self.salt}\0{directory}\0".encode())
        for rel in sorted(render_inputs(self.inventory, directory)):
            digest.update(f"{rel}\0{self._digest(rel)}\0".encode())
        return digest.hexdigest()

    def _digest(self, rel: str) -> str:
        if rel not in self._digests:
            try:
                self._digests[rel] = hashlib.sha1((self.root / rel).read_bytes()).hexdigest()
            except OSError:
                self._digests[rel] = "unreadable"
        return self._digests[rel]

    # -- entries ------------------------------------------------------------------------------

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self._read(key)
        valid = isinstance(entry, dict) and isinstance(entry.get("ok"), bool) and \
            isinstance(entry.get("objects"), list) and \
            all(isinstance(o, dict) and isinstance(o.get("data"), dict) for o in entry["objects"])
        return self._counted(entry if valid else None)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store a render: whether it worked, its failure message, its objects with their provenance."""
        error = self._write(key, entry)
        if error is not None:
            reason = error.strerror or str(error)
            hint = " (read-only or full disk?)" if error.errno in _DISK_TROUBLE else ""
            self.warning = (f"the render cache in {self.folder} cannot be written: {reason}{hint}; this run"
                            " continues without storing renders (set GITOPS_VALIDATE_CACHE_DIR to a writable"
                            " folder, or pass --no-cache)")


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
        self.new: dict[str, LoadedFile] = {}  # each with its digest
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
        loaded.digest = digest
        self.new[rel] = loaded
        return loaded

    def put(self, rel: str, raw: bytes, loaded: LoadedFile) -> None:
        loaded.digest = hashlib.sha1(raw).hexdigest()
        self.new[rel] = loaded
        self.changed = True

    def save(self) -> None:
        """Written when anything changed, as the files stand then: with the positions found since
        they were read (a kustomization's are, by the inventory), which a later run need not find."""
        if not self.changed and self.new.keys() == self.old.keys():
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            sweep_temporaries(self.path.parent.parent)
            atomic_write(self.path, seal(marshal.dumps({rel: (loaded.digest, to_plain(loaded))
                                                        for rel, loaded in self.new.items()})))
        except (OSError, ValueError):
            return


class ChartRenderCache(_Entries):
    """Rendered Helm charts (template path -> text), keyed by everything ``helm template`` reads: the
    chart's digest, the merged values, release name, namespace, Kubernetes and API versions, the
    flags and the engine's name and version. An unwritable folder is reported by the render cache,
    which shares it; this one follows it quietly."""

    def __init__(self, folder: Path):
        super().__init__(folder / f"charts-v{_FORMAT}", MAX_CHART_ENTRIES)
        self.parsed = ParsedDocuments(folder)

    @staticmethod
    def key(*parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        """``{"manifests": {template: text}, "volatile": {template: [[field path, ...] per document]}}``."""
        entry = self._read(key)
        manifests = entry.get("manifests") if isinstance(entry, dict) else None
        valid = isinstance(entry, dict) and isinstance(manifests, dict) and \
            all(isinstance(k, str) and isinstance(v, str) for k, v in manifests.items()) and \
            isinstance(entry.get("volatile"), dict)
        return self._counted(entry if valid else None)

    def put(self, key: str, entry: dict[str, Any]) -> None:
        self._write(key, entry)


class ParsedDocuments(_Entries):
    """The documents of YAML streams parsed by an earlier run, by content: a set of named texts (a
    chart's rendered templates, its CRD files) is one entry, keyed by the texts' digests and the
    parser (``salt``). Stored as JSON, and only the texts whose documents JSON holds exactly (no
    dates, binary or non-string keys): reading JSON back is several times faster than parsing
    YAML, and what a chart renders is most of the YAML a run with charts reads."""

    def __init__(self, folder: Path):
        super().__init__(folder / f"parsed-v{_FORMAT}", MAX_CHART_ENTRIES)

    @staticmethod
    def key(texts: dict[str, str], salt: str) -> str:
        digest = hashlib.sha256(f"{salt}\0".encode())
        for name in sorted(texts):
            digest.update(f"{name}\0{hashlib.sha256(texts[name].encode()).hexdigest()}\0".encode())
        return digest.hexdigest()

    def get(self, key: str) -> dict[str, list[Any]] | None:
        """The stored documents by name (the names whose documents JSON cannot hold are absent), or None."""
        entry = self._read(key)
        documents = entry.get("documents") if isinstance(entry, dict) else None
        valid = isinstance(documents, dict) and all(
            isinstance(name, str) and isinstance(found, list) for name, found in documents.items())
        if not valid:
            self._counted(None)
            return None
        self._counted(entry)
        return documents

    def put(self, key: str, parsed: dict[str, list[Any]]) -> None:
        exact: dict[str, list[Any]] = {}
        for name, found in parsed.items():
            try:
                if json.loads(json.dumps(found, allow_nan=False)) == found:
                    exact[name] = found
            except (TypeError, ValueError):
                continue  # a date, binary data, a non-string key: parsed again next time
        self._write(key, {"documents": exact})
