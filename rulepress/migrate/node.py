"""Run the syntax-tree transformer (transform.js) in Node: one process for a whole batch of rules."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from rulepress.catalogue import jscheck
from rulepress.errors import UserError


@dataclass(frozen=True)
class Todo:
    """One idiom left for a person: what it is, the guide section covering it, the rule-code line."""

    idiom: str
    section: str
    line: int


@dataclass(frozen=True)
class Converted:
    """The transformer's answer for one rule: action code and what it needs, or an error."""

    id: str
    code: str = ""
    secrets: tuple[str, ...] = ()
    dependencies: tuple[tuple[str, str], ...] = ()
    todos: tuple[Todo, ...] = ()
    denies: bool = False  # some callback(new Error(m)) became api.access.deny(m)
    throws: bool = False  # some callback(err) became `throw err`
    deny_prefixes: tuple[str, ...] = ()  # the literal start of each api.access.deny message
    probes: tuple[tuple[tuple[str, ...], tuple[Any, ...]], ...] = ()  # input paths and values to try
    error_line: int = 0
    error: str = ""
    bug: bool = False  # the error is rulepress's own (exit 3), not something in the rule


def find_node() -> str:
    return jscheck.find_node("rulepress migrate runs in Node")


def transform(items: Sequence[tuple[str, str]], node_modules: Path, node: str | None = None) -> list[Converted]:
    """Migrate every (id, rule code) pair in one Node process; answers come back in the same order."""
    if not items:
        return []
    script = resources.files("rulepress").joinpath("migrate/transform.js")
    payload = json.dumps([{"id": i, "code": code} for i, code in items])
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    with resources.as_file(script) as script_path:
        proc = subprocess.run([node or find_node(), str(script_path)], input=payload, text=True,
                              capture_output=True, encoding="utf-8", check=False, env=env)
    if proc.returncode != 0:
        raise UserError(f"the migration failed to run in Node: {proc.stderr.strip()[-800:]}")
    out = []
    for raw in json.loads(proc.stdout):
        if raw.get("error"):
            out.append(Converted(raw["id"], error_line=int(raw["error"]["line"]),
                                 error=str(raw["error"]["message"]), bug=bool(raw["error"].get("bug"))))
            continue
        out.append(Converted(
            raw["id"], raw["code"], tuple(raw["secrets"]), tuple(sorted(raw["dependencies"].items())),
            tuple(Todo(t["idiom"], t["section"], int(t["line"])) for t in raw["todos"]),
            bool(raw.get("denies")), bool(raw.get("throws")), tuple(raw.get("deny_prefixes", [])),
            tuple((tuple(p["path"]), tuple(p["values"])) for p in raw.get("probes", [])),
        ))
    return out
