"""Whole-process benchmark against the tools users would run instead (``make bench``).

    KUBECONFORM=/path/to/kubeconform .venv/bin/python benchmarks/peers.py

Measures in one run, each figure the median of ``--repeat`` runs (default 3), whole processes
(start-up included), with the peak memory of the process tree (sampled every 10 ms), both as summed
resident set sizes and as summed proportional set sizes (PSS: a page shared by several processes
split between them, so the sum is what the tree costs the machine):

1. **Stream**: ``benchmarks/generate.py`` with 5,000 objects and seed 1, the SeldonDeployments
   removed (kubeconform has no schema for them): 4,508 objects in one file in a folder of its own.
   ``gitops-validate --no-cache -k 1.37`` on the folder, default checks (style rules included:
   the folder has no yamllint configuration, so none run) against ``kubeconform -strict
   -kubernetes-version 1.37.0`` with ``-n 1`` and ``-n 2``, on schemas converted from the same
   kubernetes-validate data (benchmarks/kubeconform_schemas.py). Both must flag the same objects.
2. **Forked repository**: this repository's tracked files copied to a temporary git repository
   and forked into 12 environments with ``gitops-validate new-env``. A cold full run (empty cache)
   against the flux-style pipeline: ``kubectl kustomize`` of every path the validator renders, one
   after another, each piped into kubeconform (``-strict -ignore-missing-schemas``, Kubernetes
   1.37, our Seldon and Argo CD schemas converted too), then ``yamllint`` over the sources.
3. **One edit**: in that fork, one overlay patch edited, then what the pre-commit hook runs
   (``gitops-validate --changed-since HEAD``, cache warm from the cold run), against a cold full run.
4. **2,500 files**: peak memory of a cold full run on ``benchmarks/synthetic_repo.py`` with
   120 apps x 8 environments.

kubeconform is not on PyPI: build it from source (see benchmarks/README.md) and point
``KUBECONFORM`` at the binary. Without it, the kubeconform rows are skipped with a message and
the rest still runs. A report, not a test: exit 0 whatever the figures, 2 when it cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent
sys.path.insert(0, str(HERE))
import generate  # noqa: E402
import kubeconform_schemas  # noqa: E402
import synthetic_repo  # noqa: E402

BIN = Path(sys.executable).parent
SCHEMA_TEMPLATE = "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json"
NEW_ENVIRONMENTS = 9  # on top of dev, staging and prod: 12 in all


@dataclass
class Measured:
    seconds: float
    rss_mb: float
    exit_code: int
    stdout: str = ""
    cpu: float = 0.0  # user + system seconds of the process and its descendants
    largest_mb: float = 0.0  # peak RSS of the largest single process (wait4's ru_maxrss)
    pss_mb: float = 0.0  # peak of the process tree's summed proportional set size (shared pages split)


def _tree_memory(pid: int) -> tuple[int, int]:
    """(resident bytes, proportional bytes) of ``pid`` and every descendant. The resident sum
    counts a page shared by several processes once per process (kubectl's 35 MB of program text
    in each of four concurrent kubectl processes, the pages a forked child shares with its
    parent); the proportional set size (PSS) splits each shared page between its sharers, so its
    sum is what the tree costs the machine."""
    rss = pss = 0
    pending = [pid]
    page = os.sysconf("SC_PAGE_SIZE")
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                resident = int(handle.read().split()[1]) * page
            proportional = resident
            try:
                with open(f"/proc/{current}/smaps_rollup") as handle:
                    for line in handle:
                        if line.startswith("Pss:"):
                            proportional = int(line.split()[1]) * 1024
                            break
            except OSError:  # no smaps_rollup (kernel < 4.14): count it as resident
                pass
            rss += resident
            pss += proportional
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            continue
    return rss, pss


# Whether run() samples memory. Sampling reads /proc for the whole process tree every 10 ms: on two
# cores that takes CPU from a tool that uses both (ours) far more than from one that uses one
# (kubeconform -n 1), so median_of times runs without it and samples memory in a run of its own.
_SAMPLING = [True]


def run(command: list[str], cwd: Path, env: dict[str, str], stdin: bytes | None = None) -> Measured:
    """Run one process: wall seconds, peak RSS of its process tree in MiB (sampled every 10 ms, unless
    median_of is timing), exit code, stdout, CPU seconds (the process and the descendants it waited
    for, from wait4), the largest single process's peak RSS, and the peak summed PSS of the tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
    peak = peak_pss = 0
    done = threading.Event()
    chunks: list[bytes] = []

    def sample() -> None:
        nonlocal peak, peak_pss
        while _SAMPLING[0] and not done.is_set():
            rss, pss = _tree_memory(process.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)
            done.wait(0.01)

    def read() -> None:
        assert process.stdout is not None
        chunks.extend(iter(lambda: process.stdout.read(1 << 16), b""))

    threads = [threading.Thread(target=sample, daemon=True), threading.Thread(target=read, daemon=True)]
    for thread in threads:
        thread.start()
    if stdin is not None:
        assert process.stdin is not None
        try:
            process.stdin.write(stdin)
            process.stdin.close()
        except BrokenPipeError:
            pass
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    for thread in threads:
        thread.join()
    return Measured(seconds, peak / 2**20, process.returncode, b"".join(chunks).decode("utf-8", "replace"),
                    usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, peak_pss / 2**20)


