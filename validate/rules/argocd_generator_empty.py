"""ApplicationSet generators must generate something.

What it does:
    Expands every ApplicationSet offline and reports a generator that yields nothing: a git
    ``directories`` or ``files`` pattern that matches no directory or file of the repository,
    directories all excluded, a ``list`` without elements, a matrix whose second generator never
    matches.

Why it matters:
    A generator that matches nothing is silent in Argo CD: no error, no Application. A typo
    in a path pattern or a renamed folder quietly stops deploying, and with ``preserveResourcesOnDeletion``
    off it deletes what the generator used to deploy.

Example:
    ```yaml
    spec:
      generators:
        - git:
            repoURL: https://github.com/example/seldon-gitops.git
            revision: main
            directories:
              - path: overlay/dev/*
    ```

Use instead:
    ```yaml
            directories:
              - path: overlays/dev/*
    ```
    Fix the pattern so that it matches the directories or files it is meant to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-generator-empty"
DEFAULT = "error"
KINDS = {("argoproj.io", "ApplicationSet")}


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for issue in ctx.expansion(obj).issues:
        if issue.kind == "empty":
            yield Violation(issue.message, issue.path)
