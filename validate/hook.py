"""What the pre-commit hook checks, from the file names pre-commit passes (``--hook FILE...``).

pre-commit's contract: a hook gets the files of the run as arguments, staged files on a commit,
every tracked file under ``--all-files``, the files changed between two revisions under
``--from-ref A --to-ref B`` (with ``PRE_COMMIT_FROM_REF``/``PRE_COMMIT_TO_REF`` in the
environment), and none at all when nothing matched and the hook is ``always_run``.

* no file names, or every tracked file: the whole repository (``--all-files``, a fresh clone);
* otherwise the named files, plus the files deleted in the same change (pre-commit never passes
  a deleted file, yet deleting a file a kustomization lists breaks its render): staged deletions
  against ``HEAD`` on a commit, deletions between the two revisions under ``--from-ref/--to-ref``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from validate import children
from validate.model import ToolError


def _git(root: Path, *args: str) -> list[str]:
    # The hook's environment as pre-commit set it (its GIT_INDEX_FILE is the index being committed).
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"}
    try:
        completed = children.git(root, *args, purpose="--hook", env=env)
    except children.Interrupted:
        raise
    except ToolError as error:
        raise ToolError(f"--hook needs git: {error}") from None
    if completed.returncode != 0:
        return []  # no commit yet, or not a repository: nothing was deleted
    return [name for name in completed.stdout.decode("utf-8", "surrogateescape").split("\0") if name]


def relative(root: Path, names: list[Path]) -> list[str]:
    """The passed names relative to the repository root (pre-commit passes them relative to it)."""
    out = []
    for name in names:
        resolved = name.resolve() if name.is_absolute() else (Path.cwd() / name).resolve()
        try:
            out.append(resolved.relative_to(root).as_posix())
        except ValueError:
            raise ToolError(f"{name}: outside the repository {root}") from None
    return out


def deletions(root: Path, environ: Mapping[str, str]) -> list[str]:
    """Files the change deletes: between the two refs pre-commit names, else staged against HEAD."""
    source, target = environ.get("PRE_COMMIT_FROM_REF"), environ.get("PRE_COMMIT_TO_REF")
    if source and target:
        return _git(root, "diff", "--name-only", "-z", "--diff-filter=D", f"{source}...{target}", "--")
    return _git(root, "diff", "--cached", "--name-only", "-z", "--diff-filter=D", "HEAD", "--")


def changed(root: Path, names: list[Path], environ: Mapping[str, str]) -> list[str] | None:
    """The files a hook run checks, or None for the whole repository."""
    if not names:
        return None
    passed = set(relative(root, names))
    # pre-commit passes regular files only (no symlinks, no submodules)
    tracked = {rel for rel in _git(root, "ls-files", "-z") if (root / rel).is_file() and not (root / rel).is_symlink()}
    if tracked and tracked <= passed:  # --all-files
        return None
    return sorted(passed | set(deletions(root, environ)))
