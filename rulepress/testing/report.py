"""A Report as text for people and as JSON for tools (pure)."""

from __future__ import annotations

import json
from typing import Any

from rulepress.testing import Report
from rulepress.testing.check import show


def summary(report: Report) -> str:
    return f"{report.passed} passed, {report.failed} failed"


def as_text(report: Report) -> str:
    """One line per case; under a failed case each failure as `path:line: message`; the summary last."""
    out: list[str] = []
    for r in report.results:
        c = r.case
        out.append(f"{'ok  ' if r.passed else 'FAIL'} {c.path}:{c.line}: {c.name}")
        for f in r.failures:
            out.append(f"    {c.path}:{f.line}: {f.message}")
            if f.compare:
                out.append(f"        expected: {show(f.expected)}")
                out.append(f"        actual:   {show(f.actual)}")
        if not r.passed:
            out.extend(f"    log: {line}" for line in r.logs)
    out.extend(f"warning: {path}: no test cases" for path in report.untested)
    out.append(summary(report))
    return "\n".join(out) + "\n"


def as_json(report: Report) -> str:
    cases: list[dict[str, Any]] = []
    for r in report.results:
        c = r.case
        cases.append(
            {
                "template": c.template_id,
                "path": c.path,
                "name": c.name,
                "line": c.line,
                "passed": r.passed,
                "failures": [
                    {"line": f.line, "message": f.message}
                    | ({"expected": f.expected, "actual": f.actual} if f.compare else {})
                    for f in r.failures
                ],
                "logs": list(r.logs),
            }
        )
    doc = {
        "passed": report.passed,
        "failed": report.failed,
        "untested": list(report.untested),
        "cases": cases,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
