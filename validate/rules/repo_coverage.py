"""Every app must have an overlay in every environment.

What it does:
    Builds the coverage matrix of the repository: the apps are the folders directly under
    ``apps/`` that hold a kustomization, the environments the folders directly under
    ``overlays/``; the cell of app A in environment E is ``overlays/E/A`` with a kustomization.
    Reports each app that misses a cell, at the app's kustomization file. Without an ``apps/``
    or an ``overlays/`` folder the rule says nothing.

Why it matters:
    An app without an overlay in an environment is never deployed there: promoting a change
    from dev to prod silently skips it, and the gap only shows as a missing workload.

Example:
    ```text
    apps/02-first-deployment/kustomization.yaml
    overlays/dev/02-first-deployment/kustomization.yaml
    overlays/prod/                      # no 02-first-deployment
    ```

Use instead:
    ```text
    overlays/dev/02-first-deployment/kustomization.yaml
    overlays/prod/02-first-deployment/kustomization.yaml
    ```
    Add the missing overlay, even if it only points at the base.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.environments import overlay
from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context

ID = "repo-coverage"
DEFAULT = "warning"


def check_repository(ctx: Context) -> Iterator[Violation]:
    kustomizations = ctx.inventory.kustomizations
    apps = sorted(d.split("/")[1] for d in kustomizations if d.count("/") == 1 and d.startswith("apps/"))
    environments = ctx.environments
    if not apps or not environments:
        return
    for app in apps:
        missing = [env for env in environments if overlay(env, app) not in kustomizations]
        if missing:
            kustomization = kustomizations[f"apps/{app}"]
            line = kustomization.document.line if kustomization.document is not None else 1
            yield Violation(f"app {app} has no overlay in environment(s) {', '.join(missing)}: expected "
                            + ", ".join(f"{overlay(env, app)}/kustomization.yaml" for env in missing),
                            file=kustomization.file, line=line)
