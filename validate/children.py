"""Child processes (kubectl kustomize, git) under limits, and never outliving the validator.

Whatever a child reads comes from a pull request, so whatever it costs is bounded:

* memory: ``RLIMIT_DATA`` (what Go's heap and every private writable mapping count against)
  at the configured cap, and ``RLIMIT_AS`` 4 GiB above it as a backstop. ``RLIMIT_AS`` alone does
  not suit Go, whose runtime reserves several hundred MiB of address space before it allocates
  anything; ``RLIMIT_DATA`` bounds what it really uses. Core dumps are off.
* CPU: ``RLIMIT_CPU``; the kernel sends SIGXCPU at the soft limit and SIGKILL a little later.
* wall-clock: a time-out, after which the whole process group is killed.

Each child starts its own session (so its own process group, which a kill reaches as a whole)
and asks the kernel for SIGKILL when the thread that started it dies (``PR_SET_PDEATHSIG``):
a validator killed with SIGKILL takes its children with it. For the deaths the validator sees
coming (Ctrl-C, SIGTERM, ``sys.exit``), :func:`install_signal_handlers` and an ``atexit`` hook
kill every group still running, and no new child starts afterwards.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import resource
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from validate.model import ChildLimits, ToolError

_PR_SET_PDEATHSIG = 1
_GO_OUT_OF_MEMORY = (b"fatal error: runtime: out of memory", b"fatal error: out of memory",
                     b"runtime: out of memory", b"failed to reserve page summary memory", b"MemoryError",
                     b"cannot allocate memory")


@dataclass
class Completed:
    """How a child ended."""

    returncode: int
    stdout: bytes
    stderr: bytes
    cpu_seconds: float
    timed_out: bool = False
    overflow: bool = False  # printed more than the output cap, and was killed for it
    exhausted: str | None = None  # "memory", "cpu", "signal N", "time", "output": a resource ran out

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and not self.overflow


class Interrupted(ToolError):
    """The validator is shutting down: no new child starts."""


# --- every running group, so that an interrupt can end them all ------------------------------

# Re-entrant: the signal handler runs kill_all() in the main thread, which may hold the lock already
# (starting a child) when the signal arrives.
_lock = threading.RLock()
_running: set[int] = set()
_closing = False


def _register(pid: int) -> None:
    with _lock:
        _running.add(pid)


def _unregister(pid: int) -> None:
    with _lock:
        _running.discard(pid)


def kill_all() -> None:
    """Kill every child process group still running and refuse new ones from now on."""
    global _closing
    with _lock:
        _closing = True
        groups = list(_running)
    for pid in groups:
        _kill_group(pid)


def reopen() -> None:
    """Allow children again (tests, and a long-lived process that survived an interrupt)."""
    global _closing
    with _lock:
        _closing = False


def running() -> list[int]:
    with _lock:
        return sorted(_running)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


atexit.register(kill_all)


def install_signal_handlers() -> Callable[[], None]:
    """SIGINT and SIGTERM kill every child group, then interrupt the main thread (which cleans up:
    temporary folders, cache files). Returns a function that puts the old handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous: dict[int, Any] = {}

    def handler(number: int, _frame: FrameType | None) -> None:
        kill_all()
        raise KeyboardInterrupt(signal.Signals(number).name)

    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[number] = signal.signal(number, handler)
        except (OSError, ValueError):
            continue

    def restore() -> None:
        for number, old in previous.items():
            try:
                signal.signal(number, old)
            except (OSError, ValueError, TypeError):
                pass
        reopen()

    return restore


# --- starting and waiting ---------------------------------------------------------------------

_libc: Any = None
try:
    _libc = ctypes.CDLL(None, use_errno=True)
    _prctl: Any = _libc.prctl
except (OSError, AttributeError):  # not Linux: no parent-death signal, the handlers still apply
    _prctl = None


