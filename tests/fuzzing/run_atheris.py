"""Coverage-guided fuzzing with atheris (``make fuzz``): the loader or the kustomization reader.

    python -m tests.fuzzing.run_atheris loader|kustomization [libFuzzer options and corpus folders]

The invariants are those of :mod:`tests.fuzzing.targets` (the property tests check them too);
any exception, or a breach of libFuzzer's own -rss_limit_mb and -timeout, is a finding: libFuzzer
writes the input that caused it under -artifact_prefix and stops.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["validate", "tests.fuzzing"]):
    from tests.fuzzing.targets import check_kustomization, check_loader

TARGETS = {"loader": check_loader, "kustomization": check_kustomization}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(TARGETS)} [libFuzzer options] [corpus folders]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
