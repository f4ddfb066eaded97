"""Convert the validator's schema data to kubeconform's strict standalone layout, for the benchmarks.

kubeconform looks a schema up by a file-name template,
``<dir>/v<version>-standalone-strict/<kind>-<group label>-<version>.json``, and wants each file
self-contained. kubernetes-validate ships the same strict schemas (draft 2020-12), but split into
one file per kind and a shared ``_definitions.json``; our own custom-kind schemas
(``validate/schemas``) reference ``*-defs.json`` files the same way. This copies every kind file
with the definitions it reaches (transitively) under its own ``$defs`` and every ``$ref``
rewritten to point there, so both tools check against exactly the same constraints.

    python benchmarks/kubeconform_schemas.py /tmp/kubeconform-schemas --kubernetes-version 1.37

The output is generated data for one run: it belongs in a temporary folder, never in the
repository.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate

KUBERNETES_DATA = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"
OWN_SCHEMAS = Path(__file__).resolve().parent.parent / "validate" / "schemas"


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str):
                found.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _rewrite(node: Any, key_of: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewrite(v, key_of) for k, v in node.items() if k not in ("$id", "$schema")}
        if isinstance(node.get("$ref"), str):
            out["$ref"] = "#/$defs/" + key_of[node["$ref"]]
        return out
    if isinstance(node, list):
        return [_rewrite(v, key_of) for v in node]
    return node


class _Definitions:
    """Every ``$defs`` table a kind file may reference, by the file name its ``$ref`` uses."""

    def __init__(self, tables: dict[str, dict[str, Any]]):
        self.tables = tables

    def resolve(self, ref: str, base: str) -> tuple[str, str, Any]:
        """(table, name, schema) for a reference; ``base`` is the table of the referencing schema."""
        target, _, pointer = ref.partition("#")
        table = target.rsplit("/", 1)[-1] or base
        name = pointer.removeprefix("/$defs/")
        return table, name, self.tables[table][name]


def standalone(schema: dict[str, Any], definitions: _Definitions, base: str = "") -> dict[str, Any]:
    """``schema`` with every definition it reaches copied under ``$defs`` and references rewritten."""
    key_of: dict[str, str] = {}
    collected: dict[str, Any] = {}
    pending = [(ref, base) for ref in _refs(schema)]
    seen: set[tuple[str, str]] = set()
    while pending:
        ref, origin = pending.pop()
        table, name, target = definitions.resolve(ref, origin)
        key = f"{table.removesuffix('.json')}.{name}"
        key_of[ref] = key
        if (table, name) in seen:
            continue
        seen.add((table, name))
        collected[key] = (target, table)
        pending.extend((inner, table) for inner in _refs(target))
    out = _rewrite({k: v for k, v in schema.items() if k != "$defs"}, key_of)
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$defs"] = {key: _rewrite(target, key_of) for key, (target, _) in collected.items()}
    return out


def convert(output: Path, version: str) -> int:
    """Write the layout for Kubernetes ``version`` (``1.37``) under ``output``; returns the number of kinds."""
    source = KUBERNETES_DATA / f"v{version}.0-local-strict"
    if not source.is_dir():
        raise SystemExit(f"kubernetes-validate has no strict schemas for Kubernetes {version}")
    target = output / f"v{version}.0-standalone-strict"
    target.mkdir(parents=True, exist_ok=True)
    tables = {"_definitions.json": json.loads((source / "_definitions.json").read_text())["$defs"]}
    for defs in OWN_SCHEMAS.glob("*-defs.json"):
        tables[defs.name] = json.loads(defs.read_text())["$defs"]
    definitions = _Definitions(tables)
    count = 0
    for path in [*sorted(source.glob("*.json")), *sorted(OWN_SCHEMAS.glob("*.json"))]:
        if path.name in ("_definitions.json", "all.json") or path.name.endswith("-defs.json"):
            continue
        schema = json.loads(path.read_text())
        definitions.tables.setdefault(path.name, schema.get("$defs", {}))
        if path.parent == source and "x-kubernetes-group-version-kind" not in schema:
            continue  # a type, not a kind: kubeconform never looks it up
        (target / path.name).write_text(json.dumps(standalone(schema, definitions, path.name)))
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path, help="folder to write (a temporary one)")
    parser.add_argument("--kubernetes-version", default="1.37")
    args = parser.parse_args(argv)
    count = convert(args.output, args.kubernetes_version)
    print(f"{count} kinds written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
