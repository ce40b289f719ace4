"""Read a tenant's state once: rules, rules-config keys, actions (all pages), the bindings of the triggers
that matter, and the deploy record."""

from __future__ import annotations

from collections.abc import Iterable

from rulepress.remote.actions import read_actions, read_bindings
from rulepress.remote.client import Client
from rulepress.remote.records import STATE_ACTION, Snapshot, action_from_json, record_from_code
from rulepress.remote.rules import read_rules


def read_snapshot(
    client: Client, *, triggers: Iterable[str], names: Iterable[str], with_rules: bool = True
) -> Snapshot:
    """`triggers`: triggers the catalogue binds; `names`: action names it deploys. Bindings are read for
    those triggers and for the triggers of actions rulepress owns or matches by name."""
    if with_rules:
        rules, keys, note = read_rules(client)
    else:
        rules, keys, note = (), frozenset(), ""
    raw = read_actions(client)
    record = None
    record_id = None
    actions = []
    for item in raw:
        if item.get("name") == STATE_ACTION and not item.get("integration"):
            record_id = str(item["id"])
            record = record_from_code(str(item.get("code") or ""))
            continue
        actions.append(action_from_json(item))
    wanted = set(names)
    used = set(triggers) | {a.trigger for a in actions if not a.integration and (a.owner or a.name in wanted)}
    bindings = {t: read_bindings(client, t) for t in sorted(used) if t}
    return Snapshot(rules, note, keys, tuple(actions), bindings, record, record_id)
