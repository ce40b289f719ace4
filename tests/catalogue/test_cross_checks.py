"""The checks across files (checks.check_catalogue) against a plain reference written the obvious way:
the same problems, in the same order, for any mix of duplicate ids, names and orders and crowded triggers."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rulepress.catalogue import schema
from rulepress.catalogue.checks import Summary, check_catalogue
from rulepress.catalogue.schema import MAX_ACTIONS, MAX_ACTIONS_PER_TRIGGER
from rulepress.errors import Problem


def reference(summaries: list[Summary]) -> list[Problem]:
    problems: list[Problem] = []
    by_id: dict[str, Summary] = {}
    for s in summaries:
        first = by_id.setdefault(s.path.lower(), s)
        if first is not s:
            problems.append(Problem(s.path, 1, f"id clashes with {first.path}: ids must differ in more "
                                               f"than letter case (they are file names)"))
    published = [s for s in summaries if s.gallery]
    by_name: dict[tuple[str, str], list[Summary]] = defaultdict(list)
    for s in published:
        by_name[(s.kind, s.name.lower())].append(s)
    for (kind, _), same in by_name.items():
        for s in same[1:]:
            problems.append(Problem(s.path, s.name_line, f"{kind} name '{s.name}' is already used by {same[0].path}"))
    orders: dict[tuple[str, int], list[Summary]] = defaultdict(list)
    for s in published:
        if s.stage is not None and s.order is not None:
            orders[(s.stage, s.order)].append(s)
    for (stage, order), same in orders.items():
        for s in same[1:]:
            problems.append(Problem(s.path, s.order_line,
                                    f"order {order} in stage {stage} is already used by {same[0].path}"))
    actions = [s for s in published if s.trigger is not None]
    if len(actions) > MAX_ACTIONS:
        problems.append(Problem(actions[MAX_ACTIONS].path, 1,
                                f"a tenant holds at most {MAX_ACTIONS} actions; the catalogue publishes "
                                f"{len(actions)} (fine for a gallery; an environment must choose fewer)", "warning"))
    for trigger, count in Counter(s.trigger for s in actions).items():
        if count > MAX_ACTIONS_PER_TRIGGER:
            over = [s for s in actions if s.trigger == trigger]
            problems.append(Problem(over[MAX_ACTIONS_PER_TRIGGER].path, over[MAX_ACTIONS_PER_TRIGGER].trigger_line,
                                    f"at most {MAX_ACTIONS_PER_TRIGGER} actions can be bound to {trigger}; the "
                                    f"catalogue publishes {count} (an environment must choose fewer)", "warning"))
    return problems


@st.composite
def catalogues(draw: Any) -> list[Summary]:
    count = draw(st.integers(0, 160))
    out = []
    for n in range(count):
        kind = draw(st.sampled_from(["rule", "action"]))
        trigger = draw(st.sampled_from(list(schema.TRIGGERS)[:3])) if kind == "action" else None
        out.append(Summary(draw(st.sampled_from([f"rules/t{n}.md", f"rules/T{n % 7}.md", f"rules/t{n % 7}.md"])),
                           kind, draw(st.sampled_from(["A", "a", "B", f"n{n}"])), draw(st.booleans()),
                           None if trigger else draw(st.sampled_from(["login_success", "login_failure", None])),
                           None if trigger else draw(st.sampled_from([None, 1, 2, n])), trigger,
                           n + 2, n + 3, n + 4))
    return out


@settings(max_examples=400, deadline=None)
@given(catalogues())
def test_cross_checks_match_the_reference(summaries: list[Summary]) -> None:
    assert check_catalogue(summaries) == reference(summaries)


def test_crowded_triggers_are_reported_at_the_first_one_over() -> None:
    actions = [Summary(f"rules/a{n:03d}.md", "action", f"a{n}", True, None, None, "post-login", 1, 1, n + 10)
               for n in range(MAX_ACTIONS + 1)]
    problems = check_catalogue(actions)
    assert [(p.path, p.line, p.severity) for p in problems] == [
        (f"rules/a{MAX_ACTIONS:03d}.md", 1, "warning"),
        (f"rules/a{MAX_ACTIONS_PER_TRIGGER:03d}.md", MAX_ACTIONS_PER_TRIGGER + 10, "warning")]
