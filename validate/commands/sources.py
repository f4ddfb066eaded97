"""``gitops-validate sources``: fill the offline source cache and write the lock (``pull``), or show it (``list``).

``pull`` is the one command of the validator that may use the network, and it says so before
it does. It fetches only what neither the cache folder nor a read-only folder already holds,
so on a machine whose read-only folders hold every source it runs offline.
"""

from __future__ import annotations

import re
import shutil
import socket
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from validate import children, helm, remote_bases
from validate.commands import Parser
from validate.helm_stage import git_ref
from validate.model import ChildLimits, ToolError
from validate.pipeline import Options, find_root
from validate.pipeline import run as run_pipeline
from validate.sources import LOCK_NAME, ChartRef, GitRef, Lock, SourceCache, digest, index_digest


@dataclass
class Reference:
    ref: ChartRef | GitRef
    where: str  # "argocd/platform/x.yaml (Application x)"
    paths: list[str] = field(default_factory=list)  # a kustomize remote base: the folders of it that are built


def references(root: Path, sources_dirs: list[Path]) -> list[Reference]:
    """Every pinned chart and remote git source the repository's Applications, ApplicationSets and
    kustomizations reference."""
    result = run_pipeline(Options(paths=[root], sources_dirs=sources_dirs))
    ctx = result.context
    assert ctx is not None
    found: dict[ChartRef | GitRef, Reference] = {}
    for app in ctx.applications:
        for _where, source in app.sources():
            chart = helm.chart_ref(source)
            where = f"{app.obj.file} ({app.label})"
            if chart is not None:
                found.setdefault(chart, Reference(chart, where))
                continue
            git = git_ref(source, ctx)
            if git is not None:
                found.setdefault(git, Reference(git, where))
    for kustomization in ctx.inventory.kustomizations.values():
        document = kustomization.document
        data = document.data if document is not None and isinstance(document.data, dict) else {}
        for entry in data.get("helmCharts") or []:
            if isinstance(entry, dict) and all(isinstance(entry.get(k), str) for k in ("name", "repo", "version")):
                chart = ChartRef(entry["repo"], entry["name"], entry["version"])
                found.setdefault(chart, Reference(chart, kustomization.file))
        for name in remote_bases.INCLUDE_FIELDS:
            for entry in data.get(name) or [] if isinstance(data.get(name), list) else []:
                base = remote_bases.parse(entry)
                if base is not None:
                    found.setdefault(base.git_ref, Reference(base.git_ref, kustomization.file)).paths.append(base.path)
    return sorted(found.values(), key=lambda r: (type(r.ref).__name__, str(r.ref)))


# --- pull ------------------------------------------------------------------------------------------

def _endpoint(url: str) -> tuple[str, int]:
    """The host and port a download from ``url`` connects to first (``git@host:path`` is ssh)."""
    if "://" not in url and re.match(r"^[^/@]+@[^/:]+:", url):
        return url.split("@", 1)[1].split(":", 1)[0], 22
    parts = urlsplit(url if "://" in url else "https://" + url)
    defaults = {"http": 80, "ssh": 22, "git": 9418}
    try:
        port = parts.port
    except ValueError:
        port = None
    return parts.hostname or url, port or defaults.get(parts.scheme.lower(), 443)


def _reachable(endpoint: tuple[str, int], timeout: float) -> str | None:
    """None when ``endpoint`` accepts a connection, else why not."""
    try:
        with socket.create_connection(endpoint, timeout=timeout):
            return None
    except OSError as error:
        return error.strerror or str(error) or type(error).__name__


def _fetch_chart(ref: ChartRef, cache: SourceCache, timeout: float) -> Path:
    import helm_python

    with tempfile.TemporaryDirectory(prefix="gitops-validate-pull-") as folder:
        try:
            if ref.repo_url.startswith("oci://"):
                helm_python.pull(f"{ref.repo_url.rstrip('/')}/{ref.chart}", version=ref.version, destination=folder)
            else:
                helm_python.pull(ref.chart, repo_url=ref.repo_url, version=ref.version, destination=folder)
        except helm_python.HelmError as error:
            raise ToolError(f"sources pull: {ref}: {' '.join(str(error).split())}") from None
        archives = sorted(Path(folder).glob("*.tgz"))
        if not archives:
            raise ToolError(f"sources pull: {ref}: Helm downloaded no archive")
        if not ref.repo_url.startswith("oci://"):
            expected = _published_digest(ref, timeout)
            if expected is not None and digest(archives[0]) != expected:
                raise ToolError(f"sources pull: {ref}: the downloaded archive has digest {digest(archives[0])}, the"
                                f" repository's index.yaml records {expected}; nothing was stored")
        return cache.store_chart(ref, archives[0])


