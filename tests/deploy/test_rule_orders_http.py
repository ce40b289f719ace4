"""Rule orders over real HTTP: any initial and desired orders converge with no 409, the fewest PATCHes, and a
second plan that is empty."""

from __future__ import annotations

import tempfile
from pathlib import Path

from deploy_helpers import Deployer, Repo, rule_md
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulepress.tenant import start_tenant


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[int], list[int | None]]:
    n = draw(st.integers(1, 6))
    before = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n, unique=True))
    after: list[int | None] = list(draw(st.permutations(before + draw(
        st.lists(st.integers(10, 12), max_size=2, unique=True)))))[:n]
    if draw(st.booleans()):
        after[draw(st.integers(0, n - 1))] = None  # "after every ordered rule"
    return before, after


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders(), st.integers(0, 2))
def test_any_rule_order_change_converges_without_409(scenario: tuple[list[int], list[int | None]],
                                                      added: int) -> None:
    before, after = scenario
    with start_tenant() as tenant:
        repo = Repo(Path(tempfile.mkdtemp(prefix="orders-")) / "repo")
        d = Deployer(repo, tenant)
        repo.write({f"r{i}": rule_md(f"Rule {i}", o) for i, o in enumerate(before)})
        assert d.run(secrets={}).error is None
        seq = d.last_seq()
        files = {f"r{i}": rule_md(f"Rule {i}", o) for i, o in enumerate(after)}
        files.update({f"new{i}": rule_md(f"New {i}", 20 + i) for i in range(added)})
        repo.write(files, clear=True)
        outcome = d.run(secrets={})
        assert outcome.error is None, outcome.error
        log = d.log(seq)
        assert [r for r in log if r["status"] == 409] == []
        assert outcome.plan is not None
        moved = sum(1 for i, o in enumerate(after) if o is not None and o != before[i])
        patches = [r for r in log if r["method"] == "PATCH" and r["path"].startswith("/api/v2/rules/")]
        temporary = sum(1 for w in outcome.plan.rule_writes if w.temporary)
        assert len(patches) == len([w for w in outcome.plan.rule_writes if w.method == "PATCH"])
        assert len(patches) >= moved and len(patches) - temporary <= len(after)
        state = {r["name"]: r["order"] for r in d.state()["rules"]}
        for i, o in enumerate(after):
            if o is not None:
                assert state[f"Rule {i}"] == o
        assert len(set(state.values())) == len(state)
        again = d.plan(secrets={})
        assert again.plan is not None and not again.plan.has_changes
