"""Rule order moves: any permutation converges with no duplicate order at any step, in the fewest writes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulepress.deploy.ordering import OrderConflict, moves


def replay(current: dict[str, int | None], writes: list[tuple[str, int]]) -> dict[str, int | None]:
    state = dict(current)
    for key, order in writes:
        holders = {k for k, o in state.items() if o == order and k != key}
        assert not holders, f"{key} -> {order} collides with {holders}"
        state[key] = order
    return state


def cycles(current: dict[str, int | None], target: dict[str, int]) -> int:
    """Cycles of the 'wants the order of' relation among rules that move (independent of moves())."""
    holder = {o: k for k, o in current.items() if o is not None}
    movers = {k for k, t in target.items() if current.get(k) != t}
    seen: set[str] = set()
    count = 0
    for start in sorted(movers):
        path = []
        key: str | None = start
        while key is not None and key in movers and key not in seen:
            seen.add(key)
            path.append(key)
            key = holder.get(target[key])
        if key is not None and key in path:
            count += 1
    return count


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, int | None], dict[str, int]]:
    n_managed = draw(st.integers(0, 8))
    n_new = draw(st.integers(0, 3))
    n_fixed = draw(st.integers(0, 3))
    n_existing = n_managed + n_fixed
    orders = draw(st.lists(st.integers(0, 15), min_size=n_existing, max_size=n_existing, unique=True))
    current: dict[str, int | None] = {}
    for i in range(n_managed):
        current[f"m{i}"] = orders[i]
    for i in range(n_fixed):
        current[f"u{i}"] = orders[n_managed + i]
    for i in range(n_new):
        current[f"n{i}"] = None
    fixed_orders = {orders[n_managed + i] for i in range(n_fixed)}
    free = [o for o in range(0, 20) if o not in fixed_orders]
    wanted = (
        draw(
            st.lists(
                st.sampled_from(free), min_size=n_managed + n_new, max_size=n_managed + n_new, unique=True
            )
        )
        if free
        else []
    )
    keys = [f"m{i}" for i in range(n_managed)] + [f"n{i}" for i in range(n_new)]
    return current, dict(zip(keys, wanted, strict=True))


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_any_permutation_converges_without_conflict_in_fewest_writes(
    scenario: tuple[dict[str, int | None], dict[str, int]],
) -> None:
    current, target = scenario
    writes = moves(current, target)
    final = replay(current, [(m.key, m.order) for m in writes])
    for key, order in target.items():
        assert final[key] == order
    for key in current:
        if key not in target:
            assert final[key] == current[key]
    movers = sum(1 for k, t in target.items() if current.get(k) != t)
    assert len(writes) == movers + cycles(current, target)
    assert sum(1 for m in writes if m.temporary) == cycles(current, target)
    assert moves(final, target) == []


def test_swap_takes_three_writes_with_one_temporary() -> None:
    writes = moves({"a": 1, "b": 2}, {"a": 2, "b": 1})
    assert [(m.key, m.order, m.temporary) for m in writes] == [
        ("a", 0, True),
        ("b", 1, False),
        ("a", 2, False),
    ]


def test_shift_down_is_a_chain_without_temporary() -> None:
    writes = moves({"a": 1, "b": 2, "c": 3}, {"a": 2, "b": 3, "c": 4})
    assert [(m.key, m.order) for m in writes] == [("c", 4), ("b", 3), ("a", 2)]


def test_order_held_by_a_rule_that_stays_is_a_conflict() -> None:
    with pytest.raises(OrderConflict, match="order 3 of 'a' is taken by 'x', which is not moved"):
        moves({"a": 1, "x": 3}, {"a": 3})


def test_two_rules_wanting_one_order_is_a_conflict() -> None:
    with pytest.raises(OrderConflict, match="order 2 is wanted by both 'a' and 'b'"):
        moves({"a": 1, "b": None}, {"a": 2, "b": 2})
