"""The hostile-input acceptance corpus (issue 6): one test per case, the real CLI in a subprocess.

Each case builds a tree in ``tmp_path`` (no git work tree above it, so the folder is its own
repository root), runs ``python -m validate REPO --format json`` and checks, through
:func:`tests.hostile._harness.check`: the expected exit code (1 with the expected finding at its
file and line, or 2 with one line on stderr), no traceback, bounded time and memory, no file
written, nothing executed, no network connection, no content from outside the repository
printed, no process left behind. Large inputs (50 MB, 100,000 documents) are generated here,
never committed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.hostile._harness import ANY, CM, Case, Expect, World, check, exponential_tree, make_world

KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def config(text: str):
    def build(world: World) -> None:
        world.write(".gitops-validate.yaml", text)
    return build


def files(entries: dict[str, str | bytes], *more):
    """A builder writing ``entries`` (then running ``more`` builders)."""
    def build(world: World) -> None:
        for rel, content in entries.items():
            world.write(rel, content.format(secret="{secret}", port=world.canary.port)
                        if isinstance(content, str) and "{port}" in content else content)
        for extra in more:
            extra(world)
    return build


def short_render_timeout(world: World) -> None:
    world.write(".gitops-validate.yaml", "kustomize: {timeoutSeconds: 2}\n")


def app(resources: str = "[cm.yaml]", extra: str = "") -> dict[str, str]:
    return {"app/kustomization.yaml": f"{KUSTOMIZATION}resources: {resources}\n{extra}", "app/cm.yaml": CM}


# --- builders for the cases that need more than files ----------------------------------------

def alias_bomb(world: World) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 9):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    world.write("bomb.yaml", "\n".join(lines) + "\n")


def alias_heavy_documents(world: World) -> None:
    """2,000 documents, each just under the per-document expansion bound: the bound must also
    hold for the stages after the loader, which see shared (aliased) subtrees."""
    document = ["---", "apiVersion: example.com/v1", "kind: Widget", "metadata: {name: w, namespace: apps}",
                "spec:", "  a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 5):
        previous, name = chr(ord("a") + level - 1), chr(ord("a") + level)
        document.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    world.write("widgets.yaml", ("\n".join(document) + "\n") * 2000)


def fifty_megabytes(world: World) -> None:
    line = b"  key-%08d: " + b"v" * 80 + b"\n"
    with open(world.repo / "huge.yaml", "wb") as handle:
        handle.write(CM.encode() + b"data:\n")
        block = b"".join(line % n for n in range(10_000))
        while handle.tell() < 50 * 1024 * 1024:
            handle.write(block)


def hundred_thousand_documents(world: World) -> None:
    world.write("many.yaml", "---\na: 1\n" * 100_000)


def hundred_thousand_keys(world: World) -> None:
    body = "".join(f"  k{n}: v\n" for n in range(100_000))
    world.write("keys.yaml", "---\n" + CM + "data:\n" + body + "  k5: again\n")


def ten_thousand_objects(world: World) -> None:
    """kustomize itself needs minutes for 10,000 objects (~3 min on 2 cores): the time-out ends it."""
    world.write(".gitops-validate.yaml", "kustomize: {timeoutSeconds: 3}\n")
    for part in range(2):
        world.write(f"app/cms-{part}.yaml", "".join(
            f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{part}-{n}\n  namespace: apps\n"
            f"data:\n  k: v\n" for n in range(5_000)))
    world.write("app/kustomization.yaml", f"{KUSTOMIZATION}resources: [cms-0.yaml, cms-1.yaml]\n"
                "labels:\n- pairs: {team: x}\n")


def ten_thousand_standalone_objects(world: World) -> None:
    """10,000 objects checked without kustomize (schema and every rule), one of them invalid."""
    for part in range(2):
        world.write(f"cms-{part}.yaml", "".join(
            f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{part}-{n}\n  namespace: apps\n"
            f"data:\n  k: {'v' if n != 4999 else 1}\n" for n in range(5_000)))


def exponential_render(world: World) -> None:
    """2^24 objects: kustomize runs until the time-out stops it."""
    short_render_timeout(world)
    exponential_tree(world)


def deep_directories_and_glob(world: World) -> None:
    """An ApplicationSet directory pattern that a backtracking regex takes hours over."""
    deep = "/".join(["d"] * 60)
    world.write(f"{deep}/cm.yaml", CM)
    world.write("appset.yaml", """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: all, namespace: argocd}
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: https://github.com/example/repo.git
      revision: main
      directories:
      - path: "**/**/**/**/**/**/**/**/**/**/x"
  template:
    metadata: {name: "x-{{.path.basename}}"}
    spec:
      project: nope
      source: {repoURL: "https://github.com/example/repo.git", targetRevision: main, path: "{{.path.path}}"}
      destination: {server: "https://kubernetes.default.svc", namespace: apps}
