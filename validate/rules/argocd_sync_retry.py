"""An automated sync must retry, with backoff, when it fails.

What it does:
    Reports every Application, and every Application an ApplicationSet generates, whose
    ``syncPolicy.automated`` is on (not ``enabled: false``) and whose ``syncPolicy.retry`` is
    missing or has ``limit: 0``.

Why it matters:
    An automated sync is attempted once per revision. Without a retry policy Argo CD v3.5
    gives it five quick retries (5 s doubling), and then says "will not retry" for that
    revision: a first sync that raced a CRD, a namespace or a webhook that was not ready yet,
    or a project that refused one object, stays failed until the next commit. In an
    app-of-apps, the parent waits on that child forever.

Example:
    ```yaml
    spec:
      syncPolicy:
        automated:
          prune: true
          selfHeal: true
    ```

Use instead:
    ```yaml
    spec:
      syncPolicy:
        automated:
          prune: true
          selfHeal: true
        retry:
          limit: 10
          backoff:
            duration: 10s
            factor: 2
            maxDuration: 5m
    ```
    Give every automated sync a `retry` with a limit and a backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.argocd import APP_KINDS, mapping
from validate.model import Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-sync-retry"
DEFAULT = "warning"
KINDS = APP_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    said: set[tuple[str, tuple[str | int, ...]]] = set()
    for app in ctx.apps_of(obj):
        policy = mapping(app.spec.get("syncPolicy"))
        if "automated" not in policy or mapping(policy.get("automated")).get("enabled") is False:
            continue
        retry = policy.get("retry")
        limit = mapping(retry).get("limit", 0)
        if isinstance(retry, dict) and limit != 0:
            continue
        path = ("spec", "syncPolicy", "retry") if isinstance(retry, dict) else ("spec", "syncPolicy", "automated")
        problem = "retry.limit is 0" if isinstance(retry, dict) else "no retry"
        violation = app_violation(app, f"automated sync with {problem}: a failed sync is not tried again for this"
                                  " revision after Argo CD's default five quick retries; add syncPolicy.retry with"
                                  " a limit and a backoff", *path)
        key = (violation.message, violation.path)
        if key not in said:
            said.add(key)
            yield violation
