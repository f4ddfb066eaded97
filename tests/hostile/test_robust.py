"""Hostile input, faults and load (issue 13): what must never reach kustomize, children under
limits, bounded walks, a shared cache, interrupts.

The cases go through the same harness as the rest of the corpus (exit code, finding or one
line, no traceback, nothing written, no network, CPU time and the memory of the whole process
tree bounded, no process left behind). The tests below the table need more than one run or a
signal in the middle of one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.hostile._harness import (
    ANY,
    CM,
    Case,
    Expect,
    TreeSampler,
    World,
    check,
    cli_command,
    cli_env,
    command_line,
    descendants,
    exponential_tree,
    make_world,
    run_cli,
    snapshot,
)
from validate.cache import unseal

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
VERSION_OK = """#!/bin/sh
if [ "$1" = version ]; then echo '{"kustomizeVersion": "v5.8.1"}'; exit 0; fi
"""


def the_issues_bomb() -> str:
    """The ten lines of the issue: 9^9 (387 million) nodes once expanded."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 9):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def write(entries: dict[str, str | bytes]):
    def build(world: World) -> None:
        for rel, content in entries.items():
            world.write(rel, content)
    return build


def git(world: World, *args: str) -> None:
    subprocess.run(["git", "-C", str(world.repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})


def app(resources: str, extra: str = "") -> dict[str, str]:
    return {"app/kustomization.yaml": f"{KUSTOMIZATION}resources: {resources}\n{extra}", "app/cm.yaml": CM}


# --- builders ------------------------------------------------------------------------------------

def bomb_in_base_of_three_overlays(world: World) -> None:
    world.write("base/kustomization.yaml", f"{KUSTOMIZATION}resources:\n- cm.yaml\n- bomb.yaml\n")
    world.write("base/cm.yaml", CM)
    world.write("base/bomb.yaml", the_issues_bomb())
    for env in ("dev", "staging", "prod"):
        world.write(f"overlays/{env}/kustomization.yaml", f"{KUSTOMIZATION}resources:\n- ../../base\n"
                    f"namePrefix: {env}-\n")


def oversize_resource(world: World) -> None:
    world.write(".gitops-validate.yaml", "limits: {maxFileBytes: 100000}\n")
    world.write("app/big.yaml", "---\n" + CM + "data:\n" + "".join(f"  k{n}: {'v' * 90}\n" for n in range(2000)))
    for rel, content in app("[cm.yaml, big.yaml]").items():
        world.write(rel, content)


def oversize_generator_source(world: World) -> None:
    world.write(".gitops-validate.yaml", "limits: {maxFileBytes: 100000}\n")
    world.write("app/blob.bin", os.urandom(200_000))
    for rel, content in app("[cm.yaml]", "configMapGenerator:\n- name: g\n  files:\n  - blob.bin\n").items():
        world.write(rel, content)


def heavy_widgets(world: World, documents: int = 200) -> None:
    """Each document is under the loader's expansion bound (10,000 nodes); kustomize expands every
    one of them, which takes it past a few hundred MiB."""
    document = ["---", "apiVersion: example.com/v1", "kind: Widget", "metadata: {name: w%d, namespace: apps}",
                "spec:", "  a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 5):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        document.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    text = "\n".join(document) + "\n"
    world.write("app/widgets.yaml", "".join(text % n for n in range(documents)))
    world.write("app/kustomization.yaml", f"{KUSTOMIZATION}resources: [widgets.yaml]\n")


def kustomize_over_memory_limit(world: World) -> None:
    heavy_widgets(world)
    world.write(".gitops-validate.yaml", "kustomize: {memoryLimitMiB: 256, timeoutSeconds: 900}\n")


def exponential(world: World, config: str) -> None:
    """2^24 objects (kustomize never finishes), with ``config``."""
    world.write(".gitops-validate.yaml", config)
    exponential_tree(world)


def kustomize_over_cpu_limit(world: World) -> None:
    exponential(world, "kustomize: {cpuLimitSeconds: 2, timeoutSeconds: 900}\n")


def fake_kubectl(script: str):
    def build(world: World) -> None:
        world.tool("kubectl", VERSION_OK + script)
        world.write(".gitops-validate.yaml", "kustomize: {timeoutSeconds: 300, memoryLimitMiB: 256}\n")
        for rel, content in app("[cm.yaml]").items():
            world.write(rel, content)
    return build


def kubectl_env(world: World) -> dict[str, str]:
    return {"GITOPS_VALIDATE_KUBECTL": str(world.tools / "kubectl")}


def many_files(count: int, config: str):
    def build(world: World) -> None:
        world.write(".gitops-validate.yaml", config)
        for number in range(count):
            world.write(f"files/f{number}.txt", "x\n")
        world.write("cm.yaml", "---\n" + CM + "data: {a: !!int abc}\n")
    return build


BAD = "---\n" + CM + "data: {a: !!int abc}\n"


def alias_heavy_seldon_graphs(world: World) -> None:
    """200 SeldonDeployments whose graphs expand to 11,111 nodes each through aliases."""
    def node(level: int) -> str:
        if level == 0:
            return "&g0 {name: m0, type: MODEL, implementation: SKLEARN_SERVER, modelUri: 'gs://b/m'}"
        return f"&g{level} {{name: m{level}, type: COMBINER, children: [{node(level - 1)}" + f", *g{level - 1}" * 9 + "]}"
    world.write("sd.yaml", "".join(
        f"---\napiVersion: machinelearning.seldon.io/v1\nkind: SeldonDeployment\nmetadata: {{name: sd{n}, namespace: apps}}\n"
        f"spec:\n  predictors:\n  - name: p\n    replicas: 1\n    graph: {node(4)}\n" for n in range(200)))


def hanging_git(world: World) -> None:
    """A repository whose git (first on PATH) hangs, leaving a grandchild behind as well."""
    git(world, "init", "-q")
    world.write("cm.yaml", BAD)
    world.tool("git", "#!/bin/sh\nsleep 600 &\nsleep 600\n")


def hanging_git_env(world: World) -> dict[str, str]:
    return {"PATH": f"{world.tools}:{os.environ.get('PATH', '/usr/bin:/bin')}", "GITOPS_VALIDATE_GIT_TIMEOUT": "2"}


def large_temporary_folder(world: World) -> None:
    """A temporary folder as the issue found it, outside any repository: checkouts, tools' folders,
    caches, a folder of many files; the walk's bound (lowered here from 50,000) ends it."""
    tmp = world.repo / "tmp"
    world.write("tmp/.gitops-validate.yaml", "limits: {maxWalkFiles: 2000}\n")
    for checkout in range(3):
        world.write(f"tmp/checkout-{checkout}/.git/HEAD", "ref: refs/heads/main\n")  # nested: never entered
        world.write(f"tmp/checkout-{checkout}/bad.yaml", BAD)
    world.write("tmp/venv/pyvenv.cfg", "home = /usr/bin\n")
    world.write("tmp/pre-commit/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")
    for part in range(3):
        folder = tmp / f"session-{part}" / "many"
        folder.mkdir(parents=True)
        for number in range(1000):
            (folder / f"f{number}.yaml").write_text(BAD)


def nested_repository(world: World) -> None:
    world.write("cm.yaml", BAD)
    world.write("vendor/other/bad.yaml", BAD)
    subprocess.run(["git", "init", "-q", str(world.repo / "vendor" / "other")], check=True)


def nested_repository_in_git(world: World) -> None:
    world.write("cm.yaml", BAD)
    git(world, "init", "-q")
    nested_repository(world)


def gitignore_respected(world: World) -> None:
    world.write(".gitignore", "ignored/\n*.generated.yaml\n")
    world.write("ignored/bad.yaml", BAD)
    world.write("x.generated.yaml", BAD)
    world.write("tracked/cm.yaml", BAD)
    world.write("untracked/cm.yaml", BAD)
    git(world, "init", "-q")
    git(world, "add", ".gitignore", "tracked/cm.yaml")


def hostile_git_config(world: World) -> None:
    """A real repository whose config would run programs, were git allowed to."""
    world.write("cm.yaml", BAD)
    git(world, "init", "-q")
    git(world, "add", "cm.yaml")
    git(world, "config", "core.fsmonitor", f"touch {world.marker}; echo")
    git(world, "config", "core.hooksPath", str(world.repo / "hooks"))
    world.write("hooks/post-index-change", f"#!/bin/sh\ntouch {world.marker}\n")
    (world.repo / "hooks/post-index-change").chmod(0o755)


def tool_folders(world: World) -> None:
    world.write("cm.yaml", BAD)
    for rel in ("node_modules/pkg/bad.yaml", ".venv/lib/bad.yaml", "env/lib/bad.yaml", "env/pyvenv.cfg",
                "build-cache/bad.yaml", ".cache/pre-commit/repo/bad.yaml", ".tox/py/bad.yaml"):
        world.write(rel, BAD if rel.endswith(".yaml") else "home = /usr\n")
    world.write("build-cache/CACHEDIR.TAG", "Signature: 8a477f597d28d172789f06886806bc55\n")


def read_only_cache(world: World) -> None:
    cache = world.base / "ro-cache"
    cache.mkdir()
    cache.chmod(0o555)
    for rel, content in app("[cm.yaml]").items():
        world.write(rel, content)
    world.write("bad.yaml", BAD)


E = Expect
UNSAFE = "render-unsafe-input"
CASES: list[Case] = [
    # Never rendered: what failed the loader's safety checks (the finding at the file, and where it is listed)
    Case("issue-bomb-listed-in-resources", write(app("[cm.yaml, bomb.yaml]") | {"app/bomb.yaml": the_issues_bomb()}),
         E(1, [("load-alias-bomb", "app/bomb.yaml", ANY), (UNSAFE, "app/kustomization.yaml", 3)],
           messages=[(UNSAFE, "app/bomb.yaml")])),
    Case("bomb-named-txt-in-resources", write(app("[cm.yaml, bomb.txt]") | {"app/bomb.txt": the_issues_bomb()}),
         E(1, [("load-alias-bomb", "app/bomb.txt", ANY), (UNSAFE, "app/kustomization.yaml", 3)])),
    Case("bomb-in-a-base-of-three-overlays", bomb_in_base_of_three_overlays,
         E(1, [("load-alias-bomb", "base/bomb.yaml", ANY), (UNSAFE, "base/kustomization.yaml", 5)])),
    Case("bomb-as-a-patch", write(app("[cm.yaml]", "patches:\n- path: patch.yaml\n")
                                  | {"app/patch.yaml": the_issues_bomb()}),
         E(1, [("load-alias-bomb", "app/patch.yaml", ANY), (UNSAFE, "app/kustomization.yaml", 5)])),
    Case("bomb-in-a-component", write(app("[cm.yaml]", "components: [../comp]\n") | {
        "comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                   "patches:\n- path: bomb.yaml\n", "comp/bomb.yaml": the_issues_bomb()}),
         E(1, [("load-alias-bomb", "comp/bomb.yaml", ANY), (UNSAFE, "comp/kustomization.yaml", 4)])),
    Case("kustomization-file-is-a-bomb", write({"app/kustomization.yaml": "resources: [cm.yaml]\n" + the_issues_bomb(),
                                                "app/cm.yaml": CM}),
         E(1, [("load-alias-bomb", "app/kustomization.yaml", ANY), (UNSAFE, "app/kustomization.yaml", 1)])),
    Case("nesting-20000-as-a-resource", write(app("[cm.yaml, deep.yaml]")
                                              | {"app/deep.yaml": "a: " + "[" * 20_000 + "]" * 20_000 + "\n"}),
         E(1, [("load-too-deep", "app/deep.yaml", 1), (UNSAFE, "app/kustomization.yaml", 3)])),
    Case("nesting-20000-in-a-json-resource", write(app("[cm.yaml, deep.json]")
                                                   | {"app/deep.json": '{"a": ' + "[" * 20_000 + "]" * 20_000 + "}"}),
         E(1, [("load-too-deep", "app/deep.json", 1), (UNSAFE, "app/kustomization.yaml", 3)])),
    Case("oversize-resource", oversize_resource,
         E(1, [("load-oversize", "app/big.yaml", None), (UNSAFE, "app/kustomization.yaml", 3)])),
    Case("oversize-generator-source", oversize_generator_source,
         E(1, [("load-oversize", "app/blob.bin", None), (UNSAFE, "app/kustomization.yaml", 7)])),
    Case("binary-resource", write(app("[cm.yaml, blob.yaml]") | {"app/blob.yaml": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"}),
         E(1, [("load-binary", "app/blob.yaml", 3), (UNSAFE, "app/kustomization.yaml", 3)])),
    Case("too-many-documents-as-a-resource", write(app("[cm.yaml, many.yaml]") | {"app/many.yaml": "---\na: 1\n" * 20_001}),
         E(1, [("load-too-many-documents", "app/many.yaml", ANY), (UNSAFE, "app/kustomization.yaml", 3)])),
    # Stages after the loader visit an aliased subtree once: a Seldon graph just under the loader's bound
    # (each level shared ten times) cost minutes of CPU in the graph rules, one finding per expanded node
    Case("alias-heavy-seldon-graphs", alias_heavy_seldon_graphs,
         E(1, [("seldon-graph-names-unique", "sd.yaml", ANY)])),
    # Children under limits: the cap ends them, the failure says which, nothing is retried
    Case("kustomize-over-its-memory-limit", kustomize_over_memory_limit,
         E(1, [("render-failed", "app/kustomization.yaml", 1)], messages=[("render-failed", "ran out of memory")],
           cpu_seconds=120, tree_mb=1000)),
    Case("kustomize-over-its-cpu-limit", kustomize_over_cpu_limit,
         E(1, [("render-failed", "l0/kustomization.yaml", 1)], messages=[("render-failed", "CPU time")],
           cpu_seconds=60)),
    Case("child-allocates-past-the-limit", fake_kubectl(f"exec {sys.executable} -c 'b = bytearray(8 << 30)'\n"),
         E(1, [("render-failed", "app/kustomization.yaml", 1)], messages=[("render-failed", "ran out of memory")]),
         env=kubectl_env),
    Case("child-leaves-a-grandchild-and-hangs", lambda w: (fake_kubectl("sleep 600 &\nsleep 600\n")(w),
                                                           w.write(".gitops-validate.yaml", "kustomize: {timeoutSeconds: 3}\n")),
         E(1, [("render-failed", "app/kustomization.yaml", 1)], messages=[("render-failed", "did not finish")]),
         env=kubectl_env),
    Case("child-killed-by-a-signal", fake_kubectl("kill -KILL $$\n"),
         E(1, [("render-failed", "app/kustomization.yaml", 1)], messages=[("render-failed", "signal 9")]),
         env=kubectl_env),
    Case("child-memory-limit-flag", fake_kubectl(f"exec {sys.executable} -c 'b = bytearray(300 << 20)'\n"),
         E(1, [("render-failed", "app/kustomization.yaml", 1)], messages=[("render-failed", "limit 150 MiB")]),
         env=kubectl_env, args=lambda w: [str(w.repo), "--format", "json", "--child-memory-limit", "150"]),
    Case("child-limit-config-out-of-range", write({".gitops-validate.yaml": "kustomize: {memoryLimitMiB: 1}\n"}),
         E(2, stderr="memoryLimitMiB")),
    # Walks: bounded, git-aware, never into tools' folders or nested repositories
    Case("walk-past-the-file-bound", many_files(300, "limits: {maxWalkFiles: 100}\n"), E(2, stderr="more than 100 files")),
    Case("walk-past-the-byte-bound", lambda w: (w.write(".gitops-validate.yaml", "limits: {maxWalkBytes: 5000}\n"),
                                                w.write("blob.bin", b"x" * 10_000)),
         E(2, stderr="more than 5,000 bytes")),
    Case("walk-of-a-large-temporary-folder", large_temporary_folder, E(2, stderr="more than 2,000 files"),
         args=lambda w: [str(w.repo / "tmp"), "--format", "json"]),
    Case("walk-of-the-filesystem-root-given-explicitly", lambda w: None, E(2, stderr="holds more than"),
         args=lambda w: ["/", "--format", "json"]),
    Case("walk-past-the-bound-in-git", lambda w: (many_files(300, "limits: {maxWalkFiles: 100}\n")(w), git(w, "init", "-q")),
         E(2, stderr="100")),
    Case("nested-repository-outside-git", nested_repository,
         E(1, [("load-invalid-scalar", "cm.yaml", 7), ("discover-nested-repository", "vendor/other", None)],
           absent=["vendor/other/bad.yaml"])),
    Case("nested-repository-inside-git", nested_repository_in_git,
         E(1, [("load-invalid-scalar", "cm.yaml", 7), ("discover-nested-repository", "vendor/other", None)],
           absent=["vendor/other/bad.yaml"])),
    Case("gitignore-respected", gitignore_respected,
         E(1, [("load-invalid-scalar", "tracked/cm.yaml", 7), ("load-invalid-scalar", "untracked/cm.yaml", 7)],
           absent=["ignored", "x.generated.yaml"])),
    Case("git-config-that-runs-programs", hostile_git_config, E(1, [("load-invalid-scalar", "cm.yaml", 7)])),
    Case("tool-folders-never-walked", tool_folders, E(1, [("load-invalid-scalar", "cm.yaml", 7)],
                                                      absent=["node_modules", ".venv", "env", "build-cache", ".cache",
                                                              ".tox"])),
    Case("no-path-outside-a-repository", write({"cm.yaml": BAD}), E(2, stderr="not inside a git repository"),
         args=lambda w: ["--format", "json"], cwd=lambda w: w.repo),
    Case("no-path-from-the-filesystem-root", lambda w: None, E(2, stderr="not inside a git repository"),
         args=lambda w: ["--format", "json"], cwd=lambda w: Path("/")),
    # git under the same limits as kustomize: a hanging git ends at its time-out, with its whole group
    Case("git-hangs-on-changed-since", hanging_git, E(2, stderr="did not finish within 2s"), env=hanging_git_env,
         args=lambda w: [str(w.repo), "--format", "json", "--changed-since", "HEAD"]),
    Case("git-hangs-while-listing-files", hanging_git,
         E(1, [("load-invalid-scalar", "cm.yaml", 7), ("discover-no-git", None, None)],
           messages=[("discover-no-git", "did not finish within 2s")]), env=hanging_git_env),
    # The cache
    Case("cache-folder-is-a-file", lambda w: (read_only_cache(w), (w.base / "not-a-folder").write_text("x")),
         E(1, [("load-invalid-scalar", "bad.yaml", 7), ("cache-unwritable", None, None)],
           messages=[("cache-unwritable", "cannot be written")]),
         env=lambda w: {"GITOPS_VALIDATE_CACHE_DIR": str(w.base / "not-a-folder" / "cache")}),
    Case("read-only-cache", read_only_cache,
         E(1, [("load-invalid-scalar", "bad.yaml", 7), ("cache-unwritable", None, None)],
           messages=[("cache-unwritable", "cannot be written")]),
         env=lambda w: {"GITOPS_VALIDATE_CACHE_DIR": str(w.base / "ro-cache")}),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else [])
                                  for c in CASES])
def test_robust(case: Case, tmp_path: Path) -> None:
    if case.id == "read-only-cache" and os.geteuid() == 0:
        pytest.skip("root writes into a read-only folder")
    world = make_world(tmp_path)
    case.build(world)
    check(case, world)


def test_the_whole_corpus_has_at_least_sixty_cases() -> None:
    from tests.hostile.test_hostile import CASES as EARLIER
    assert len(EARLIER) + len(CASES) >= 60
    assert len({case.id for case in [*EARLIER, *CASES]}) == len(EARLIER) + len(CASES)


# --- a batch that exhausts a resource is not retried path by path --------------------------------

def test_an_exhausted_batch_is_not_retried_one_by_one(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    log = world.base / "invocations.log"
    # Batches (a folder named .gitops-validate-batch-N) die of a signal; single paths would render.
    world.tool("kubectl", VERSION_OK + f'echo "$2" >> {log}\ncase "$2" in *gitops-validate-batch*) kill -KILL $$;; esac\n'
               "echo 'apiVersion: v1'\necho 'kind: ConfigMap'\necho 'metadata: {name: x}'\n")
    for number in range(8):
        world.write(f"app{number}/kustomization.yaml", f"{KUSTOMIZATION}resources: [cm.yaml]\n")
        world.write(f"app{number}/cm.yaml", CM.replace("name: cm", f"name: cm{number}"))
    run = check(Case("batch", lambda w: None, E(1, [("render-failed", f"app{n}/kustomization.yaml", 1) for n in range(8)],
                                                messages=[("render-failed", "not retried alone")]),
                     env=kubectl_env), world)
    invocations = log.read_text().split()
    assert invocations and all("gitops-validate-batch" in path for path in invocations), invocations
    assert run.exit_code == 1


# --- interrupts: SIGTERM, SIGINT and SIGKILL in the middle of a render -----------------------------

def _start_long_render(world: World, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], int]:
    """The validator rendering something kustomize never finishes; returns it once a kustomize
    process of it runs, with the pid of that process."""
    exponential(world, "kustomize: {timeoutSeconds: 900, cpuLimitSeconds: 900, memoryLimitMiB: 512}\n")
    process = subprocess.Popen(cli_command(world), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=cli_env(world, env), cwd=str(world.base / "cwd"),
                               start_new_session=True)
    deadline = time.monotonic() + 300  # a hang bound, not a budget
    while time.monotonic() < deadline:
        kustomize = [pid for pid in descendants(process.pid) if " kustomize " in command_line(pid) + " "]
        if kustomize:
            return process, kustomize[0]
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    process.kill()
    raise AssertionError("no kustomize process started within 300s")


def _gone(pid: int, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as handle:
                if handle.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def _subreaper(on: bool) -> None:
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(36, 1 if on else 0, 0, 0, 0)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupt_mid_render_ends_every_child_and_cleans_up(number: int, tmp_path: Path) -> None:
    world = make_world(tmp_path)
    _subreaper(True)
    try:
        process, kustomize = _start_long_render(world)
        before = snapshot(world.repo)
        process.send_signal(number)
        stdout, stderr = process.communicate(timeout=300)
        assert _gone(kustomize), f"kustomize ({command_line(kustomize)}) outlived the validator"
        assert process.returncode == 2, stderr
        assert stderr.decode().count("\n") == 1 and "interrupted" in stderr.decode(), stderr
        assert b"Traceback" not in stderr and stdout == b""
        assert [p for p in descendants(os.getpid()) if "kubectl" in command_line(p)] == []
        assert sorted(p.name for p in (world.base / "tmp").iterdir()) == [], "a mirror was left in TMPDIR"
        cache = world.base / "home" / ".cache"
        assert not [p for p in cache.rglob("*.tmp")], "a half-written cache file was left"
        assert snapshot(world.repo) == before
    finally:
        _subreaper(False)


def test_the_validators_death_ends_its_children(tmp_path: Path) -> None:
    """SIGKILL runs no handler: the kernel's parent-death signal ends kustomize, and the next run
    removes the mirror the dead one left."""
    world = make_world(tmp_path)
    _subreaper(True)
    try:
        process, kustomize = _start_long_render(world)
        process.kill()
        process.communicate(timeout=300)
        assert _gone(kustomize), f"kustomize ({command_line(kustomize)}) outlived the validator"
        left = [p for p in descendants(os.getpid()) if "kubectl" in command_line(p)]
        assert left == [], [command_line(p) for p in left]
    finally:
        _subreaper(False)
    leftovers = list((world.base / "tmp").iterdir())
    assert leftovers, "the killed validator had no mirror: the test did not kill it mid-render"
    # The next run (any run that renders) sweeps the dead one's mirror away.
    (world.repo / ".gitops-validate.yaml").write_text("kustomize: {timeoutSeconds: 2}\n")
    run = run_cli(world)
    assert run.exit_code == 1 and not run.strays
    assert list((world.base / "tmp").iterdir()) == []


# --- two validators sharing one cache -------------------------------------------------------------

def _tree_of_apps(world: World, count: int) -> None:
    for number in range(count):
        world.write(f"app{number}/kustomization.yaml", f"{KUSTOMIZATION}resources: [cm.yaml]\nnamespace: ns{number}\n")
        world.write(f"app{number}/cm.yaml", CM + ("data: {a: !!int abc}\n" if number == 3 else "data: {a: b}\n"))


def _comparable(stdout: str) -> dict[str, object]:
    document = json.loads(stdout)
    summary = {k: v for k, v in document["summary"].items() if k not in ("seconds", "renderCache")}
    return {"findings": document["findings"], "summary": summary}


def test_two_validators_sharing_a_cache_agree_and_leave_it_whole(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    _tree_of_apps(world, 12)
    cache = world.base / "shared-cache"
    env = cli_env(world, {"GITOPS_VALIDATE_CACHE_DIR": str(cache)})
    sampler = TreeSampler()
    runs = [subprocess.Popen(cli_command(world), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env, cwd=str(world.base / "cwd")) for _ in range(2)]
    outputs = [process.communicate(timeout=600) for process in runs]
    sampler.stop()
    for process, (_, stderr) in zip(runs, outputs):
        assert process.returncode == 1, stderr
    first, second = (_comparable(out.decode()) for out, _ in outputs)
    assert first == second
    entries = list(cache.rglob("*.json"))
    assert entries, "nothing was cached"
    for entry in entries:
        assert unseal(entry.read_bytes()) is not None, f"{entry} is corrupt"
    assert not list(cache.rglob("*.tmp")), "temporary files were left"
    # A third run reads everything back and agrees too.
    third = subprocess.run(cli_command(world), stdin=subprocess.DEVNULL, capture_output=True, env=env,
                           cwd=str(world.base / "cwd"), timeout=600)
    assert _comparable(third.stdout.decode()) == first
    assert json.loads(third.stdout)["summary"]["renderCache"]["misses"] == 0


def test_corrupt_cache_entries_are_misses_never_wrong_results(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    _tree_of_apps(world, 4)
    cache = world.base / "cache"
    env = {"GITOPS_VALIDATE_CACHE_DIR": str(cache)}
    fresh = run_cli(world, env=env)
    entries = sorted(cache.rglob("*.json"))
    assert entries
    for number, entry in enumerate(entries):
        raw = entry.read_bytes()
        if number % 3 == 0:
            entry.write_bytes(raw[: len(raw) // 2])  # truncated
        elif number % 3 == 1:
            entry.write_bytes(raw.replace(b"cm", b"xx"))  # changed: the checksum no longer matches
        else:
            entry.write_bytes(b"\0" * len(raw))
    again = run_cli(world, env=env)
    assert _comparable(again.stdout) == _comparable(fresh.stdout)
    assert again.json()["summary"]["renderCache"]["hits"] == 0


def test_concurrent_writers_never_leave_a_torn_entry(tmp_path: Path) -> None:
    """Many threads writing and reading the same keys: every read is a whole entry or a miss."""
    from validate.cache import RenderCache
    from validate.discover import Inventory

    inventory = Inventory(tmp_path, [], {}, [], [], {}, [], [])
    caches = [RenderCache(tmp_path / "cache", tmp_path, inventory, "salt") for _ in range(4)]
    entries = [{"ok": True, "message": "", "objects": [{"data": {"n": n, "pad": "x" * (n * 5000)}}]} for n in range(8)]
    errors: list[str] = []

    def work(cache: RenderCache, seed: int) -> None:
        for step in range(60):
            key = f"{(seed + step) % 3:02x}" + "0" * 62
            cache.put(key, entries[(seed * 7 + step) % len(entries)])
            got = cache.get(key)
            if got is not None and got not in entries:
                errors.append(f"torn entry under {key}")

    threads = [threading.Thread(target=work, args=(cache, seed)) for seed, cache in enumerate(caches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_a_full_disk_degrades_to_no_cache_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from validate import cache as cache_module
    from validate.discover import Inventory

    def full(target: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache_module, "atomic_write", full)
    cache = cache_module.RenderCache(tmp_path / "cache", tmp_path, Inventory(tmp_path, [], {}, [], [], {}, [], []), "s")
    cache.put("ab" + "0" * 62, {"ok": True, "message": "", "objects": []})
    assert not cache.writable and cache.warning and "No space left on device" in cache.warning
    cache.put("cd" + "0" * 62, {"ok": True, "message": "", "objects": []})  # no second attempt, no error
    assert cache.get("ab" + "0" * 62) is None


def test_a_hanging_git_under_diff_ends_at_its_time_out(tmp_path: Path) -> None:
    """``diff --base REF`` reads the base through git archive: a git that hangs is killed, group and
    all, at the time-out, and the subcommand says so in one line (the harness's table expects the
    main command's prefix, hence a test of its own)."""
    world = make_world(tmp_path)
    hanging_git(world)
    run = run_cli(world, args=["diff", "--base", "HEAD", str(world.repo)], env=hanging_git_env(world))
    assert run.exit_code == 2 and not run.timed_out, run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr
    assert "--base HEAD: git archive did not finish within 2s" in run.stderr
    assert run.strays == []
