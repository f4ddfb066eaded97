"""Argo CD's build environment: the variables a config management plugin fills in.

Argo CD v3.5.1 gives every manifest generation (Helm, Kustomize, Jsonnet, config management
plugins) the variables of its build environment (docs/user-guide/build-environment.md); a plugin
also gets the ``env`` of the Application's ``source.plugin``, each prefixed ``ARGOCD_ENV_``
(docs/operator-manual/config-management-plugins.md, since v2.4). A plugin that runs ``envsubst``
over stand-alone manifests turns ``name: $ARGOCD_APP_NAME`` into the Application's name: in the
repository such a value is a placeholder, not a name the API server would see.

Plain kustomize and Helm substitute nothing: a rendered object keeps the text as written, and the
API server judges it as written.
"""

from __future__ import annotations

import re

BUILD_ENV = frozenset({
    "ARGOCD_APP_NAME", "ARGOCD_APP_NAMESPACE", "ARGOCD_APP_PROJECT_NAME", "ARGOCD_APP_REVISION",
    "ARGOCD_APP_REVISION_SHORT", "ARGOCD_APP_REVISION_SHORT_8", "ARGOCD_APP_SOURCE_PATH",
    "ARGOCD_APP_SOURCE_REPO_URL", "ARGOCD_APP_SOURCE_TARGET_REVISION", "KUBE_VERSION", "KUBE_API_VERSIONS",
})
PLUGIN_ENV_PREFIX = "ARGOCD_ENV_"

# $NAME (the longest run of name characters, as a shell reads it) or ${NAME}.
_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def _known(variable: str) -> bool:
    return variable in BUILD_ENV or (variable.startswith(PLUGIN_ENV_PREFIX) and len(variable) > len(PLUGIN_ENV_PREFIX))


def references_build_env(value: object) -> bool:
    """Whether ``value`` is text with a reference to a variable of Argo CD's build environment
    (``$ARGOCD_APP_NAME``, ``${ARGOCD_APP_NAMESPACE}``, ``$ARGOCD_ENV_FOO``), which a config management
    plugin substitutes before the API server sees it."""
    if not isinstance(value, str) or "$" not in value:
        return False
    return any(_known(match.group(1) or match.group(2)) for match in _REFERENCE.finditer(value))
