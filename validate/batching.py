"""Which paths one kustomize process can build together: batching saves most of kustomize's start-up time."""

from __future__ import annotations

import os

from validate.discover import Inventory, closure_dirs
from validate.load import LoadedFile

LOCAL_CONFIG = "config.kubernetes.io/local-config"
BATCH_SIZE = 25


def batches(inventory: Inventory, directories: list[str], workers: int,
             loaded: dict[str, LoadedFile]) -> list[list[str]]:
    """Groups of paths one kustomize process can build together and we can split apart again.

    Every object kustomize emits names the file it was read from (or the kustomization whose
    generator made it). Paths go into one batch only when no such file is shared between them,
    so each object of the batch's output belongs to exactly one path. A batch that still fails
    (two paths emitting the same object, say) is built path by path instead.
    """
    if len(directories) < 4:
        return [[d] for d in directories]
    size = max(2, min(BATCH_SIZE, -(-len(directories) // workers)))
    batches: list[tuple[list[str], set[str]]] = []
    singles = []
    for directory in directories:
        emitting = emitting_files(inventory, directory, loaded)
        if emitting is None:
            singles.append([directory])
            continue
        for members, used in batches:
            if len(members) < size and not (used & emitting):
                members.append(directory)
                used |= emitting
                break
        else:
            batches.append(([directory], set(emitting)))
    return [members for members, _ in batches] + singles


_GENERATING = ("configMapGenerator", "secretGenerator", "generators", "helmCharts", "helmChartInflationGenerator")


def emitting_files(inventory: Inventory, directory: str, loaded: dict[str, LoadedFile]) -> set[str] | None:
    """The files whose objects a render of ``directory`` emits: resource files, and kustomizations
    with generators (a file of local-config objects only, which kustomize drops, counts once per
    namespace). None when a kustomization of the closure could not be read."""
    known = set(inventory.files)
    found: set[str] = set()
    root = inventory.kustomizations.get(directory)
    root_data = root.document.data if root is not None and root.document is not None else None
    namespace = root_data.get("namespace") if isinstance(root_data, dict) else None
    for current in closure_dirs(directory, inventory.kustomizations):
        kustomization = inventory.kustomizations[current]
        data = kustomization.document.data if kustomization.document else None
        if not isinstance(data, dict):
            return None
        if any(data.get(name) for name in _GENERATING):
            found.add(kustomization.file)
        for name in ("resources", "bases"):
            for entry in data.get(name) or []:
                target = os.path.normpath(os.path.join(current, entry)).replace(os.sep, "/") \
                    if isinstance(entry, str) else None
                if target not in known:
                    continue
                if isinstance(namespace, str) and namespace and _local_config_only(loaded.get(target)):
                    # kustomize drops local-config objects from the output, but they still collide
                    # while it accumulates: shared only between paths of different namespaces.
                    found.add(f"{target}@{namespace}")
                else:
                    found.add(target)
    return found


def _local_config_only(loaded: LoadedFile | None) -> bool:
    if loaded is None or not loaded.documents:
        return False
    for document in loaded.documents:
        metadata = document.data.get("metadata") if isinstance(document.data, dict) else None
        annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
        if not isinstance(annotations, dict) or str(annotations.get(LOCAL_CONFIG, "")).lower() != "true":
            return False
    return True