def _published_digest(ref: ChartRef, timeout: float) -> str | None:
    """The digest the Helm repository's index.yaml records for ``ref`` (None when it records none)."""
    import urllib.request

    import yaml

    url = ref.repo_url.rstrip("/") + "/index.yaml"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https repository URL
            index = yaml.safe_load(response.read(64 << 20))
    except (OSError, ValueError, yaml.YAMLError) as error:
        raise ToolError(f"sources pull: {ref}: cannot read {url} to verify the archive: {error}") from None
    return index_digest(index, ref)


def _fetch_git(ref: GitRef, cache: SourceCache, timeout: float) -> tuple[Path, str]:
    target = cache.git_target(ref)
    with tempfile.TemporaryDirectory(prefix="gitops-validate-pull-") as folder:
        work = Path(folder) / "checkout"

        def git(*args: str, cwd: Path | None = None) -> str:
            try:
                done = children.run(["git", *args], limits=ChildLimits(), timeout=timeout, cwd=cwd, output_cap=1 << 24,
                                    env={"PATH": "/usr/bin:/bin", "GIT_TERMINAL_PROMPT": "0"})
            except children.Interrupted:
                raise
            except ToolError as error:
                raise ToolError(f"sources pull: {ref}: git failed: {error}") from None
            if done.exhausted:
                raise ToolError(f"sources pull: {ref}: git {children.describe(done, ChildLimits(), timeout)}")
            if done.returncode != 0:
                reason = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["git failed"])[-1]
                raise ToolError(f"sources pull: {ref}: {reason}")
            return done.stdout.decode("utf-8", "replace").strip()

        work.mkdir()
        git("init", "--quiet", cwd=work)
        git("fetch", "--quiet", "--depth", "1", ref.repo_url, ref.revision, cwd=work)
        git("checkout", "--quiet", "FETCH_HEAD", cwd=work)
        commit = git("rev-parse", "HEAD", cwd=work)
        shutil.rmtree(work / ".git")
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(work, target, symlinks=True)
        (target.parent / (target.name + ".commit")).write_text(commit + "\n")
    return target, commit


def pull(root: Path, sources_dirs: list[Path], timeout: float, out: Any, update: bool = False) -> int:
    from validate.config import load_config
    from validate.sources import source_cache

    config = load_config(root)
    cache = source_cache(config, sources_dirs)
    old = Lock.read(root) or Lock()
    lock = Lock()
    wanted = references(root, sources_dirs)
    changed: list[str] = []
    level, seen, depth = wanted, {r.ref for r in wanted}, 0
    while level:
        _pull_level(level, cache, old, lock, changed, timeout, out)
        depth += 1
        level = _nested(level, cache, seen) if depth < remote_bases.MAX_NESTING else []
        wanted = wanted + level
    if changed and not update:
        raise ToolError(f"sources pull: {len(changed)} source(s) differ from {LOCK_NAME}, which is left unchanged:"
                        f" {'; '.join(changed)}; review, then `sources pull --update` accepts them")
    for line in changed:
        out.write(f"updated {line}\n")
    written = lock.write(root)
    out.write(f"{len(wanted)} source(s) locked in {written.name}\n")
    return 0


def _nested(level: list[Reference], cache: SourceCache, seen: set[ChartRef | GitRef]) -> list[Reference]:
    """The remote bases that the cached trees of ``level`` list in turn (in the folders the render builds and
    those they include), not ``seen`` yet (which they are added to): what the render follows next."""
    nested: dict[GitRef, Reference] = {}
    for reference in level:
        tree = cache.git(reference.ref) if isinstance(reference.ref, GitRef) else None
        for path in reference.paths if tree is not None else []:
            assert tree is not None
            for file, entry in remote_bases.listed_in(tree.path, path):
                base = remote_bases.parse(entry)
                if base is not None and base.git_ref not in seen:
                    nested.setdefault(base.git_ref, Reference(base.git_ref, f"{file} of {reference.ref}")
                                      ).paths.append(base.path)
    seen |= set(nested)
    return list(nested.values())


