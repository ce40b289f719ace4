"""Rules: desired rules + remote rules → changes and the writes in a safe order (pure)."""

from __future__ import annotations

from typing import Any

from rulepress.deploy.changes import FieldChange, RuleChange, RuleWrite, diff, match, temporary_name
from rulepress.deploy.desired import Desired, DesiredRule
from rulepress.deploy.ordering import OrderConflict, moves
from rulepress.errors import UserError
from rulepress.remote.marker import mark
from rulepress.remote.records import RemoteRule, Snapshot


def _rule_orders(desired: tuple[DesiredRule, ...], unmanaged: list[RemoteRule]) -> dict[str, int]:
    """Concrete orders: explicit ones as given; rules without one after every ordered rule, by id."""
    explicit = [r.order for r in desired if r.order is not None]
    base = max(explicit + [r.order for r in unmanaged if r.order is not None] + [0])
    out: dict[str, int] = {}
    for rule in sorted(desired, key=lambda r: r.template_id):
        if rule.order is not None:
            out[rule.template_id] = rule.order
        else:
            base += 1
            out[rule.template_id] = base
    return out


def plan_rules(
    desired: Desired, snap: Snapshot, prune: bool, notes: list[str], owned: frozenset[str] = frozenset()
) -> tuple[list[RuleChange], list[RuleWrite], list[str]]:
    """`owned`: the ids the deploy record lists; --prune deletes a rule only when it is one of them and its
    code carries our marker."""
    if snap.rules is None:
        if desired.rules:
            notes.append(f"{snap.rules_note} ({len(desired.rules)} rule template(s))")
        return [], [], []
    remote = list(snap.rules)
    taken: set[str] = set()
    pairs: list[tuple[DesiredRule, RemoteRule | None]] = []
    for rule in desired.rules:
        found = match(rule.template_id, rule.name, remote, taken)
        if found is not None:
            taken.add(found.id)
        pairs.append((rule, found))
    desired_ids = {r.template_id for r in desired.rules}
    leftovers = [r for r in remote if r.id not in taken]
    pruned = [r for r in leftovers if prune and r.owner is not None and r.owner not in desired_ids and r.id in owned]
    unmanaged = [r for r in leftovers if r not in pruned]
    targets = _rule_orders(desired.rules, unmanaged)
    changes: list[RuleChange] = []
    writes: list[RuleWrite] = [RuleWrite("DELETE", r.name, r.id, r.owner, {}) for r in pruned]
    patch_bodies: dict[str, dict[str, Any]] = {}
    config: set[str] = set()
    for rule, found in pairs:
        script = mark(rule.script, rule.template_id, rule.digest)
        if found is None:
            body = {"name": rule.name, "script": script, "enabled": rule.enabled}
            created: tuple[FieldChange, ...] = (FieldChange("order", "", str(targets[rule.template_id])),)
            if rule.stage != "login_success":  # the API takes a stage on creation only
                body["stage"] = rule.stage
                created += (FieldChange("stage", "", rule.stage),)
            patch_bodies[rule.template_id] = body
            changes.append(RuleChange("create", rule.name, rule.template_id, None, created))
            config.update(rule.configuration)
            continue
        fields: list[FieldChange] = []
        body = {}
        secrets_changed = rule.digest is not None and found.owner is not None and found.digest != rule.digest
        if found.script != rule.script or secrets_changed:
            body["script"] = script
            if found.script != rule.script:
                fields.append(FieldChange("script", "", "", diff(found.script, rule.script)))
        if secrets_changed:
            fields.append(FieldChange("configuration values", "(changed)", "(new values)"))
            config.update(rule.configuration)
        if found.name != rule.name:
            body["name"] = rule.name
            fields.append(FieldChange("name", found.name, rule.name))
        if found.enabled != rule.enabled:
            body["enabled"] = rule.enabled
            fields.append(FieldChange("enabled", str(found.enabled).lower(), str(rule.enabled).lower()))
        if found.order != targets[rule.template_id]:
            fields.append(FieldChange("order", str(found.order), str(targets[rule.template_id])))
        if found.stage != rule.stage:
            notes.append(
                f"rule {rule.name!r}: stage is {found.stage} on the tenant, {rule.stage} in the catalogue; "
                "the API cannot change a rule's stage (delete the rule on the tenant to have it created again)"
            )
        if body:
            if "script" not in body and found.owner is None:
                body["script"] = script  # mark it ours with this write
            patch_bodies[found.id] = body
        changes.append(
            RuleChange("update" if fields else "unchanged", rule.name, rule.template_id, found.id, tuple(fields))
        )
    for r in pruned:
        changes.append(RuleChange("delete", r.name, r.owner, r.id))
    for r in leftovers:
        if r not in pruned and r.owner is not None and r.owner not in desired_ids:
            changes.append(RuleChange("kept", r.name, r.owner, r.id))
    config.update(k for rule, _ in pairs for k in rule.configuration if k not in snap.config_keys)
    # orders: keys are remote ids for existing rules, template ids for creates
    current: dict[str, int | None] = {r.id: r.order for r in unmanaged}
    target: dict[str, int] = {}
    names: dict[str, tuple[str, str | None, str | None]] = {}
    for rule, found in pairs:
        key = found.id if found else rule.template_id
        current[key] = found.order if found else None
        target[key] = targets[rule.template_id]
        names[key] = (rule.name, found.id if found else None, rule.template_id)
    try:
        steps = moves(current, target)
    except OrderConflict as exc:
        raise UserError(f"rule orders: {exc}") from None
    done: set[str] = set()
    for step in steps:
        name, remote_id, tid = names[step.key]
        body = {"order": step.order}
        if not step.temporary:
            body = {**patch_bodies.pop(step.key, {}), **body}
            done.add(step.key)
        writes.append(RuleWrite("PATCH" if remote_id else "POST", name, remote_id, tid, body, step.temporary))
    for key, body in patch_bodies.items():  # field changes without an order move
        name, remote_id, tid = names[key]
        writes.append(RuleWrite("PATCH", name, remote_id, tid, body))
    # names are unique on the tenant (409): a rule renamed to a name another renamed rule still holds (two
    # rules swapping names, say) waits until that one has moved; the holder first takes a temporary name
    renamed = {found.id: rule for rule, found in pairs if found is not None and found.name != rule.name}
    wanted = [rule.name for rule, found in pairs if found is None or found.name != rule.name]  # creates too
    holder_of = {r.name: r for r in remote}
    parked = [holder_of[name] for name in wanted if name in holder_of and holder_of[name].id in renamed]
    first = len(pruned)  # after the deletes, before everything else
    for n, holder in enumerate(dict.fromkeys(parked)):
        writes.insert(first + n, RuleWrite("PATCH", holder.name, holder.id, holder.owner,
                                           {"name": temporary_name(holder.id)}, True))
    return changes, writes, sorted(config)
