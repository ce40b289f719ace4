"""Action builds: asynchronous, as on Auth0 (pending → building → built | failed).

A build fails when the code does not parse as a CommonJS module (checked by real Node, one long-lived
`node syntax.js` process that compiles without running), or when the runtime or trigger is unknown.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

SYNTAX_JS = Path(__file__).with_name("syntax.js")


class SyntaxChecker:
    """Compiles code in a long-lived Node process. Without Node, every build fails with a clear reason."""

    def __init__(self, node: str) -> None:
        self.node = node
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    async def check(self, code: str) -> str | None:
        """None when the code parses, else the parser's message."""
        async with self._lock:
            for _attempt in range(2):
                proc = await self._process()
                if proc is None:
                    return f"cannot check the code: node ({self.node}) was not found"
                assert proc.stdin is not None and proc.stdout is not None
                try:
                    proc.stdin.write(json.dumps({"code": code}).encode() + b"\n")
                    await proc.stdin.drain()
                    line = await proc.stdout.readline()
                except (ConnectionError, BrokenPipeError):
                    line = b""
                if line:
                    answer = json.loads(line)
                    return None if answer.get("ok") else str(answer.get("error", "syntax error"))
                self._proc = None  # it died; start another once
            return "cannot check the code: node stopped answering"

    async def _process(self) -> asyncio.subprocess.Process | None:
        if self._proc is not None and self._proc.returncode is None:
            return self._proc
        exe = shutil.which(self.node)
        if exe is None:
            return None
        self._proc = await asyncio.create_subprocess_exec(
            exe, str(SYNTAX_JS),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            limit=1 << 20,
        )
        return self._proc

    async def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            assert proc.stdin is not None
            proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), 2)
            except TimeoutError:
                proc.kill()
                await proc.wait()