""")


def fifo(name: str):
    def build(world: World) -> None:
        world.write("cm.yaml", "---\n" + CM + "data: {a: !!int abc}\n")
        path = world.repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)
    return build


def symlink_file_out(world: World) -> None:
    world.link("leak.yaml", world.outside / "secret.yaml")


def symlink_dir_out(world: World) -> None:
    world.link("leakdir", world.outside)


def symlink_resource_out(world: World) -> None:
    for rel, content in app("[cm.yaml, leak.yaml]").items():
        world.write(rel, content)
    world.link("app/leak.yaml", world.outside / "secret.yaml")


def symlink_loop(world: World) -> None:
    world.write("cm.yaml", "---\n" + CM + "data: {a: 1}\n")
    world.link("loop/a", "b")
    world.link("loop/b", "a")
    world.link("self", ".")
    world.link("up", "..")


def dot_dot_out(world: World) -> None:
    # From the validator's private mirror, ../../.. is the test's base folder, where "outside" lives.
    world.write("kustomization.yaml", f"{KUSTOMIZATION}resources:\n- ../outside\n- ../../../outside\n")


def generator_reads_outside(world: World) -> None:
    world.write(".gitops-validate.yaml",
                "kustomize: {buildOptions: --load-restrictor=LoadRestrictionsNone, timeoutSeconds: 10}\n")
    world.write("app/kustomization.yaml", f"{KUSTOMIZATION}configMapGenerator:\n- name: x\n  namespace: apps\n"
                f"  files:\n  - {world.outside}/secret.txt\n  - ../../../../outside/secret.txt\n")


def exec_function(world: World) -> None:
    world.write("app/fn.sh", f"#!/bin/sh\ntouch {world.marker}\n")
    (world.repo / "app/fn.sh").chmod(0o755)
    world.write("app/fn.yaml", """\
apiVersion: example.com/v1
kind: Touch
metadata:
  name: touch
  annotations:
    config.kubernetes.io/function: |
      exec:
        path: ./fn.sh
""")
    for rel, content in app(extra="transformers: [fn.yaml]\ngenerators: [fn.yaml]\n").items():
        world.write(rel, content)


def exec_function_allowed_in_config(world: World) -> None:
    exec_function(world)
    world.write(".gitops-validate.yaml", "kustomize: {buildOptions: --enable-alpha-plugins --enable-exec}\n")


def container_function(world: World) -> None:
    world.write("app/fn.yaml", f"""\
apiVersion: example.com/v1
kind: Touch
metadata:
  name: touch
  annotations:
    config.kubernetes.io/function: |
      container:
        image: 127.0.0.1:{world.canary.port}/evil:latest
        network: true
        mounts:
        - type: bind
          src: /
          dst: /host