def median_of(repeat: int, measure) -> Measured:
    """The median of ``repeat`` timed runs (no memory sampling), with the memory of one more run
    that samples it."""
    _SAMPLING[0] = False
    try:
        runs = [measure() for _ in range(repeat)]
    finally:
        _SAMPLING[0] = True
    sampled = measure()
    runs.sort(key=lambda m: m.seconds)
    middle = runs[len(runs) // 2]
    return Measured(middle.seconds, sampled.rss_mb, middle.exit_code, middle.stdout,
                    statistics.median(m.cpu for m in runs), max(sampled.largest_mb, *(m.largest_mb for m in runs)),
                    sampled.pss_mb)


def ratio(ours: float, theirs: float | None) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "-"


# --- 1. the stream ---------------------------------------------------------------------------------

def stream_benchmark(work: Path, kubeconform: str | None, schemas: Path | None, repeat: int,
                     env: dict[str, str]) -> list[str]:
    folder = work / "stream"
    folder.mkdir()
    objects = [obj for obj in generate.generate(5000, 1) if generate.is_builtin(obj)]
    import yaml

    (folder / "stream.yaml").write_text(yaml.dump_all(objects, Dumper=generate._NoAliasDumper, sort_keys=False))
    count = len(objects)

    def ours() -> Measured:
        shutil.rmtree(work / "cache", ignore_errors=True)
        return run([str(BIN / "gitops-validate"), "--no-cache", "-k", "1.37", "--format", "json", "."], folder, env)

    rows = [("gitops-validate --no-cache -k 1.37 (default checks)", median_of(repeat, ours))]
    report = json.loads(rows[0][1].stdout)
    ours_invalid = len({(f["file"], json.dumps(f["object"], sort_keys=True))
                        for f in report["findings"] if f["rule"].startswith("schema-") and f["severity"] == "error"})
    lines = [f"stream: {count:,} objects in one file (generate.py 5,000 objects, seed 1, SeldonDeployments removed)"]
    kubeconform_invalid = None
    if kubeconform and schemas:
        for workers in (1, 2):
            command = [kubeconform, "-strict", "-n", str(workers), "-kubernetes-version", "1.37.0", "-summary",
                       "-output", "json", "-schema-location", f"{schemas}/{SCHEMA_TEMPLATE}", "stream.yaml"]
            measured = median_of(repeat, lambda command=command: run(command, folder, env))
            rows.append((f"kubeconform -strict -n {workers}", measured))
            summary = json.loads(measured.stdout).get("summary", {})
            kubeconform_invalid = summary.get("invalid")
    else:
        lines.append("kubeconform: skipped (set KUBECONFORM=/path/to/kubeconform; see benchmarks/README.md)")
    base = rows[1][1].seconds if len(rows) > 1 else None
    base_cpu = rows[1][1].cpu if len(rows) > 1 else None
    lines.append(f"{'tool':52} {'wall s':>7} {'objects/s':>10} {'CPU s':>6} {'peak RSS':>9} {'peak PSS':>9}"
                 f" {'wall vs kc -n 1':>16}"
                 f" {'CPU vs kc -n 1':>15}")
    for name, measured in rows:
        lines.append(f"{name:52} {measured.seconds:7.2f} {count / measured.seconds:10,.0f} {measured.cpu:6.2f}"
                     f" {measured.rss_mb:7.0f}MB {measured.pss_mb:7.0f}MB {ratio(measured.seconds, base):>16}"
                     f" {ratio(measured.cpu, base_cpu):>15}")
    if len(rows) > 2:
        lines.append(f"ours vs kubeconform -n 2: {ratio(rows[0][1].seconds, rows[2][1].seconds)}")
    agreement = ("agree" if ours_invalid == kubeconform_invalid else "DISAGREE") if kubeconform_invalid is not None \
        else "kubeconform not run"
    lines.append(f"objects with a schema error: ours {ours_invalid}, kubeconform {kubeconform_invalid} -> {agreement}")
    lines.append("goal: <= 1.0x kubeconform -n 1 (aim 0.5x): "
                 + (("met" if rows[0][1].seconds <= base else "NOT met") if base else "not measured"))
    return lines


# --- 2. and 3. the forked repository ---------------------------------------------------------------

def fork_repository(work: Path, env: dict[str, str]) -> Path:
    root = work / "fork"
    tracked = subprocess.run(["git", "-C", str(REPOSITORY), "ls-files", "-z"], capture_output=True, check=True,
                             text=True).stdout.split("\0")
    for rel in filter(None, tracked):
        source = REPOSITORY / rel
        if source.is_file():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / rel)
    git = ["git", "-C", str(root), "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    existing = sorted(p.name for p in (root / "overlays").iterdir() if p.is_dir())
    for index in range(NEW_ENVIRONMENTS):
        name = f"env{index + 1:02d}"
        done = subprocess.run([str(BIN / "gitops-validate"), "new-env", name, "--from", existing[index % len(existing)],
                               str(root)], cwd=root, env=env, capture_output=True, text=True)
        if done.returncode not in (0, 1):
            raise SystemExit(f"benchmarks/peers.py: new-env {name} failed: {done.stderr.strip()}")
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "fork"], check=True)
    return root


