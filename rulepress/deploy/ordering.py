"""Rule order moves with the fewest writes and never two rules on one order (the API answers 409).

Each rule that must move points at the rule now sitting on its target order. These pointers form chains
(ending at a free order) and cycles. A chain is written from its free end, one write per rule; a cycle
needs one rule parked on a free temporary order first, then it unwinds like a chain: one extra write per
cycle. No schedule can do better (every mover needs a write; in a cycle no rule can move first without a
free order). Creates are movers with no current order: they wait until their target is free.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Move:
    key: str
    order: int
    temporary: bool = False  # a parking move that breaks a cycle


class OrderConflict(ValueError):
    """Two rules want one order, or a target order is held by a rule that stays."""


def moves(current: Mapping[str, int | None], target: Mapping[str, int]) -> list[Move]:
    """Writes, in a safe sequence, taking every key in `target` to its order.

    `current` holds every rule on the tenant after deletes (key → order; None for rules not created yet).
    Keys absent from `target` keep their order.
    """
    wants: dict[int, str] = {}
    for key, order in sorted(target.items()):
        if order in wants:
            raise OrderConflict(f"order {order} is wanted by both {wants[order]!r} and {key!r}")
        wants[order] = key
    occupied: dict[int, str] = {}
    for key, where in current.items():
        if where is not None:
            occupied[where] = key
    for order, key in wants.items():
        holder = occupied.get(order)
        if holder is not None and holder != key and holder not in target:
            raise OrderConflict(f"order {order} of {key!r} is taken by {holder!r}, which is not moved")
    position: dict[str, int | None] = {k: current.get(k) for k in target}
    pending = {k for k, t in target.items() if position[k] != t}
    ready = deque(sorted(k for k in pending if target[k] not in occupied))
    out: list[Move] = []
    used = set(occupied) | set(wants)
    spare = 0

    def leave(key: str) -> None:
        old = position[key]
        if old is not None:
            del occupied[old]
            waiting = wants.get(old)
            if waiting is not None and waiting in pending and waiting not in ready:
                ready.append(waiting)

    while pending:
        if not ready:  # only cycles remain: park one member on a free order
            key = min(pending)
            while spare in used:
                spare += 1
            used.add(spare)
            leave(key)
            occupied[spare] = key
            position[key] = spare
            out.append(Move(key, spare, temporary=True))
            continue
        key = ready.popleft()
        if key not in pending or target[key] in occupied:
            continue
        leave(key)
        occupied[target[key]] = key
        position[key] = target[key]
        pending.discard(key)
        out.append(Move(key, target[key]))
    return out
