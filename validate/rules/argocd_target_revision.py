"""Git sources must name the revision they track.

What it does:
    Reports a git source (not a Helm chart: see ``argocd-helm-version``) of an Application, or
    of an Application an ApplicationSet generates, that has no ``targetRevision``, and a source
    of another repository that tracks ``HEAD``. A source of this repository may track ``HEAD``
    or a branch when it says so: that is how a GitOps repository deploys its own commits.

Why it matters:
    Without ``targetRevision`` Argo CD silently tracks ``HEAD``, the default branch of
    whichever remote the URL points at; renaming that branch, or a push to another team's
    repository, changes what runs in the cluster without a commit here.

Example:
    ```yaml
    spec:
      source:
        repoURL: https://github.com/prometheus-operator/kube-prometheus.git
        path: manifests
        targetRevision: HEAD
    ```

Use instead:
    ```yaml
    spec:
      source:
        repoURL: https://github.com/prometheus-operator/kube-prometheus.git
        path: manifests
        targetRevision: v0.14.0
    ```
    Set targetRevision explicitly, and pin sources of other repositories to a tag or a commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.argocd import APP_KINDS, is_chart, templated, text
from validate.model import Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "argocd-target-revision"
DEFAULT = "warning"
KINDS = APP_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for app in ctx.apps_of(obj):
        for where, source in app.sources():
            if is_chart(source) or text(source.get("repoURL")) is None:
                continue
            revision = source.get("targetRevision")
            if revision is None or revision == "":
                yield app_violation(app, "the source has no targetRevision: Argo CD tracks HEAD, the remote's default"
                                    " branch, implicitly", *where)
            elif isinstance(revision, str) and not templated(revision) and revision.strip().upper() == "HEAD" \
                    and not ctx.points_here(source):
                yield app_violation(app, f"the source tracks HEAD of another repository ({source.get('repoURL')}):"
                                    " every push there changes what is deployed", *where, "targetRevision")