def rendered_paths(root: Path) -> list[str]:
    """The paths the validator renders: the same list the flux-style pipeline builds."""
    sys.path.insert(0, str(REPOSITORY))
    from validate import discover, load
    from validate.config import load_config

    config = load_config(root)
    files, _ = discover.walk(root, config.ignore)
    loaded = {rel: load.load_file(root / rel, rel, config.limits) for rel in files
              if discover.is_yaml(rel) or discover.is_kustomization_file(rel)}
    return list(discover.inventory(root, files, loaded, []).rendered)


def flux_style(root: Path, paths: list[str], kubeconform: str | None, schemas: Path | None,
               env: dict[str, str]) -> tuple[float, float, float, float]:
    """(kustomize seconds, kubeconform seconds, yamllint seconds, peak RSS MiB) of the flux-style script."""
    build = check = 0.0
    peak = 0.0
    for path in paths:
        rendered = run([str(BIN / "kubectl"), "kustomize", path], root, env)
        build += rendered.seconds
        peak = max(peak, rendered.rss_mb)
        if kubeconform and schemas:
            checked = run([kubeconform, "-strict", "-ignore-missing-schemas", "-kubernetes-version", "1.37.0",
                           "-schema-location", f"{schemas}/{SCHEMA_TEMPLATE}", "-"], root, env,
                          stdin=rendered.stdout.encode())
            check += checked.seconds
            peak = max(peak, checked.rss_mb)
    lint = run([str(BIN / "yamllint"), "."], root, env)
    return build, check, lint.seconds, max(peak, lint.rss_mb)


