"""The repository read before anything is rendered, and the repository model built from it.

:func:`read_sources` is the first stages of every run (walk the repository, load what the
validator reads, build the inventory); :func:`validate.pipeline.run` continues from it to the
renders and the checked objects. :func:`source_model` stops there and builds the same
repository model (:class:`~validate.context.Context`) from the sources as written: ``graph``
and ``new-env`` read the repository through it, so that what an Application is, which
repository is this one and what an ApplicationSet generates are computed in one place for every
command.
"""

from __future__ import annotations

from pathlib import Path

from validate import classify, discover, lists, load
from validate import kustomization as kustomize_diagnostics
from validate.argocd import is_argo, value_files
from validate.cache import LoadMemo
from validate.cache import default_dir as default_cache_dir
from validate.config import load_config
from validate.context import Context
from validate.model import Checked, ChildLimits, Config, Finding


def read_sources(root: Path, config: Config, limits: ChildLimits | None = None, use_cache: bool = True,
                 cache_dir: Path | None = None
                 ) -> tuple[list[str], list[Finding], dict[str, load.LoadedFile], discover.Inventory]:
    """Walk the repository, load what the validator reads, build the inventory (kustomization
    tree, what each render reads, standalone manifests): the files, the findings so far, the
    loaded files and the inventory."""
    files, findings = discover.walk(root, config.ignore, config.walk_limits, limits or config.child_limits)
    memo = LoadMemo(cache_dir or default_cache_dir(), root, repr(config.limits)) if use_cache else None
    loaded = {rel: load.load_file(root / rel, rel, config.limits, memo)
              for rel in classify.readable_files(root, files, config.limits.max_file_bytes)}
    data_files = classify.chart_data_files(files)
    for rel in _named_values_files(data_files, loaded):
        loaded[rel] = load.load_file(root / rel, rel, config.limits, memo)
    for loaded_file in loaded.values():
        findings.extend(loaded_file.findings)
    inventory = discover.inventory(root, files, loaded, findings)
    # ... and those a kustomization reads: kustomize parses them whatever Helm does
    read_by_kustomize = {rel for kustomization in inventory.kustomizations.values() for rel in kustomization.files}
    for rel in data_files:
        if rel in read_by_kustomize and rel not in loaded:
            loaded[rel] = load.load_file(root / rel, rel, config.limits, memo)
            findings.extend(loaded[rel].findings)
    if memo is not None:
        memo.save()
    inventory.standalone = kustomize_diagnostics.standalone(inventory, loaded)
    return files, findings, loaded, inventory


def _named_values_files(data_files: list[str], loaded: dict[str, load.LoadedFile]) -> list[str]:
    """The files at a chart's root that Helm never parses (``.Files`` data, often Go templates) but
    an Argo CD object of the repository names in ``helm.valueFiles``: values files, read and checked
    like the others. The rest of them are not read at all (unless a kustomization reads them)."""
    if not data_files:
        return []
    named = {rel for loaded_file in loaded.values() for document in lists.iter_objects(loaded_file)
             if is_argo(document.data) for rel in value_files(document.data)}
    return [rel for rel in data_files if rel in named]


def source_model(root: Path) -> Context:
    """The repository model as the sources are written, without rendering: the stages of
    :func:`read_sources`, and as objects the Argo CD manifests of every loaded file (nothing is
    cached or written)."""
    config = load_config(root)
    _, _, loaded, inventory = read_sources(root, config, use_cache=False)
    objects = [Checked(document.data, rel, document.line, None, document=document)
               for rel in sorted(loaded) for document in lists.iter_objects(loaded[rel]) if is_argo(document.data)]
    return Context(config, inventory, loaded, objects, [], [])
