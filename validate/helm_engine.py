"""The Helm engine, behind one small interface so that it can be swapped.

Two implementations of the same three operations (render a chart, parse a ``--set``
expression, lint a chart directory), both the real Helm 4 code, never a re-implementation of
Go templates:

* ``helm`` on PATH when it reports a 4.x version (Argo CD 3.5 bundles Helm 4.2.1): run as a child
  process, in its own process group, with the network closed and a time-out;
* else the ``helm-python-sdk`` package: Helm's Go SDK (4.2.3) compiled into a library that is
  loaded once per process (the first call pays for loading it, about 0.5 s).

Everything else about charts (their values.yaml, values.schema.json, CRDs, Chart.yaml) is read
from the archive by :mod:`validate.helm`, so the engine never needs more than this.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from validate import children
from validate.model import ChildLimits, ToolError

_OUTPUT_CAP = 1 << 30  # far above any chart's manifests

HELM_MAJOR = "4"
_SOURCE_PREFIX = "# Source: "


class HelmError(Exception):
    """Helm refused the chart or its values; the message is Helm's own."""


@dataclass(frozen=True)
class RenderRequest:
    chart: Path  # a chart archive (.tgz) or directory
    values: dict[str, Any]  # the user-supplied values, already merged in Helm's order
    release_name: str
    namespace: str
    kube_version: str | None = None  # "v1.37.0"; Capabilities.KubeVersion
    api_versions: tuple[str, ...] = ()  # Capabilities.APIVersions, beside the built-in ones
    skip_schema_validation: bool = False
    skip_tests: bool = False


@dataclass
class LintMessage:
    severity: str  # "error", "warning", "info"
    path: str  # the chart file Helm names, e.g. "templates/deployment.yaml"
    message: str


@dataclass
class Rendered:
    manifests: dict[str, str] = field(default_factory=dict)  # template path -> rendered YAML text


class Engine(Protocol):
    name: str
    version: str

    def render(self, request: RenderRequest) -> Rendered: ...

    def parse_set(self, expression: str, as_string: bool = False) -> dict[str, Any]: ...

    def lint(self, chart_dir: Path, values: dict[str, Any] | None = None) -> list[LintMessage]: ...


# --- helm-python-sdk -------------------------------------------------------------------------

class SdkEngine:
    """Helm's Go SDK through helm-python-sdk's bundled library."""

    name = "helm-python-sdk"

    def __init__(self) -> None:
        try:
            import helm_python
        except ImportError as error:  # pragma: no cover - a declared dependency
            raise ToolError(f"no Helm engine: no helm {HELM_MAJOR}.x on PATH and helm-python-sdk cannot be"
                            f" imported ({error}); run `make validate` to install the pinned dependencies") from None
        self._helm = helm_python
        self.version = str(helm_python.helm_sdk_version())
        self._lock = threading.Lock()  # the library is thread-safe, but one render at a time bounds memory

    def render(self, request: RenderRequest) -> Rendered:
        helm = self._helm
        options: dict[str, Any] = {"name": request.release_name, "namespace": request.namespace}
        if request.kube_version:
            options["kube_version"] = request.kube_version
        if request.api_versions:
            options["api_versions"] = list(request.api_versions)
        with self._lock:
            try:
                with helm.Chart.load(os.fspath(request.chart)) as chart:
                    if not request.skip_schema_validation:
                        chart.validate_schema(request.values)
                    raw = helm._native.call_string("helm_render", chart._raw(), json.dumps(request.values),
                                                   json.dumps(options))
            except helm.HelmError as error:
                raise HelmError(_one_line(str(error))) from None
        manifests: dict[str, str] = json.loads(raw)
        if request.skip_tests:
            manifests = {name: text for name, text in manifests.items() if not _is_test(name, text)}
        return Rendered(manifests)

    def parse_set(self, expression: str, as_string: bool = False) -> dict[str, Any]:
        helm = self._helm
        try:
            parsed = helm.parse_set_string_values(expression) if as_string else helm.parse_set_string(expression)
        except helm.HelmError as error:
            raise HelmError(_one_line(str(error))) from None
        return dict(parsed)

    def lint(self, chart_dir: Path, values: dict[str, Any] | None = None) -> list[LintMessage]:
        helm = self._helm
        with self._lock:
            try:
                report = helm.lint(os.fspath(chart_dir), values)
            except helm.HelmError as error:
                return [LintMessage("error", "Chart.yaml", _one_line(str(error)))]
        names = {1: "info", 2: "warning", 3: "error"}
        return [LintMessage(names.get(int(m.get("severity", 0)), "info"), str(m.get("path", "")),
                            _one_line(str(m.get("error", ""))))
                for m in report.get("messages", []) if int(m.get("severity", 0)) >= 2]


