"""The real catalogue: every template in rules/ has its cases, and `rulepress test` passes them all."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rulepress.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_every_template_in_rules_passes_its_cases(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", "--root", str(REPO), "--json", "--timeout", "5"])
    report = json.loads(capsys.readouterr().out)
    failed = [(c["path"], c["name"], c["failures"]) for c in report["cases"] if not c["passed"]]
    assert failed == []
    assert code == 0
    assert report["untested"] == []
    per_template = Counter(c["template"] for c in report["cases"])
    templates = sorted(p.stem for p in (REPO / "rules").glob("*.md"))
    assert sorted(per_template) == templates
    assert min(per_template.values()) >= 2
    assert report["passed"] == sum(per_template.values())


def test_text_report_ends_with_the_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["test", "--root", str(REPO), "--timeout", "5", "block-unverified-email", "add-roles-to-tokens"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert all(line.startswith("ok   rules/") for line in lines[:-1])
    assert lines[-1] == f"{len(lines) - 1} passed, 0 failed"
