"""Run the real CLI on a hostile tree and check the contract that must hold whatever the input.

Every run is a subprocess (``python -m validate REPO --format json``) with stdin closed, in a
process group of its own. Nothing is judged by the clock, which a loaded machine stretches at
will: a run is measured in CPU time (``os.wait4``: the validator and every child it reaped,
kustomize included) and in memory, both the peak of the largest process and the peak of the
whole process tree (its resident sizes summed, sampled from /proc while it runs); a generous
wall-clock time-out only stops a run that hangs. ``RLIMIT_DATA`` bounds every process of the
tree as a safety net, so a regression fails the test instead of taking the machine down.
Around the run the harness checks:

* the exit code (1 or 2), no traceback, one line on stderr when the exit code is 2;
* the repository, the folder outside it and HOME are byte-for-byte unchanged, the child's
  TMPDIR is left empty (no file written anywhere we can see);
* a marker file that hostile content would ``touch`` does not exist (nothing executed);
* a canary TCP listener on 127.0.0.1, which every remote reference points at and which is set
  as the proxy of the validator's own environment, saw no connection (no network);
* a secret held only outside the repository appears nowhere in stdout or stderr;
* no process of the run outlives it (the harness is a child subreaper while it runs).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import resource
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[2]
TIME = Path("/usr/bin/time")


# --- the canary: any connection to it is a failure ------------------------------------------

class Canary:
    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


_CANARY: Canary | None = None


def canary() -> Canary:
    global _CANARY
    if _CANARY is None:
        _CANARY = Canary()
    return _CANARY


# --- the world a case is built in -------------------------------------------------------------

@dataclass
class World:
    base: Path
    repo: Path
    outside: Path
    tools: Path
    secret: str
    marker: Path
    canary: Canary

    def write(self, rel: str, content: str | bytes) -> Path:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def link(self, rel: str, target: str | Path) -> None:
        path = self.repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)

    def tool(self, name: str, script: str) -> Path:
        path = self.tools / name
        path.write_text(script)
        path.chmod(0o755)
        return path


def make_world(base: Path) -> World:
    secret = f"topsecret-{uuid.uuid4().hex[:12]}"
    repo, outside, tools = base / "repo", base / "outside", base / "tools"
    for folder in (repo, outside, tools, base / "home", base / "tmp", base / "cwd"):
        folder.mkdir(parents=True)
    (outside / "secret.txt").write_text(f"{secret}\n")
    (outside / "secret.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {secret}\n"
                                         f"data:\n  {secret}: {secret}\n  number: 42\n")
    (outside / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    (outside / "yamllint.yaml").write_text(f"rules:\n  {secret}: enable\n")
    for parent in (base, *base.parents):
        assert not (parent / ".git").exists(), f"{parent} is a git work tree: the case would not be its own root"
    return World(base, repo, outside, tools, secret, base / "outside" / "MARKER", canary())


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: apps\n"


def exponential_tree(world: World) -> None:
    """Kustomizations where each level includes the next twice, under different name prefixes: 2^24
    objects at l0, so kustomize runs until a limit stops it."""
    world.write("l24/cm.yaml", CM)
    world.write("l24/kustomization.yaml", "resources: [cm.yaml]\n")
    for level in range(23, -1, -1):
        world.write(f"l{level}/a/kustomization.yaml", f"namePrefix: a-\nresources: [../../l{level + 1}]\n")
        world.write(f"l{level}/b/kustomization.yaml", f"namePrefix: b-\nresources: [../../l{level + 1}]\n")
        world.write(f"l{level}/kustomization.yaml", "resources: [a, b]\n")


# --- snapshots ----------------------------------------------------------------------------------

# The validator's own cache (``$XDG_CACHE_HOME/gitops-validate``) is the one place it may write.
OWN_CACHE = (".cache", ".cache/gitops-validate")


def snapshot(root: Path) -> dict[str, Any]:
    """Every entry under ``root``: regular files by content hash, links by target; never opens
    anything but regular files (a FIFO must not be opened)."""
    found: dict[str, Any] = {}
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = os.path.join(current, name)
            rel = os.path.relpath(path, root)
            if rel in OWN_CACHE or rel.startswith(OWN_CACHE[1] + "/"):
                continue
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                digest = hashlib.sha256()
                with open(path, "rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
                found[rel] = ("file", digest.hexdigest(), stat.S_IMODE(info.st_mode))
            elif stat.S_ISDIR(info.st_mode):
                found[rel] = ("dir", stat.S_IMODE(info.st_mode))
            else:
                found[rel] = ("special", stat.S_IFMT(info.st_mode))
    return found


# --- running the CLI ----------------------------------------------------------------------------

_PR_SET_CHILD_SUBREAPER = 36


def _subreaper(on: bool) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_CHILD_SUBREAPER, 1 if on else 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children_by_parent() -> dict[int, list[int]]:
    """Every live process's children, by parent pid: one pass over /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _children_of(pid: int) -> list[int]:
    return _children_by_parent().get(pid, [])


