"""The complete examples in docs/TESTING.md are real: they build and their cases pass."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rulepress.catalogue.build import load_catalogue
from rulepress.testing import NodeOptions, run_tests

DOC = Path(__file__).resolve().parents[2] / "docs" / "TESTING.md"


def doc_examples() -> list[str]:
    return re.findall(r"^````markdown\n(.*?)^````$", DOC.read_text(encoding="utf-8"), re.M | re.S)


def test_docs_examples_pass(tmp_path: Path) -> None:
    examples = doc_examples()
    assert len(examples) == 3
    (tmp_path / "rules").mkdir()
    for i, text in enumerate(examples):
        (tmp_path / "rules" / f"example-{i}.md").write_text(text, encoding="utf-8")
    report = run_tests(load_catalogue(tmp_path), NodeOptions(timeout=5))
    failures = [(r.case.path, r.case.name, r.failures) for r in report.results if not r.passed]
    assert failures == []
    assert (report.passed, report.failed, report.untested) == (8, 0, ())


@pytest.mark.parametrize("index", [0, 2])
def test_docs_examples_fail_when_the_code_changes(tmp_path: Path, index: int) -> None:
    """The example cases can fail: break the code's main path and the cases notice."""
    text = doc_examples()[index]
    code, tests = text.split("```test", 1)
    broken = code.replace("https://example.com/", "https://example.org/") + "```test" + tests
    assert broken != text
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "example.md").write_text(broken, encoding="utf-8")
    report = run_tests(load_catalogue(tmp_path), NodeOptions(timeout=5))
    assert report.failed == 1