def _limit_child(limits: ChildLimits, parent: int) -> Callable[[], None]:
    """The function the child runs between fork and exec (it must not allocate much or lock)."""
    # Never above what the validator itself may use (a CI job's ulimit): raising a hard limit fails.
    memory = _within(resource.RLIMIT_DATA, limits.memory_bytes)
    # Go reserves several hundred MiB of address space before it allocates anything: the address-space
    # limit is a backstop far above the data limit, which is the cap that counts.
    address_space = _within(resource.RLIMIT_AS, limits.memory_bytes + 4 * 2**30)
    cpu = _within(resource.RLIMIT_CPU, max(1, int(limits.cpu_seconds)))
    cpu_hard = _within(resource.RLIMIT_CPU, cpu + 5)

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu_hard))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the validator died before the line above: nobody to report to
            os._exit(125)

    return apply


def _within(which: int, wanted: int) -> int:
    _, hard = resource.getrlimit(which)
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def run(command: list[str], *, limits: ChildLimits, timeout: float, output_cap: int,
        env: dict[str, str] | None = None, cwd: str | Path | None = None) -> Completed:
    """Run ``command`` to its end under ``limits``; never raises for what the child does.

    Raises :class:`ToolError` when the program cannot be started at all, and
    :class:`Interrupted` when the validator is shutting down.
    """
    with _lock:
        if _closing:
            raise Interrupted("interrupted")
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True,
                                       preexec_fn=_limit_child(limits, os.getpid()))
        except OSError as error:
            raise ToolError(f"cannot run {command[0]}: {error.strerror or error}") from None
        except subprocess.SubprocessError as error:  # the limits could not be set in the child
            raise ToolError(f"cannot run {command[0]} under its limits: {error}") from None
        _running.add(process.pid)
    try:
        return _wait(process, timeout, output_cap, limits)
    finally:
        _kill_group(process.pid)  # whatever the child left in its group
        _unregister(process.pid)


def _wait(process: subprocess.Popen[bytes], timeout: float, output_cap: int, limits: ChildLimits) -> Completed:
    outputs = _Outputs(process, output_cap)
    timed_out = threading.Event()

    def expire() -> None:
        timed_out.set()
        _kill_group(process.pid)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        status, usage = _wait4(process.pid)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    _kill_group(process.pid)  # the pipes stay open while anything of the group lives
    stdout, stderr = outputs.join()
    cpu = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
    completed = Completed(process.returncode, stdout, stderr, cpu, timed_out.is_set(), outputs.overflow)
    completed.exhausted = _exhausted(completed, limits)
    return completed


def _wait4(pid: int) -> tuple[int, Any]:
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            return status, usage
        except InterruptedError:
            continue
        except ChildProcessError:  # reaped elsewhere (should not happen): no usage to report
            return 0, None


def _exhausted(completed: Completed, limits: ChildLimits) -> str | None:
    """Which resource ran out, if one did: such a failure says nothing about the input's validity,
    and retrying it (alone or in another batch) only spends the same resources again."""
    if completed.timed_out:
        return "time"
    if completed.overflow:
        return "output"
    code = completed.returncode
    if code in (-signal.SIGXCPU, -signal.SIGKILL) and completed.cpu_seconds >= limits.cpu_seconds - 1:
        return "cpu"
    if code != 0 and any(marker in completed.stderr[-(1 << 16):] or marker in completed.stderr[:1 << 12]
                         for marker in _GO_OUT_OF_MEMORY):
        return "memory"
    if code < 0:
        return f"signal {-code}"
    return None


def describe(completed: Completed, limits: ChildLimits, timeout: float) -> str:
    """One sentence on why a child that exhausted a resource was stopped."""
    kind = completed.exhausted
    if kind == "time":
        return f"did not finish within {timeout:g}s"
    if kind == "memory":
        return f"ran out of memory (limit {limits.memory_mib} MiB)"
    if kind == "cpu":
        return f"used up its CPU time (limit {limits.cpu_seconds} s)"
    if kind == "output":
        return "printed more output than any repository renders to"
    if kind and kind.startswith("signal"):
        name = _signal_name(-completed.returncode)
        return f"was killed by signal {-completed.returncode}{f' ({name})' if name else ''}"
    return f"failed with exit code {completed.returncode}"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return ""


class _Outputs:
    """Reads a child's stdout and stderr as they come, killing its group once either passes ``cap``."""

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
                _kill_group(self.process.pid)
                break
            sink.append(chunk)
        stream.close()

    def join(self) -> tuple[bytes, bytes]:
        for thread in self._threads:
            thread.join()
        return b"".join(self._chunks["out"]), b"".join(self._chunks["err"])



