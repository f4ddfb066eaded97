"""Volumes and their sources (ValidateVolumes, validateVolumeSource)."""

from __future__ import annotations

from typing import Any

from validate.apivalidation import names, quantity, security
from validate.apivalidation.field import Errors, Path, as_dict, as_list, is_int

HOST_PATH_TYPES = ("", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket")
VOLUME_SOURCES = ("hostPath", "emptyDir", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "secret", "nfs",
                  "iscsi", "glusterfs", "persistentVolumeClaim", "rbd", "flexVolume", "cinder", "cephfs", "flocker",
                  "downwardAPI", "fc", "azureFile", "configMap", "vsphereVolume", "quobyte", "azureDisk",
                  "photonPersistentDisk", "projected", "portworxVolume", "scaleIO", "storageos", "csi", "ephemeral",
                  "image")


def volumes(errors: Errors, value: Any, path: Path) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for index, volume in enumerate(as_list(value)):
        volume = as_dict(volume)
        where = path + (index,)
        name = volume.get("name")
        if not name:
            errors.required(where + ("name",))
        elif isinstance(name, str):
            problems = names.dns1123_label(name)
            if problems:
                errors.invalid_all(where + ("name",), name, problems)
            elif name in found:
                errors.duplicate(where + ("name",), name)
            found[name] = volume
        sources = [s for s in VOLUME_SOURCES if volume.get(s) is not None]
        if not sources:
            errors.required(where, "must specify a volume type")
            continue
        for extra in sources[1:]:
            errors.forbidden(where + (extra,), "may not specify more than 1 volume type")
        volume_source(errors, sources[0], as_dict(volume[sources[0]]), where + (sources[0],))
    return found


def volume_source(errors: Errors, kind: str, source: dict[str, Any], path: Path) -> None:
    if kind in ("configMap", "secret"):
        if kind == "secret" and not source.get("secretName"):
            errors.required(path + ("secretName",))
        mode = source.get("defaultMode")
        if is_int(mode) and not 0 <= mode <= 0o777:
            errors.invalid(path + ("defaultMode",), mode, "must be a number between 0 and 0777 (octal), both inclusive")
        for index, item in enumerate(as_list(source.get("items"))):
            item = as_dict(item)
            key = item.get("key")
            if not key:
                errors.required(path + ("items", index, "key"))
            item_path = item.get("path")
            if not item_path:
                errors.required(path + ("items", index, "path"))
            elif isinstance(item_path, str):
                security.local_path(errors, item_path, path + ("items", index, "path"))
                if item_path.startswith(".."):
                    errors.invalid(path + ("items", index, "path"), item_path, "must not start with '..'")
            item_mode = item.get("mode")
            if is_int(item_mode) and not 0 <= item_mode <= 0o777:
                errors.invalid(path + ("items", index, "mode"), item_mode, "must be a number between 0 and 0777"
                               " (octal), both inclusive")
    elif kind == "hostPath":
        if not source.get("path"):
            errors.required(path + ("path",))
        kind_value = source.get("type")
        if isinstance(kind_value, str):
            errors.enum(path + ("type",), kind_value, HOST_PATH_TYPES)
    elif kind == "persistentVolumeClaim":
        if not source.get("claimName"):
            errors.required(path + ("claimName",))
    elif kind == "emptyDir":
        size = quantity.parse(source.get("sizeLimit"))
        if size is not None and size < 0:
            errors.forbidden(path + ("sizeLimit",), "SizeLimit field must be a valid resource quantity")