def repository_benchmark(work: Path, kubeconform: str | None, schemas: Path | None, repeat: int,
                         env: dict[str, str]) -> list[str]:
    root = fork_repository(work, env)
    environments = sorted(p.name for p in (root / "overlays").iterdir() if p.is_dir())
    paths = rendered_paths(root)
    files = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    command = [str(BIN / "gitops-validate"), "--format", "json"]

    def cold() -> Measured:
        shutil.rmtree(Path(env["GITOPS_VALIDATE_CACHE_DIR"]), ignore_errors=True)
        return run(command, root, env)

    ours = median_of(repeat, cold)
    flux = [flux_style(root, paths, kubeconform, schemas, env) for _ in range(repeat)]
    flux.sort(key=sum)
    build, check, lint, flux_rss = flux[len(flux) // 2]
    pipeline = build + check + lint

    # 3. one edit, what the pre-commit hook runs; the cache is warm from the cold run above
    cold_run = cold()
    edited = root / "overlays" / environments[0] / "02-first-deployment"
    patch = next(p for p in sorted(edited.glob("*.yaml")) if p.name != "kustomization.yaml")

    edits = iter(range(1, 1_000_000))

    def one_edit() -> Measured:
        # a new text every run: the same edit twice would find its parse and render cached from the run before
        patch.write_text(patch.read_text() + f"# edited {next(edits)}\n")
        measured = run([str(BIN / "gitops-validate"), "--changed-since", "HEAD"], root, env)
        subprocess.run(["git", "-C", str(root), "checkout", "-q", "--", str(patch.relative_to(root))], check=True)
        return measured

    edit = median_of(repeat, one_edit)
    summary = json.loads(ours.stdout)["summary"]
    lines = [
        f"fork of this repository: {len(environments)} environments ({', '.join(environments)}),"
        f" {files} files, {len(paths)} rendered paths; ours: {summary['errors']} errors, {summary['objects']} objects"
        f" checked against Kubernetes {', '.join(summary['kubernetesVersions'])}",
        f"{'what':66} {'seconds':>8} {'peak RSS':>9}",
        f"{'ours, cold full run (empty cache)':66} {ours.seconds:8.2f} {ours.rss_mb:7.0f}MB"
        f" (PSS {ours.pss_mb:.0f}MB)  CPU {ours.cpu:.2f} s",
        f"{'flux-style: kubectl kustomize per path, one after another':66} {build:8.2f}",
        f"{'flux-style: kubeconform per rendered path' if kubeconform else 'flux-style: kubeconform (skipped)':66}"
        f" {check:8.2f}",
        f"{'flux-style: yamllint over the sources':66} {lint:8.2f}",
        f"{'flux-style pipeline, total':66} {pipeline:8.2f} {flux_rss:7.0f}MB",
        f"ours / flux-style: {ratio(ours.seconds, pipeline)} (goal <= 0.5x:"
        f" {'met' if ours.seconds <= 0.5 * pipeline else 'NOT met'})"
        + ("" if kubeconform else "; without kubeconform the pipeline is understated"),
        "",
        f"one edit ({patch.relative_to(root)}), `gitops-validate --changed-since HEAD` (the pre-commit hook),"
        " warm cache:",
        f"{'one-edit run':66} {edit.seconds:8.2f} {edit.rss_mb:7.0f}MB  CPU {edit.cpu:.2f} s",
        f"{'cold full run (again, same fork)':66} {cold_run.seconds:8.2f} {cold_run.rss_mb:7.0f}MB  CPU {cold_run.cpu:.2f} s",
        f"one edit / cold full run: {ratio(edit.seconds, cold_run.seconds)} wall,"
        f" {ratio(edit.cpu, cold_run.cpu)} CPU (kubectl included) (goal <= 0.15x:"
        f" {'met' if edit.seconds <= 0.15 * cold_run.seconds else 'NOT met'} in wall time)",
    ]
    return lines


# --- 4. 2,500 files --------------------------------------------------------------------------------

def memory_benchmark(work: Path, env: dict[str, str]) -> list[str]:
    root = work / "synthetic"
    synthetic_repo.write(root, 120, 8)
    files = sum(1 for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)
    shutil.rmtree(Path(env["GITOPS_VALIDATE_CACHE_DIR"]), ignore_errors=True)
    measured = run([str(BIN / "gitops-validate"), "--format", "json"], root, env)
    return [f"synthetic repository, 120 apps x 8 environments, {files:,} files: cold full run {measured.seconds:.2f} s,"
            f" {measured.cpu:.1f} s CPU; peak memory of the process tree (validator + the kubectl processes it"
            f" runs): {measured.rss_mb:.0f} MB summed RSS, {measured.pss_mb:.0f} MB summed PSS (shared pages"
            f" split between their processes); largest single process {measured.largest_mb:.0f} MB RSS."
            f" Goal <= 200 MB: tree PSS {'met' if measured.pss_mb <= 200 else 'NOT met'},"
            f" tree RSS {'met' if measured.rss_mb <= 200 else 'NOT met'},"
            f" largest process {'met' if measured.largest_mb <= 200 else 'NOT met'}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the median is shown (default 3)")
    parser.add_argument("--only", choices=["stream", "repository", "memory"], action="append",
                        help="run only these parts (repeatable; default all)")
    args = parser.parse_args(argv)
    if not (BIN / "gitops-validate").exists() or not (BIN / "kubectl").exists():
        print("benchmarks/peers.py: run it with the project's .venv/bin/python (make bench)", file=sys.stderr)
        return 2
    kubeconform = os.environ.get("KUBECONFORM")
    if kubeconform and not os.access(kubeconform, os.X_OK):
        print(f"benchmarks/peers.py: KUBECONFORM={kubeconform} is not an executable", file=sys.stderr)
        return 2
    parts = args.only or ["stream", "repository", "memory"]
    # Bytecode as an installed package has it (pip compiles on install): without it, an environment
    # with PYTHONDONTWRITEBYTECODE set would make every run compile the package again.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPOSITORY / "validate")], check=False,
                   stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="gitops-validate-peers-"))
    env = {**os.environ, "GITOPS_VALIDATE_CACHE_DIR": str(work / "cache"), "CI": "true"}
    try:
        schemas = None
        if kubeconform:
            schemas = work / "kubeconform-schemas"
            kinds = kubeconform_schemas.convert(schemas, "1.37")
            version = subprocess.run([kubeconform, "-v"], capture_output=True, text=True).stdout.strip()
            print(f"kubeconform {version} ({kubeconform}); {kinds} schemas converted to its strict standalone layout")
        else:
            print("kubeconform: not set; its rows are skipped. Build it (benchmarks/README.md) and set KUBECONFORM.")
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; medians of {args.repeat} runs\n")
        for part, function in (("stream", lambda: stream_benchmark(work, kubeconform, schemas, args.repeat, env)),
                               ("repository", lambda: repository_benchmark(work, kubeconform, schemas, args.repeat,
                                                                            env)),
                               ("memory", lambda: memory_benchmark(work, env))):
            if part in parts:
                print("\n".join(function()), end="\n\n", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