# --- git ----------------------------------------------------------------------------------------

GIT_TIMEOUT = "GITOPS_VALIDATE_GIT_TIMEOUT"
# The repository's own git configuration is untrusted input: options that make git run programs
# (fsmonitor, hooks) are switched off on the command line, which overrides it.
_GIT_SAFE = ["-c", "core.fsmonitor=false", "-c", "core.untrackedCache=false", "-c", "core.hooksPath=/dev/null"]


def git_timeout(default: float = 60.0, environ: Any = None) -> float:
    """Seconds a git command may take (``GITOPS_VALIDATE_GIT_TIMEOUT`` overrides the default, so
    that a test of a hanging git, or a CI job, need not wait that long)."""
    return seconds_from_environment(GIT_TIMEOUT, default, os.environ if environ is None else environ)


def seconds_from_environment(name: str, default: float, environ: Any) -> float:
    """A time-out in seconds from environment variable ``name`` (``default`` when unset); a value
    that is not a number of seconds in (0, 3600] is a one-line error."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise ToolError(f"{name}={text}: give seconds, more than 0 and at most 3600")
    return seconds


def git_env() -> dict[str, str]:
    """The validator's environment for git: no prompt, no pager, no optional lock, and no GIT_DIR or
    GIT_WORK_TREE of the caller's (a hook's) pointing git elsewhere."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat"}
    for name in ("GIT_DIR", "GIT_WORK_TREE"):
        env.pop(name, None)
    return env


def git(root: Path, *args: str, purpose: str, limits: ChildLimits | None = None, timeout: float | None = None,
        output_cap: int = 1 << 28, env: dict[str, str] | None = None) -> Completed:
    """``git -C root ARGS`` under the child limits (memory, CPU, own process group, time-out).

    Raises :class:`ToolError` with one line (``PURPOSE: ...``) when git cannot be started or does
    not finish within the time-out; any other failure is the caller's to judge from the result.
    """
    seconds = git_timeout() if timeout is None else min(timeout, git_timeout(timeout))
    completed = run(["git", *_GIT_SAFE, "-C", str(root), *args], limits=limits or ChildLimits(), timeout=seconds,
                    output_cap=output_cap, env=env or git_env())
    if completed.timed_out:
        raise ToolError(f"{purpose}: git {args[0] if args else ''} did not finish within {seconds:g}s")
    return completed


def git_reason(completed: Completed, fallback: str = "git failed") -> str:
    """The last line git printed on stderr, for a one-line error."""
    lines = completed.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].removeprefix("fatal: ") if lines else fallback


# --- services: children that run beside the validator (etcd, kube-apiserver, kubectl proxy) --------

Service = subprocess.Popen  # re-exported so that no other module needs subprocess
STDOUT = subprocess.STDOUT
PIPE = subprocess.PIPE


def _service_child(parent: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if _prctl is not None:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(125)

    return apply


def start(command: list[str], *, stdout: Any = None, stderr: Any = None, cwd: str | Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start a service that runs while the validator needs it, in its own session, ended with the
    validator: the parent-death signal, an interrupt and the exit hook kill its group like any
    child's. No memory or CPU limit: the programs are the user's own control-plane binaries, not
    driven by what a pull request contains, and etcd maps more address space than any cap would allow.
    End it with :func:`stop`."""
    with _lock:
        if _closing:
            raise Interrupted("interrupted")
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, cwd=cwd,
                                       env=env, start_new_session=True, preexec_fn=_service_child(os.getpid()))
        except OSError as error:
            raise ToolError(f"cannot start {Path(command[0]).name}: {error.strerror or error}") from None
        _running.add(process.pid)
    return process


def stop(process: subprocess.Popen[bytes], grace: float = 15.0) -> None:
    """SIGTERM to the service's group, SIGKILL after ``grace`` seconds; the group is gone afterwards."""
    try:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _kill_group(process.pid)
                process.wait(timeout=grace)
        _kill_group(process.pid)  # what the service left in its group
    finally:
        _unregister(process.pid)
