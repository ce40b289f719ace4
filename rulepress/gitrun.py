"""Running git as a subprocess: the fast path the hooks use (GitPython is for reading history and mirrors).

Inside git hooks, git exports GIT_DIR, GIT_INDEX_FILE and friends; `clean_env` drops them for commands that
must work on another repository.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from rulepress.errors import UserError

_GIT_LOCAL = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_PREFIX", "GIT_OBJECT_DIRECTORY",
              "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_QUARANTINE_PATH", "GIT_COMMON_DIR",
              "GIT_PUSH_OPTION_COUNT", "GIT_EDITOR_ENV")


def clean_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without the variables that tie git to the repository a hook runs in."""
    return {k: v for k, v in environ.items() if k not in _GIT_LOCAL and not k.startswith("GIT_PUSH_OPTION_")}


def git(cwd: Path, *args: str, env: Mapping[str, str] | None = None, check: bool = True,
        input_bytes: bytes | None = None) -> str:
    """stdout of `git args` in cwd; a UserError naming the command when it fails (and check is set)."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=dict(env) if env is not None else None,
                              input=input_bytes, capture_output=True, timeout=300)
    except FileNotFoundError:
        raise UserError("git is not installed (or not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"git {' '.join(args)} took more than 5 minutes") from None
    if check and done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()
        raise UserError(f"git {' '.join(args)} failed: {err}")
    return done.stdout.decode("utf-8", "replace")


def status_entries(cwd: Path, paths: Sequence[str], env: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(two-letter status XY, path) for every changed or untracked file under `paths`."""
    out = git(cwd, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths, env=env)
    entries: list[tuple[str, str]] = []
    parts = out.split("\0")
    i = 0
    while i < len(parts):
        item = parts[i]
        i += 1
        if len(item) < 4:
            continue
        code, path = item[:2], item[3:]
        if code[0] in "RC":  # a rename carries its source path next
            i += 1
        entries.append((code, path))
    return entries
