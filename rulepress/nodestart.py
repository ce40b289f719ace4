"""Node started before the build's imports, for a build that will check code.

`python build.py` calls start() first. When the repository has no build cache yet, every file is compiled
and its code goes to Node: Node's start-up (about 40 ms of CPU) then overlaps Python's imports, when the
second core is idle, instead of the compile, when every core is busy. jscheck.Checker takes the process
(take()) when it is the Node and script it would start itself; an early Node nobody took is stopped at
exit. This module imports only what starting a process needs.
"""

from __future__ import annotations

import atexit
import os
import subprocess

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "js", "syntax_check.js")
CACHE_FILE = os.path.join(".rulepress-cache", "build.sqlite")  # build.CACHE_DIR's database

_early: tuple[str, subprocess.Popen[bytes]] | None = None


def _which_node() -> str | None:
    """shutil.which("node"), without importing shutil."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(folder, "node")
        if folder and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def start(root: str) -> None:
    """Start Node for the checks when the build in `root` will be a cold one (no cache yet)."""
    global _early
    if _early is not None or os.path.exists(os.path.join(root, CACHE_FILE)) or not os.path.isfile(SCRIPT):
        return
    node = _which_node()
    if node is None:
        return  # the build says what is missing, when it needs Node
    try:
        proc = subprocess.Popen([node, SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
    except OSError:
        return
    _early = (node, proc)
    atexit.register(_stop)


def take(node: str, script: str) -> subprocess.Popen[bytes] | None:
    """The early Node, when it runs `script` with this `node` binary (else it is stopped): None if none."""
    global _early
    if _early is None:
        return None
    early_node, proc = _early
    _early = None
    if early_node == node and os.path.realpath(script) == os.path.realpath(SCRIPT) and proc.poll() is None:
        return proc
    _kill(proc)
    return None


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.communicate()


def _stop() -> None:
    global _early
    if _early is not None:
        _kill(_early[1])
        _early = None
