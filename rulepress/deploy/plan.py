"""Desired state + remote snapshot → Plan: exactly what to create, update, move, bind and delete (pure).

Ownership: a remote rule or action is *ours to update* when its name (or our code marker) matches a
template of the environment; it is *ours to delete* (`--prune`) only when its code carries our marker *and*
the tenant's deploy record lists its id (a marker alone anyone could write). Marketplace actions (with
`integration`) are never touched. A missing marker alone is not a change (so an exported tenant plans as
"nothing to do"); it is added with the next write.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rulepress.deploy.changes import (
    ActionChange,
    BindingChange,
    BindingRef,
    FieldChange,
    Op,
    Plan,
    RuleChange,
    RuleWrite,
    diff,
    match,
    temporary_name,
)
from rulepress.deploy.desired import Desired, DesiredAction
from rulepress.deploy.plan_rules import plan_rules
from rulepress.errors import UserError
from rulepress.remote.marker import mark
from rulepress.remote.records import DeployRecord, RemoteAction, Snapshot, version_key

__all__ = ["ActionChange", "BindingChange", "BindingRef", "FieldChange", "Plan", "RuleChange", "RuleWrite", "make_plan"]


# -- actions -------------------------------------------------------------------------------------------


def _action_body(a: DesiredAction) -> dict[str, Any]:
    return {
        "name": a.name,
        "code": mark(a.code, a.template_id, a.digest),
        "supported_triggers": [{"id": a.trigger, "version": a.trigger_version}],
        "runtime": a.runtime,
        "dependencies": [{"name": n, "version": v} for n, v in a.dependencies],
    }


def _action_change(a: DesiredAction, found: RemoteAction | None) -> ActionChange:
    full = _action_body(a)
    if found is None:
        created = (FieldChange("trigger", "", f"{a.trigger} {a.trigger_version}"),)
        return ActionChange(
            "create", a.name, a.template_id, None, created, {**full, "deploy": a.deploy}, a.secrets, a.deploy
        )
    fields: list[FieldChange] = []
    body: dict[str, Any] = {}
    secrets_changed = a.digest is not None and found.owner is not None and found.digest != a.digest
    if found.code != a.code:
        fields.append(FieldChange("code", "", "", diff(found.code, a.code)))
    if found.name != a.name:
        body["name"] = a.name
        fields.append(FieldChange("name", found.name, a.name))
    if (found.trigger, found.trigger_version) != (a.trigger, a.trigger_version):
        body["supported_triggers"] = full["supported_triggers"]
        fields.append(
            FieldChange("trigger", f"{found.trigger} {found.trigger_version}", f"{a.trigger} {a.trigger_version}")
        )
    if found.runtime != a.runtime:
        body["runtime"] = a.runtime
        fields.append(FieldChange("runtime", found.runtime, a.runtime))
    if found.dependencies != a.dependencies:
        body["dependencies"] = full["dependencies"]
        fields.append(FieldChange("dependencies", _deps(found.dependencies), _deps(a.dependencies)))
    send: tuple[str, ...] = ()
    if found.secrets != a.secrets or secrets_changed:
        send = a.secrets
        if found.secrets != a.secrets:
            fields.append(
                FieldChange("secrets", ", ".join(found.secrets) or "(none)", ", ".join(a.secrets) or "(none)")
            )
        else:
            fields.append(FieldChange("secret values", "(changed)", "(new values, not shown)"))
    if fields or (body and found.owner is None):
        body["code"] = full["code"]
    if found.secrets != a.secrets and not a.secrets:
        body["secrets"] = []
    needs_deploy = a.deploy and (bool(fields) or not found.all_changes_deployed)
    if not fields and needs_deploy:
        fields.append(FieldChange("deployed", "no (draft has undeployed changes)", "yes"))
    op: Op = "update" if body or send else "unchanged"
    return ActionChange(op, a.name, a.template_id, found.id, tuple(fields), body or None, send, needs_deploy)


def _deps(deps: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{n}@{v}" for n, v in deps) or "(none)"


def plan_actions(desired: Desired, snap: Snapshot, prune: bool, owned: frozenset[str] = frozenset()
                 ) -> tuple[list[ActionChange], dict[str, str]]:
    """Changes, and template id → remote id of every matched action. --prune deletes an action only when
    the deploy record lists it (`owned`) and its code carries our marker."""
    ours = [a for a in snap.actions if not a.integration and a.id != snap.record_action_id]
    marketplace = {a.name for a in snap.actions if a.integration}
    taken: set[str] = set()
    changes: list[ActionChange] = []
    ids: dict[str, str] = {}
    for action in desired.actions:
        if action.name in marketplace:
            raise UserError(f"action {action.name!r}: a marketplace action has this name; rename the template")
        found = match(action.template_id, action.name, ours, taken)
        if found is not None:
            taken.add(found.id)
            ids[action.template_id] = found.id
        changes.append(_action_change(action, found))
    desired_ids = {a.template_id for a in desired.actions}
    for left in ours:
        if left.id in taken or left.owner is None or left.owner in desired_ids:
            continue
        changes.append(ActionChange("delete" if prune and left.id in owned else "kept", left.name, left.owner,
                                    left.id))
    return changes, ids


def plan_bindings(
    desired: Desired, snap: Snapshot, ids: dict[str, str], changes: list[ActionChange]
) -> list[BindingChange]:
    """Per trigger, the new ordered list: our actions in catalogue order, in the slots ours held; others keep
    their relative places. Only triggers whose list changes appear."""
    names = {a.template_id: a.name for a in desired.actions}
    managed = set(ids.values()) | {c.remote_id for c in changes if c.op == "delete" and c.remote_id}
    deleted = {c.remote_id for c in changes if c.op == "delete"}
    out: list[BindingChange] = []
    for trigger in sorted(set(desired.bindings) | set(snap.bindings)):
        current = [b for b in snap.bindings.get(trigger, ()) if b.action_id not in deleted]
        wanted = [BindingRef(ids.get(t), t, names[t]) for t in desired.bindings.get(trigger, ())]
        merged: list[BindingRef] = []
        queue = list(wanted)
        for b in current:
            if b.action_id in managed:
                if queue:
                    merged.append(queue.pop(0))
            else:
                merged.append(BindingRef(b.action_id, None, b.display_name))
        merged.extend(queue)
        before = [BindingRef(b.action_id, None, b.display_name) for b in current]
        if [(r.action_id, r.display_name) for r in merged] != [(r.action_id, r.display_name) for r in before] or any(
            r.action_id is None for r in merged
        ):
            old = tuple(b.display_name for b in snap.bindings.get(trigger, ()))
            out.append(BindingChange(trigger, old, tuple(merged)))
    return out


def _parked(desired: Desired, snap: Snapshot, actions: list[ActionChange]) -> tuple[tuple[str, str, str], ...]:
    """Action names are unique too: an action renamed (or created) under a name another renamed action still
    holds (two actions swapping names) waits until the holder has moved; the holder first takes a
    temporary name."""
    renamed = {c.remote_id for c in actions if c.remote_id and any(f.field == "name" for f in c.fields)}
    wanted = {c.name for c in actions if c.op == "create" or any(f.field == "name" for f in c.fields)}
    out = []
    for a in snap.actions:
        if a.name in wanted and a.id in renamed:
            out.append((a.id, a.name, temporary_name(a.id)))
    return tuple(out)


# -- the cutover from a rule to the action migrated from it ------------------------------------------------


def _cutover(desired: Desired, snap: Snapshot, notes: list[str], owned: frozenset[str]
             ) -> tuple[Desired, list[RuleWrite]]:
    """An action with `migrated_from` replaces that rule: once the action is deployed and bound, the rule is
    disabled (not deleted), so the two never both run after a deploy. The rule's own template (if it is
    still in the catalogue) then leaves `enabled` as the tenant has it, and a new one is created disabled."""
    # rules run at login: only a deployed post-login action takes a rule's place
    replaced = {a.migrated_from: a for a in desired.actions
                if a.migrated_from and a.deploy and a.trigger == "post-login"}
    if not replaced:
        return desired, []
    if snap.rules is None:
        notes.append(f"this tenant has no rules to disable ({snap.rules_note}); the migrated action(s) "
                     f"{', '.join(repr(a.name) for a in replaced.values())} simply take over")
        return desired, []
    remote = list(snap.rules)
    names = {r.template_id: r.name for r in desired.rules}
    # the rule, whether its template is still in the catalogue (which names it) or not: then only a rule the
    # deploy record lists as rulepress's and whose marker names the template is taken (a marker alone could
    # be forged)
    found_for = {tid: match(tid, names[tid], remote, set()) if tid in names else next(
        (r for r in remote if r.owner == tid and r.id in owned), None) for tid in replaced}
    rules = []
    for rule in desired.rules:
        found = found_for.get(rule.template_id)
        # a replaced rule keeps `enabled` as the tenant has it (the cutover below writes it); a new one is
        # created disabled
        rules.append(rule if rule.template_id not in replaced
                     else replace(rule, enabled=found.enabled if found is not None else False))
    writes: list[RuleWrite] = []
    for tid, action in replaced.items():
        found = found_for[tid]
        if found is None:
            notes.append(f"action {action.name!r} replaces rule {tid!r}, which this tenant does not show as "
                         f"rulepress's: nothing is disabled; disable that rule by hand if it still runs")
            continue
        if not found.enabled:
            continue
        writes.append(RuleWrite("PATCH", found.name, found.id, tid, {"enabled": False}))
        later = sorted(r.name for r in remote if r.enabled and r.id != found.id and r.order is not None
                       and found.order is not None and r.order > found.order
                       and r.owner not in replaced)
        if later:
            notes.append(f"rule {found.name!r} ran before rule(s) {', '.join(repr(n) for n in later)}; as action "
                         f"{action.name!r} its logic runs after every rule (rules run before actions)")
    return replace(desired, rules=tuple(rules)), writes


# -- the whole plan ------------------------------------------------------------------------------------


def make_plan(
    desired: Desired,
    snap: Snapshot,
    *,
    env: str,
    version: str | None,
    sha: str | None,
    prune: bool = False,
    force: bool = False,
) -> Plan:
    notes: list[str] = []
    old = snap.record
    if old is not None and version is not None and version_key(old.version) > version_key(version) and not force:
        raise UserError(
            f"the tenant runs catalogue {old.version} ({old.sha or 'no commit'}), newer than this "
            f"one ({version}); deploy a newer catalogue, or use --force"
        )
    owned = frozenset(old.owned or ()) if old is not None else frozenset()
    desired, cutover = _cutover(desired, snap, notes, owned)
    rules, rule_writes, config = plan_rules(desired, snap, prune, notes, owned)
    actions, ids = plan_actions(desired, snap, prune, owned)
    both: list[RuleChange | ActionChange] = [*rules, *actions]
    parked = _parked(desired, snap, actions)
    if prune:
        for c in both:
            if c.op == "kept" and c.remote_id not in owned:
                notes.append(f"{c.name!r} carries rulepress's marker but this tenant's deploy record does not "
                             f"list it: kept (a marker alone could be forged)")
    # what rulepress manages here after this deploy (the ids of resources created now are added by apply)
    managed = {c.remote_id for c in both
               if c.remote_id and c.op != "delete" and (c.op != "kept" or c.remote_id in owned)}
    adopted = sorted(managed - owned)
    if adopted and old is not None:
        notes.append(f"adopting {len(adopted)} resource(s) into the deploy record (deployed before it listed "
                     f"what rulepress owns): --prune may delete them once they leave the catalogue")
    bindings = plan_bindings(desired, snap, ids, actions)
    cutover = [w for w in cutover if not any(d.method == "DELETE" and d.remote_id == w.remote_id
                                             for d in rule_writes)]
    changed = bool(
        rule_writes or cutover or config or bindings
        or any(a.op in ("create", "update", "delete") or a.deploy for a in actions)
    )
    record: DeployRecord | None = None
    if version is not None or changed:
        new = DeployRecord(version if version is not None else old.version if old else "", sha, env,
                           tuple(sorted(managed)))
        if (changed or (version is not None and (old is None or old.version != version))
                or (old is not None and set(old.owned or ()) != managed)):
            record = new
            room = len(snap.actions) + sum(a.op == "create" for a in actions) - sum(a.op == "delete" for a in actions)
            if snap.record_action_id is None and room >= 100:
                notes.append(
                    "no room for the deploy record (100 actions is the tenant limit): version checks "
                    "against this tenant are off"
                )
                record = None
    return Plan(
        env,
        tuple(rules),
        tuple(rule_writes),
        tuple(config),
        tuple(actions),
        tuple(bindings),
        record,
        snap.record_action_id,
        old,
        tuple(notes),
        cutover=tuple(cutover),
        parked=parked,
    )