""")
    for rel, content in app(extra="transformers: [fn.yaml]\n").items():
        world.write(rel, content)


def legacy_exec_plugin(world: World) -> None:
    plugin = world.repo / "plugins/example.com/v1/touch/Touch"
    plugin.parent.mkdir(parents=True)
    plugin.write_text(f"#!/bin/sh\ntouch {world.marker}\n")
    plugin.chmod(0o755)
    world.write("app/touch.yaml", "apiVersion: example.com/v1\nkind: Touch\nmetadata: {name: t}\n")
    for rel, content in app(extra="transformers: [touch.yaml]\n").items():
        world.write(rel, content)


def helm_local_chart(world: World) -> None:
    world.write("app/charts/evil/Chart.yaml", "apiVersion: v2\nname: evil\nversion: 1.0.0\n")
    world.write("app/charts/evil/templates/cm.yaml", "{{ exec \"touch\" }}\n")
    world.write("app/kustomization.yaml", f"{KUSTOMIZATION}helmGlobals: {{chartHome: charts}}\n"
                "helmCharts:\n- name: evil\n  releaseName: evil\n  version: 1.0.0\n")


def python_planted(world: World) -> None:
    """Python files a careless runner would import from the current directory."""
    code = f"import pathlib; pathlib.Path({str(world.marker)!r}).touch()\n"
    for rel in ("yaml.py", "json.py", "sitecustomize.py", "usercustomize.py", "validate/__init__.py",
                "validate/__main__.py", "jsonschema_rs.py", "yamllint/__init__.py"):
        world.write(rel, code)
    world.write("cm.yaml", "---\n" + CM + "data: {a: !!int abc}\n")


def planted_git_hooks(world: World) -> None:
    """A .git folder of the repository itself with hooks and an fsmonitor: never run."""
    world.write(".git/HEAD", "ref: refs/heads/main\n")
    world.write(".git/config", f"[core]\n\tfsmonitor = touch {world.marker}\n\thooksPath = hooks\n")
    world.write("hooks/post-checkout", f"#!/bin/sh\ntouch {world.marker}\n")
    world.write("cm.yaml", "---\n" + CM + "data: {a: !!int abc}\n")


def kubectl(script: str, render_dir: bool = True):
    """A fake kubectl (outside the repository) and a kustomization to render with it."""
    def build(world: World) -> None:
        world.tool("kubectl", script)
        short_render_timeout(world)
        if render_dir:
            for rel, content in app().items():
                world.write(rel, content)
    return build


def kubectl_env(world: World) -> dict[str, str]:
    # A short version-check time-out (injected): kubectl-hangs-on-version need not wait 30 s.
    return {"GITOPS_VALIDATE_KUBECTL": str(world.tools / "kubectl"), "GITOPS_VALIDATE_KUBECTL_TIMEOUT": "5"}


VERSION_OK = """#!/bin/sh
if [ "$1" = version ]; then echo '{"kustomizeVersion": "v5.8.1"}'; exit 0; fi
"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {{name: widgets.example.com}}
spec:
  group: example.com
  names: {{kind: Widget, plural: widgets}}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
{schema}
"""
WIDGET = "---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w, namespace: apps}}\nspec: {spec}\n"


def crd(schema: str, spec: str):
    return files({"crd.yaml": CRD.format(schema=schema), "widget.yaml": WIDGET.format(spec=spec)})


# --- the table --------------------------------------------------------------------------------

E = Expect


def STRICT_REMOTE(world: World) -> list[str]:
    return [str(world.repo), "--format", "json", "--rule", "render-remote=error"]


CASES: list[Case] = [
    # YAML that attacks the loader
    Case("alias-bomb", alias_bomb, E(1, [("load-alias-bomb", "bomb.yaml", ANY)])),
    Case("recursive-alias", files({"r.yaml": "a: &x [1, *x]\n"}), E(1, [("load-recursive-alias", "r.yaml", 1)])),
    # 2,000 objects named w: duplicates, an error. Every stage after the loader must visit an aliased subtree
    # once (the memory-quantity check walked them expanded: ~130 s of CPU; tests/test_alias_sharing.py).
    Case("alias-heavy-documents", alias_heavy_documents, E(1, [("schema-unknown-kind", "widgets.yaml", ANY)])),
    Case("nesting-20000-flow-sequences", files({"deep.yaml": "a: " + "[" * 20_000 + "]" * 20_000 + "\n"}),
         E(1, [("load-too-deep", "deep.yaml", 1)])),
    Case("nesting-20000-flow-mappings", files({"deep.yaml": "{a: " * 20_000 + "1" + "}" * 20_000 + "\n"}),
         E(1, [("load-too-deep", "deep.yaml", 1)])),
    Case("nesting-20000-block", files({"deep.yaml": "- " * 20_000 + "x\n"}),
         E(1, [("load-too-deep", "deep.yaml", 1)])),
    Case("nesting-just-under-the-limit", files({"deep.yaml": "---\n" + CM + "data:\n  a: " + "[" * 195 + "]" * 195
                                                 + "\n"}), E(1, [("schema-type", "deep.yaml", 8)])),
    Case("raised-depth-limit-20000", files({"deep.yaml": "---\n" + CM + "data:\n  a: " + "[" * 20_000 + "]" * 20_000
                                            + "\n"}, config("limits: {maxDepth: 100000}\n")),
         E(2, stderr="maxDepth")),
    Case("invalid-utf8", files({"bad.yaml": b"a: 1\nb: caf\xe9\n"}), E(1, [("load-encoding", "bad.yaml", 2)])),
    Case("utf16-with-bom", files({"u16.yaml": ("---\n" + CM).encode("utf-16")}),
         E(1, [("load-binary", "u16.yaml", 1)])),
    Case("binary-named-yaml", files({"logo.yaml": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(range(256)) * 64}),
         E(1, [("load-binary", "logo.yaml", 3)])),
    Case("nul-byte-in-yaml", files({"nul.yaml": b"---\na: 1\nb: x\0y\n"}), E(1, [("load-binary", "nul.yaml", 3)])),
    Case("control-character", files({"ctl.yaml": "---\na: 1\nb: \"x\x07y\"\n"}), E(1, [("load-syntax", "ctl.yaml", 3)])),
    Case("unsafe-python-tag", lambda w: w.write("evil.yaml", f"a: !!python/object/apply:os.system ['touch {w.marker}']\n"),
         E(1, [("load-unsafe-tag", "evil.yaml", 1)])),
    Case("unsafe-tag-on-mapping", files({"evil.yaml": "a: !!python/object:subprocess.Popen {args: [id]}\n"}),
         E(1, [("load-unsafe-tag", "evil.yaml", 1)])),
    Case("local-tag", files({"tag.yaml": "---\n" + CM + "data: {a: !Ref other}\n"}), E(1, [("load-unsafe-tag", "tag.yaml", 7)])),
    Case("explicit-int-tag-on-text", files({"int.yaml": "---\n" + CM + "data:\n  a: !!int abc\n"}),
         E(1, [("load-invalid-scalar", "int.yaml", 8)])),
    Case("explicit-bool-tag-on-text", files({"bool.yaml": "---\n" + CM + "data:\n  a: !!bool maybe\n"}),
         E(1, [("load-invalid-scalar", "bool.yaml", 8)])),
    Case("integer-of-5000-digits", files({"big.yaml": "---\n" + CM + "data:\n  a: " + "9" * 5000 + "\n"}),
         E(1, [("load-invalid-scalar", "big.yaml", 8)])),
    Case("base-60-integer-of-1-MB", files({"b60.yaml": "---\na: 1" + ":1" * 500_000 + "\n"}),
         E(1, [("load-invalid-scalar", "b60.yaml", 2)])),
    Case("50-MB-file", fifty_megabytes, E(1, [("load-oversize", "huge.yaml", None)], memory_mb=300), slow=True),
    Case("100000-documents", hundred_thousand_documents,
         E(1, [("load-too-many-documents", "many.yaml", 20_001)]), slow=True),
    Case("100000-keys-in-one-mapping", hundred_thousand_keys, E(1, [("load-duplicate-key", "keys.yaml", 100_008)], cpu_seconds=40),
         slow=True),
    Case("1-MB-single-line", files({".yamllint": "extends: default\n",
                                    "long.yaml": "---\n" + CM + "data:\n  a: " + "x" * (1 << 20) + "\n"}),
         E(1, [("yamllint-line-length", "long.yaml", 8)])),
    Case("1-MB-key", files({"key.yaml": "---\n" + CM + "data:\n  " + "k" * (1 << 20) + ": v\n"}),
         E(1, [("load-syntax", "key.yaml", 8)])),
    Case("complex-key", files({"key.yaml": "? {a: 1}\n: v\n"}), E(1, [("load-complex-key", "key.yaml", 1)])),
    Case("merge-key-to-a-scalar", files({"merge.yaml": "a: &s 1\nb:\n  <<: *s\n"}), E(1, [("load-syntax", "merge.yaml", 3)])),
    Case("duplicate-keys", files({"dup.yaml": "---\n" + CM + "  name: again\n"}), E(1, [("load-duplicate-key", "dup.yaml", 7)])),
    Case("tab-indentation", files({"tab.yaml": "a:\n\t- b\n"}), E(1, [("load-syntax", "tab.yaml", 2)])),
    Case("crlf-line-endings", files({".yamllint": "extends: default\n",
                                     "crlf.yaml": ("---\n" + CM + "data: {a: b}\n").replace("\n", "\r\n")}),
         E(1, [("yamllint-new-lines", "crlf.yaml", 1)])),
    # manifests of the wrong shape
    Case("document-is-a-scalar", files(app("[cm.yaml, scalar.yaml]") | {"app/scalar.yaml": "just a string\n"}),
         E(1, [("render-failed", "app/kustomization.yaml", 1)])),
    Case("document-is-a-list", files(app("[cm.yaml, list.yaml]") | {"app/list.yaml": "- " + CM.replace("\n", "\n  ")}),
         E(1, [("render-failed", "app/kustomization.yaml", 1)])),
    Case("kind-is-a-number", files({"k.yaml": "---\napiVersion: v1\nkind: 123\nmetadata: {name: a}\n"}),
         E(1, [("schema-identity", "k.yaml", 2)])),
    Case("apiVersion-is-a-list", files({"k.yaml": "---\napiVersion: []\nkind: ConfigMap\nmetadata: {name: a}\n"}),
         E(1, [("schema-identity", "k.yaml", 2)])),
    Case("no-kind", files({"k.yaml": "---\napiVersion: v1\nmetadata: {name: a}\n"}), E(1, [("schema-identity", "k.yaml", 2)])),
    Case("no-apiVersion", files({"k.yaml": "---\nkind: ConfigMap\nmetadata: {name: a}\n"}),
         E(1, [("schema-identity", "k.yaml", 2)])),
    Case("metadata-is-a-list", files({"k.yaml": "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: [a, b]\n"
                                                "spec: {template: {spec: {containers: 3}}}\n"}),
         E(1, [("schema-type", "k.yaml", 4)])),
    Case("spec-fields-of-every-wrong-type", files({"sd.yaml": """\
