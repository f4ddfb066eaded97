"""An Application's ``spec.source.kustomize`` options, applied to a kustomization as Argo CD 3.5 does.

Argo CD's repo-server (``util/kustomize/kustomize.go``, ``Build``, v3.5.1) edits the kustomization
of the source's path before ``kustomize build``, in this order, with the ``kustomize edit``
commands of the kustomize it bundles (v5.8.1, ``kustomize/commands/edit``):

1. ``namePrefix``: ``edit set nameprefix -- P``; ``nameSuffix``: ``edit set namesuffix -- S``;
2. ``images``: ``edit set image A B …``, each entry first expanded with the build environment
   (``${ARGOCD_APP_NAME}``…, unknown variables become empty);
3. ``replicas``: ``edit set replicas name=count …`` (a count must be a whole number);
4. ``commonLabels`` (values expanded): ``edit add label [--force] [--without-selector]
   [--include-templates] k:v …``;
5. ``commonAnnotations`` (expanded with ``commonAnnotationsEnvsubst``): ``edit add annotation [--force] k:v …``;
6. ``namespace``: ``edit set namespace -- N``;
7. ``patches``: appended to the kustomization's ``patches`` (there is no ``edit`` command for them);
8. ``components``: ``edit add component C …`` (with ``ignoreMissingComponents``, only those that
   exist in the repository).

:func:`apply` does the same to the kustomization's data and raises :class:`EditError` where a
command would fail (Argo CD then fails to generate the manifests), naming the option.
"""

from __future__ import annotations

import copy
import glob
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPTIONS = ("namePrefix", "nameSuffix", "images", "replicas", "commonLabels", "commonAnnotations", "namespace",
           "patches", "components")
_PRESERVE = "*"
_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_VARIABLE = re.compile(r"\$(?:\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*|\$))")
_IMAGE_FORMATS = ("<image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, <image>=<newimage>:<newtag>@<digest>,"
                  " <image>=<newimage>, <image>:<newtag>, <image>:<newtag>@<digest> or <image>@<digest>")


@dataclass
class EditError(Exception):
    message: str
    option: tuple[str | int, ...]  # where in ``spec.source.kustomize`` the failing value is


def active(options: Any) -> bool:
    """Whether Argo CD edits the kustomization for these options at all."""
    return isinstance(options, dict) and any(options.get(name) for name in OPTIONS)


def envsubst(text: str, env: Mapping[str, str]) -> str:
    """Go's ``os.Expand`` as Argo CD's ``Env.Envsubst`` calls it: ``$NAME`` and ``${NAME}`` become their value,
    or nothing when the build environment has no such variable; ``$$`` is ``$``."""
    return _VARIABLE.sub(lambda m: "$" if m.group(2) == "$" else env.get(m.group(1) or m.group(2) or "", ""), text)


def apply(kustomization: dict[str, Any], options: dict[str, Any], directory: Path, repository: Path,
          env: Mapping[str, str]) -> dict[str, Any]:
    """``kustomization`` (in ``directory`` of ``repository``) as Argo CD leaves it before building."""
    out = copy.deepcopy(kustomization)
    for key in ("namePrefix", "nameSuffix"):
        if isinstance(options.get(key), str) and options[key]:
            out[key] = options[key]
    if options.get("images"):
        out["images"] = _set_images(out.get("images"), _list(options, "images"), env)
    if options.get("replicas"):
        out["replicas"] = _set_replicas(out.get("replicas"), _list(options, "replicas"))
    if options.get("commonLabels"):
        labels = {str(k): envsubst(_text(v), env) for k, v in _map(options, "commonLabels").items()}
        _add_labels(out, labels, bool(options.get("forceCommonLabels")), bool(options.get("labelWithoutSelector")),
                    bool(options.get("labelIncludeTemplates")))
    if options.get("commonAnnotations"):
        annotations = {str(k): envsubst(_text(v), env) if options.get("commonAnnotationsEnvsubst") else _text(v)
                       for k, v in _map(options, "commonAnnotations").items()}
        _add_annotations(out, annotations, bool(options.get("forceCommonAnnotations")))
    if isinstance(options.get("namespace"), str) and options["namespace"]:
        if not _DNS_LABEL.match(options["namespace"]) or len(options["namespace"]) > 63:
            raise EditError(f"kustomize edit set namespace: {options['namespace']!r} is not a valid namespace name",
                            ("namespace",))
        out["namespace"] = options["namespace"]
    if options.get("patches"):
        existing = out.get("patches")
        if existing is not None and not isinstance(existing, list):
            raise EditError("the kustomization's 'patches' is not a list, so the Application's patches cannot be"
                            " appended to it", ("patches",))
        out["patches"] = list(existing or []) + _list(options, "patches")
    if options.get("components"):
        _add_components(out, _list(options, "components"), directory, repository,
                        bool(options.get("ignoreMissingComponents")))
    return out


