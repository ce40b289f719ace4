"""JavaScript syntax checks in real Node: one process for a whole batch of templates."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from rulepress.errors import Problem, UserError
from rulepress.model import Kind


@dataclass(frozen=True)
class Code:
    path: str
    kind: Kind
    text: str
    line: int  # file line of the code's first line


def find_node() -> str:
    node = shutil.which("node")
    if node is None:
        raise UserError("node was not found on PATH: rulepress checks JavaScript with Node "
                        "(version 18 or later); install it and try again")
    return node


def check(codes: Sequence[Code], node: str | None = None) -> list[Problem]:
    """Compile every code block (never run it) and report syntax problems at their markdown lines."""
    if not codes:
        return []
    script = resources.files("rulepress").joinpath("js/syntax_check.js")
    payload = json.dumps([{"i": i, "kind": c.kind, "code": c.text} for i, c in enumerate(codes)])
    with resources.as_file(script) as script_path:
        proc = subprocess.run([node or find_node(), str(script_path)], input=payload, text=True,
                              capture_output=True, encoding="utf-8", check=False)
    if proc.returncode != 0:
        raise UserError(f"the JavaScript syntax check failed to run in Node: {proc.stderr.strip()[-500:]}")
    problems = []
    for item in json.loads(proc.stdout):
        code = codes[item["i"]]
        line = code.line + max(int(item["line"]), 1) - 1
        problems.append(Problem(code.path, line, item["message"],
                                "warning" if item["severity"] == "warning" else "error"))
    return problems