# --- the helm binary ---------------------------------------------------------------------------

class BinaryEngine:
    """``helm template`` with the flags Argo CD's repo-server passes (util/helm/cmd.go)."""

    name = "helm"

    def __init__(self, binary: Path, version: str, timeout: float = 120.0):
        self.binary = binary
        self.version = version
        self.timeout = timeout

    def _run(self, args: list[str], home: str) -> str:
        closed = "http://127.0.0.1:9"
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "HELM_CACHE_HOME": home,
               "HELM_CONFIG_HOME": home, "HELM_DATA_HOME": home, "KUBECONFIG": os.devnull,
               "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "http_proxy": closed, "https_proxy": closed}
        try:
            completed = children.run([str(self.binary), *args], limits=ChildLimits(), timeout=self.timeout, env=env,
                                     output_cap=_OUTPUT_CAP)
        except children.Interrupted:
            raise
        except ToolError as error:
            raise HelmError(str(error)) from None
        if completed.exhausted:
            raise HelmError(f"helm {children.describe(completed, ChildLimits(), self.timeout)}")
        if completed.returncode != 0:
            stderr = completed.stderr.decode("utf-8", "replace").strip()
            raise HelmError(_one_line(stderr or f"helm exited with {completed.returncode}"))
        return completed.stdout.decode("utf-8", "replace")

    def render(self, request: RenderRequest) -> Rendered:
        with tempfile.TemporaryDirectory(prefix="gitops-validate-helm-") as home:
            values = Path(home) / "values.json"  # JSON is YAML: no quoting surprises
            values.write_text(json.dumps(request.values), encoding="utf-8")
            args = ["template", os.fspath(request.chart), "--name-template", request.release_name,
                    "--namespace", request.namespace, "--values", str(values)]
            if request.kube_version:
                args += ["--kube-version", request.kube_version]
            for api_version in request.api_versions:
                args += ["--api-versions", api_version]
            if request.skip_schema_validation:
                args.append("--skip-schema-validation")
            if request.skip_tests:
                args.append("--skip-tests")
            return Rendered(split_stream(self._run(args, home)))

    def parse_set(self, expression: str, as_string: bool = False) -> dict[str, Any]:
        # `helm template --show-only` cannot echo values; the SDK's parser is the same Go code (strvals).
        return SdkEngine().parse_set(expression, as_string)

    def lint(self, chart_dir: Path, values: dict[str, Any] | None = None) -> list[LintMessage]:
        with tempfile.TemporaryDirectory(prefix="gitops-validate-helm-") as home:
            args = ["lint", os.fspath(chart_dir)]
            if values:
                (Path(home) / "values.json").write_text(json.dumps(values), encoding="utf-8")
                args += ["--values", str(Path(home) / "values.json")]
            try:
                output = self._run(args, home)
            except HelmError as error:
                output = str(error)
        messages = []
        for line in output.splitlines():
            for level in ("ERROR", "WARNING"):
                prefix = f"[{level}] "
                if line.startswith(prefix):
                    where, _, message = line[len(prefix):].partition(": ")
                    messages.append(LintMessage(level.lower(), where.strip(), message.strip()))
        return messages


def stream_documents(text: str) -> list[list[str]]:
    """The lines of each document of a YAML stream, split at its ``---`` lines (empty ones included)."""
    documents: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.rstrip() == "---":
            documents.append([])
        else:
            documents[-1].append(line)
    return documents


