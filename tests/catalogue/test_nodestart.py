"""Node started early by build.py for a cold build (rulepress/nodestart.py): taken by the checker when it
is the same Node and script, and stopped otherwise."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rulepress import jscheck, nodestart

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


def test_the_checker_takes_the_early_node_and_checks_with_it(tmp_path: Path) -> None:
    nodestart.start(str(tmp_path))  # no cache there: a cold build
    assert nodestart._early is not None
    early = nodestart._early[1]
    checker = jscheck.Checker()
    checker.add(jscheck.Code("rules/x.md", "action", "exports.onExecutePostLogin = async (event, api) => {", 7))
    assert checker.proc is early
    problems = checker.finish()
    assert [(p.path, p.line) for p in problems] == [("rules/x.md", 7)]
    assert "syntax error" in problems[0].message


def test_no_early_node_when_the_build_has_a_cache(tmp_path: Path) -> None:
    (tmp_path / ".rulepress-cache").mkdir()
    (tmp_path / ".rulepress-cache" / "build.sqlite").write_bytes(b"")
    nodestart.start(str(tmp_path))
    assert nodestart._early is None


def test_an_early_node_for_another_binary_is_stopped_and_not_used(tmp_path: Path) -> None:
    nodestart.start(str(tmp_path))
    assert nodestart._early is not None
    early = nodestart._early[1]
    assert nodestart.take("/some/other/node", nodestart.SCRIPT) is None
    assert early.poll() is not None  # stopped
    assert nodestart._early is None


def test_a_cold_build_through_build_py_writes_the_same_rules_json(tmp_path: Path) -> None:
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(tmp_path)], check=True,
                   capture_output=True)
    assert (tmp_path / "rules.json").read_bytes() == (REPO / "rules.json").read_bytes()
