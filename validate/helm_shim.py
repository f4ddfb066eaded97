"""A ``helm`` for kustomize's ``--helm-command`` that never touches the network.

Kustomize's ``helmCharts:`` inflation (``--enable-helm``) runs its helm command three ways
(kustomize 5.8.1, ``api/internal/builtins/HelmChartInflationGenerator.go`` and
``api/types/helmchartargs.go``):

* ``version --short``: the answer must name Helm 3 or 4;
* ``pull --untar --untardir <chartHome>/<name>-<version> --repo <repo> <name> --version <v>``
  (or ``oci://host/path/<name>`` instead of ``--repo``), only when
  ``<chartHome>/<name>-<version>/<name>`` is not already a folder;
* ``template <release>|--generate-name <chartHome>/…/<name> [--namespace N] [--name-template T]
  -f <values> [-f <more values>…] [--api-versions A…] [--kube-version K] [--include-crds]
  [--skip-tests] [--no-hooks] [--debug] [--devel]``.

This module answers exactly those: ``pull`` unpacks the chart from the offline source cache
(:mod:`validate.sources`; a chart the cache lacks fails with one line naming
``gitops-validate sources pull``), and ``template`` renders with the validator's Helm engine
(:mod:`validate.helm_engine`). The render stage writes a small launcher that runs :func:`main`
with the run's source folders and passes it as ``--helm-command`` (see :func:`launcher`); it runs
as kustomize's child, so it inherits the render's resource limits and is killed with its process
group. ``python -m validate.helm_shim --sources DIR [--lock FILE] <helm arguments>`` runs it by hand.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from validate.model import ToolError

if TYPE_CHECKING:
    from validate.sources import Lock, SourceCache

# Kustomize starts one shim process per command and chart (version, pull, template): each imports
# only what its command needs, and only ``template`` loads the Helm engine (the SDK's library is most
# of a shim process's cost), so that a chart costs one load of it, not three.

# Kustomize runs ``--generate-name`` when a helmCharts entry has no releaseName; Helm would make up
# a name from the clock, which would change every render. A fixed name keeps renders reproducible.
GENERATED_RELEASE_NAME = "release-name"
# Every message of a chart the cache lacks contains this, so that the render is not cached as failed
# (after `sources pull` the same inputs render).
MISSING_MARKER = "is not in the offline source cache"


# How the shim's messages start; kustomize wraps them in "<stderr> : unable to run: '<helm> <args>' with env=[…]
# (is '<helm>' installed?): exit status 1", which :func:`kustomize_message` strips again.
PREFIX = "helm (offline, gitops-validate): "


def kustomize_message(message: str) -> str:
    """Kustomize's error about a failed shim run, reduced to the shim's own line."""
    start = message.find(PREFIX)
    if start < 0:
        return message
    return "helmCharts: " + message[start + len(PREFIX):].split(" : unable to run: ", 1)[0].strip()


class ShimError(Exception):
    """A one-line reason, printed on stderr (kustomize includes it in its error)."""


# --- the invocations kustomize makes ---------------------------------------------------------------

def version(engine_version: str) -> str:
    """What ``helm version --short`` prints: ``v4.2.3``."""
    return "v" + engine_version.lstrip("v").split("+", 1)[0]


def pull(args: list[str], cache: SourceCache, lock: Lock | None) -> str:
    from validate.sources import PULL_COMMAND, ChartRef, check_chart

    parser = _parser("pull")
    parser.add_argument("chart")
    parser.add_argument("--untar", action="store_true")
    parser.add_argument("--untardir", default=".")
    parser.add_argument("--repo", default="")
    parser.add_argument("--version", default="")
    parser.add_argument("--devel", action="store_true")
    options = _parse(parser, args)
    if not options.untar:
        raise ShimError("pull without --untar is not supported (kustomize always unpacks)")
    repo, name = options.repo, options.chart
    if name.startswith("oci://"):
        repo, _, name = name.rstrip("/").rpartition("/")
    if not repo:
        raise ShimError(f"chart {name}: no repository to pull it from (set `repo:` in helmCharts)")
    if not options.version:
        raise ShimError(f"chart {name} from {repo}: no version; pin one (`version:` in helmCharts), the offline"
                        " source cache holds pinned versions only")
    ref = ChartRef(repo, name, options.version)
    found = cache.chart(ref)
    if found is None:
        raise ShimError(f"{ref} {MISSING_MARKER} ({cache.describe()}): run `{PULL_COMMAND}`")
    mismatch = check_chart(ref, found, lock)
    if mismatch is not None and mismatch.error:
        raise ShimError(mismatch.message)
    target = Path(options.untardir) / name
    if found.path.is_dir():
        _copy_chart(found.path, target)
    else:
        _untar(found.path, target)
    return ""


def template(args: list[str]) -> str:
    import yaml

    from validate.helm.chart import ChartError, merge, read_chart

    parser = _parser("template")
    parser.add_argument("positional", nargs="*")
    parser.add_argument("--generate-name", action="store_true")
    parser.add_argument("--namespace", "-n", default="default")
    parser.add_argument("--name-template", default="")
    parser.add_argument("--values", "-f", action="append", default=[])
    parser.add_argument("--api-versions", "-a", action="append", default=[])
    parser.add_argument("--kube-version", default=None)
    parser.add_argument("--include-crds", action="store_true")
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--no-hooks", action="store_true")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--devel", action="store_true")
    options = _parse(parser, args)
    positional = list(options.positional)
    if len(positional) == 1 and (options.generate_name or options.name_template):
        release, chart = options.name_template or GENERATED_RELEASE_NAME, positional[0]
    elif len(positional) == 2:
        release, chart = positional
    else:
        raise ShimError(f"template expects a release name and a chart folder, got {positional}")
    values: dict[str, Any] = {}
    for file in options.values:
        try:
            loaded = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise ShimError(f"values file {file}: {' '.join(str(error).split())}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ShimError(f"values file {file} is not a mapping")
        values = merge(values, loaded or {})
    from validate.helm_engine import HelmError, RenderRequest, engine

    request = RenderRequest(Path(chart), values, release, options.namespace, kube_version=options.kube_version,
                            api_versions=tuple(options.api_versions), skip_tests=options.skip_tests)
    try:
        rendered = engine().render(request)
    except HelmError as error:
        raise ShimError(str(error)) from None
    documents: list[tuple[str, str]] = []
    if options.include_crds:
        try:
            crds = read_chart(Path(chart)).all_crds()
        except ChartError as error:
            raise ShimError(f"chart {chart}: {error}") from None
        documents += [(f"{Path(chart).name}/{name}", text) for name, text in crds]
    for name, text in rendered.manifests.items():
        if name.endswith("NOTES.txt"):
            continue
        for document in _split(text):
            if options.no_hooks and _is_hook(document):
                continue
            documents.append((name, document))
    from validate.helm_inflation import record

    record(Path(chart), release, options.namespace, documents)  # which entry rendered what, for the locations
    return "".join(f"---\n# Source: {name}\n{text.strip(chr(10))}\n" for name, text in documents if text.strip())


# --- running it ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None, sources: Iterable[str] = (), lock_file: str | None = None) -> int:
    """The command line: ``[--sources DIR]... [--lock FILE] <helm arguments>``."""
    args = list(sys.argv[1:] if argv is None else argv)
    folders = list(sources)
    while args[:1] in (["--sources"], ["--lock"]):
        if len(args) < 2:
            break
        if args[0] == "--sources":
            folders.append(args[1])
        else:
            lock_file = args[1]
        args = args[2:]
    try:
        out = run(args, folders, lock_file)
    except (ShimError, ToolError) as error:
        print(f"{PREFIX}{error}", file=sys.stderr)
        return 1
    sys.stdout.write(out)
    return 0


def run(args: list[str], folders: list[str], lock_file: str | None) -> str:
    if not args:
        raise ShimError("no command; this helm answers `version`, `pull` and `template` for kustomize")
    command, rest = args[0], args[1:]
    if command == "version":
        from validate.helm_engine import reported_version

        return version(reported_version()) + "\n"
    if command == "pull":
        from validate.sources import PULL_COMMAND, Lock, SourceCache

        if not folders:
            raise ShimError(f"no source cache folder given: run `{PULL_COMMAND}`")
        lock = Lock.read(Path(lock_file).parent) if lock_file and Path(lock_file).is_file() else None
        return pull(rest, SourceCache(Path(folders[0]), [Path(f) for f in folders[1:]]), lock)
    if command == "template":
        return template(rest)
    raise ShimError(f"`helm {command}` is not supported offline: this helm answers `version`, `pull` and"
                    " `template`, the commands kustomize's helmCharts inflation runs")


_LAUNCHERS: dict[tuple[str, ...], Path] = {}
_LAUNCHER_LOCK = threading.Lock()


def launcher(folders: Iterable[Path], root: Path | None = None) -> Path:
    """An executable that runs :func:`main` with these source folders (and the lock of ``root``),
    for kustomize's ``--helm-command`` (which takes a path, no arguments). One per process and
    set of folders, removed when the process exits."""
    from validate.sources import LOCK_NAME

    sources = [os.fspath(f) for f in folders]
    lock_file = os.fspath(root / LOCK_NAME) if root is not None else None
    key = (*sources, "\0", lock_file or "")
    with _LAUNCHER_LOCK:
        existing = _LAUNCHERS.get(key)
        if existing is not None and existing.is_file():
            return existing
        # named like the render mirrors (validate.render.MIRROR_PREFIX + pid), so that a run killed with SIGKILL
        # leaves nothing the next run's sweep of stale mirrors does not remove
        folder = Path(tempfile.mkdtemp(prefix=f"gitops-validate-{os.getpid()}-helm-shim-"))
        atexit.register(shutil.rmtree, folder, True)
        path = folder / "helm"
        package_parent = os.fspath(Path(__file__).resolve().parent.parent)
        path.write_text(f"#!{sys.executable}\n"
                        "import sys\n"
                        f"sys.path.insert(0, {json.dumps(package_parent)})\n"
                        "from validate.helm_shim import main\n"
                        f"sys.exit(main(sources={json.dumps(sources)}, lock_file={json.dumps(lock_file)}))\n",
                        encoding="utf-8")
        path.chmod(0o700)
        _LAUNCHERS[key] = path
        return path


def with_helm_command(build_options: list[str], folders: Iterable[Path], root: Path | None = None,
                      kube_version: str | None = None) -> list[str]:
    """``build_options`` plus ``--helm-command <launcher>`` when they enable Helm inflation, and, as Argo CD's
    repo-server passes the destination cluster's (util/kustomize), ``--helm-kube-version`` and
    ``--helm-api-versions``: here the newest configured Kubernetes version and its built-in API versions."""
    if "--enable-helm" not in build_options or any(o.startswith("--helm-command") for o in build_options):
        return build_options
    options = [*build_options, "--helm-command", os.fspath(launcher(folders, root))]
    if kube_version:
        from validate.schema import api_versions

        options += ["--helm-kube-version", f"v{kube_version}.0"]
        for api_version in sorted(api_versions(kube_version)):
            options += ["--helm-api-versions", api_version]
    return options


# --- helpers ---------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit 2 with a usage block
        raise ShimError(f"helm {self.prog}: {message}")


def _parser(command: str) -> _Parser:
    return _Parser(prog=command, add_help=False, allow_abbrev=False)


def _parse(parser: _Parser, args: list[str]) -> argparse.Namespace:
    options, unknown = parser.parse_known_args(args)
    if unknown:
        raise ShimError(f"helm {parser.prog}: unsupported arguments {' '.join(unknown)}")
    return options


def _untar(archive: Path, target: Path) -> None:
    """Unpack a chart archive's files (regular files only, inside ``target``, size-capped)."""
    import tarfile

    from validate.helm.chart import MAX_CHART_BYTES

    total = 0
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                parts = member.name.split("/")[1:]
                if not parts or any(p in ("", ".", "..") for p in parts):
                    continue
                total += member.size
                if total > MAX_CHART_BYTES:
                    raise ShimError(f"{archive.name} unpacks to more than {MAX_CHART_BYTES >> 20} MB")
                handle = tar.extractfile(member)
                if handle is None:
                    continue
                destination = target.joinpath(*parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with handle, destination.open("wb") as out:
                    shutil.copyfileobj(handle, out)
    except (tarfile.TarError, EOFError) as error:
        raise ShimError(f"{archive}: not a readable chart archive: {error}") from None
    except OSError as error:
        raise ShimError(f"cannot unpack {archive.name} into {target}: {error.strerror or error}") from None


def _copy_chart(source: Path, target: Path) -> None:
    try:
        shutil.copytree(source, target, symlinks=False, ignore_dangling_symlinks=True, dirs_exist_ok=True)
    except (OSError, shutil.Error) as error:
        raise ShimError(f"cannot copy {source} into {target}: {error}") from None


def _split(text: str) -> list[str]:
    from validate.helm_engine import stream_documents

    return ["\n".join(lines) for lines in stream_documents(text) if any(line.strip() for line in lines)]


def _is_hook(document: str) -> bool:
    import yaml

    try:
        data = yaml.safe_load(document)
    except yaml.YAMLError:
        return False
    metadata = data.get("metadata") if isinstance(data, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    return isinstance(annotations, dict) and "helm.sh/hook" in annotations


if __name__ == "__main__":
    sys.exit(main())
