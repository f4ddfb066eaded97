"""Helm chart sources must be pinned to an exact version.

What it does:
    Reports every Helm chart source (a source with ``chart``) of an Application, or of an
    Application an ApplicationSet generates, whose ``targetRevision`` is missing, empty, ``*``,
    a range (``>=1.0``, ``^1.2``, ``~1.2``, ``1.x``) or anything but one exact version.

Why it matters:
    A range resolves to whatever the chart repository offers at sync time: a new upstream
    release reaches production without a commit, a review or a way to roll back in git.

Example:
    ```yaml
    spec:
      source:
        repoURL: https://storage.googleapis.com/seldon-charts
        chart: seldon-core-operator
        targetRevision: ">=1.17"
    ```

Use instead:
    ```yaml
    spec:
      source:
        repoURL: https://storage.googleapis.com/seldon-charts
        chart: seldon-core-operator
        targetRevision: 1.18.2
    ```
    Pin the chart to the exact version you tested and bump it in a reviewed commit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.argocd import APP_KINDS, is_chart, templated
from validate.model import Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-helm-version"
DEFAULT = "error"
KINDS = APP_KINDS
EXACT = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for app in ctx.apps_of(obj):
        for where, source in app.sources():
            if not is_chart(source):
                continue
            chart = source.get("chart")
            revision = source.get("targetRevision")
            if revision is None or revision == "":
                yield app_violation(app, f"chart {chart} has no targetRevision: Argo CD takes the newest version at"
                                    " every sync", *where)
            elif isinstance(revision, (int, float)):
                yield app_violation(app, f"chart {chart} targetRevision {revision} is a number, not an exact version"
                                    " string", *where, "targetRevision")
            elif isinstance(revision, str) and not templated(revision) and not EXACT.match(revision.strip()):
                yield app_violation(app, f"chart {chart} targetRevision {revision!r} is not an exact version: it"
                                    " resolves to whatever the chart repository offers at sync time",
                                    *where, "targetRevision")
