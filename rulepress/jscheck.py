"""JavaScript syntax checks in real Node: one process for a whole batch of templates."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from importlib import resources
from typing import NamedTuple

from rulepress import nodestart
from rulepress.errors import Problem, UserError
from rulepress.model import Kind


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


class Checker:
    """A Node process that checks code blocks as they are added, while the caller goes on working."""

    def __init__(self, node: str | None = None) -> None:
        self.node = node
        self.codes: list[Code] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self._script = resources.as_file(resources.files("rulepress").joinpath("js/syntax_check.js"))
        self._broken = False

    def start(self) -> None:
        """Start Node now (add() starts it otherwise): its start-up then overlaps the caller's work."""
        if self.proc is None:
            script_path = self._script.__enter__()
            node = self.node or find_node()
            self.proc = nodestart.take(node, str(script_path)) or subprocess.Popen(
                [node, str(script_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def add(self, code: Code, utf8: bytes | memoryview | None = None) -> None:
        """Send `code` to be checked: its text, or the same text already in UTF-8 (utf8), which saves
        encoding it. Each is framed as a line "number kind length" and that many bytes."""
        self.start()
        assert self.proc is not None and self.proc.stdin is not None
        data = code.text.encode("utf-8") if utf8 is None else utf8
        header = f"{len(self.codes)} {code.kind} {len(data)}\n".encode()
        self.codes.append(code)
        if not self._broken:
            try:
                self.proc.stdin.write(header)
                self.proc.stdin.write(data)
            except BrokenPipeError:
                self._broken = True  # Node died; finish() reports what it said

    def close(self) -> None:
        """Stop Node without its verdicts (the caller failed before finish)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()
            self._script.__exit__(None, None, None)

    def finish(self) -> list[Problem]:
        """Every problem found, at markdown lines."""
        if self.proc is None:
            return []
        try:
            out, err_bytes = self.proc.communicate()
        finally:
            self._script.__exit__(None, None, None)
        if self.proc.returncode != 0 or self._broken:
            err = err_bytes.decode("utf-8", "replace")
            raise UserError(f"the JavaScript syntax check failed to run in Node: {err.strip()[-500:]}")
        problems = []
        for item in json.loads(out):
            code = self.codes[item["i"]]
            line = code.line + max(int(item["line"]), 1) - 1
            problems.append(Problem(code.path, line, item["message"],
                                    "warning" if item["severity"] == "warning" else "error"))
        return problems


def check(codes: Sequence[Code], node: str | None = None) -> list[Problem]:
    """Compile every code block (never run it) and report syntax problems at their markdown lines."""
    checker = Checker(node)
    for code in codes:
        checker.add(code)
    return checker.finish()
