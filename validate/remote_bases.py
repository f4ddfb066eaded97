"""Kustomize remote bases (``resources: [https://github.com/org/repo//path?ref=v1]``) rendered offline.

Argo CD's repo-server lets kustomize clone a remote base at every render. Offline we cannot, but
``gitops-validate sources pull`` stores the tree of each remote base at its ``ref`` in the source
cache (``git/<repository>/<ref>/``). When the tree is there, the render's private mirror links it
in (one symbolic link per cached tree, in a work folder of the mirror) and the kustomization's
entry is rewritten to the linked folder, so kustomize 5.8.1 builds exactly what it would have
cloned, with the network still closed. Objects read from the remote tree, and build failures
inside it, are reported at the kustomization line that lists the remote base.

A remote base the cache lacks keeps today's warning (its folder is not rendered), naming the
command that fills the cache. A remote base without a pinned ``ref`` (none, ``HEAD`` or a usual
branch name) is what Argo CD fetches afresh at every sync: offline only the snapshot ``sources
pull`` took can be checked, so it is rendered from that snapshot with a warning saying so.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from validate.discover import WORK_DIR_PREFIX, Inventory
from validate.load import LoadedFile
from validate.model import Finding, RenderedObject, Severity
from validate.sources import PULL_COMMAND, GitRef, Lock, Mismatch, SourceCache, check_git, tree_digest
from validate.yaml_events import SAFE_LOADER

LINK_PREFIX = f"{WORK_DIR_PREFIX}remote-"
INCLUDE_FIELDS = ("resources", "bases", "components")
# Revisions that name a moving branch head, not a tag or a commit.
BRANCH_NAMES = frozenset({"HEAD", "main", "master", "develop", "development", "trunk", "dev"})
_SCHEMES = ("https://", "http://", "ssh://", "file://")


@dataclass(frozen=True)
class RemoteBase:
    """A kustomize remote base as kustomize reads it: repository URL, folder inside it, ``ref``."""

    entry: str  # as written
    repo_url: str
    path: str  # inside the repository, "" for its root
    revision: str | None  # ``?ref=`` (or the older ``?version=``); None when absent

    @property
    def git_ref(self) -> GitRef:
        return GitRef(self.repo_url, self.revision or "HEAD")

    @property
    def pinned(self) -> bool:
        return self.revision is not None and self.revision not in BRANCH_NAMES


def parse(entry: Any) -> RemoteBase | None:
    """``entry`` as a remote base, or None when it is no git URL kustomize 5.8 would clone.

    Kustomize's repository spec: an optional ``git::`` prefix; an ``https``, ``http``, ``ssh`` or
    ``file`` scheme, or none for ``github.com/...`` and ``user@host:path``; the repository ends at
    ``_git/<name>``, ``//``, ``.git``, else after two path segments (``file://``: the whole path);
    ``?ref=`` (or ``?version=``) names the revision. A URL of a single YAML or JSON file is no base:
    kustomize downloads it as a file, which the source cache does not hold."""
    if not isinstance(entry, str) or not entry or any(c.isspace() for c in entry):
        return None
    text = entry[len("git::"):] if entry.lower().startswith("git::") else entry
    url, _, query = text.partition("?")
    revision = None
    for key, value in (pair.partition("=")[::2] for pair in query.split("&")):
        if value and (key == "ref" or key == "version" and revision is None):
            revision = value
    scheme = next((s for s in _SCHEMES if url.lower().startswith(s)), "")
    rest = url[len(scheme):]
    if not scheme and not re.match(r"^(?:[A-Za-z][\w-]*@[\w.-]+:|github\.com/)", rest, re.I):
        return None
    marker = re.search(r"_git/[^/]+|//|\.git(?=/|$)", rest[1:] if scheme == "file://" else rest)
    if marker is not None:
        cut = marker.end() + (1 if scheme == "file://" else 0)
        repository, path = rest[:cut - 2] if marker.group() == "//" else rest[:cut], rest[cut:]
    elif scheme == "file://":
        repository, path = rest, ""
    else:
        host, _, tail = rest.replace(":", "/", 1).partition("/") if not scheme else rest.partition("/")
        segments = tail.split("/")
        if len(segments) < 2 or not host:
            return None
        keep = len(host) + 1 + len("/".join(segments[:2]))
        repository, path = rest[:keep], rest[keep:]
        if revision is None and re.search(r"\.(?:ya?ml|json)$", path or repository, re.I):
            return None  # a file kustomize downloads over http, not a repository it clones
    path = "/".join(p for p in path.split("/") if p not in ("", "."))
    if ".." in path.split("/") or not repository.strip("/"):
        return None
    repository = (scheme or ("https://" if rest.lower().startswith("github.com/") else "")) + repository
    return RemoteBase(entry, repository.rstrip("/"), path, revision)


@dataclass
class _Listed:
    base: RemoteBase
    file: str  # the kustomization that lists it
    line: int | None
    link: str | None = None  # the mirror folder linked to its cached tree; None: not cached
    commit: str | None = None
    mismatch: Mismatch | None = None  # the cached tree against the lock's commit
    # Remote bases its tree lists in turn (and theirs): linked trees, why it cannot be rendered (a nested base
    # the cache lacks), notes (a nested base not pinned) and nested trees that differ from the lock.
    reach: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mismatches: list[tuple[str, Mismatch]] = field(default_factory=list)


# How deep remote bases may list remote bases (kustomize itself has no bound; a chain this long is a mistake).
MAX_NESTING = 5
# How many kustomizations of one cached tree are read looking for nested remote bases.
MAX_TREE_KUSTOMIZATIONS = 500
MAX_KUSTOMIZATION_BYTES = 1 << 20
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git::|gh:|git@|github\.com/|gitlab\.com/|bitbucket\.org/)|[?&]ref=",
                     re.I)


def listed_in(tree: Path, path: str) -> list[tuple[str, str]]:
    """(kustomization file relative to ``tree``, entry) of every remote entry of the kustomizations a build of
    ``tree/path`` reads: that folder's, and those of the folders it includes inside the tree."""
    root = tree.resolve()
    pending: list[str] = [path]
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while pending and len(seen) < MAX_TREE_KUSTOMIZATIONS:
        rel = pending.pop(0)
        if rel in seen:
            continue
        seen.add(rel)
        folder = root / rel
        file = next((folder / n for n in KUSTOMIZATION_NAMES if (folder / n).is_file()), None)
        data = _read(file) if file is not None else None
        if file is None or data is None:
            continue
        for name in INCLUDE_FIELDS:
            entries = data.get(name)
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, str):
                    continue
                if _REMOTE.search(entry):
                    out.append((file.relative_to(root).as_posix(), entry))
                    continue
                target = os.path.normpath(os.path.join(rel, entry)).replace(os.sep, "/")
                if target.startswith("../") or target == ".." or os.path.isabs(entry):
                    continue
                inside = (root / target).resolve()
                if inside.is_dir() and inside.is_relative_to(root):
                    pending.append("" if target == "." else target)
    return out


