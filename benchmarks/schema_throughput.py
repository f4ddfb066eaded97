"""Schema-check throughput of validate.schema against kubernetes-validate, in one run, on one stream.

A report, not a test: ``make bench`` prints objects/second for each tool on the same generated
stream (benchmarks/generate.py) and the ratio to kubernetes-validate, and exits 0 whether or not
the target is met. It exits 2 only when it cannot run (a missing package or schema).

Tools measured:

* ours: ``SchemaStore(["1.37"]).check(obj)``, the store built once; the first (cold) pass
  includes loading the definitions, building the registry and compiling a validator per kind;
  warm passes reuse the compiled validators (median of ``--warm-passes``).
* kubernetes-validate as a library: ``kubernetes_validate.validate(obj, "1.37", strict=True)``.
  It re-reads its schemas on every call, so it is timed on the first built-in objects of the
  stream within ``--kubernetes-validate-budget`` seconds and its rate extrapolated.
* python-jsonschema: Draft202012Validator with kubernetes-validate's strict per-kind schema and a
  referencing Registry holding its _definitions.json, compiled once per kind, as a second peer.

kubernetes-validate has no schema for SeldonDeployment, so ratios compare per-object throughput on
the built-in kinds only, and ours is also timed on exactly that subset.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

TARGET = 54.0  # kubeconform's ratio to kubernetes-validate on the reference machine
K8S_VERSION = "1.37"


class SetupError(Exception):
    pass


def _peak_rss_mib() -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _label(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata")
    name = metadata.get("name", "?") if isinstance(metadata, dict) else "?"
    return f"{obj.get('kind')}/{name}"


Check = Callable[[dict[str, Any]], Any]
Objects = Sequence[dict[str, Any]]


def _timed(check: Check, objects: Objects) -> tuple[float, list[Any]]:
    results = []
    start = time.perf_counter()
    for obj in objects:
        results.append(check(obj))
    return time.perf_counter() - start, results


def _median_pass(check: Check, objects: Objects, passes: int) -> float:
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        for obj in objects:
            check(obj)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _budgeted(check: Check, objects: Objects, budget: float, minimum: int = 20) -> tuple[float, list[Any]]:
    """Run ``check`` on a prefix of ``objects`` until ``budget`` seconds pass (at least ``minimum``)."""
    results = []
    elapsed = 0.0
    start = time.perf_counter()
    for obj in objects:
        results.append(check(obj))
        elapsed = time.perf_counter() - start
        if elapsed >= budget and len(results) >= minimum:
            break
    return elapsed, results


# -- the tools ---------------------------------------------------------------------------------

# A peer's verdict on one object: None when valid, else (instance path, message) of its error.
PeerResult = tuple[tuple[Any, ...], str] | None


def _kubernetes_validate_check() -> Callable[[dict[str, Any]], PeerResult]:
    import kubernetes_validate

    def check(obj: dict[str, Any]) -> PeerResult:
        try:
            kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            return tuple(error.path), error.message
        except kubernetes_validate.SchemaNotFoundError as error:
            return (), f"no schema: {error.message}"
        return None
    return check


def _jsonschema_check() -> tuple[Callable[[dict[str, Any]], PeerResult], Callable[[dict[str, Any]], None]]:
    """python-jsonschema on kubernetes-validate's strict schemas; returns (check, compile_for)."""
    import jsonschema
    import kubernetes_validate
    from referencing import Registry, Resource

    folder = (Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
              / f"v{K8S_VERSION}.0-local-strict")
    definitions = json.loads((folder / "_definitions.json").read_text())
    registry: Registry[Any] = Resource.from_contents(definitions) @ Registry()
    validators: dict[tuple[str, str], Any] = {}

    def compile_for(obj: dict[str, Any]) -> None:
        key = (obj["apiVersion"], obj["kind"])
        if key not in validators:
            # kubernetes-validate's file naming: rbac.authorization.k8s.io/v1 -> rbac-v1
            api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", obj["apiVersion"])
            path = folder / f"{obj['kind'].lower()}-{api_version}.json"
            try:
                schema = json.loads(path.read_text())
            except OSError as error:
                raise SetupError(f"python-jsonschema peer: no schema for {key}: {error}") from None
            validators[key] = jsonschema.Draft202012Validator(schema, registry=registry)

    def check(obj: dict[str, Any]) -> PeerResult:
        # what kubernetes-validate does per object, minus re-reading and re-compiling the schemas
        validator = validators[(obj["apiVersion"], obj["kind"])]
        error = jsonschema.exceptions.best_match(validator.iter_errors(obj))
        return None if error is None else (tuple(error.path), error.message)

    return check, compile_for


# -- report ------------------------------------------------------------------------------------

def _row(tool: str, objects: int, seconds: float, baseline: float | None) -> tuple[str, ...]:
    rate = objects / seconds if seconds > 0 else float("inf")
    ratio = f"{rate / baseline:,.1f}x" if baseline else "-"
    return tool, f"{objects:,}", f"{seconds:.4f}", f"{rate:,.0f}", ratio