def _list(options: dict[str, Any], key: str) -> list[Any]:
    value = options.get(key)
    if not isinstance(value, list):
        raise EditError(f"kustomize.{key} must be a list", (key,))
    return value


def _map(options: dict[str, Any], key: str) -> dict[str, Any]:
    value = options.get(key)
    if not isinstance(value, dict):
        raise EditError(f"kustomize.{key} must be a map", (key,))
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


# --- edit set image -------------------------------------------------------------------------------

def split_image(image: str) -> tuple[str, str, str]:
    """kustomize's ``image.Split``: name, tag and digest (the registry's ``host:port`` is no tag)."""
    slash = image.find("/")
    offset = slash if slash > 0 else 0
    search = image[offset:]
    at, colon = search.find("@"), search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[:offset + at], "", image[offset + at + 1:]
    if at >= 0 and colon >= 0:
        return image[:offset + colon], image[offset + colon + 1:offset + at], image[offset + at + 1:]
    return image[:offset + colon], image[offset + colon + 1:], ""


def parse_image(argument: str) -> dict[str, str] | None:
    """One ``edit set image`` argument as a kustomization ``images`` entry; None where kustomize refuses it."""
    key, separator, value = argument.partition("=")
    if not separator:
        key, value = "", argument
    name, tag, digest = split_image(value)
    if name == argument:
        return None
    image = {"name": key or name, "newName": name if key else "", "newTag": tag, "digest": digest}
    return image


def _set_images(existing: Any, entries: list[Any], env: Mapping[str, str]) -> list[dict[str, Any]]:
    wanted: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        image = parse_image(envsubst(entry, env)) if isinstance(entry, str) else None
        if image is None:
            raise EditError(f"kustomize edit set image {entry!r}: invalid format of image, use one of"
                            f" {_IMAGE_FORMATS}", ("images", index))
        wanted[image["name"]] = image
    for current in existing if isinstance(existing, list) else []:
        if not isinstance(current, dict):
            continue
        name = str(current.get("name", ""))
        if name in wanted:
            image = wanted[name]
            for field in ("newName", "newTag", "digest"):
                if image[field] == _PRESERVE:
                    image[field] = str(current.get(field) or "")
        else:
            wanted[name] = current
    images = []
    for image in wanted.values():
        image = {k: ("" if v == _PRESERVE and k in ("newName", "newTag", "digest") else v) for k, v in image.items()}
        images.append({k: v for k, v in image.items() if v not in ("", None)})
    return sorted(images, key=lambda i: str(i.get("name", "")))


# --- edit set replicas ----------------------------------------------------------------------------

