"""A render cache outside the repository, keyed by the content of every input of a render.

A stale entry must never hide an error, so the key covers :func:`validate.discover.render_inputs`,
a deliberate superset of what kustomize reads, plus the kustomize version and the build
options: an entry is only reused when kustomize would read exactly the same bytes.

Entries live in ``$GITOPS_VALIDATE_CACHE_DIR`` or ``$XDG_CACHE_HOME/gitops-validate`` (by default
``~/.cache/gitops-validate``), one small JSON file per render, written atomically; the oldest
are pruned beyond a bound. A corrupt or unreadable entry is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

from validate.discover import Inventory, render_inputs
from validate.load import LoadedFile, from_plain, to_plain

MAX_ENTRIES = 4000
_FORMAT = 2


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
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("ok"), bool) or \
                not isinstance(entry.get("objects"), list) or \
                not all(isinstance(o, dict) and isinstance(o.get("data"), dict) for o in entry["objects"]):
            self.misses += 1
            return None
        self.hits += 1
        return entry

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store a render: whether it worked, its failure message, its objects with their provenance."""
        target = self.folder / key[:2] / f"{key}.json"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(entry, out)
            os.replace(temporary, target)
        except (OSError, TypeError, ValueError):
            return  # a cache that cannot be written is only slower
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
            data = marshal.loads(self.path.read_bytes())
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
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(marshal.dumps(self.new))
            os.replace(temporary, self.path)
        except (OSError, ValueError):
            return
