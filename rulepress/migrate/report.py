"""The `rulepress migrate --all --report` table (pure)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from rulepress.migrate.migration import Outcome


def status(o: Outcome) -> str:
    if o.text is None:
        return "error"
    if o.problems:
        return "invalid"
    if o.converted.todos:
        return "manual"
    if not o.tests_ok:
        return "tests fail"
    if o.differences:
        return "differs"
    if o.unchecked:
        return "unproven"
    if not o.checked:
        return "unchecked"
    return "complete"


def needs(o: Outcome) -> str:
    if o.converted.error:
        return o.converted.error
    if o.problems:
        return f"{len(o.problems)} problem(s) in the output"
    counts = Counter(t.idiom for t in o.converted.todos)
    parts = [f"{idiom} (x{n})" if n > 1 else idiom for idiom, n in counts.items()]
    if not parts and not o.tests_ok:
        parts.append(f"{o.tests_total - o.tests_passed} converted test(s) fail")
    if not parts and o.differences:
        parts.append(f"{len(o.differences)} of {o.checked} generated case(s) differ from the rule")
    if not parts and o.unchecked:
        parts.append("not proven by running (" + "; ".join(u.split(":")[0] for u in o.unchecked) + ")")
    if not parts and not o.checked:
        parts.append("not run side by side with the rule (--no-test)")
    return "; ".join(parts) or "-"


def tests(o: Outcome) -> str:
    if o.tests_total == 0:
        return "none"
    return f"{o.tests_passed}/{o.tests_total}"


def same(o: Outcome) -> str:
    """Generated cases on which the rule and the action agreed / were run."""
    return f"{o.checked - len(o.differences)}/{o.checked}" if o.checked else "-"


def table(outcomes: Sequence[Outcome]) -> str:
    rows = [("rule", "result", "tests", "same", "needs a person")]
    rows += [(o.template.id, status(o), tests(o), same(o), needs(o)) for o in outcomes]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4] for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  " + "-" * len(rows[0][4]))
    return "\n".join(line.rstrip() for line in lines) + "\n" + summary(outcomes) + "\n"


def summary(outcomes: Sequence[Outcome]) -> str:
    total = len(outcomes)
    no_todo = sum(1 for o in outcomes if o.no_todo)
    with_tests = [o for o in outcomes if o.tests_total]
    passing = sum(1 for o in with_tests if o.tests_ok and not o.problems)
    complete = sum(1 for o in outcomes if o.complete)
    cases = sum(o.checked for o in outcomes)
    differ = sum(len(o.differences) for o in outcomes)
    return (f"{no_todo} of {total} rule(s) migrate with no TODO; {passing} of {len(with_tests)} with "
            f"tests pass their converted tests; {cases} generated case(s) run on both sides, {differ} differ; "
            f"{complete} complete (nothing left for a person)")
