"""Start a new domain rule: its module, its place in the registry, and both kinds of fixture.

``gitops-validate rules --new pod-no-latest --title "Images are not tagged latest" --default warning``
(in a source checkout) writes ``validate/rules/pod_no_latest.py`` (a docstring with the four
sections to fill in, ``ID``, ``DEFAULT`` and a ``check`` that finds nothing yet), adds the module's name
to the table in ``validate/rules/__init__.py``, and writes
``tests/rules/fixtures/pod-no-latest/{positive,negative}/`` with a manifest each. The suite fails
until the rule is written: the negative fixture marks a line the empty check does not report, and
the docstring sections are placeholders.
"""

from __future__ import annotations

import re
from pathlib import Path

from validate.model import ToolError
from validate.rules import FAMILIES

MODULE = '''"""{title}.

What it does:
    TODO: what the rule reports, on which kinds.

Why it matters:
    TODO: what goes wrong in the cluster when the rule is broken.

Example:
    ```yaml
    TODO: the smallest manifest that breaks the rule
    ```

Use instead:
    ```yaml
    TODO: the same manifest, fixed
    ```
    TODO: one sentence saying what to do, ending with a period.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "{rule_id}"
DEFAULT = "{default}"
KINDS = {{("apps", "Deployment")}}  # (group, kind) pairs the check is called for; remove to see every object


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    # Yield Violation(message, path) for each problem; path is the field of obj.data to report on.
    yield from ()
'''

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: example
  namespace: example{mark}
spec:
  selector:
    matchLabels: {{app: example}}
  template:
    metadata:
      labels: {{app: example}}
    spec:
      containers:
        - name: example
          image: registry.example.com/example:1.0.0
"""


def scaffold(root: Path, rule_id: str, title: str, default: str) -> list[Path]:
    """Write the rule's files under ``root`` (the repository); return them. Refuses to overwrite."""
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)+", rule_id) or not rule_id.startswith(FAMILIES):
        raise ToolError(f"{rule_id!r}: a rule id is kebab-case and starts with a family"
                         f" ({', '.join(FAMILIES)})")
    name = rule_id.replace("-", "_")
    module = root / "validate" / "rules" / f"{name}.py"
    fixtures = root / "tests" / "rules" / "fixtures" / rule_id
    if module.exists() or fixtures.exists():
        raise ToolError(f"{rule_id} exists already ({module.relative_to(root)} or {fixtures.relative_to(root)})")
    registry = root / "validate" / "rules" / "__init__.py"
    text = registry.read_text(encoding="utf-8")
    block = "RULE_MODULES: tuple[str, ...] = (\n"
    start = text.index(block) + len(block)
    end = text.index(")\n", start)
    names = sorted({*(line.strip().rstrip(",").strip('"') for line in text[start:end].splitlines() if line.strip()),
                    name})
    text = text[:start] + "".join(f'    "{n}",\n' for n in names) + text[end:]
    module.write_text(MODULE.format(title=title.rstrip("."), rule_id=rule_id, default=default), encoding="utf-8")
    registry.write_text(text, encoding="utf-8")
    written = [module, registry]
    for kind, mark in (("positive", ""), ("negative", f"  # <- {rule_id}")):
        target = fixtures / kind / "deployment.yaml"
        target.parent.mkdir(parents=True)
        target.write_text(MANIFEST.format(mark=mark), encoding="utf-8")
        written.append(target)
    return written
