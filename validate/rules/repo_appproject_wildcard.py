"""AppProjects should not allow every repository or destination.

What it does:
    Reports wildcards (``*``, ``?``, ``[...]``) in an AppProject's ``sourceRepos`` and in the
    ``server``, ``name`` and ``namespace`` of its ``destinations``, at the entry's line. Deny
    entries (starting with ``!``) are not reported.

Why it matters:
    A project is the boundary of what its Applications may do: with ``*`` any Application of
    the project can deploy any repository's manifests into any namespace of any cluster, which
    turns a typo or a compromised repository into a cluster-wide change.

Example:
    ```yaml
    apiVersion: argoproj.io/v1alpha1
    kind: AppProject
    metadata:
      name: seldon
      namespace: argocd
    spec:
      sourceRepos: ["*"]
      destinations:
        - server: "*"
          namespace: "*"
    ```

Use instead:
    ```yaml
    spec:
      sourceRepos:
        - https://github.com/example/seldon-gitops.git
      destinations:
        - server: https://kubernetes.default.svc
          namespace: seldon
    ```
    List the repositories, clusters and namespaces the project needs by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "repo-appproject-wildcard"
DEFAULT = "warning"
KINDS = {("argoproj.io", "AppProject")}
WILDCARD = re.compile(r"[*?\[]")


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    spec = obj.data.get("spec")
    if not isinstance(spec, dict):
        return
    repos = spec.get("sourceRepos")
    for index, repo in enumerate(repos if isinstance(repos, list) else []):
        if isinstance(repo, str) and not repo.startswith("!") and WILDCARD.search(repo):
            yield Violation(f"sourceRepos entry {repo!r} is a wildcard: the project allows repositories nobody"
                            " listed", ("spec", "sourceRepos", index))
    destinations = spec.get("destinations")
    for index, destination in enumerate(destinations if isinstance(destinations, list) else []):
        if not isinstance(destination, dict):
            continue
        for field in ("server", "name", "namespace"):
            value = destination.get(field)
            if isinstance(value, str) and not value.startswith("!") and WILDCARD.search(value):
                yield Violation(f"destination {field} {value!r} is a wildcard: the project may deploy to"
                                f" {'any namespace' if field == 'namespace' else 'any cluster'} it matches",
                                ("spec", "destinations", index, field))
