"""Whole-run benchmark on a synthetic repository, against the pipelines a user would run instead.

    .venv/bin/python benchmarks/scale.py --apps 100 --envs 4

Builds N apps x M environments (benchmarks/synthetic_repo.py) in a temporary folder and
measures, in one run and on the same tree:

* ours: a cold full run (empty render cache), a warm full run, and a one-file run (one base file
  edited, then checked the way pre-commit calls the validator), each with its peak RSS;
* the peers: ``kubectl kustomize`` of every rendered path, one process after another and two at a
  time; ``yamllint`` over every file; and kubernetes-validate (strict) over the rendered stream,
  timed on a sample and extrapolated.

It prints seconds, ratios and the targets (a report, not a test: it exits 0 either way):
cold full run no slower than rendering every path plus yamllint, peak RSS within 200 MB, and a
one-file run under 5 % of a cold full run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_repo

BIN = Path(sys.executable).parent


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall seconds, peak RSS in MiB (the process and its waited-for children) and exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, process.returncode


def kustomize_all(paths: list[str], root: Path, workers: int) -> float:
    kubectl = str(BIN / "kubectl")

    def build(path: str) -> None:
        subprocess.run([kubectl, "kustomize", path], cwd=root, capture_output=True, check=False)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(build, paths))
    return time.perf_counter() - started


def rendered_stream(paths: list[str], root: Path) -> list[dict]:
    import yaml

    objects = []
    for path in paths:
        out = subprocess.run([str(BIN / "kubectl"), "kustomize", path], cwd=root, capture_output=True, check=True)
        objects += [d for d in yaml.safe_load_all(out.stdout) if isinstance(d, dict)]
    return objects


def kubernetes_validate_rate(objects: list[dict], budget: float) -> tuple[int, float]:
    import kubernetes_validate

    checked = 0
    started = time.perf_counter()
    for obj in objects:
        if time.perf_counter() - started > budget:
            break
        try:
            kubernetes_validate.validate(obj, "1.37", strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError):
            pass
        checked += 1
    return checked, checked / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description="Whole-run benchmark against the pipelines users run instead.")
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--kubernetes-validate-budget", type=float, default=15.0, metavar="SECONDS")
    args = parser.parse_args()
    if not (BIN / "gitops-validate").exists() or not (BIN / "kubectl").exists():
        print("benchmarks/scale.py: run it with the project's .venv/bin/python (make bench)", file=sys.stderr)
        return 2

    work = Path(tempfile.mkdtemp(prefix="gitops-validate-bench-"))
    try:
        root = work / "repo"
        paths = synthetic_repo.write(root, args.apps, args.envs)
        files = sum(1 for p in root.rglob("*.yaml") if ".git" not in p.parts)
        env = {**os.environ, "GITOPS_VALIDATE_CACHE_DIR": str(work / "cache"), "CI": "true"}
        command = [str(BIN / "gitops-validate"), "--format", "json"]
        print(f"synthetic repository: {args.apps} apps x {args.envs} environments = {len(paths)} rendered paths,"
              f" {files} YAML files; {os.cpu_count()} cores")

        cold, cold_rss, code = timed(command, root, env)
        if code not in (0, 1):
            print(f"benchmarks/scale.py: the validator failed with exit code {code}", file=sys.stderr)
            return 2
        warm, warm_rss, _ = timed(command, root, env)
        edited = root / "apps" / "model-007" / "seldondeployment.yaml"
        edited.write_text(edited.read_text() + "# edited\n")
        one, one_rss, _ = timed([*command, "apps/model-007/seldondeployment.yaml"], root, env)
        nocache, nocache_rss, _ = timed([*command, "--no-cache"], root, env)

        sequential = kustomize_all(paths, root, 1)
        parallel = kustomize_all(paths, root, 2)
        lint, _, _ = timed([str(BIN / "yamllint"), "-c", ".yamllint", "."], root, env)
        stream = rendered_stream(paths[: max(1, len(paths) // 8)], root)
        sample, rate = kubernetes_validate_rate(stream, args.kubernetes_validate_budget)
        objects = len(stream) * len(paths) // max(1, len(paths) // 8)
        kv_seconds = objects / rate
        summary = json.loads(subprocess.run(command, cwd=root, env=env, capture_output=True, text=True).stdout)["summary"]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    floor = sequential + lint
    floor2 = parallel + lint
    rows = [
        ("ours, cold full run (empty cache)", cold, cold_rss),
        ("ours, full run without the cache", nocache, nocache_rss),
        ("ours, warm full run", warm, warm_rss),
        ("ours, one-file run (that file's renders)", one, one_rss),
        ("kubectl kustomize of every path, one at a time", sequential, None),
        ("kubectl kustomize of every path, two at a time", parallel, None),
        ("yamllint over every file", lint, None),
        (f"kubernetes-validate, rendered stream (~{objects} objects, {sample} timed)", kv_seconds, None),
    ]
    print(f"\n{'what':62} {'seconds':>9} {'peak RSS':>10}")
    for name, seconds, rss in rows:
        print(f"{name:62} {seconds:9.2f} {f'{rss:.0f} MiB' if rss else '':>10}")
    print(f"\nrender per path: {1000 * sequential / len(paths):.0f} ms one at a time;"
          f" objects checked per run: {summary['objects']}")
    print(f"cold full run / (kustomize one at a time + yamllint): {cold / floor:.2f}  (target <= 1)")
    print(f"cold full run / (kustomize two at a time + yamllint): {cold / floor2:.2f}")
    print(f"cold full run / (kustomize + yamllint + kubernetes-validate): {cold / (floor + kv_seconds):.3f}")
    print(f"warm full run / cold full run: {warm / cold:.3f}")
    print(f"one-file run / cold full run: {one / cold:.3f}  (target < 0.05)")
    peak = max(cold_rss, warm_rss, one_rss, nocache_rss)
    print(f"peak RSS: {peak:.0f} MiB  (target <= 200)")
    met = cold <= floor and peak <= 200 and one < 0.05 * cold
    print(f"targets: {'MET' if met else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
