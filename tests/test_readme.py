"""The README's examples are real: its two rule files build in strict mode and their test cases pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rulepress.catalogue.build import build
from rulepress.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_readme_examples_build_and_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"````markdown\n(.*?)````", readme, re.DOTALL)
    assert len(blocks) == 2
    (tmp_path / "rules").mkdir()
    for name, text in zip(("legacy-rule", "action"), blocks, strict=True):
        (tmp_path / "rules" / f"{name}.md").write_text(text, encoding="utf-8")
    result = build(tmp_path, strict=True)
    assert result.published == 2 and not result.warnings
    assert main(["test", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 passed, 0 failed"


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.split("#")[0].strip() for line in readme[3:5]]
    assert commands == ["scripts/bootstrap && .venv/bin/rulepress demo",
                        "scripts/bootstrap && .venv/bin/python -m pytest"]
    assert commands[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8")
