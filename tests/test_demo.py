"""The README's main job, `rulepress demo`, end to end on a copy of the starter catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rulepress.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_demo_deploys_the_starter_catalogue_and_converges(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    shutil.copy(REPO / "setup.cfg", tmp_path / "setup.cfg")
    assert main(["demo", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    published = len(list((tmp_path / "rules").glob("*.md")))
    assert f"{published} template(s) published" in out
    assert "action 'Notify new sign-ups through Amazon SES': create" in out
    assert out.rstrip().endswith("write(s))") and "second plan: nothing to do" in out
    assert "0 write(s))" in out.splitlines()[-1]
    assert "demo-" not in out  # generated secret values are never printed
