"""Run the test cases that templates carry, in real Node (`rulepress test`). See docs/TESTING.md.

Pipeline: Template.tests (markdown blocks) -> cases.parse_cases -> node.run_job (one Node process, a pool of
worker threads, a fresh vm context per case) -> check.evaluate -> Report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rulepress.catalogue.model import Template
from rulepress.errors import Problem, ProblemsError
from rulepress.testing.cases import Case, parse_cases
from rulepress.testing.check import Failure, evaluate
from rulepress.testing.node import NodeOptions, make_job, run_job

__all__ = ["CaseResult", "Failure", "NodeOptions", "Report", "collect_cases", "run_tests"]


@dataclass(frozen=True)
class CaseResult:
    case: Case
    failures: tuple[Failure, ...]
    logs: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True)
class Report:
    results: tuple[CaseResult, ...]
    untested: tuple[str, ...]  # paths of templates without any test case

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed


def collect_cases(templates: Sequence[Template]) -> list[Case]:
    """Every case of every template; raises ProblemsError listing every broken test block."""
    cases: list[Case] = []
    problems: list[Problem] = []
    for t in templates:
        found, broken = parse_cases(t)
        cases.extend(found)
        problems.extend(broken)
    if problems:
        raise ProblemsError(problems, f"{len(problems)} problem(s) in test blocks; no test was run")
    return cases


def run_tests(templates: Sequence[Template], options: NodeOptions | None = None) -> Report:
    """Run every test case of `templates` in one Node process and check each against its expectations."""
    options = options or NodeOptions()
    cases = collect_cases(templates)
    results: list[dict[str, Any]] = run_job(make_job(templates, cases, options), options.node)
    tested = {c.template_id for c in cases}
    return Report(
        results=tuple(
            CaseResult(case, tuple(evaluate(case, result)), tuple(result.get("logs", [])))
            for case, result in zip(cases, results, strict=True)
        ),
        untested=tuple(t.path for t in templates if t.id not in tested),
    )