---
apiVersion: machinelearning.seldon.io/v1
kind: SeldonDeployment
metadata: {name: s, namespace: apps, annotations: [x]}
spec:
  predictors:
  - name: [p]
    graph: {name: 3, children: {a: b}, implementation: [], modelUri: {}}
    componentSpecs: [{spec: {containers: [{name: {}, image: [], resources: 1}]}}, 7, null]
    hpaSpec: {minReplicas: "x", maxReplicas: [], metrics: "cpu"}
    traffic: "50%"
  - "a string"
"""}), E(1, [("schema-type", "sd.yaml", ANY)])),
    # kustomizations that are broken or hostile
    Case("kustomization-is-binary", files({"app/kustomization.yaml": b"\0\1\2binary", "app/cm.yaml": CM}),
         E(1, [("load-binary", "app/kustomization.yaml", 1)])),
    Case("Kustomization-file-is-binary", files({"app/Kustomization": bytes(range(256)) * 8, "app/cm.yaml": CM}),
         E(1, [("load-binary", "app/Kustomization", 1)])),
    Case("kustomization-is-a-list", files({"app/kustomization.yaml": "- resources\n- cm.yaml\n", "app/cm.yaml": CM}),
         E(1, [("schema-kustomization", "app/kustomization.yaml", 1)])),
    Case("resources-is-a-string", files(app('"cm.yaml"')), E(1, [("schema-type", "app/kustomization.yaml", 3)])),
    Case("kustomization-includes-itself", files(app("[., cm.yaml]")),
         E(1, [("discover-include-cycle", "app/kustomization.yaml", 3)])),
    Case("components-loop", files({"a/kustomization.yaml": f"{KUSTOMIZATION}components: [../b]\n",
                                   "b/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                                                           "kind: Component\ncomponents: [../a]\n"}),
         E(1, [("discover-include-cycle", "b/kustomization.yaml", 3)])),
    Case("patch-file-missing", files(app(extra="patches:\n- path: missing.yaml\n")),
         E(1, [("kustomize-missing-path", "app/kustomization.yaml", 5)])),
    Case("resource-is-etc-passwd", files(app("[cm.yaml, /etc/passwd]")),
         E(1, [("discover-outside-reference", "app/kustomization.yaml", 3)])),
    Case("resource-dot-dot-outside", dot_dot_out, E(1, [("discover-outside-reference", "kustomization.yaml", 4)])),
    Case("generator-reads-outside-files", generator_reads_outside,
         E(1, [("discover-outside-reference", "app/kustomization.yaml", 7),
               ("discover-outside-reference", "app/kustomization.yaml", 8)])),
    Case("exponential-render", exponential_render, E(1, [("render-failed", "l0/kustomization.yaml", 1)], memory_mb=1500)),
    Case("10000-object-render", ten_thousand_objects, E(1, [("render-failed", "app/kustomization.yaml", 1)],
                                                         cpu_seconds=60, memory_mb=1000), slow=True),
    Case("10000-objects-checked", ten_thousand_standalone_objects, E(1, [("schema-type", "cms-1.yaml", 40_000)],
                                                                     cpu_seconds=45), slow=True),
    # links, special files
    Case("symlink-file-to-outside-secret", symlink_file_out, E(1, [("discover-symlink-escape", "leak.yaml", None)])),
    Case("symlink-dir-to-outside", symlink_dir_out, E(1, [("discover-symlink-escape", "leakdir", None)])),
    Case("symlink-resource-to-outside", symlink_resource_out,
         E(1, [("discover-symlink-escape", "app/leak.yaml", None), ("render-failed", "app/kustomization.yaml", 1)])),
    Case("symlink-loops", symlink_loop, E(1, [("discover-symlink-loop", "loop/a", None)])),
    Case("fifo-named-yaml", fifo("x.yaml"), E(1, [("discover-special-file", "x.yaml", None)])),
    Case("fifo-named-kustomization", fifo("app/kustomization.yaml"),
         E(1, [("discover-special-file", "app/kustomization.yaml", None)])),
    # the network and code execution (a remote reference is a warning by default: strict here, so that the run
    # exits 1 as a hostile case must, and the finding proves the reference was refused, not fetched)
    Case("remote-base", files(app("[cm.yaml, 'https://github.com/example/repo//base?ref=v1']")),
         E(1, [("render-remote", "app/kustomization.yaml", 3)], cpu_seconds=10), args=STRICT_REMOTE),
    Case("remote-base-git-prefix", files(app("[cm.yaml, 'git::http://127.0.0.1:{port}/repo.git//base']")),
         E(1, [("render-remote", "app/kustomization.yaml", 3)], cpu_seconds=10), args=STRICT_REMOTE),
    Case("remote-patch-url", files(app(extra="patches:\n- path: http://127.0.0.1:{port}/patch.yaml\n")),
         E(1, [("render-remote", "app/kustomization.yaml", 5)], cpu_seconds=10), args=STRICT_REMOTE),
    Case("remote-generator-file", files(app(extra="configMapGenerator:\n- name: g\n  files:\n"
                                                   "  - http://127.0.0.1:{port}/f.txt\n")),
         E(1, [("render-remote", "app/kustomization.yaml", 7)], cpu_seconds=10), args=STRICT_REMOTE),
    Case("remote-openapi-and-transformer", files(app(extra="openapi: {{path: 'http://127.0.0.1:{port}/o.json'}}\n"
                                                            "transformers: ['http://127.0.0.1:{port}/t.yaml']\n")),
         E(1, [("render-remote", "app/kustomization.yaml", 4), ("render-remote", "app/kustomization.yaml", 5)]),
         args=STRICT_REMOTE),
    Case("exec-krm-function", exec_function, E(1, [("render-failed", "app/kustomization.yaml", 1)])),
    Case("exec-allowed-in-config", exec_function_allowed_in_config, E(2, stderr="is not allowed offline")),
    Case("container-krm-function", container_function, E(1, [("render-failed", "app/kustomization.yaml", 1)])),
    Case("legacy-exec-plugin", legacy_exec_plugin, E(1, [("render-failed", "app/kustomization.yaml", 1)])),
    Case("helm-chart-inflation", helm_local_chart, E(1, [("render-failed", "app/kustomization.yaml", 1)])),
    Case("python-files-in-the-current-directory", python_planted, E(1, [("load-invalid-scalar", "cm.yaml", 7)]),
         console_script_in_repo=True),
    Case("git-hooks-and-fsmonitor", planted_git_hooks, E(1, [("load-invalid-scalar", "cm.yaml", 7)])),
    # CRDs with hostile schemas
    Case("crd-catastrophic-pattern", crd("            type: string\n            pattern: '^(a+)+$'\n",
                                         '"' + "a" * 5000 + '!"'), E(1, [("schema-invalid", "widget.yaml", 5)])),
    Case("crd-huge-enum", crd("            enum: [" + ", ".join(f"v{n}" for n in range(100_000)) + "]\n", "nope"),
         E(1, [("schema-enum", "widget.yaml", 5)])),
    Case("crd-recursive-ref", crd("            $ref: '#'\n", "{spec: {spec: {spec: 1}}}"),
         E(1, [("schema-crd", "crd.yaml", ANY)])),  # the API server refuses $ref in CRD schemas; so do we
    Case("crd-remote-ref", lambda w: crd(f"            $ref: 'http://127.0.0.1:{w.canary.port}/s.json'\n", "1")(w),
         E(1, [("schema-crd", "crd.yaml", ANY)])),
    Case("crd-invalid-schema-type", crd("            type: 42\n", "1"), E(1, [("schema-crd", "crd.yaml", ANY)])),
    Case("crd-invalid-regex", crd("            type: string\n            pattern: '(a+'\n", "aaa"),
         E(1, [("schema-crd", "crd.yaml", ANY)])),
    Case("glob-pattern-backtracking", deep_directories_and_glob, E(1, [("argocd-generator-empty", "appset.yaml", 11)],
                                                                    cpu_seconds=20)),
    # configuration files
    Case("config-invalid-yaml", config("kustomize: {timeoutSeconds: [\n"), E(2, stderr=".gitops-validate.yaml:")),
    Case("config-alias-bomb", lambda w: (alias_bomb(w), os.rename(w.repo / "bomb.yaml", w.repo / ".gitops-validate.yaml")),
         E(2, stderr="alias")),
    Case("config-not-a-mapping", config("- rules\n- ignore\n"), E(2, stderr=".gitops-validate.yaml")),
    Case("config-unknown-key", config("rulez: {}\n"), E(2, stderr="rulez")),
    Case("config-symlink-to-outside", lambda w: w.link(".gitops-validate.yaml", w.outside / "yamllint.yaml"),
         E(2, stderr=".gitops-validate.yaml")),
    Case("yamllint-config-invalid", files({".yamllint": "rules: {a: [\n", "cm.yaml": "---\n" + CM}),
         E(2, stderr=".yamllint")),
    Case("yamllint-extends-outside-file", lambda w: w.write(".yamllint", f"extends: {w.outside}/yamllint.yaml\n"),
         E(2, stderr=".yamllint")),
    # kubectl missing, hung, crashing
    Case("kubectl-missing", lambda w: [w.write(r, c) for r, c in app().items()], E(2, stderr="kubectl not found"),
         env=lambda w: {"GITOPS_VALIDATE_KUBECTL": str(w.tools / "no-such-kubectl")}),
    Case("kubectl-not-executable", kubectl("not a program"), E(2, stderr="cannot run"), env=kubectl_env),
    Case("kubectl-crashes-on-version", kubectl("#!/bin/sh\nkill -SEGV $$\n"), E(2, stderr="exit code -11"),
         env=kubectl_env),
    Case("kubectl-prints-garbage", kubectl("#!/bin/sh\necho '{not json'\n"), E(2, stderr="no version"),
         env=kubectl_env),
    Case("kubectl-wrong-kustomize", kubectl("#!/bin/sh\necho '{\"kustomizeVersion\": \"v4.0.0\"}'\n"),
         E(2, stderr="v4.0.0"), env=kubectl_env),
    Case("kubectl-hangs-on-version", kubectl("#!/bin/sh\nsleep 600\n"), E(2, stderr="did not answer", cpu_seconds=40),
         env=kubectl_env, slow=True),
    Case("kubectl-crashes-on-render", kubectl(VERSION_OK + "kill -SEGV $$\n"),
         E(1, [("render-failed", "app/kustomization.yaml", 1)]), env=kubectl_env),
    Case("kubectl-hangs-on-render", kubectl(VERSION_OK + "sleep 600\n"),
         E(1, [("render-failed", "app/kustomization.yaml", 1)], cpu_seconds=15), env=kubectl_env),
    # 200 MB of output (one YAML comment, cheap to parse): an output bound should make it a finding.
    Case("kubectl-floods-stdout", kubectl(VERSION_OK + "head -c 200000000 /dev/zero | tr '\\0' '#'\n"),
         E(1, [("render-failed", "app/kustomization.yaml", 1)], cpu_seconds=15), env=kubectl_env),
]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[
    *([pytest.mark.slow] if c.slow else []),
    *([pytest.mark.xfail(strict=True, reason=c.xfail)] if c.xfail else []),
]) for c in CASES])
def test_hostile(case: Case, tmp_path: Path) -> None:
    world = make_world(tmp_path)
    case.build(world)
    check(case, world)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file whatever its mode")
def test_unreadable_file(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    path = world.write("secret.yaml", "---\n" + CM)
    path.chmod(0)
    try:
        check(Case("unreadable", lambda w: None, E(1, [("load-unreadable", "secret.yaml", None)])), world)
    finally:
        path.chmod(0o644)


def test_harness_sees_a_leak(tmp_path: Path) -> None:
    """The checks can fail: a run that prints the secret is caught."""
    world = make_world(tmp_path)
    world.write("cm.yaml", "---\n" + CM + f"data: {{a: !!int {world.secret}}}\n")
    world.write("x.txt", world.secret)
    with pytest.raises(AssertionError, match="printed outside content"):
        check(Case("leak", lambda w: None, E(1, [("load-invalid-scalar", "cm.yaml", ANY)])), world)


assert sys.version_info >= (3, 11)
