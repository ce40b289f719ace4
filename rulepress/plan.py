"""Desired state + remote snapshot → Plan: exactly what to create, update, move, bind and delete (pure).

Ownership: a remote rule or action is *ours to update* when its name (or our code marker) matches a
template of the environment; it is *ours to delete* (`--prune`) only when its code carries our marker,
i.e. rulepress wrote it. Marketplace actions (with `integration`) are never touched. A missing marker
alone is not a change (so an exported tenant plans as "nothing to do"); it is added with the next write.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from rulepress.desired import Desired, DesiredAction, DesiredRule
from rulepress.errors import UserError
from rulepress.ordering import OrderConflict, moves
from rulepress.remote.marker import mark
from rulepress.remote.records import DeployRecord, RemoteAction, RemoteRule, Snapshot, version_key

Op = Literal["create", "update", "delete", "unchanged", "kept"]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str
    diff: str = ""  # unified diff, for code


@dataclass(frozen=True)
class RuleChange:
    op: Op
    name: str
    template_id: str | None
    remote_id: str | None
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class RuleWrite:
    """One rules API call, in the order they must be sent."""

    method: Literal["POST", "PATCH", "DELETE"]
    name: str
    remote_id: str | None
    template_id: str | None
    body: dict[str, Any]
    temporary: bool = False


@dataclass(frozen=True)
class ActionChange:
    op: Op
    name: str
    template_id: str | None
    remote_id: str | None
    fields: tuple[FieldChange, ...] = ()
    body: dict[str, Any] | None = None  # POST/PATCH body; secret values are added at apply time only
    send_secrets: tuple[str, ...] = ()
    deploy: bool = False  # a deploy is needed after the write (or, alone, for a built undeployed draft)


@dataclass(frozen=True)
class BindingRef:
    action_id: str | None  # None: an action this plan creates
    template_id: str | None
    display_name: str


@dataclass(frozen=True)
class BindingChange:
    trigger: str
    old: tuple[str, ...]
    new: tuple[BindingRef, ...]


@dataclass(frozen=True)
class Plan:
    env: str
    rules: tuple[RuleChange, ...]
    rule_writes: tuple[RuleWrite, ...]
    config_puts: tuple[str, ...]
    actions: tuple[ActionChange, ...]
    bindings: tuple[BindingChange, ...]
    record: DeployRecord | None  # to write at the end; None: leave the record as it is
    record_action_id: str | None
    old_record: DeployRecord | None
    notes: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(
            self.rule_writes
            or self.config_puts
            or self.bindings
            or self.record is not None
            or any(a.op in ("create", "update", "delete") or a.deploy for a in self.actions)
        )


def _diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "tenant", "catalogue", n=2, lineterm="")
    return "\n".join(lines)


def _match(desired_id: str, desired_name: str, remote: list[Any], taken: set[str]) -> Any:
    for item in remote:
        if item.id not in taken and item.owner == desired_id:
            return item
    for item in remote:
        if item.id not in taken and item.name == desired_name:
            return item
    return None


# -- rules ---------------------------------------------------------------------------------------------


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
    desired: Desired, snap: Snapshot, prune: bool, notes: list[str]
) -> tuple[list[RuleChange], list[RuleWrite], list[str]]:
    if snap.rules is None:
        if desired.rules:
            notes.append(f"{snap.rules_note} ({len(desired.rules)} rule template(s))")
        return [], [], []
    remote = list(snap.rules)
    taken: set[str] = set()
    pairs: list[tuple[DesiredRule, RemoteRule | None]] = []
    for rule in desired.rules:
        found = _match(rule.template_id, rule.name, remote, taken)
        if found is not None:
            taken.add(found.id)
        pairs.append((rule, found))
    desired_ids = {r.template_id for r in desired.rules}
    leftovers = [r for r in remote if r.id not in taken]
    pruned = [r for r in leftovers if prune and r.owner is not None and r.owner not in desired_ids]
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
            patch_bodies[rule.template_id] = body
            changes.append(
                RuleChange(
                    "create",
                    rule.name,
                    rule.template_id,
                    None,
                    (FieldChange("order", "", str(targets[rule.template_id])),),
                )
            )
            config.update(rule.configuration)
            if rule.stage != "login_success":
                notes.append(
                    f"rule {rule.name!r}: stage {rule.stage} cannot be set through the API; "
                    "it is created as login_success"
                )
            continue
        fields: list[FieldChange] = []
        body = {}
        secrets_changed = rule.digest is not None and found.owner is not None and found.digest != rule.digest
        if found.script != rule.script or secrets_changed:
            body["script"] = script
            if found.script != rule.script:
                fields.append(FieldChange("script", "", "", _diff(found.script, rule.script)))
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
                "the API cannot change a rule's stage"
            )
        if body:
            if "script" not in body and found.owner is None:
                body["script"] = script  # mark it ours with this write
            patch_bodies[found.id] = body
        changes.append(
            RuleChange(
                "update" if fields else "unchanged", rule.name, rule.template_id, found.id, tuple(fields)
            )
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
    return changes, writes, sorted(config)


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
        fields.append(FieldChange("code", "", "", _diff(found.code, a.code)))
    if found.name != a.name:
        body["name"] = a.name
        fields.append(FieldChange("name", found.name, a.name))
    if (found.trigger, found.trigger_version) != (a.trigger, a.trigger_version):
        body["supported_triggers"] = full["supported_triggers"]
        fields.append(
            FieldChange(
                "trigger", f"{found.trigger} {found.trigger_version}", f"{a.trigger} {a.trigger_version}"
            )
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


def plan_actions(desired: Desired, snap: Snapshot, prune: bool) -> tuple[list[ActionChange], dict[str, str]]:
    """Changes, and template id → remote id of every matched action."""
    ours = [a for a in snap.actions if not a.integration and a.id != snap.record_action_id]
    marketplace = {a.name for a in snap.actions if a.integration}
    taken: set[str] = set()
    changes: list[ActionChange] = []
    ids: dict[str, str] = {}
    for action in desired.actions:
        if action.name in marketplace:
            raise UserError(
                f"action {action.name!r}: a marketplace action has this name; rename the template"
            )
        found = _match(action.template_id, action.name, ours, taken)
        if found is not None:
            taken.add(found.id)
            ids[action.template_id] = found.id
        changes.append(_action_change(action, found))
    desired_ids = {a.template_id for a in desired.actions}
    for left in ours:
        if left.id in taken or left.owner is None or left.owner in desired_ids:
            continue
        changes.append(ActionChange("delete" if prune else "kept", left.name, left.owner, left.id))
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
        if [(r.action_id, r.display_name) for r in merged] != [
            (r.action_id, r.display_name) for r in before
        ] or any(r.action_id is None for r in merged):
            old = tuple(b.display_name for b in snap.bindings.get(trigger, ()))
            out.append(BindingChange(trigger, old, tuple(merged)))
    return out


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
    if (
        old is not None
        and version is not None
        and version_key(old.version) > version_key(version)
        and not force
    ):
        raise UserError(
            f"the tenant runs catalogue {old.version} ({old.sha or 'no commit'}), newer than this "
            f"one ({version}); deploy a newer catalogue, or use --force"
        )
    rules, rule_writes, config = plan_rules(desired, snap, prune, notes)
    actions, ids = plan_actions(desired, snap, prune)
    bindings = plan_bindings(desired, snap, ids, actions)
    changed = bool(
        rule_writes
        or config
        or bindings
        or any(a.op in ("create", "update", "delete") or a.deploy for a in actions)
    )
    record: DeployRecord | None = None
    if version is not None:
        new = DeployRecord(version, sha, env)
        if changed or old is None or old.version != version:
            record = new
            room = (
                len(snap.actions)
                + sum(a.op == "create" for a in actions)
                - sum(a.op == "delete" for a in actions)
            )
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
    )