def _table(rows: list[tuple[str, ...]]) -> str:
    header = ("tool", "objects", "seconds", "objects/s", "vs kubernetes-validate")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells))
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _show_path(path: Sequence[Any]) -> str:
    return ".".join(map(str, path)) or "(object)"


def _same_place(result: PeerResult, our_paths: list[tuple[Any, ...]]) -> bool:
    their_path = result[0] if result is not None else ()
    return any(path[:len(their_path)] == their_path and len(path) - len(their_path) <= 1
               for path in our_paths)


def _agreement(name: str, theirs: list[PeerResult], objects: Sequence[dict[str, Any]],
               our_paths: list[list[tuple[Any, ...]]], our_text: list[str]) -> list[str]:
    """Whether a peer flags the same objects as ours, and at the same place.

    A peer reports one error (best_match) where ours reports all; its path matches when it is one
    of our issue paths or, for an unknown field (reported on the object holding it), their parent.
    """
    lines = []
    flagged = sum(1 for result in theirs if result is not None)
    ours_flagged = sum(1 for paths in our_paths[:len(theirs)] if paths)
    differ = [i for i, result in enumerate(theirs) if (result is not None) != bool(our_paths[i])]
    both = [i for i, result in enumerate(theirs) if result is not None and our_paths[i]]
    elsewhere = [i for i in both if not _same_place(theirs[i], our_paths[i])]
    verdict = "agree" if not differ and not elsewhere else "DISAGREE"
    lines.append(f"  {name}: {flagged} of {len(theirs)} invalid; ours on the same objects: {ours_flagged};"
                 f" same location on {len(both) - len(elsewhere)} of {len(both)} -> {verdict}")
    for kind, found in (("flag different objects", differ), ("place the error elsewhere", elsewhere)):
        if found:
            i = found[0]
            result = theirs[i]
            theirs_text = f"{_show_path(result[0])}: {result[1][:200]}" if result else "valid"
            lines.append(f"  WARNING: {name} and ours {kind} on {len(found)} object(s);"
                         f" first: #{i} {_label(objects[i])}")
            lines.append(f"    ours: {our_text[i] or 'valid'}")
            lines.append(f"    {name}: {theirs_text}")
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from generate import generate_labelled, is_builtin

        import validate.schema as schema_module
        from validate.schema import SchemaStore, available_versions
        kv_check = _kubernetes_validate_check()
        js_check, js_compile = _jsonschema_check()
    except ImportError as error:
        raise SetupError(f"cannot import {error.name or error}:"
                         " run inside the project venv (make bench)") from None
    if K8S_VERSION not in available_versions():
        raise SetupError(f"kubernetes-validate ships no strict schemas for Kubernetes {K8S_VERSION}")

    labelled = generate_labelled(args.objects, args.seed)
    stream = [obj for obj, _ in labelled]
    builtin_idx = [i for i, obj in enumerate(stream) if is_builtin(obj)]
    builtin = [stream[i] for i in builtin_idx]
    expected_invalid = [labelled[i][1] is not None for i in builtin_idx]
    if not builtin:
        raise SetupError("the stream has no built-in objects to compare on")
    for obj in builtin:
        js_compile(obj)  # python-jsonschema's compile, once per kind, outside the timed pass

    # Ours first, in a fresh process: the cold pass loads _definitions.json, builds the registry
    # and compiles each kind's validator lazily. Cold on the built-in subset, then warm passes there
    # (the headline), then a second store cold and warm on the full mixed stream.
    def clear_module_caches() -> None:
        for name in ("_definitions", "own_schemas"):
            getattr(getattr(schema_module, name, None), "cache_clear", lambda: None)()

    gc.collect()
    start = time.perf_counter()
    store = SchemaStore([K8S_VERSION])
    _, verdicts_builtin = _timed(store.check, builtin)
    construct_and_cold_builtin = time.perf_counter() - start
    warm_builtin_s = _median_pass(store.check, builtin, args.warm_passes)

    clear_module_caches()
    gc.collect()
    start = time.perf_counter()
    store_full = SchemaStore([K8S_VERSION])
    _, verdicts_full = _timed(store_full.check, stream)
    cold_full_s = time.perf_counter() - start
    warm_full_s = _median_pass(store_full.check, stream, args.warm_passes)
    rss_after_ours = _peak_rss_mib()

    missing = [i for i, verdict in enumerate(verdicts_full) if verdict.missing]
    ours_invalid = [bool(verdict.issues) for verdict in verdicts_builtin]
    our_paths = [[issue.path for issue, _ in verdict.issues] for verdict in verdicts_builtin]
    ours_issues = ["; ".join(f"{_show_path(issue.path)}: {issue.message}" for issue, _ in verdict.issues)
                   for verdict in verdicts_builtin]
    full_invalid = sum(1 for verdict in verdicts_full if verdict.issues)

    # kubernetes-validate: a budgeted prefix of the built-in subset, extrapolated.
    gc.collect()
    kv_s, kv_results = _budgeted(kv_check, builtin, args.kubernetes_validate_budget)
    kv_n = len(kv_results)
    kv_rate = kv_n / kv_s
    sample = builtin[:kv_n]
    ours_sample_s = _median_pass(store.check, sample, args.warm_passes)

    # python-jsonschema: compiled once per kind, a budgeted pass over the built-in subset.
    gc.collect()
    js_s, js_results = _budgeted(js_check, builtin, args.jsonschema_budget)
    js_n = len(js_results)

    rows = [
        _row("kubernetes-validate (library, strict)", kv_n, kv_s, kv_rate),
        _row("python-jsonschema (compiled per kind)", js_n, js_s, kv_rate),
        _row("ours, cold, built-in subset", len(builtin), construct_and_cold_builtin, kv_rate),
        _row("ours, warm, built-in subset", len(builtin), warm_builtin_s, kv_rate),
        _row("ours, warm, kubernetes-validate's sample", kv_n, ours_sample_s, kv_rate),
        _row("ours, cold, full mixed stream", len(stream), cold_full_s, None),
        _row("ours, warm, full mixed stream", len(stream), warm_full_s, None),
    ]
    custom_kinds = {obj["kind"] for obj in stream if not is_builtin(obj)}
    kinds: dict[str, int] = {}
    for obj in stream:
        kinds[obj["kind"]] = kinds.get(obj["kind"], 0) + 1

    print(f"schema-check throughput, Kubernetes {K8S_VERSION} strict schemas;"
          f" {platform.python_implementation()} {platform.python_version()} on {platform.machine()}")
    print(f"stream: {len(stream):,} objects (seed {args.seed}); {len(builtin):,} built-in, "
          f"{len(stream) - len(builtin):,} custom ({', '.join(sorted(custom_kinds)) or 'none'}); "
          f"{sum(1 for _, e in labelled if e):,} with a deliberate error")
    by_count = sorted(kinds.items(), key=lambda item: -item[1])
    print("kinds: " + ", ".join(f"{kind} {count}" for kind, count in by_count))
    print(f"kubernetes-validate sample: the first {kv_n:,} built-in objects "
          f"(budget {args.kubernetes_validate_budget:g} s); python-jsonschema: {js_n:,} objects "
          f"(budget {args.jsonschema_budget:g} s); warm = median of {args.warm_passes} passes")
    print()
    print(_table(rows))
    print()
    print("agreement (objects flagged invalid, built-in kinds):")
    truth = sum(expected_invalid)
    ours_total = sum(ours_invalid)
    wrong = [i for i, (mine, expected) in enumerate(zip(ours_invalid, expected_invalid)) if mine != expected]
    print(f"  generator: {truth} of {len(builtin)} carry a deliberate error; ours flags {ours_total}"
          f" -> {'agree' if not wrong else f'{len(wrong)} DIFFER'}")
    if wrong:
        i = wrong[0]
        print(f"  WARNING: ours and the generator's labels differ on {len(wrong)} object(s); first: #{i}"
              f" {_label(builtin[i])}: expected {labelled[builtin_idx[i]][1] or 'valid'},"
              f" ours {ours_issues[i] or 'valid'}")
    for line in _agreement("kubernetes-validate", kv_results, builtin, our_paths, ours_issues):
        print(line)
    for line in _agreement("python-jsonschema", js_results, builtin, our_paths, ours_issues):
        print(line)
    print(f"  full mixed stream: ours flags {full_invalid} of {len(stream)} "
          f"(generator: {sum(1 for _, e in labelled if e)})")
    if missing:
        print(f"  WARNING: ours has no schema for {len(missing)} object(s),"
              f" e.g. {_label(stream[missing[0]])}")
    print()
    print(f"peak RSS: {rss_after_ours:,.0f} MiB after ours (stream, imports and our store included); "
          f"{_peak_rss_mib():,.0f} MiB at the end of the run")
    ratio = (len(builtin) / warm_builtin_s) / kv_rate
    print(f"target >= {TARGET:g}x kubernetes-validate: {'MET' if ratio >= TARGET else 'NOT MET'} "
          f"(ratio {ratio:,.1f}x, ours warm on the built-in subset; "
          f"cold {(len(builtin) / construct_and_cold_builtin) / kv_rate:,.1f}x)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--objects", type=int, default=5000,
                        help="objects in the generated stream (default 5000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--kubernetes-validate-budget", type=float, default=20.0, metavar="SECONDS",
                        help="time kubernetes-validate on the built-in objects for this long (default 20)")
    parser.add_argument("--jsonschema-budget", type=float, default=10.0, metavar="SECONDS",
                        help="the same for the python-jsonschema peer (default 10)")
    parser.add_argument("--warm-passes", type=int, default=10, help="warm passes of ours; the median counts")
    args = parser.parse_args(argv)
    if args.objects < 1 or args.warm_passes < 1:
        parser.error("--objects and --warm-passes must be at least 1")
    try:
        return run(args)
    except SetupError as error:
        print(f"schema_throughput: setup error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
