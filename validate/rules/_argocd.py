"""What the ``argocd-*`` rules share: turning a fact about an Application into a violation."""

from __future__ import annotations

from validate.argocd import App
from validate.model import Violation


def app_violation(app: App, message: str, *path: str | int) -> Violation:
    """A violation on ``path`` of ``app``; for a generated Application, on the ApplicationSet's
    template field that produced it (:meth:`App.attribution`)."""
    said, where = app.attribution(message, *path)
    return Violation(said, where, obj=app.obj)