def _read(file: Path) -> dict[str, Any] | None:
    try:
        if file.stat().st_size > MAX_KUSTOMIZATION_BYTES:
            return None
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None  # kustomize says what is wrong with it when it reads it
    return data if isinstance(data, dict) else None


@dataclass
class RemoteBases:
    """The remote bases of an inventory's kustomizations, resolved against the source cache."""

    listed: dict[tuple[str, str], _Listed] = field(default_factory=dict)  # (kustomization file, entry)
    links: dict[str, Path] = field(default_factory=dict)  # mirror folder name -> cached tree
    labels: dict[str, str] = field(default_factory=dict)  # mirror folder name -> "[repository at ref]"
    commits: dict[str, str | None] = field(default_factory=dict)  # mirror folder name -> its commit
    # Linked trees whose kustomizations list cached remote bases: copied into the mirror (not linked) with
    # those entries pointing at the linked folders: tree folder -> kustomization file in it -> entry -> target.
    rewrites: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    _by_tree: dict[Path, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, inventory: Inventory, cache: SourceCache | None, lock: Lock | None = None) -> RemoteBases:
        """Each remote base listed by the inventory's kustomizations, linked when the cache holds its
        tree, and that tree checked against the commit ``lock`` records (as an Application's git source).
        Remote bases such a tree lists are resolved the same way, down to ``MAX_NESTING`` levels."""
        bases = cls()
        for kustomization in inventory.kustomizations.values():
            data = kustomization.document.data if kustomization.document is not None else None
            includes = {e for name in INCLUDE_FIELDS for e in (data.get(name) or [] if isinstance(data, dict) else [])
                        if isinstance(e, str)}
            for entry, line in kustomization.remote:
                base = parse(entry) if entry in includes else None
                if base is None:
                    continue
                listed = _Listed(base, kustomization.file, line)
                found = cache.git(base.git_ref) if cache is not None else None
                if found is not None and (found.path / base.path).is_dir():
                    listed.link = bases._link(base, found.path, found.commit)
                    listed.commit = found.commit
                    listed.mismatch = check_git(base.git_ref, found, lock)
                    assert cache is not None
                    bases._nested(listed, listed.link, base, cache, lock, 1, {(base.git_ref, base.path)})
                bases.listed[(kustomization.file, entry)] = listed
        return bases

    def _link(self, base: RemoteBase, tree: Path, commit: str | None) -> str:
        link = self._by_tree.setdefault(tree.resolve(), f"{LINK_PREFIX}{len(self._by_tree)}")
        self.links[link] = tree.resolve()
        self.labels.setdefault(link, f"[{base.repo_url} at {base.revision or 'HEAD'}]")
        self.commits.setdefault(link, commit)
        return link

    def _nested(self, listed: _Listed, link: str, base: RemoteBase, cache: SourceCache, lock: Lock | None,
                depth: int, chain: set[tuple[GitRef, str]]) -> None:
        """Resolve the remote bases the tree of ``base`` lists, into ``listed`` (the outermost listing)."""
        for file, entry in listed_in(self.links[link], base.path):
            where = f"{file} of {self.labels[link]}"
            nested = parse(entry)
            if nested is None:
                listed.problems.append(f"{entry!r} (in {where}), a remote reference that is not fetched offline")
                continue
            found = cache.git(nested.git_ref)
            if (nested.git_ref, nested.path) in chain:
                listed.problems.append(f"{entry!r} (in {where}), which includes itself again: a cycle")
            elif depth >= MAX_NESTING:
                listed.problems.append(f"{entry!r} (in {where}), nested more than {MAX_NESTING} remote bases deep,"
                                       " further than this check follows")
            elif found is None or not (found.path / nested.path).is_dir():
                listed.problems.append(f"{entry!r} (in {where}), which is not in the source cache ({nested.git_ref}):"
                                       f" run `{PULL_COMMAND}` to fetch it")
            else:
                target = self._link(nested, found.path, found.commit)
                self.rewrites.setdefault(link, {}).setdefault(file, {})[entry] = f"{target}/{nested.path}".rstrip("/")
                if target not in listed.reach:
                    listed.reach.append(target)
                mismatch = check_git(nested.git_ref, found, lock)
                if mismatch is not None:
                    listed.mismatches.append((f"{entry!r} (in {where})", mismatch))
                if not nested.pinned:
                    listed.notes.append(f"{entry!r} (in {where}), which is not pinned to a tag or commit")
                self._nested(listed, target, nested, cache, lock, depth + 1, chain | {(nested.git_ref, nested.path)})

    def rendered(self, file: str, entry: str) -> bool:
        listed = self.listed.get((file, entry))
        return listed is not None and listed.link is not None and not listed.problems

    def findings(self, file: str, entry: str, line: int | None, directory: str) -> list[Finding]:
        """What to say about one remote reference of ``directory``'s inputs (blocking or not)."""
        listed = self.listed.get((file, entry))
        if listed is None:
            return [_finding(f"remote reference {entry!r} is not fetched offline, so {directory} is not rendered or"
                             " checked here (Argo CD fetches it at sync time); to check it, vendor it into the"
                             " repository (`kustomize localize`)", file, line, directory)]
        base = listed.base
        if listed.link is None:
            pin = "" if base.pinned else (" It is not pinned to a tag or commit (`?ref=`): Argo CD renders whatever"
                                          " the branch holds at each sync.")
            return [_finding(f"remote base {entry!r} ({base.git_ref}) is not in the source cache, so {directory} is"
                             f" not rendered or checked here (Argo CD fetches it at sync time): run `{PULL_COMMAND}`"
                             f" to fetch it.{pin}", file, line, directory)]
        if listed.problems:  # a remote base its tree lists cannot be built offline: said at the outermost line
            return [_finding(f"remote base {entry!r} ({base.git_ref}) lists, in turn, {problem}; so {directory} is"
                             " not rendered or checked here (Argo CD fetches it at sync time)", file, line, directory)
                    for problem in listed.problems]
        nested = [_finding(f"remote base {entry!r} lists, in turn, {note}: Argo CD renders its branch head at every"
                           f" sync, which cannot be checked offline; {directory} was checked against the snapshot"
                           f" `{PULL_COMMAND}` stored", file, line, directory) for note in listed.notes]
        if base.pinned:
            return nested
        at = f" (commit {listed.commit})" if listed.commit else ""
        return nested + [_finding(f"remote base {entry!r} is not pinned to a tag or commit (`?ref=`): Argo CD renders the"
                         f" branch head at every sync, which cannot be checked offline; {directory} was checked"
                         f" against the snapshot `{PULL_COMMAND}` stored{at}, and pinning the ref makes that check"
                         " hold", file, line, directory)]

    def blocked(self, inventory: Inventory, later: set[str] | frozenset[str] = frozenset()
                ) -> tuple[dict[str, list[Finding]], dict[str, list[Finding]]]:
        """Rendered paths that include a remote reference the cache lacks (or any remote file kustomize
        would download): refused offline, each reference a finding at its line. Then warnings on paths
        rendered from a cached remote base (an unpinned ref, checked against a snapshot).

        Warnings, not errors: a remote base is no defect (Argo CD's repo-server fetches it at every
        render), only something this offline run could not check. A team that wants every path
        checked sets ``render-remote: error``.

        A cached tree of another commit than the lock records is a ``source-digest`` finding once per
        listing, on the first render that reads it (one not in ``later``, the renders only read back
        for repository-wide rules, where there is one)."""
        blocked: dict[str, list[Finding]] = {}
        notes: dict[str, list[Finding]] = {}
        by_file = {k.file: k for k in inventory.kustomizations.values()}
        said: set[tuple[str, str]] = set()
        for directory in sorted(inventory.rendered, key=lambda d: d in later):
            findings = []
            refused = False
            for rel in sorted(inventory.inputs.get(directory, ())):
                kustomization = by_file.get(rel)
                for reference, line in kustomization.remote if kustomization is not None else ():
                    findings += self.findings(rel, reference, line, directory)
                    refused = refused or not self.rendered(rel, reference)
                    listed = self.listed.get((rel, reference))
                    if listed is None or (rel, reference) in said:
                        continue
                    said.add((rel, reference))  # the tree rendered is said, never checked silently
                    differ = [(f"remote base {reference!r}", listed.mismatch)] if listed.mismatch else []
                    for what, mismatch in differ + [(f"remote base {reference!r} lists {w}", m)
                                                    for w, m in listed.mismatches]:
                        findings.append(Finding(
                            "source-digest", f"{what}: {mismatch.message}; {directory} is rendered from the cached"
                            " tree", rel, line, render=directory,
                            severity=Severity.ERROR if mismatch.error else Severity.WARNING))
            if refused:
                blocked[directory] = findings
            elif findings:
                notes[directory] = findings
        return blocked, notes

    def rewritten(self, file: str, loaded: LoadedFile, build_metadata: list[str]) -> str | None:
        """The mirror's text of kustomization ``file`` with its cached remote bases pointing at their
        linked folders (and ``build_metadata`` asked for); None when it lists no cached remote base."""
        data = loaded.documents[0].data if self.cached(file) and loaded.documents else None
        if not isinstance(data, dict):
            return None
        metadata: list[Any] = data["buildMetadata"] if isinstance(data.get("buildMetadata"), list) else []
        return yaml.safe_dump({**self.rewrite(file, data), "buildMetadata": list(
            dict.fromkeys([*metadata, *build_metadata]))}, sort_keys=False)

    def rewrite(self, file: str, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` (a kustomization) with each cached remote base replaced by its linked folder."""
        targets = {entry: f"{v.link}/{v.base.path}".rstrip("/") for (f, entry), v in self.listed.items()
                   if f == file and v.link is not None}
        return _pointed(data, os.path.dirname(file) or ".", targets)

    def materialize(self, link: str, folder: Path) -> None:
        """Copy the cached tree of ``link`` to ``folder`` (the mirror's ``link``): its files hard-linked (or
        copied), the kustomizations that list cached remote bases rewritten to their linked folders. The
        cache is never written: a rewritten file is a new file, not the hard link."""
        def link_or_copy(source: str, target: str) -> None:
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)
        shutil.copytree(self.links[link], folder, symlinks=True, copy_function=link_or_copy,
                        ignore=shutil.ignore_patterns(".git"))
        for file, targets in self.rewrites.get(link, {}).items():
            data = _read(self.links[link] / file)
            if data is None:
                continue
            text = yaml.safe_dump(_pointed(data, os.path.dirname(f"{link}/{file}"), targets), sort_keys=False)
            (folder / file).unlink()
            (folder / file).write_text(text, encoding="utf-8")

    def cached(self, file: str) -> bool:
        """Whether the kustomization ``file`` lists a remote base that the mirror links in."""
        return any(k[0] == file and v.link is not None for k, v in self.listed.items())

    def salted(self, key: str, files: set[str]) -> str:
        """A render cache key that also names the cached trees the render (reading ``files``) reads:
        their commit, else their digest (a read-only folder may record no commit)."""
        trees = sorted(f"{v.base.entry}\0{link}\0{self.commits.get(link) or tree_digest(self.links[link])}"
                       for (f, _e), v in self.listed.items() if f in files and v.link is not None
                       for link in [v.link, *v.reach])
        return hashlib.sha256("\0".join([key, *trees]).encode()).hexdigest() if trees else key

    def attribute(self, files: set[str], objects: list[RenderedObject]) -> list[RenderedObject]:
        """Objects read from a linked tree, placed at the kustomization line that lists the remote base."""
        candidates = [v for (f, _e), v in self.listed.items() if f in files and v.link is not None]
        out = []
        for obj in objects:
            origin = obj.source_file or obj.generated_in or ""
            listed = _listing(candidates, origin)
            transformed = [(f, k) for f, k in obj.transformed_in if not f.startswith(LINK_PREFIX)]
            if listed is None:
                out.append(replace(obj, transformed_in=transformed) if transformed != obj.transformed_in else obj)
                continue
            out.append(replace(obj, source_file=listed.file, generated_in=None, generator=None,
                               transformed_in=transformed, remote=(listed.base.entry, listed.line)))
        return out

    def place(self, files: set[str], outcome: Any) -> Any:
        """A render's outcome (ok, message, objects, at) with the objects and the failure of remote
        bases placed at the kustomization lines that list them."""
        if not self.links:
            return outcome
        if not outcome.ok:
            message, file, line = self.explain(files, outcome.message)
            return replace(outcome, message=message, at=(file, line) if file is not None else None)
        return replace(outcome, objects=self.attribute(files, outcome.objects))

    def explain(self, files: set[str], message: str) -> tuple[str, str | None, int | None]:
        """A build failure's message with linked folders named as the remote bases they hold, and the
        kustomization line that lists the one it names (None when it names none)."""
        candidates = [v for (f, _e), v in self.listed.items() if f in files and v.link is not None]
        named = None
        for listed in candidates:
            for link in [listed.link, *listed.reach] if listed.link is not None else []:
                if link in message or str(self.links[link]) in message:
                    named = named or listed
        for link, tree in sorted(self.links.items(), key=lambda item: -len(item[0])):
            label = f"{self.labels[link]}/"
            message = re.sub(rf"(?:\.\./)*{re.escape(link)}/?", label, message)
            message = re.sub(rf"{re.escape(str(tree))}/?", label, message)
        return message, named.file if named else None, named.line if named else None


def _pointed(data: dict[str, Any], directory: str, targets: dict[str, str]) -> dict[str, Any]:
    """Kustomization ``data`` (in the mirror folder ``directory``) with the entries of ``targets`` pointing at
    their mirror folders instead."""
    out = dict(data)
    for name in INCLUDE_FIELDS:
        entries = data.get(name)
        if isinstance(entries, list):
            out[name] = [os.path.relpath(targets[e], directory).replace(os.sep, "/")
                         if isinstance(e, str) and e in targets else e for e in entries]
    return out


def _listing(candidates: list[_Listed], origin: str) -> _Listed | None:
    parts = origin.split("/")
    inside = [c for c in candidates if c.link in parts]
    if not inside:  # from a remote base a remote base lists: the outermost listing that reaches it
        return next((c for c in candidates if any(link in parts for link in c.reach)), None)
    within = parts[parts.index(inside[0].link or "") + 1:]
    return max(inside, key=lambda c: len(c.base.path) if "/".join(within).startswith(c.base.path) else -1)


def _finding(message: str, file: str, line: int | None, directory: str) -> Finding:
    return Finding("render-remote", message, file, line, severity=Severity.WARNING, render=directory)
