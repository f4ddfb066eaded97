"""ApplicationSet parts the offline expansion cannot evaluate.

What it does:
    Reports, for information, what of an ApplicationSet the validator could not expand
    without a cluster: generators that read a cluster or an SCM provider (``clusters``,
    ``scmProvider``, ``pullRequest``, ...), git generators of another repository,
    ``templatePatch``, template expressions beyond the supported subset (Go-template field
    references, ``index`` and common Sprig string functions; fasttemplate ``{{key}}``), and
    references to parameters no generator sets.

Why it matters:
    The Applications behind these parts are not checked by the ``argocd-*`` rules; a
    parameter no generator sets renders as ``<no value>`` or stays as ``{{...}}`` in the
    generated Application, which is nearly always a typo.

Example:
    ```yaml
    spec:
      goTemplate: true
      template:
        metadata:
          name: "{{ .path.basenme }}"
    ```

Use instead:
    ```yaml
      template:
        metadata:
          name: "{{ .path.basename }}"
    ```
    Refer only to parameters the generators set, or accept that this part is checked in the cluster only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-appset-unresolved"
DEFAULT = "info"
KINDS = {("argoproj.io", "ApplicationSet")}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for issue in ctx.expansion(obj).issues:
        if issue.kind == "unresolved":
            yield Violation(issue.message, issue.path)
