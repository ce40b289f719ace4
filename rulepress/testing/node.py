"""The only module of the runner that touches Node: one `node harness.js` process per run."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rulepress.catalogue.model import Template
from rulepress.errors import UserError
from rulepress.testing.cases import Case

JSON = Any
HARNESS = Path(__file__).with_name("harness.js")
RULE_TIMEOUT = 20.0  # seconds: Auth0 stopped a rule after 20 s
ACTION_TIMEOUT = 20.0  # seconds: our choice for actions, the same budget (docs/TESTING.md)


@dataclass(frozen=True)
class NodeOptions:
    """How to run the harness: which node, how many worker threads, the default time limit per case."""

    node: str = "node"
    workers: int | None = None  # None: one per CPU, at most 4
    timeout: float | None = None  # None: RULE_TIMEOUT / ACTION_TIMEOUT by kind


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 4))


def _timeout_ms(case: Case, options: NodeOptions) -> int:
    seconds = case.timeout or options.timeout or (RULE_TIMEOUT if case.kind == "rule" else ACTION_TIMEOUT)
    return max(1, round(seconds * 1000))


def make_job(templates: Sequence[Template], cases: Sequence[Case], options: NodeOptions) -> dict[str, JSON]:
    """The JSON document the harness reads: each template once, then the cases referring to them."""
    index: dict[str, int] = {}
    tpl_json: list[dict[str, JSON]] = []
    for t in templates:
        index[t.id] = len(tpl_json)
        tpl_json.append(
            {
                "path": t.path,
                "code": t.code,
                "code_line": t.code_line,
                "kind": t.kind,
                "trigger": t.action.trigger if t.action else None,
                "dependencies": dict(t.action.dependencies) if t.action else {},
            }
        )
    return {
        "workers": options.workers or default_workers(),
        "templates": tpl_json,
        # the real packages a case with HTTP answers runs (docs/TESTING.md), only looked up when one does
        **(_real_modules(templates, cases) if _needs_real_modules(templates, cases) else {}),
        "cases": [
            {
                "template": index[c.template_id],
                "kind": c.kind,
                "handler": c.handler,
                "timeout_ms": _timeout_ms(c, options),
                "input": c.input,
                "modules": c.modules,
                "globals": c.globals,
                "api_stubs": c.api_stubs,
                "http": c.http,
                "now": c.clock,
            }
            for c in cases
        ],
    }


def _needs_real_modules(templates: Sequence[Template], cases: Sequence[Case]) -> bool:
    """A case with HTTP answers, or an action depending on a package rulepress has at that exact version."""
    if any(c.http is not None for c in cases):
        return True
    from rulepress import node_packages as packages

    have = packages.wanted()
    return any(have.get(name) == version for t in templates if t.action for name, version in t.action.dependencies)


def _real_modules(templates: Sequence[Template], cases: Sequence[Case]) -> dict[str, JSON]:
    from rulepress import node_packages as packages

    out: dict[str, JSON] = {"modules_dir": str(packages.node_modules()), "installed": packages.wanted()}
    if any(c.http is not None for c in cases):
        # an action's other pinned dependencies run for real too, where they can be had (once per machine)
        have = packages.wanted()
        pinned = sorted({(n, v) for t in templates if t.action for n, v in t.action.dependencies if have.get(n) != v})
        found = {f"{n}@{v}": packages.rule_dependency(n, v) for n, v in pinned}
        out["rule_dependencies"] = {k: str(f) for k, f in found.items() if f is not None}
    return out


def run_job(job: dict[str, JSON], node: str = "node") -> list[dict[str, JSON]]:
    """Run the harness once; one result per case, in case order."""
    total = len(job["cases"])
    if total == 0:
        return []
    data = json.dumps(job, ensure_ascii=False).encode("utf-8")
    # The templates under test get no environment at all: a vm context is not a security boundary, so
    # code that escapes it must find no credentials (deploy secrets live in this process's environment).
    # A run is bounded by every case's own limit, plus start-up slack.
    limit = 60 + sum(int(c["timeout_ms"]) for c in job["cases"]) / 1000
    try:
        proc = subprocess.run(
            [node, str(HARNESS)],
            input=data,
            capture_output=True,
            check=False,
            env={"PATH": os.environ.get("PATH", os.defpath)},
            timeout=limit,
        )
    except FileNotFoundError:
        raise UserError(f"cannot run '{node}': install Node.js 18 or later, or pass --node PATH") from None
    except subprocess.TimeoutExpired:
        raise UserError(f"the Node test harness did not finish within {limit:.0f} s and was stopped") from None
    results: list[dict[str, JSON] | None] = [None] * total
    stray: list[str] = []
    for raw in proc.stdout.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            continue
        try:
            result = json.loads(raw)
            results[int(result["index"])] = result
        except (ValueError, KeyError, TypeError, IndexError):
            stray.append(raw[:200])
    missing = [i for i, r in enumerate(results) if r is None]
    if missing:
        err = "\n".join([proc.stderr.decode("utf-8", "replace").strip(), *stray[:5]]).strip()
        raise UserError(
            f"the Node test harness ended (exit {proc.returncode}) without results for {len(missing)} case(s)"
            + (f": {err}" if err else "")
        )
    return [r for r in results if r is not None]
