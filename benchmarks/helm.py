"""Helm engine start-up and render times on the published platform charts (a report, not a test).

    .venv/bin/python benchmarks/helm.py [--charts ../shared/upstream/charts] [--repeat 5]

Prints, for the engine this process chooses (``helm`` 4.x on PATH, else helm-python-sdk): the
time to import and load it, then per chart the first render and the median of further renders
(default values, the newest Kubernetes version, release namespace ``bench``), and the time to read
the archive (values, CRDs, templates) the value checks need. Exits 2 with one line when the charts
folder is absent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=Path, default=REPO.parent / "shared" / "upstream" / "charts")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    index = args.charts / "repositories.yaml"
    if not index.is_file():
        print(f"benchmarks/helm.py: {index} not found: pass --charts with a Helm repository mirror", file=sys.stderr)
        return 2
    started = time.perf_counter()
    from validate.helm_engine import RenderRequest, engine

    chosen = engine()
    loaded = time.perf_counter() - started
    from validate.helm.chart import read_chart

    print(f"engine: {chosen.name} {chosen.version}; import and load {loaded * 1000:.0f} ms")
    print(f"{'chart':45} {'read':>8} {'first':>8} {'median':>8} {'objects':>8}")
    for entry in yaml.safe_load(index.read_text())["helm"]:
        for name, versions in entry["charts"].items():
            for version in versions:
                archive = args.charts / entry["path"] / f"{name}-{version}.tgz"
                clock = time.perf_counter()
                read_chart(archive)
                read = time.perf_counter() - clock
                request = RenderRequest(archive, {}, "bench", "bench", "v1.37.0")
                times, count = [], 0
                for _ in range(1 + args.repeat):
                    clock = time.perf_counter()
                    rendered = chosen.render(request)
                    times.append(time.perf_counter() - clock)
                    count = sum(text.count("\nkind:") + text.startswith("kind:") for text in rendered.manifests.values())
                print(f"{name + ' ' + version:45} {read * 1000:6.0f}ms {times[0] * 1000:6.0f}ms"
                      f" {statistics.median(times[1:]) * 1000:6.0f}ms {count:8d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