def _set_replicas(existing: Any, entries: list[Any]) -> list[dict[str, Any]]:
    wanted: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(entries):
        count = entry.get("count") if isinstance(entry, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        if isinstance(count, str):  # Go's strconv.Atoi
            if not re.fullmatch(r"[+-]?[0-9]+", count):
                raise EditError(f"kustomize.replicas: expected integer value for count. Received: {count}",
                                ("replicas", index, "count"))
            count = int(count)
        if not isinstance(name, str) or isinstance(count, bool) or not isinstance(count, int) or "=" in name:
            raise EditError(f"kustomize edit set replicas: {entry!r} needs a name and a whole-number count",
                            ("replicas", index))
        wanted[name] = {"name": name, "count": count}
    for current in existing if isinstance(existing, list) else []:
        if isinstance(current, dict) and str(current.get("name", "")) not in wanted:
            wanted[str(current.get("name", ""))] = current
    return sorted(wanted.values(), key=lambda r: str(r.get("name", "")))


# --- edit add label / annotation ------------------------------------------------------------------

def _qualified(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_NAME.match(name))


def _pairs(values: dict[str, str], kind: str, option: str) -> dict[str, str]:
    """What kustomize reads from Argo CD's ``k:v`` arguments: the key ends at the first colon."""
    out = {}
    for key, value in values.items():
        argument = f"{key}:{value}"
        colon = argument.find(":")
        if colon == 0:
            raise EditError(f"kustomize edit add {kind}: invalid {kind}: {argument!r} (need k:v pair where v may be"
                            " quoted)", (option, key))
        name, text = argument[:colon], argument[colon + 1:]
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        if not _qualified(name):
            raise EditError(f"kustomize edit add {kind}: {name!r} is not a valid {kind} key", (option, key))
        if kind == "label" and text and (len(text) > 63 or not _NAME.match(text)):
            raise EditError(f"kustomize edit add label: {text!r} is not a valid label value", (option, key))
        out[name] = text
    return out


def _write(target: dict[str, Any], pairs: dict[str, str], force: bool, kind: str, option: str) -> None:
    for key, value in pairs.items():
        if key in target and not force:
            raise EditError(f"kustomize edit add {kind}: {kind} {key} already in kustomization file. Use --force to"
                            " override.", (option, key))
        target[key] = value


def _add_labels(out: dict[str, Any], labels: dict[str, str], force: bool, without_selector: bool,
                include_templates: bool) -> None:
    if include_templates and not without_selector:
        raise EditError("kustomize edit add label: --without-selector flag must be specified for --include-templates"
                        " to work", ("labelIncludeTemplates",))
    pairs = _pairs(labels, "label", "commonLabels")
    if not without_selector:
        common = dict(out.get("commonLabels") or {}) if isinstance(out.get("commonLabels"), dict) else {}
        _write(common, pairs, force, "label", "commonLabels")
        out["commonLabels"] = common
        return
    entries = [dict(e) for e in out.get("labels") or [] if isinstance(e, dict)] \
        if isinstance(out.get("labels"), list) else []
    matching = next((e for e in entries if not e.get("includeSelectors") and
                     bool(e.get("includeTemplates")) == include_templates), None)
    if matching is None:
        matching = {"pairs": {}, **({"includeTemplates": True} if include_templates else {})}
        entries.append(matching)
    matching["pairs"] = dict(matching.get("pairs") or {})
    _write(matching["pairs"], pairs, force, "label", "commonLabels")
    out["labels"] = entries


def _add_annotations(out: dict[str, Any], annotations: dict[str, str], force: bool) -> None:
    pairs = _pairs(annotations, "annotation", "commonAnnotations")
    common = dict(out.get("commonAnnotations") or {}) if isinstance(out.get("commonAnnotations"), dict) else {}
    _write(common, pairs, force, "annotation", "commonAnnotations")
    out["commonAnnotations"] = common


# --- edit add component ---------------------------------------------------------------------------

def _add_components(out: dict[str, Any], components: list[Any], directory: Path, repository: Path,
                    ignore_missing: bool) -> None:
    found = []
    for index, component in enumerate(components):
        if not isinstance(component, str) or not component:
            raise EditError(f"kustomize.components entry {component!r} is not a path", ("components", index))
        inside = (directory / component).resolve()
        if ignore_missing and not (inside.is_relative_to(repository.resolve()) and inside.exists()):
            continue  # Argo CD leaves out what does not exist in the repository
        matches = sorted(glob.glob(component, root_dir=directory, include_hidden=True))
        if not matches:
            if not (directory / component).is_dir():
                raise EditError(f"kustomize edit add component: {component} has no match: not a folder of the"
                                " repository", ("components", index))
            matches = [component]
        found += matches
    listed = list(out.get("components") or []) if isinstance(out.get("components"), list) else []
    for component in found:
        if component not in listed and os.path.normpath(component) not in ("kustomization.yaml", "kustomization.yml",
                                                                              "Kustomization"):
            listed.append(component)
    out["components"] = listed