def split_stream(text: str) -> dict[str, str]:
    """``helm template`` output, one entry per template (by its ``# Source:`` comment)."""
    out: dict[str, str] = {}
    for lines in stream_documents(text):
        source = next((line[len(_SOURCE_PREFIX):].strip() for line in lines if line.startswith(_SOURCE_PREFIX)),
                      "unknown")
        body = "\n".join(line for line in lines if not line.startswith(_SOURCE_PREFIX)).strip("\n")
        if body.strip():
            out[source] = (out[source] + "---\n" if source in out else "") + body + "\n"
    return out


def _binary_version(binary: str) -> str | None:
    try:
        completed = children.run([binary, "version", "--template", "{{.Version}}"], limits=ChildLimits(), timeout=30,
                                 output_cap=1 << 16)
    except children.Interrupted:
        raise
    except ToolError:
        return None
    version = completed.stdout.decode("utf-8", "replace").strip()
    return version if completed.ok and version.lstrip("v").startswith(HELM_MAJOR + ".") else None


@cache
def identity() -> str:
    """The engine :func:`engine` would choose, named without loading the SDK's library (a render cache key)."""
    binary = os.environ.get("GITOPS_VALIDATE_HELM") or shutil.which("helm")
    if binary:
        version = _binary_version(binary)
        if version is not None:
            return f"helm {version} {binary}"
    declared = _sdk_constant("__init__.py", "__version__")
    if declared is not None:
        return f"helm-python-sdk {declared}"
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return f"helm-python-sdk {package_version('helm-python-sdk')}"
    except PackageNotFoundError:
        return "helm-python-sdk unknown"


def reported_version() -> str:
    """The Helm version of the engine :func:`engine` would choose (``v4.2.3``), without loading the SDK's
    library: kustomize asks the helm shim for it once per chart (``helm version --short``), and loading
    the library is most of what a shim process costs. The SDK's version is the one its binding declares
    it was built with (``EXPECTED_HELM_SDK_VERSION`` in ``helm_python/_native.py``), read from the source
    file; when that cannot be read, the library is loaded and asked."""
    chosen = identity()
    if chosen.startswith("helm "):
        return chosen.split(" ", 2)[1]
    return _sdk_declared_version() or engine().version


def _sdk_declared_version() -> str | None:
    declared = _sdk_constant("_native.py", "EXPECTED_HELM_SDK_VERSION")
    return declared if declared is not None and declared.lstrip("v").startswith(HELM_MAJOR + ".") else None


def _sdk_constant(module: str, name: str) -> str | None:
    """A string constant assigned at the top of one of helm-python-sdk's modules, read from its source:
    importing the package loads the library (and ``importlib.metadata`` alone costs a shim process a
    third of its start-up)."""
    import ast
    from importlib.util import find_spec

    try:
        spec = find_spec("helm_python")  # a top-level package: found, not imported
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        tree = ast.parse(Path(folders[0], module).read_text(encoding="utf-8")) if folders else None
    except (ImportError, OSError, SyntaxError, ValueError, UnicodeDecodeError):
        return None
    for node in tree.body if tree is not None else []:
        target = node.target if isinstance(node, ast.AnnAssign) else \
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        value = node.value if isinstance(node, (ast.AnnAssign, ast.Assign)) else None
        if isinstance(target, ast.Name) and target.id == name and isinstance(value, ast.Constant) and \
                isinstance(value.value, str):
            return value.value
    return None


@cache
def engine() -> Engine:
    """The Helm engine of this process: ``GITOPS_VALIDATE_HELM`` or ``helm`` on PATH at 4.x, else the SDK."""
    chosen = identity()
    if chosen.startswith("helm "):
        _name, version, binary = chosen.split(" ", 2)
        return BinaryEngine(Path(binary), version)
    return SdkEngine()


def _is_test(name: str, text: str) -> bool:
    return "/tests/" in name or '"helm.sh/hook": test' in text or "helm.sh/hook: test" in text


def _one_line(message: str) -> str:
    return " ".join(message.split())
