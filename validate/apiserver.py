"""A real API server's verdict: start a throw-away control plane, or talk to a cluster, and dry-run objects.

Two ways to reach an API server:

* :class:`ControlPlane` starts etcd and kube-apiserver from a folder in envtest's layout
  (``KUBEBUILDER_ASSETS``) on loopback, with temporary folders, random free ports, a token for an
  admin in ``system:masters`` and a self-signed serving certificate; ``stop()`` kills both process
  groups and removes the folder.
* :class:`KubectlProxy` runs ``kubectl proxy`` for a kubeconfig context, so every authentication
  method kubectl knows (exec plugins included) works without this module knowing any.

:class:`Client` speaks the REST API over one kept-alive connection: discovery (kind -> resource),
real creates (CRDs and namespaces, only in a throw-away control plane) and dry-run creates with
strict field validation, which is what ``kubectl apply --dry-run=server --validate=strict`` sends
for an object that does not exist yet. An object that exists already is dry-run with a server-side
apply instead, so a cluster's live state is never an obstacle and never changed.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from validate import children
from validate.model import ChildLimits, ToolError

READY_TIMEOUT = 120.0  # a generous bound on a hang, not a performance expectation
REQUEST_TIMEOUT = 60.0
FIELD_MANAGER = "gitops-validate"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assets_dir(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder holding ``kube-apiserver`` and ``etcd``: the argument, else ``$KUBEBUILDER_ASSETS``."""
    candidate = explicit if explicit is not None else os.environ.get("KUBEBUILDER_ASSETS")
    if not candidate:
        return None
    folder = Path(candidate)
    if (folder / "kube-apiserver").is_file() and (folder / "etcd").is_file():
        return folder
    return None


@dataclass
class Verdict:
    """What the server said about one object."""

    accepted: bool
    message: str = ""
    reason: str = ""  # the Status reason: Invalid, BadRequest, NotFound, ...
    causes: list[tuple[str, str]] = field(default_factory=list)  # (field path as the server writes it, message)
    warnings: list[str] = field(default_factory=list)
    code: int = 0


