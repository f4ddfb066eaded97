"""Prepackaged model servers have a modelUri.

What it does:
    Reports a SeldonDeployment graph node served by a prepackaged server (an
    ``implementation`` such as ``SKLEARN_SERVER`` or ``TRITON_SERVER``) without a
    ``modelUri``. ``HUGGINGFACE_SERVER`` is exempt: it can load a model from the Hugging Face
    Hub by name.

Why it matters:
    The operator's admission webhook rejects the object ("Predictive unit modelUri required
    when using standalone servers"): a prepackaged server has no model of its own, and the
    storage initializer downloads the one ``modelUri`` names.

Example:
    ```yaml
    graph:
      name: classifier
      implementation: SKLEARN_SERVER
    ```

Use instead:
    ```yaml
    graph:
      name: classifier
      implementation: SKLEARN_SERVER
      modelUri: gs://seldon-models/v1.18.2/sklearn/iris
    ```
    Set `modelUri` to the bucket, PVC or HTTP location of the model artefact.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from validate.model import Violation
from validate.rules._podspec import SELDON_KINDS, implementation, is_prepackaged, iter_units, predictors

if TYPE_CHECKING:
    from validate.context import Context
    from validate.model import Checked

ID = "seldon-model-uri"
DEFAULT = "error"
KINDS = SELDON_KINDS


def check(obj: Checked, ctx: Context) -> Iterator[Violation]:
    for p, predictor in predictors(obj.data):
        for path, unit in iter_units(predictor, p):
            if not is_prepackaged(unit) or implementation(unit) == "HUGGINGFACE_SERVER":
                continue
            uri = unit.get("modelUri")
            if not isinstance(uri, str) or not uri.strip():
                yield Violation(f"graph node {unit.get('name')!r} uses {implementation(unit)} but has no modelUri:"
                                " set modelUri to the model's storage location", (*path, "implementation"))
