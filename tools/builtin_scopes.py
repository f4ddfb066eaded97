"""Write validate/data/builtin-scopes.json: which built-in kinds are namespaced, from a real API server.

The scope of a kind is not in the OpenAPI schemas kubernetes-validate ships; it is in the API server's
discovery documents. Run against ../shared/envtest's kube-apiserver started with
``--runtime-config api/all=true`` (every alpha and beta version served):

    python tools/builtin_scopes.py --server https://127.0.0.1:PORT --token TOKEN

Every group version the server lists is read, so a kind served only in an alpha version is there too.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "validate" / "data" / "builtin-scopes.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--kubectl", default="kubectl")
    args = parser.parse_args()

    def raw(path: str) -> dict:
        out = subprocess.run([args.kubectl, "--server", args.server, "--token", args.token,
                              "--insecure-skip-tls-verify", "get", "--raw", path],
                             check=True, capture_output=True, text=True, timeout=60).stdout
        return json.loads(out)

    version = raw("/version")["gitVersion"]
    paths = ["/api/v1"]
    for group in raw("/apis")["groups"]:
        paths += [f"/apis/{v['groupVersion']}" for v in group["versions"]]
    scopes: dict[str, bool] = {}
    for path in paths:
        document = raw(path)
        group = document["groupVersion"].rpartition("/")[0]
        for resource in document["resources"]:
            if "/" in resource["name"]:  # subresources (status, scale, ...)
                continue
            scopes[f"{group}/{resource['kind']}"] = resource["namespaced"]
    OUT.write_text(json.dumps({"source": f"kube-apiserver {version} discovery, --runtime-config api/all=true",
                               "namespaced": dict(sorted(scopes.items()))}, indent=1) + "\n")
    print(f"{OUT}: {len(scopes)} kinds from {len(paths)} group versions of {version}")


if __name__ == "__main__":
    main()
