"""Do ryl and yamllint report the same problems? The evaluation behind keeping yamllint.

    RYL=/path/to/ryl .venv/bin/python benchmarks/ryl_parity.py . tests/acceptance/example-files ../shared/realworld/*

ryl (PyPI ``ryl``, a Rust linter that reads yamllint configuration) is not a dependency: install
it in a virtualenv of its own and point ``RYL`` at it. For every folder given, both tools lint the
same files (the ``*.yaml``/``*.yml`` files our loader reads without a finding: the others get
``load-*`` findings and are never linted) with the same configuration: the folder's ``.yamllint``
when it has one, else yamllint's ``extends: default``. Prints, per folder, the problems each
reports and those only one of them reports (by file, line, column, level and rule), plus wall time.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from validate import load  # noqa: E402

BIN = Path(sys.executable).parent
LINE = re.compile(r"(.+?):(\d+):(\d+): \[(\w+)\] (.*?)(?: \(([\w-]+)\))?$")


def problems(output: str) -> set[tuple[str, int, int, str, str]]:
    found = set()
    for line in output.splitlines():
        match = LINE.match(line)
        if match:
            found.add((match[1].removeprefix("./"), int(match[2]), int(match[3]), match[4], match[6] or "syntax"))
    return found


def compare(root: Path, ryl: str, default_config: Path) -> tuple[int, int, int, list[str]]:
    config = root / ".yamllint" if (root / ".yamllint").is_file() else default_config
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()
                   and not {".git", ".venv"} & set(p.relative_to(root).parts))
    files = [f for f in files if load.load_file(root / f, f).ok]
    started = time.perf_counter()
    theirs = subprocess.run([str(BIN / "yamllint"), "-f", "parsable", "-c", str(config), *files], cwd=root,
                            capture_output=True, text=True).stdout
    yamllint_seconds = time.perf_counter() - started
    started = time.perf_counter()
    done = subprocess.run([ryl, "check", "--no-cache", "-f", "parsable", "-c", str(config), *files], cwd=root,
                          capture_output=True, text=True)
    ryl_seconds = time.perf_counter() - started
    a, b = problems(theirs), problems(done.stdout + done.stderr)
    lines = [f"{root}: {len(files)} files, config {config.name}; yamllint {len(a)} problems in {yamllint_seconds:.2f} s,"
             f" ryl {len(b)} in {ryl_seconds:.2f} s; identical {len(a & b)}"]
    lines += [f"  only yamllint: {p}" for p in sorted(a - b)[:10]]
    lines += [f"  only ryl:      {p}" for p in sorted(b - a)[:10]]
    return len(a), len(b), len(a & b), lines


def main(argv: list[str]) -> int:
    ryl = os.environ.get("RYL")
    if not ryl or not os.access(ryl, os.X_OK):
        print("benchmarks/ryl_parity.py: set RYL to a ryl executable (pip install ryl in a separate venv)",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as work:
        default_config = Path(work) / "default.yaml"
        default_config.write_text("extends: default\n")
        totals = [0, 0, 0]
        for folder in argv or ["."]:
            root = Path(folder).resolve()
            if not root.is_dir():
                print(f"{folder}: not a folder, skipped")
                continue
            *counts, lines = compare(root, ryl, default_config)
            totals = [t + c for t, c in zip(totals, counts)]
            print("\n".join(lines))
    print(f"total: yamllint {totals[0]}, ryl {totals[1]}, identical {totals[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
