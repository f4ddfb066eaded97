"""Application names must be unique per namespace, generated ones included.

What it does:
    Reports an Application, or an Application an ApplicationSet generates, whose name is
    already taken in the same namespace by another Application of the repository deployed with
    it. Generated Applications live in their ApplicationSet's namespace. Applications of
    independent examples (trees applied from sibling folders, two versions of one ApplicationSet)
    are never in one cluster together and are not compared.

Why it matters:
    Argo CD keys Applications by namespace and name: the second one overwrites the first (two
    files fight over one object at every sync), and an ApplicationSet whose generators produce
    one name twice stops generating anything with a "duplicate key" error.

Example:
    ```yaml
    kind: ApplicationSet
    spec:
      generators:
        - list:
            elements: [{env: dev, app: demo}, {env: prod, app: demo}]
      template:
        metadata:
          name: "{{app}}"
    ```

Use instead:
    ```yaml
      template:
        metadata:
          name: "{{app}}-{{env}}"
    ```
    Put every parameter that varies into the Application name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.argocd import App, templated
from validate.model import Violation
from validate.rules._argocd import app_violation

if TYPE_CHECKING:
    from validate.context import Context

ID = "argocd-duplicate-application"
DEFAULT = "error"


def check_repository(ctx: Context) -> Iterator[Violation]:
    named: dict[tuple[str, str], list[App]] = {}
    for app in ctx.applications:
        if app.name == "?" or templated(app.name):
            continue
        key = (app.namespace, app.name)
        before = named.setdefault(key, [])
        # Applications of independent examples of one repository are never in one cluster together.
        other = next((o for o in before if ctx.deployed_together(app, o)), None)
        before.append(app)
        if other is None:
            continue
        place = f"{other.obj.file}:{other.obj.line}" if other.obj.file else "another file"
        namespace = f" in namespace {app.namespace}" if app.namespace else ""
        message = f"Application name {app.name}{namespace} is already used by {other.label} ({place})"
        if app.generated:
            yield Violation(f"{app.label}: {message}", app.where("metadata", "name"), obj=app.obj)
        else:
            yield app_violation(app, message, "metadata", "name")
