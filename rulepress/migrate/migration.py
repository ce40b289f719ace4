"""Migrate a batch of legacy rule files: Node transform, compose, validate, run the converted tests."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rulepress.catalogue import jscheck
from rulepress.catalogue.model import Template
from rulepress.catalogue.source import decode
from rulepress.catalogue.template import parse_template
from rulepress.errors import Problem, ProblemsError, UserError
from rulepress.migrate.compose import action_id, compose
from rulepress.migrate.differential import check
from rulepress.migrate.node import Converted, transform
from rulepress.migrate.testcases import CasesResult, convert_blocks

#: exit code of `rulepress migrate` when the output needs a person (TODOs, invalid output, failing tests)
EXIT_MANUAL = 4


@dataclass(frozen=True)
class Source:
    """One legacy rule file to migrate, and where its action goes."""

    rel: str  # path as shown in messages, e.g. rules/foo.md
    data: bytes
    out_rel: str
    out_path: Path


@dataclass(frozen=True)
class Outcome:
    source: Source
    template: Template
    converted: Converted
    text: str | None = None  # the action file (None when the code could not be migrated)
    action: Template | None = None  # the action file, parsed back
    cases: CasesResult | None = None
    problems: tuple[Problem, ...] = ()  # problems of the output file (it must parse and validate)
    tests_total: int = 0
    tests_passed: int = 0
    test_failures: tuple[str, ...] = field(default=())
    checked: int = 0  # generated cases run on the rule and the action side by side (0: not checked)
    differences: tuple[str, ...] = ()  # the cases where they did not agree, and what differed
    unchecked: tuple[str, ...] = ()  # why the agreement proves little (a TODO too)
    unreached: str | None = None  # places where the rule acts that no generated case reached (said in a note)
    generated: str | None = None  # the agreeing cases, as a test block of the action

    @property
    def no_todo(self) -> bool:
        return self.text is not None and not self.converted.todos and not self.problems

    @property
    def tests_ok(self) -> bool:
        return self.tests_passed == self.tests_total

    @property
    def agrees(self) -> bool:
        """The rule and the action did the same on every generated case (which did run)."""
        return self.checked > 0 and not self.differences and not self.unchecked

    @property
    def complete(self) -> bool:
        """Nothing left for a person: no TODO, a valid file, every converted test passes, and the rule and
        the action agree on every generated case."""
        return self.no_todo and self.tests_ok and self.agrees

    def todo_lines(self) -> list[str]:
        """Each TODO as `rules/x.md:LINE: TODO(migrate) idiom — see "section"` (lines of the rule file)."""
        t = self.template
        out = []
        if self.converted.error:
            out.append(f"{self.source.rel}:{t.code_line + self.converted.error_line - 1}: "
                       f"cannot migrate: {self.converted.error}")
        for todo in self.converted.todos:
            out.append(f"{self.source.rel}:{t.code_line + todo.line - 1}: TODO(migrate) {todo.idiom} — "
                       f'see "{todo.section}"')
        out.extend(str(p) for p in self.problems)
        out.extend(self.test_failures)
        out.extend(f"{self.source.rel}:{t.code_line}: TODO(migrate) the rule and the action differ on the "
                   f"generated {d}" for d in self.differences)
        out.extend(f"{self.source.rel}:{t.code_line}: TODO(migrate) not proven by running: {u}"
                   for u in self.unchecked)
        return out


def load_rule(source: Source) -> Template:
    template, problems = parse_template(source.rel, source.data, publish_all=True)
    errors = [p for p in problems if p.severity == "error"]
    if template is None or errors:
        raise ProblemsError(errors or problems, f"{source.rel} is not a valid rule file; nothing migrated")
    if template.kind != "rule":
        raise UserError(f"{source.rel} is already an action (kind: {template.kind}); only rules migrate")
    return template


def migrate_sources(sources: Sequence[Source], node_modules: Path, *, run_tests: bool = True,
                    node: str | None = None) -> list[Outcome]:
    templates = [load_rule(s) for s in sources]
    converted = transform([(t.id, t.code) for t in templates], node_modules, node)
    outcomes = []
    for source, template, conv in zip(sources, templates, converted, strict=True):
        if conv.error:
            outcomes.append(Outcome(source, template, conv))
            continue
        text, _ = decode(source.rel, source.data)
        assert text is not None  # load_rule decoded it already
        cases = convert_blocks([b.text for b in template.tests], conv)
        composed = compose(template, text, conv, cases.blocks)
        action, problems = parse_template(source.out_rel, composed.encode("utf-8"), publish_all=True)
        outcomes.append(Outcome(source, template, conv, composed, action, cases,
                                tuple(p for p in problems if p.severity == "error")))
    checked = [o for o in outcomes if o.action is not None]
    codes = [jscheck.Code(o.source.out_rel, "action", o.action.code, o.action.code_line)
             for o in checked if o.action is not None]
    syntax = jscheck.check(codes, node, names=False)
    # an unbound name: in an output with TODOs, those say what is left (the draft only warns); in one
    # without, it is a problem the converter missed, and the migration is not complete
    todo_free = {o.source.out_rel for o in checked if not o.converted.todos}
    syntax += jscheck.check([c for c in codes if c.path in todo_free
                             and not any(p.path == c.path for p in syntax)], node, names=True)
    outcomes = [_with_problems(o, [p for p in syntax if p.path == o.source.out_rel]) for o in outcomes]
    if run_tests:
        outcomes = _run_tests(outcomes, node)
        outcomes = _check_side_by_side(outcomes, node)
    return [_recompose(o) if o.text is not None else o for o in outcomes]


def _check_side_by_side(outcomes: list[Outcome], node: str | None) -> list[Outcome]:
    """Prove "complete" by running the rule and the action on the same generated cases (differential.py)."""
    runnable = [o for o in outcomes if o.action is not None and not o.problems]
    checked = check([(o.template, o.action, o.converted) for o in runnable if o.action is not None], node)
    results = {id(o): c for o, c in zip(runnable, checked, strict=True)}
    return [replace(o, checked=results[id(o)].cases, differences=results[id(o)].differences,
                    unchecked=results[id(o)].unchecked, unreached=results[id(o)].unreached,
                    generated=results[id(o)].block)
            if id(o) in results else o for o in outcomes]


def _recompose(outcome: Outcome) -> Outcome:
    """The file as written: with the generated cases that agreed as a test block, and, when work is left
    for a person, as a draft (not published, not deployed), so the build and the commit hook stay green and
    nothing unfinished deploys."""
    if outcome.generated is None and outcome.complete:
        return outcome
    text, _ = decode(outcome.source.rel, outcome.source.data)
    assert text is not None and outcome.cases is not None
    composed = compose(outcome.template, text, outcome.converted, outcome.cases.blocks,
                       draft=not outcome.complete, generated=outcome.generated)
    return replace(outcome, text=composed)


def _with_problems(outcome: Outcome, problems: list[Problem]) -> Outcome:
    return replace(outcome, problems=outcome.problems + tuple(problems)) if problems else outcome


def _run_tests(outcomes: list[Outcome], node: str | None) -> list[Outcome]:
    from rulepress.testing import NodeOptions
    from rulepress.testing import run_tests as run

    testable = [o for o in outcomes if o.action is not None and not o.problems and o.action.tests]
    if not testable:
        return outcomes
    try:
        report = run([o.action for o in testable if o.action is not None],
                     NodeOptions(node=node) if node else NodeOptions())
    except ProblemsError as exc:
        bad = {p.path for p in exc.problems}
        return [_with_problems(o, [p for p in exc.problems if p.path == o.source.out_rel])
                if o.source.out_rel in bad else o for o in outcomes]
    out = []
    for o in outcomes:
        results = [r for r in report.results if o.action is not None and r.case.template_id == o.action.id]
        failures = tuple(f"{o.source.out_rel}:{r.case.line}: converted test '{r.case.name}' fails: "
                         + "; ".join(f.message for f in r.failures) for r in results if not r.passed)
        out.append(replace(o, tests_total=len(results), tests_passed=sum(1 for r in results if r.passed),
                           test_failures=failures))
    return out


def source_for(root: Path, rel_path: Path, out: Path | None) -> Source:
    """A Source for `rel_path` (relative to root or absolute); the action goes beside it unless `out`."""
    path = rel_path if rel_path.is_absolute() else root / rel_path
    if not path.is_file():
        raise UserError(f"{rel_path}: no such file")
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = str(rel_path)
    stem = path.name.removesuffix(".md")
    out_path = out if out is not None else path.with_name(action_id(stem) + ".md")
    try:
        out_rel = out_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        out_rel = str(out_path)
    return Source(rel, path.read_bytes(), out_rel, out_path)