class Client:
    """A minimal Kubernetes REST client over one persistent connection."""

    def __init__(self, server: str, token: str | None = None, cafile: str | None = None,
                 insecure: bool = False) -> None:
        parts = urlsplit(server)
        self.scheme = parts.scheme or "https"
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (443 if self.scheme == "https" else 80)
        self.token = token
        self._context: ssl.SSLContext | None = None
        if self.scheme == "https":
            self._context = ssl.create_default_context(cafile=cafile)
            if insecure:
                self._context.check_hostname = False
                self._context.verify_mode = ssl.CERT_NONE
        self._connection: http.client.HTTPConnection | None = None
        self._resources: dict[tuple[str, str], tuple[str, bool]] = {}  # (apiVersion, kind) -> (plural, namespaced)

    # --- transport ---------------------------------------------------------------------------

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self.scheme == "https":
                self._connection = http.client.HTTPSConnection(self.host, self.port, timeout=REQUEST_TIMEOUT,
                                                               context=self._context)
            else:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT)
        return self._connection

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json") -> tuple[int, Any, list[str]]:
        """(status code, decoded JSON body or text, warnings)."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = content_type
        for attempt in (1, 2):  # a kept-alive connection the server closed is reopened once
            connection = self._connect()
            try:
                connection.request(method, path, body=payload, headers=headers)
                response = connection.getresponse()
                raw = response.read()
            except (http.client.HTTPException, OSError) as error:
                self.close()
                if attempt == 2:
                    raise ToolError(f"API server {self.host}:{self.port}: {error}") from None
                continue
            warnings = [_warning_text(w) for w in response.headers.get_all("Warning") or []]
            text = raw.decode("utf-8", "replace")
            try:
                decoded: Any = json.loads(text) if text else None
            except ValueError:
                decoded = text
            return response.status, decoded, warnings
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # --- discovery ---------------------------------------------------------------------------

    def discover(self) -> None:
        """Learn every served kind's resource name and scope."""
        self._resources.clear()
        versions = ["v1"]
        code, body, _ = self.request("GET", "/api")
        if code == 200 and isinstance(body, dict):
            versions = body.get("versions") or versions
        group_versions = [("/api/" + v, v) for v in versions]
        code, body, _ = self.request("GET", "/apis")
        if code != 200 or not isinstance(body, dict):
            raise ToolError(f"API server discovery failed: HTTP {code}")
        for group in body.get("groups") or []:
            for version in group.get("versions") or []:
                group_versions.append(("/apis/" + version["groupVersion"], version["groupVersion"]))
        for prefix, group_version in group_versions:
            code, body, _ = self.request("GET", prefix)
            if code != 200 or not isinstance(body, dict):
                continue
            for resource in body.get("resources") or []:
                if "/" in resource.get("name", ""):
                    continue  # subresources
                self._resources[(group_version, resource["kind"])] = (resource["name"], bool(resource["namespaced"]))

    def resource(self, api_version: str, kind: str) -> tuple[str, bool] | None:
        if not self._resources:
            self.discover()
        return self._resources.get((api_version, kind))

    def collection_path(self, api_version: str, kind: str, namespace: str | None) -> tuple[str, bool] | None:
        found = self.resource(api_version, kind)
        if found is None:
            return None
        plural, namespaced = found
        prefix = "/api/" + api_version if "/" not in api_version else "/apis/" + api_version
        if namespaced:
            prefix += "/namespaces/" + quote(namespace or "default", safe="")
        return prefix + "/" + plural, namespaced

    # --- verdicts ----------------------------------------------------------------------------

    def dry_run(self, obj: dict[str, Any], default_namespace: str = "default") -> Verdict:
        """Strict server-side dry-run of ``obj``: a create, or a server-side apply when it already exists."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not isinstance(api_version, str) or not isinstance(kind, str):
            return Verdict(False, "Object 'Kind' is missing or apiVersion is not a string", "BadRequest")
        metadata: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
        namespace = metadata.get("namespace") if isinstance(metadata.get("namespace"), str) else None
        located = self.collection_path(api_version, kind, namespace or default_namespace)
        if located is None:
            return Verdict(False, f'no matches for kind "{kind}" in version "{api_version}"', "NotFound")
        collection, _ = located
        query = f"?dryRun=All&fieldValidation=Strict&fieldManager={FIELD_MANAGER}"
        code, body, warnings = self.request("POST", collection + query, obj)
        name = metadata.get("name")
        if code == 409 and isinstance(body, dict) and body.get("reason") == "AlreadyExists" and isinstance(name, str):
            code, body, warnings = self.request(
                "PATCH", f"{collection}/{quote(name, safe='')}{query}&force=true", obj,
                content_type="application/apply-patch+yaml")
        return _verdict(code, body, warnings)

    def create(self, obj: dict[str, Any]) -> Verdict:
        """A real create (throw-away control planes only); an existing object counts as created."""
        metadata: dict[str, Any] = obj["metadata"] if isinstance(obj.get("metadata"), dict) else {}
        located = self.collection_path(str(obj.get("apiVersion")), str(obj.get("kind")), metadata.get("namespace"))
        if located is None:
            return Verdict(False, f"unknown kind {obj.get('kind')} {obj.get('apiVersion')}", "NotFound")
        code, body, warnings = self.request("POST", located[0] + f"?fieldManager={FIELD_MANAGER}", obj)
        if code == 409:
            return Verdict(True, "exists", code=code, warnings=warnings)
        return _verdict(code, body, warnings)

    def install_crds(self, crds: list[dict[str, Any]], timeout: float = READY_TIMEOUT) -> list[tuple[dict[str, Any], Verdict]]:
        """Create CRDs, wait until each is established and served; return the refused ones."""
        refused = []
        names = []
        for crd in crds:
            verdict = self.create(crd)
            if verdict.accepted:
                names.append(str((crd.get("metadata") or {}).get("name")))
            else:
                refused.append((crd, verdict))
        deadline = time.monotonic() + timeout
        for name in names:
            while True:
                code, body, _ = self.request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                                             + quote(name, safe=""))
                conditions = ((body or {}).get("status") or {}).get("conditions") or [] if isinstance(body, dict) else []
                if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
                    break
                if time.monotonic() > deadline:
                    raise ToolError(f"CRD {name} was not established within {timeout:.0f} s")
                time.sleep(0.2)
        self._resources.clear()
        # Discovery lags behind "Established" for a moment: wait until every installed kind is served.
        wanted = [(f"{crd['spec']['group']}/{v['name']}", crd["spec"]["names"]["kind"])
                  for crd in crds if str((crd.get("metadata") or {}).get("name")) in names
                  for v in crd["spec"].get("versions") or [] if v.get("served")]
        while True:
            self.discover()
            if all(key in self._resources for key in wanted):
                return refused
            if time.monotonic() > deadline:
                raise ToolError("installed CRDs did not appear in discovery in time")
            time.sleep(0.2)


def _warning_text(header: str) -> str:
    # RFC 7234 form: 299 - "text"
    text = header.strip()
    if text.startswith("299"):
        text = text[3:].strip()
        if text.startswith("-"):
            text = text[1:].strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        text = text[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return text


def _verdict(code: int, body: Any, warnings: list[str]) -> Verdict:
    if 200 <= code < 300:
        return Verdict(True, warnings=warnings, code=code)
    if isinstance(body, dict):
        details: dict[str, Any] = body["details"] if isinstance(body.get("details"), dict) else {}
        causes = [(str(c.get("field", "")), str(c.get("message", ""))) for c in details.get("causes") or []
                  if isinstance(c, dict)]
        return Verdict(False, str(body.get("message", "")), str(body.get("reason", "")), causes, warnings, code)
    return Verdict(False, str(body), "", [], warnings, code)


class ControlPlane:
    """A throw-away etcd + kube-apiserver on loopback."""

    def __init__(self, assets: Path, work: Path | None = None) -> None:
        self.assets = assets
        self._own_work = work is None
        self.work = work or Path(tempfile.mkdtemp(prefix="gitops-validate-apiserver-"))
        self.token = secrets.token_hex(16)
        self.processes: list[children.Service[bytes]] = []
        self.server = ""
        self.cafile: str | None = None

    def __enter__(self) -> ControlPlane:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> None:
        work = self.work
        for sub in ("etcd", "certs", "logs"):
            (work / sub).mkdir(parents=True, exist_ok=True)
        openssl = shutil.which("openssl")
        if openssl is None:
            raise ToolError("starting a local API server needs openssl (for the service-account key)")
        made = children.run([openssl, "genrsa", "-out", str(work / "certs" / "sa.key"), "2048"], limits=ChildLimits(),
                           timeout=60, output_cap=1 << 20)
        if not made.ok:
            raise ToolError(f"openssl genrsa failed: {made.stderr.decode('utf-8', 'replace').strip()[-300:]}")
        (work / "tokens.csv").write_text(f"{self.token},gitops-validate-admin,gitops-validate-admin,system:masters\n")
        client, peer, secure = free_port(), free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{client}"
        self._spawn("etcd", [
            str(self.assets / "etcd"), "--data-dir", str(work / "etcd"), "--name", "oracle",
            "--listen-client-urls", etcd_url, "--advertise-client-urls", etcd_url,
            "--listen-peer-urls", f"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls",
            f"http://127.0.0.1:{peer}", "--initial-cluster", f"oracle=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync", "--log-level", "warn"])
        self._wait(lambda: _http_get(f"{etcd_url}/health"), '"health":"true"', "etcd", timeout)
        key = str(work / "certs" / "sa.key")
        self._spawn("kube-apiserver", [
            str(self.assets / "kube-apiserver"), "--etcd-servers", etcd_url, "--bind-address", "127.0.0.1",
            "--secure-port", str(secure), "--cert-dir", str(work / "certs"),
            "--token-auth-file", str(work / "tokens.csv"), "--authorization-mode", "RBAC",
            "--service-account-key-file", key, "--service-account-signing-key-file", key,
            "--service-account-issuer", "https://gitops-validate.invalid", "--service-cluster-ip-range", "10.96.0.0/12",
            "--allow-privileged=true", "--disable-admission-plugins", "ServiceAccount",
            "--advertise-address", "127.0.0.1", "--v", "0"])
        self.server = f"https://127.0.0.1:{secure}"
        self._wait(lambda: self._readyz(), "ok", "kube-apiserver", timeout)

    def _readyz(self) -> str:
        if self.cafile is None:
            candidate = self.work / "certs" / "apiserver.crt"
            if not candidate.exists():
                return ""
            self.cafile = str(candidate)
        client = self.client()
        try:
            code, body, _ = client.request("GET", "/readyz")
        except (ToolError, ssl.SSLError):
            return ""
        finally:
            client.close()
        return str(body) if code == 200 else ""

    def client(self) -> Client:
        # The serving certificate is self-signed for loopback names; verify against it, not a CA bundle.
        return Client(self.server, token=self.token, cafile=self.cafile, insecure=True)

    def kubeconfig(self, path: Path) -> Path:
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "oracle",
            "clusters": [{"name": "oracle", "cluster": {"server": self.server, "insecure-skip-tls-verify": True}}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "oracle", "context": {"cluster": "oracle", "user": "admin"}}],
        }
        path.write_text(json.dumps(config, indent=2))
        path.chmod(0o600)
        return path

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.work / "logs" / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        try:
            process = children.start(argv, stdout=log, stderr=children.STDOUT, cwd=self.work)
        finally:
            log.close()
        self.processes.append(process)

    def _wait(self, probe: Any, expected: str, name: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self.processes[-1]
        while True:
            if process.poll() is not None:
                raise ToolError(f"{name} exited with code {process.returncode}: {self.log_tail(name)}")
            try:
                if expected in probe():
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ToolError(f"{name} was not ready within {timeout:.0f} s: {self.log_tail(name)}")
            time.sleep(0.2)

    def log_tail(self, name: str) -> str:
        try:
            lines = (self.work / "logs" / f"{name}.log").read_text(errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return lines[-1] if lines else "(empty log)"

    def stop(self) -> None:
        for process in reversed(self.processes):
            _kill_group(process)
        self.processes.clear()
        if self._own_work:
            shutil.rmtree(self.work, ignore_errors=True)


def _kill_group(process: children.Service[bytes]) -> None:
    children.stop(process)


def _http_get(url: str) -> str:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=5)
    try:
        connection.request("GET", parts.path)
        return connection.getresponse().read().decode("utf-8", "replace")
    finally:
        connection.close()


class KubectlProxy:
    """``kubectl proxy`` for a kubeconfig context on a random loopback port: kubectl does the authentication."""

    def __init__(self, kubectl: Path, context: str | None, kubeconfig: str | None = None) -> None:
        self.kubectl = kubectl
        self.context = context
        self.kubeconfig = kubeconfig
        self.process: children.Service[bytes] | None = None
        self.server = ""

    def __enter__(self) -> KubectlProxy:
        port = free_port()
        argv = [str(self.kubectl), "proxy", "--address", "127.0.0.1", "--port", str(port), "--disable-filter=false"]
        if self.context:
            argv += ["--context", self.context]
        if self.kubeconfig:
            argv += ["--kubeconfig", self.kubeconfig]
        self.process = children.start(argv, stdout=children.PIPE, stderr=children.PIPE)
        self.server = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.process.poll() is not None:
                error = (self.process.stderr.read() if self.process.stderr else b"").decode(errors="replace").strip()
                raise ToolError(f"kubectl proxy failed: {error.splitlines()[-1] if error else 'no message'}")
            try:
                if "ok" in _http_get(f"{self.server}/readyz") or "ok" in _http_get(f"{self.server}/healthz"):
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__()
                raise ToolError("kubectl proxy did not answer in time")
            time.sleep(0.2)

    def __exit__(self, *_: object) -> None:
        if self.process is not None:
            _kill_group(self.process)
            self.process = None

    def client(self) -> Client:
        return Client(self.server)
