"""Run the syntax-tree transformer (transform.js) in Node: one process for a whole batch of rules."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from rulepress import node_packages
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
    pinned: tuple[tuple[str, str, str], ...] = ()  # (module, version, where the version came from)
    http_fields: tuple[str, ...] = ()  # the fields the rule reads off an HTTP response body
    instrumented: str = ""  # the rule's code counting the places where it acts (`__rulepress_hit(i)`)
    sites: tuple[int, ...] = ()  # the rule-code line of each such place
    newest_pins: tuple[str, ...] = ()  # "name@version" of each require pinned to npm's newest release
    error_line: int = 0
    error: str = ""
    bug: bool = False  # the error is rulepress's own (exit 3), not something in the rule


def find_node() -> str:
    return jscheck.find_node("rulepress migrate runs in Node")


_UNVERSIONED_RE = re.compile(r"""\brequire\(\s*['"]((?:@[\w.-]+/)?[\w.-]+)['"]\s*\)""")


def pins(codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A version for each npm module the rules require without one: the Rules sandbox's version where it
    had the module (rules_sandbox.json), else the newest release on the npm registry today (asked with
    `npm view`; when npm cannot answer, the require stays a TODO). -> name -> {version, source, check?}.
    A version npm chose is not the one the rule ran with (`check`): the side-by-side run gives the rule
    that version too, and the migration counts as proven only if a generated case ran it (differential.py)."""
    table = json.loads(resources.files("rulepress").joinpath("testing/rules_sandbox.json").read_text("utf-8"))
    sandbox = {g["module"]: g["version"] for g in table["globals"].values() if g.get("version")}
    names = sorted({m for code in codes for m in _UNVERSIONED_RE.findall(code)} - NODE_BUILTINS)
    out: dict[str, dict[str, Any]] = {}
    ask = []
    for name in names:
        if name in sandbox:
            out[name] = {"version": sandbox[name], "source": "the version the Rules sandbox had"}
        else:
            ask.append(name)
    npm = shutil.which("npm")
    if npm and ask and os.environ.get(node_packages.ENV_FETCH) != "0":  # the same switch as package fetching
        with ThreadPoolExecutor(max_workers=8) as pool:
            for name, version in zip(ask, pool.map(lambda n: _npm_latest(npm, n), ask), strict=True):
                if version:
                    out[name] = {"version": version, "check": True,
                                 "source": f"the newest release on npm on {date.today().isoformat()}"}
    return out


def _npm_latest(npm: str, name: str) -> str | None:
    try:
        done = subprocess.run([npm, "view", name, "version"], capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = done.stdout.strip()
    return version if done.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+", version) else None


#: Node's own modules a rule may require (transform.js knows them all; these are not asked of npm)
NODE_BUILTINS = frozenset({"assert", "buffer", "child_process", "crypto", "dns", "events", "fs", "http", "https",
                           "net", "os", "path", "querystring", "stream", "string_decoder", "timers", "tls", "url",
                           "util", "zlib"})


def transform(items: Sequence[tuple[str, str]], node_modules: Path, node: str | None = None) -> list[Converted]:
    """Migrate every (id, rule code) pair in one Node process; answers come back in the same order."""
    if not items:
        return []
    script = resources.files("rulepress").joinpath("migrate/transform.js")
    pinned = pins([code for _, code in items])
    payload = json.dumps([{"id": i, "code": code, "pins": pinned} for i, code in items])
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
            tuple((p["name"], p["version"], p["source"]) for p in raw.get("pinned", [])),
            tuple(raw.get("http_fields", [])),
            str(raw.get("instrumented", "")), tuple(int(n) for n in raw.get("sites", [])),
            tuple(raw.get("newest_pins", [])),
        ))
    return out