_PAGE = os.sysconf("SC_PAGE_SIZE")
# Every process of a run may use this much at most (the validator's children lower it further).
TREE_PROCESS_CAP = 6 * 2**30


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children of children too), from /proc: through each
    thread's ``children`` list where the kernel has it (a few reads), else by every process's parent."""
    try:
        return _descendants_by_children(pid)
    except OSError:
        return _descendants_by_parent(pid)


def _descendants_by_children(pid: int) -> list[int]:
    if not os.path.exists(f"/proc/{pid}/task/{pid}/children"):
        raise OSError("no children lists in /proc")
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue  # gone
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    children = [int(child) for child in handle.read().split()]
            except (OSError, ValueError):
                continue
            found += children
            pending += children
    return found


def _descendants_by_parent(pid: int) -> list[int]:
    parents = _children_by_parent()
    found, pending = [], [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def command_line(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def _resident_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            continue
    return total


class TreeSampler:
    """The peak of the summed resident memory of every process below this one, sampled until stopped."""

    def __init__(self, interval: float = 0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            self.peak = max(self.peak, _resident_bytes(descendants(me)))
            self._stop.wait(self.interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak / 2**20


def _cap_tree() -> None:
    """In the child, before exec: the safety net every process of the run inherits."""
    resource.setrlimit(resource.RLIMIT_DATA, (TREE_PROCESS_CAP, TREE_PROCESS_CAP))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


@dataclass
class Run:
    command: list[str]
    exit_code: int
    stdout: str
    stderr: str
    cpu_seconds: float  # user + system, of the validator and every child it waited for
    max_rss_mb: float  # the largest single process
    tree_mb: float  # the whole process tree at its peak
    timed_out: bool
    strays: list[str] = field(default_factory=list)  # processes that outlived the run

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def cli_command(world: World, args: list[str] | None = None, console_script: bool = False) -> list[str]:
    if console_script:
        command = [str(Path(sys.executable).parent / "gitops-validate")]
    else:
        command = [sys.executable, "-m", "validate"]
    return command + ([str(world.repo), "--format", "json"] if args is None else args)


def cli_env(world: World, env: dict[str, str] | None = None) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(world.base / "home"),
        "XDG_CONFIG_HOME": str(world.base / "home" / ".config"),
        "XDG_CACHE_HOME": str(world.base / "home" / ".cache"),
        "TMPDIR": str(world.base / "tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # The validator's own environment points every proxy at the canary: whatever in it
        # honours proxies and tries the network is counted.
        "HTTP_PROXY": world.canary.url, "HTTPS_PROXY": world.canary.url, "ALL_PROXY": world.canary.url,
        "http_proxy": world.canary.url, "https_proxy": world.canary.url, "all_proxy": world.canary.url,
        **(env or {}),
    }


def run_cli(world: World, args: list[str] | None = None, env: dict[str, str] | None = None,
            timeout: float = 600.0, console_script: bool = False, cwd: Path | None = None) -> Run:
    command = cli_command(world, args, console_script)
    child_env = cli_env(world, env)
    # The peak memory of a child forked from this (large) test process starts at this process's
    # size; /usr/bin/time forks the validator from its own small image and reports its peak (and
    # that of every child it reaped, kustomize included) exactly.
    measure = Path(world.base / "maxrss.txt")
    wrapped = ["/usr/bin/time", "-f", "%M", "-o", str(measure), *command] if TIME.exists() else command
    subreaper = _subreaper(True)
    started = time.monotonic()
    sampler = TreeSampler()
    process = subprocess.Popen(wrapped, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=child_env, cwd=str(cwd or world.base / "cwd"), start_new_session=True,
                               preexec_fn=_cap_tree)
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}

    def drain(stream: Any, into: list[bytes]) -> None:
        for block in iter(lambda: stream.read(65536), b""):
            into.append(block)

    readers = [threading.Thread(target=drain, args=(process.stdout, chunks["out"]), daemon=True),
               threading.Thread(target=drain, args=(process.stderr, chunks["err"]), daemon=True)]
    for reader in readers:
        reader.start()
    timed_out = False
    status, usage = 0, None
    try:
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:  # a hang, not a budget: generous by design
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.01)
    finally:
        process.returncode = os.waitstatus_to_exitcode(status)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # whatever of its group survived it
        except OSError:
            pass
    for reader in readers:
        reader.join(timeout=30)
    strays = _collect_strays() if subreaper else []
    tree_mb = sampler.stop()
    process.stdout.close()  # type: ignore[union-attr]
    process.stderr.close()  # type: ignore[union-attr]
    max_rss_kb = float(usage.ru_maxrss) if usage else 0.0
    cpu = usage.ru_utime + usage.ru_stime if usage else 0.0
    exit_code = process.returncode
    if wrapped is not command and measure.exists():
        report = measure.read_text().split()
        measure.unlink()
        if report and report[-1].isdigit():
            max_rss_kb = float(report[-1])
        if "signal" in report:  # "Command terminated by signal N": report it as Popen would
            exit_code = -int(report[report.index("signal") + 1])
    return Run(command, exit_code, b"".join(chunks["out"]).decode("utf-8", "replace"),
               b"".join(chunks["err"]).decode("utf-8", "replace"), cpu, max_rss_kb / 1024,
               max(tree_mb, max_rss_kb / 1024), timed_out, strays)


def _collect_strays() -> list[str]:
    """Processes of the run still alive after it (reparented to this subreaper): killed and named."""
    strays = []
    time.sleep(0.05)
    for pid in _children_of(os.getpid()):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                zombie = handle.read().rsplit(")", 1)[1].split()[0] == "Z"  # dead: only to be reaped
            if not zombie:
                strays.append(command_line(pid))
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (OSError, ChildProcessError):
            pass
    _subreaper(False)
    return strays


# --- expectations -------------------------------------------------------------------------------

ANY = object()


@dataclass
class Expect:
    exit_code: int
    findings: list[tuple[str, Any, Any]] = field(default_factory=list)  # (rule, file, line); ANY matches all
    stderr: str | None = None  # a substring of the one stderr line (exit 2)
    cpu_seconds: float = 30.0  # CPU time of the whole run, children included
    memory_mb: float = 400.0  # the largest single process
    tree_mb: float = 1200.0  # the whole process tree, summed
    messages: list[tuple[str, str]] = field(default_factory=list)  # (rule, substring of its message)
    absent: list[str] = field(default_factory=list)  # files no finding may name (never read)


@dataclass
class Case:
    id: str
    build: Callable[[World], None]
    expect: Expect
    env: Callable[[World], dict[str, str]] | None = None
    slow: bool = False
    xfail: str | None = None  # a known bug outside load.py and discover.py: the reason
    console_script_in_repo: bool = False
    timeout: float = 600.0  # only a hang reaches it
    args: Callable[[World], list[str]] | None = None  # instead of ``REPO --format json``
    cwd: Callable[[World], Path] | None = None


def check(case: Case, world: World) -> Run:
    watched = {"repo": world.repo, "outside": world.outside, "home": world.base / "home", "tools": world.tools}
    before = {name: snapshot(path) for name, path in watched.items()}
    connections = world.canary.connections
    cwd = case.cwd(world) if case.cwd else (world.repo if case.console_script_in_repo else None)
    run = run_cli(world, args=case.args(world) if case.args else None, env=case.env(world) if case.env else None,
                  timeout=case.timeout, console_script=case.console_script_in_repo, cwd=cwd)
    expect = case.expect
    where = (f"[{case.id}] exit {run.exit_code}, {run.cpu_seconds:.1f}s CPU, {run.max_rss_mb:.0f} MB largest process,"
             f" {run.tree_mb:.0f} MB tree; stderr: {run.stderr[:600]!r}")

    assert not run.timed_out, f"{where}: still running after {case.timeout:g}s"
    assert "Traceback" not in run.stderr, where
    assert run.exit_code in (1, 2), where
    assert run.exit_code == expect.exit_code, f"{where}; stdout: {run.stdout[:1500]}"
    if run.exit_code == 2:
        assert run.stderr.endswith("\n") and run.stderr.count("\n") == 1, f"{where}: not exactly one line"
        assert run.stderr.startswith("gitops-validate: "), where
        assert "internal error" not in run.stderr, where
        if expect.stderr is not None:
            assert expect.stderr in run.stderr, where
    else:
        document = run.json()
        assert document["summary"]["exitCode"] == 1, where
        found = [(f["rule"], f["file"], f["line"]) for f in document["findings"]]
        for rule, file, line in expect.findings:
            assert any(r == rule and (file is ANY or f == file) and (line is ANY or n == line)
                       for r, f, n in found), f"{where}: no {rule} at {file}:{line} among {found[:40]}"
        for rule, text in expect.messages:
            messages = [f["message"] for f in document["findings"] if f["rule"] == rule]
            assert any(text in message for message in messages), f"{where}: no {rule} saying {text!r}: {messages}"
        for absent in expect.absent:
            named = [(r, f) for r, f, _ in found if f == absent or (f or "").startswith(absent.rstrip("/") + "/")]
            assert not named, f"{where}: findings about {absent}, which is never read: {named}"
    assert run.cpu_seconds < expect.cpu_seconds, f"{where}: more than {expect.cpu_seconds:g}s of CPU time"
    assert run.max_rss_mb < expect.memory_mb, f"{where}: a process of more than {expect.memory_mb:g} MB"
    assert run.tree_mb < expect.tree_mb, f"{where}: a process tree of more than {expect.tree_mb:g} MB"

    assert world.secret not in run.stdout and world.secret not in run.stderr, f"{where}: printed outside content"
    assert world.canary.connections == connections, f"{where}: opened a network connection"
    assert not world.marker.exists(), f"{where}: ran code from the repository"
    assert not run.strays, f"{where}: processes outlived the run: {run.strays}"
    for name, path in watched.items():
        assert snapshot(path) == before[name], f"{where}: {name} changed"
    leftovers = sorted(p.name for p in (world.base / "tmp").iterdir())
    assert leftovers == [], f"{where}: left files in TMPDIR: {leftovers}"
    return run
