"""JavaScript syntax checks in real Node: one process for a whole batch of templates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from importlib import resources
from typing import NamedTuple

from rulepress.catalogue.model import Kind
from rulepress.errors import Problem, UserError


class Code(NamedTuple):
    path: str
    kind: Kind
    text: str
    line: int  # file line of the code's first line


def find_node(why: str = "rulepress checks JavaScript with Node") -> str:
    """The Node executable on PATH, or a clear error saying what needs it."""
    node = shutil.which("node")
    if node is None:
        raise UserError(f"node was not found on PATH: {why} (version 18 or later); install it and try again")
    return node


_SCRIPT = resources.files("rulepress.catalogue").joinpath("js/syntax_check.js")


def check(codes: Sequence[Code], node: str | None = None, *, names: bool = True) -> list[Problem]:
    """Compile every code block (never run it) in one Node process and report syntax problems at their
    markdown lines; with `names`, also every unbound name an action reads (js/unbound_names.js, with
    rulepress's own Node packages, installed once per machine). Each code goes
    to Node's stdin framed as a line "number kind length" and that many bytes of UTF-8."""
    if not codes:
        return []
    frames = []
    for i, code in enumerate(codes):
        data = code.text.encode("utf-8")
        frames.append(f"{i} {code.kind} {len(data)}\n".encode() + data)
    env = None
    if names and any(c.kind == "action" for c in codes):
        from rulepress import node_packages

        env = {**os.environ, "NODE_PATH": str(node_packages.node_modules()), "RULEPRESS_CHECK_NAMES": "1"}
    with resources.as_file(_SCRIPT) as script:
        try:
            done = subprocess.run([node or find_node(), str(script)], input=b"".join(frames),
                                  capture_output=True, check=False, env=env)
        except OSError as exc:
            raise UserError(f"the JavaScript syntax check could not start Node: {exc}") from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace")
        raise UserError(f"the JavaScript syntax check failed to run in Node: {err.strip()[-500:]}")
    problems = []
    for item in json.loads(done.stdout):
        code = codes[item["i"]]
        line = code.line + max(int(item["line"]), 1) - 1
        problems.append(Problem(code.path, line, item["message"],
                                "warning" if item["severity"] == "warning" else "error"))
    return problems
