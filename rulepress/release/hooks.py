"""Installing git hooks: pre-commit in a working clone, post-receive in a (bare) server repository.

Each hook is a small shell script that runs this Python with `-m rulepress.release.hook`, a lean entry
point that imports only what the hook needs (the full CLI imports every command). A hook file that
rulepress did not write is never overwritten without --force.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rulepress.errors import UserError
from rulepress.files import write_atomic
from rulepress.gitrun import git

MARK = "# installed by rulepress (rulepress hooks install)"
KINDS = ("pre-commit", "post-receive")


@dataclass(frozen=True)
class Installed:
    kind: str
    path: Path
    replaced: bool


def hook_script(kind: str, python: str, args: Sequence[str] = ()) -> str:
    command = " ".join(shlex.quote(a) for a in ["-P", "-m", "rulepress.release.hook", kind, *args])
    return (
        "#!/bin/sh\n"
        f"{MARK}\n"
        f"PYTHON={shlex.quote(python)}\n"
        'if [ ! -x "$PYTHON" ]; then\n'
        "  PYTHON=python3\n"
        '  if ! "$PYTHON" -P -c "import rulepress" 2>/dev/null; then\n'
        f'    echo "rulepress {kind} hook: rulepress is not installed for $PYTHON; run ' "'rulepress hooks install'"
        f' again{" (or commit with --no-verify)" if kind == "pre-commit" else ""}" >&2\n'
        "    exit 1\n"
        "  fi\n"
        "fi\n"
        f'exec "$PYTHON" {command}\n'
    )


def hooks_dir(repo: Path) -> Path:
    """Where git looks for this repository's hooks (core.hooksPath respected)."""
    path = Path(git(repo, "rev-parse", "--git-path", "hooks").strip())
    return path if path.is_absolute() else repo / path


def install(repo: Path, kind: str, args: Sequence[str] = (), *, python: str = sys.executable,
            force: bool = False) -> Installed:
    if kind not in KINDS:
        raise UserError(f"unknown hook {kind!r} (known: {', '.join(KINDS)})")
    folder = hooks_dir(repo)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / kind
    replaced = path.exists()
    if replaced and MARK not in path.read_text(encoding="utf-8", errors="replace") and not force:
        raise UserError(f"{path} exists and was not written by rulepress; move it away or use --force")
    write_atomic(path, hook_script(kind, python, args).encode("utf-8"))
    os.chmod(path, 0o755)
    return Installed(kind, path, replaced)