def _pull_level(wanted: list[Reference], cache: SourceCache, old: Lock, lock: Lock, changed: list[str], timeout: float,
                out: Any) -> None:
    """Fetch what ``wanted`` names and the cache lacks (saying so first), and record each source in ``lock``."""
    missing = [r for r in wanted if (cache.chart(r.ref) if isinstance(r.ref, ChartRef) else cache.git(r.ref)) is None]
    # A file:// repository is read from this machine: no network, nothing to announce.
    missing = [r for r in missing if not r.ref.repo_url.lower().startswith("file://")]
    if missing:
        endpoints = sorted({_endpoint(r.ref.repo_url) for r in missing})
        names = ", ".join(f"{host}:{port}" for host, port in endpoints)
        print(f"sources pull: fetching {len(missing)} source(s) over the network from {names} into {cache.primary}",
              file=sys.stderr)
        for endpoint in endpoints:
            reason = _reachable(endpoint, min(timeout, 15.0))
            if reason is not None:
                raise ToolError(f"sources pull needs the network and cannot reach {endpoint[0]}:{endpoint[1]}"
                                f" ({reason}); {len(missing)} source(s) are missing from {cache.describe()}")
    for reference in wanted:
        ref = reference.ref
        if isinstance(ref, ChartRef):
            found = cache.chart(ref)
            if found is not None:
                path, origin = found.path, found.origin
            else:
                path, origin = _fetch_chart(ref, cache, timeout), "repository"
            actual = digest(path)
            if found is not None and found.expected is not None and actual != found.expected:
                raise ToolError(f"sources pull: {ref}: {path} has digest {actual}, the index.yaml beside it records"
                                f" {found.expected}")
            lock.charts[ref], lock.origins[ref] = actual, origin
            before = old.charts.get(ref)
            if before is not None and before != actual:
                changed.append(f"{ref}: the lock records {before} (verified against:"
                               f" {old.origins.get(ref, 'cache')}), the source has {actual} ({origin})")
            out.write(f"{ref}: {actual} ({origin}: {path})\n")
        else:
            found_git = cache.git(ref)
            if found_git is not None:
                path, commit = found_git.path, found_git.commit
            else:
                path, commit = _fetch_git(ref, cache, timeout)
            lock.git[ref] = commit
            locked = old.git.get(ref)
            if locked is not None and commit is not None and locked != commit:
                changed.append(f"{ref}: the lock records commit {locked}, the source is {commit}")
            out.write(f"{ref}: commit {commit or 'unknown'} ({path})\n")


def list_sources(root: Path, sources_dirs: list[Path], out: Any) -> int:
    from validate.config import load_config
    from validate.sources import source_cache

    cache = source_cache(load_config(root), sources_dirs)
    lock = Lock.read(root) or Lock()
    wanted = references(root, sources_dirs)
    level, seen = wanted, {r.ref for r in wanted}
    for _depth in range(1, remote_bases.MAX_NESTING):  # remote bases cached trees list in turn, as pull follows them
        level = _nested(level, cache, seen)
        wanted += level
    for reference in wanted:
        ref = reference.ref
        found = cache.chart(ref) if isinstance(ref, ChartRef) else cache.git(ref)
        locked = ref in (lock.charts if isinstance(ref, ChartRef) else lock.git)
        state = "cached" if found is not None else "MISSING"
        out.write(f"{state:8} {'locked' if locked else 'unlocked':9} {ref}  <- {reference.where}\n")
    return 0


def main(argv: list[str]) -> int:
    parser = Parser(prog="gitops-validate sources", description="The offline cache of remote sources (Helm charts,"
                    " git repositories) and its lock file. `pull` is the one command that uses the network.")
    parser.add_argument("action", choices=("pull", "list"), help="pull: fetch what the cache lacks and write"
                        f" {LOCK_NAME}; list: show each source and whether it is cached and locked (offline)")
    parser.add_argument("path", nargs="?", type=Path, default=None, help="the repository (default: the current one)")
    parser.add_argument("--sources-dir", action="append", default=[], type=Path, metavar="DIR",
                        help="the source cache folder (first use), then read-only folders (repeatable)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per download (default 300)")
    parser.add_argument("--update", action="store_true", help="pull: accept sources whose digest or commit differs"
                        f" from {LOCK_NAME} (review the lock's diff before committing it)")
    args = parser.parse_args(argv)
    root = find_root(args.path or Path.cwd())
    try:
        if args.action == "pull":
            return pull(root, args.sources_dir, args.timeout, sys.stdout, args.update)
        return list_sources(root, args.sources_dir, sys.stdout)
    except ToolError as error:
        print(f"gitops-validate sources: {error}" if not str(error).startswith("sources") else
              f"gitops-validate {error}", file=sys.stderr)
        return 2
