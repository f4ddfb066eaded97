"""Child processes: the limits they run under, their process group, and the end of all of them."""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import pytest

from validate import children
from validate.children import ChildLimits

SMALL = ChildLimits(memory_mib=256, cpu_seconds=7)


def _python(code: str, limits: ChildLimits = SMALL, timeout: float = 300.0) -> children.Completed:
    return children.run([sys.executable, "-c", code], limits=limits, timeout=timeout, output_cap=1 << 20)


def test_a_child_runs_under_the_limits_in_its_own_session() -> None:
    completed = _python("import json, os, resource; print(json.dumps({"
                        "'data': resource.getrlimit(resource.RLIMIT_DATA), 'cpu': resource.getrlimit(resource.RLIMIT_CPU),"
                        "'core': resource.getrlimit(resource.RLIMIT_CORE), 'as': resource.getrlimit(resource.RLIMIT_AS),"
                        "'sid': os.getsid(0), 'pid': os.getpid()}))")
    assert completed.ok, completed.stderr
    seen = json.loads(completed.stdout)
    assert seen["data"] == [256 * 2**20] * 2
    assert seen["cpu"] == [7, 12]
    assert seen["core"] == [0, 0]
    assert seen["as"][0] > seen["data"][0]
    assert seen["sid"] == seen["pid"]  # a session (and process group) of its own


def test_the_parent_death_signal_is_set() -> None:
    completed = _python("import ctypes, signal; libc = ctypes.CDLL(None); value = ctypes.c_int();"
                        "libc.prctl(2, ctypes.byref(value), 0, 0, 0); print(value.value)")  # PR_GET_PDEATHSIG
    assert int(completed.stdout) == 9


def test_memory_exhaustion_is_named() -> None:
    completed = _python("b = bytearray(512 << 20)")
    assert completed.exhausted == "memory", completed.stderr[-300:]
    assert "ran out of memory (limit 256 MiB)" in children.describe(completed, ChildLimits(memory_mib=256), 60)


def test_cpu_exhaustion_is_named() -> None:
    limits = ChildLimits(memory_mib=256, cpu_seconds=1)
    completed = _python("while True: pass", limits=limits)
    assert completed.exhausted == "cpu" and completed.cpu_seconds >= 0.5, completed
    assert "CPU time" in children.describe(completed, limits, 60)


def test_a_time_out_ends_the_whole_group(tmp_path) -> None:
    marker = tmp_path / "grandchild.pid"
    completed = children.run(["/bin/sh", "-c", f"sleep 600 & echo $! > {marker}; sleep 600"],
                             limits=ChildLimits(), timeout=1.0, output_cap=1 << 20)
    assert completed.timed_out and completed.exhausted == "time"
    grandchild = int(marker.read_text())
    deadline = time.monotonic() + 60
    while os.path.exists(f"/proc/{grandchild}") and time.monotonic() < deadline:
        with open(f"/proc/{grandchild}/stat") as handle:
            if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.05)
    alive = os.path.exists(f"/proc/{grandchild}")
    if alive:
        with open(f"/proc/{grandchild}/stat") as handle:
            alive = handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    assert not alive, "the grandchild outlived the time-out"


def test_kill_all_ends_running_children_and_refuses_new_ones() -> None:
    results: list[children.Completed] = []
    worker = threading.Thread(target=lambda: results.append(_python("import time; time.sleep(600)")))
    worker.start()
    deadline = time.monotonic() + 120
    while not children.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        children.kill_all()
        worker.join(timeout=120)
        assert results and results[0].returncode == -9
        with pytest.raises(children.Interrupted):
            _python("pass")
    finally:
        children.reopen()
    assert _python("print(1)").ok


def test_a_program_that_cannot_start_is_a_tool_error(tmp_path) -> None:
    with pytest.raises(children.ToolError, match="cannot run"):
        children.run([str(tmp_path / "missing")], limits=ChildLimits(), timeout=10, output_cap=100)


def test_limits_never_exceed_the_validators_own(tmp_path) -> None:
    """Under a CI job's lower ulimit, a child gets that ulimit instead of failing to start."""
    code = ("import resource, sys; sys.path.insert(0, %r); from validate import children;"
            "resource.setrlimit(resource.RLIMIT_DATA, (1 << 30, 1 << 30));"
            "c = children.run([sys.executable, '-c', 'import resource; print(resource.getrlimit(resource.RLIMIT_DATA)[0])'],"
            " limits=children.ChildLimits(memory_mib=4096), timeout=120, output_cap=1000); print(c.stdout.decode().strip())")
    completed = _python(code % str(os.getcwd()), limits=ChildLimits(memory_mib=2048))
    assert completed.ok, completed.stderr
    assert int(completed.stdout) == 1 << 30


def test_output_past_the_cap_kills_the_child() -> None:
    completed = children.run([sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"],
                             limits=ChildLimits(), timeout=300, output_cap=1 << 20)
    assert completed.overflow and completed.exhausted == "output"

