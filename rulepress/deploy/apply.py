"""Plan + client → effects, with progress. Secret values join the request bodies here and nowhere else.

Order: rules-config values, rule writes (in the planned safe order), action creates and patches (in
parallel), builds awaited with one list read per poll, deploys as soon as each build is done, bindings
(one PATCH per changed trigger), deletes, and last the deploy record. When anything fails the error
says what was applied and what was not; running again converges because the next plan starts from
what the tenant then holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from rulepress.deploy.plan import ActionChange, Plan
from rulepress.errors import UserError
from rulepress.remote import actions as remote_actions
from rulepress.remote import rules as remote_rules
from rulepress.remote.client import ODD_ANSWER, Client
from rulepress.remote.records import STATE_ACTION, Binding, DeployRecord, record_code

Progress = Callable[[str], None]


class DeployFailed(UserError):
    """A deploy stopped part-way; the message lists what was and was not applied."""


@dataclass
class Applied:
    done: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # template id → action id
    created: set[str] = field(default_factory=set)  # remote ids of the rules and actions created now
    deleted: set[str] = field(default_factory=set)  # and deleted now


def _secrets_body(change: ActionChange, values: Mapping[str, str]) -> list[dict[str, str]]:
    missing = [n for n in change.send_secrets if n not in values]
    if missing:  # checked before any write; this guards the invariant "nothing unresolved is sent"
        raise UserError(f"action {change.name!r}: no value for secret(s) {', '.join(missing)}")
    return [{"name": n, "value": values[n]} for n in change.send_secrets]


def _pending(plan: Plan, applied: Applied) -> list[str]:
    labels = [f"rules-config {k}" for k in plan.config_puts]
    labels += [f"rule {w.name!r}: {w.method}" for w in plan.rule_writes]
    labels += [f"action {name!r}: temporary name" for _, name, _ in plan.parked]
    for a in plan.actions:
        if a.op in ("create", "update", "delete"):
            labels.append(f"action {a.name!r}: {a.op}")
        if a.deploy:
            labels.append(f"action {a.name!r}: deploy")
    labels += [f"bindings {b.trigger}" for b in plan.bindings]
    labels += [f"rule {w.name!r}: disabled (replaced by its action)" for w in plan.cutover]
    if plan.record is not None:
        labels.append("deploy record")
    return [label for label in labels if label not in applied.done]


def steps(plan: Plan) -> list[str]:
    """The steps applying `plan` takes, as progress labels."""
    return _pending(plan, Applied())


def apply(
    plan: Plan,
    client: Client,
    values: Mapping[str, str],
    *,
    progress: Progress = lambda _: None,
    workers: int = 8,
) -> Applied:
    applied = Applied()
    try:
        try:
            _apply(plan, client, values, progress, workers, applied)
        except ODD_ANSWER as odd:
            raise UserError(client.odd_answer(odd)) from None
    except UserError as exc:
        _record_what_was_created(plan, client, applied)
        not_done = _pending(plan, applied)
        lines = [
            f"deploy to {plan.env!r} stopped: {exc}",
            f"applied ({len(applied.done)}): " + ("; ".join(applied.done) or "nothing"),
            f"not applied ({len(not_done)}): " + ("; ".join(not_done) or "nothing"),
            "run the deploy again: it plans from what the tenant now holds and finishes the job"
            if not _final(exc) else "running it again will not help until that is fixed",
        ]
        raise DeployFailed("\n".join(lines)) from None
    return applied


def _final(exc: UserError) -> bool:
    """An error that a second run meets again: a refusal of the request itself, not a passing fault."""
    status = getattr(exc, "status", None)
    return isinstance(status, int) and 400 <= status < 500 and status not in (404, 408, 409, 429)


def _note(applied: Applied, progress: Progress, label: str) -> None:
    applied.done.append(label)
    progress(label)


def _apply(
    plan: Plan, client: Client, values: Mapping[str, str], progress: Progress, workers: int, applied: Applied
) -> None:
    for key in plan.config_puts:
        if key not in values:
            raise UserError(f"no value for rules configuration key {key}")
        remote_rules.put_config(client, key, values[key])
        _note(applied, progress, f"rules-config {key}")
    for w in plan.rule_writes:
        if w.method == "DELETE" and w.remote_id:
            remote_rules.delete_rule(client, w.remote_id)
            applied.deleted.add(w.remote_id)
        elif w.method == "PATCH" and w.remote_id:
            remote_rules.patch_rule(client, w.remote_id, w.body)
        else:
            applied.created.add(remote_rules.create_rule(client, w.body).id)
        _note(applied, progress, f"rule {w.name!r}: {w.method}")
    for parked_id, name, temporary in plan.parked:  # names that a swap needs free, before any rename
        remote_actions.patch_action(client, parked_id, {"name": temporary})
        _note(applied, progress, f"action {name!r}: temporary name")
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        _apply_actions(plan, client, values, progress, pool, applied)
    for change in plan.bindings:
        refs = []
        for ref in change.new:
            action_id = ref.action_id or applied.ids.get(ref.template_id or "")
            if not action_id:
                raise UserError(f"bindings {change.trigger}: action {ref.display_name!r} was not created")
            refs.append(Binding(action_id, ref.display_name))
        remote_actions.patch_bindings(client, change.trigger, refs)
        _note(applied, progress, f"bindings {change.trigger}")
    for w in plan.cutover:  # the migrated actions are bound now: their rules stop running
        assert w.remote_id is not None
        remote_rules.patch_rule(client, w.remote_id, w.body)
        _note(applied, progress, f"rule {w.name!r}: disabled (replaced by its action)")
    for a in plan.actions:
        if a.op == "delete" and a.remote_id:
            remote_actions.delete_action(client, a.remote_id)
            applied.deleted.add(a.remote_id)
            _note(applied, progress, f"action {a.name!r}: delete")
    if plan.record is not None:  # what rulepress owns here now: what it managed, and what it created
        owned = (set(plan.record.owned or ()) | applied.created) - applied.deleted
        _write_record(plan, client, replace(plan.record, owned=tuple(sorted(owned))))
        _note(applied, progress, "deploy record")


def _write_record(plan: Plan, client: Client, record: DeployRecord) -> None:
    code = record_code(record)
    if plan.record_action_id:
        remote_actions.patch_action(client, plan.record_action_id, {"code": code})
    else:
        remote_actions.create_action(
            client, {"name": STATE_ACTION, "code": code, "supported_triggers": [{"id": "post-login", "version": "v3"}]})


def _record_what_was_created(plan: Plan, client: Client, applied: Applied) -> None:
    """A deploy stopped after creating something: the record learns of it all the same (keeping the version
    it had), so --prune can delete it later. Best effort: the deploy has failed already."""
    if plan.record is None or not applied.created or "deploy record" in applied.done:
        return
    old = plan.old_record
    owned = (set(old.owned or ()) if old else set()) | set(plan.record.owned or ()) | applied.created
    record = DeployRecord(old.version if old else "", old.sha if old else None, plan.env,
                          tuple(sorted(owned - applied.deleted)))
    try:
        _write_record(plan, client, record)
    except UserError:
        pass


def _apply_actions(
    plan: Plan,
    client: Client,
    values: Mapping[str, str],
    progress: Progress,
    pool: ThreadPoolExecutor,
    applied: Applied,
) -> None:
    writes = [a for a in plan.actions if a.op in ("create", "update")]

    def write(change: ActionChange) -> tuple[ActionChange, str]:
        body: dict[str, Any] = dict(change.body or {})
        if change.send_secrets:
            body["secrets"] = _secrets_body(change, values)
        if change.op == "create":
            return change, remote_actions.create_action(client, body).id
        assert change.remote_id is not None
        remote_actions.patch_action(client, change.remote_id, body)
        return change, change.remote_id

    errors: list[str] = []
    for future in [pool.submit(write, c) for c in writes]:
        try:
            change, action_id = future.result()
        except UserError as exc:
            errors.append(str(exc))
            continue
        if change.template_id:
            applied.ids[change.template_id] = action_id
        if change.op == "create":
            applied.created.add(action_id)
        _note(applied, progress, f"action {change.name!r}: {change.op}")
    for a in plan.actions:
        if a.template_id and a.remote_id:
            applied.ids.setdefault(a.template_id, a.remote_id)
    if errors:
        raise UserError("\n".join(errors))
    names = {applied.ids[a.template_id]: a.name for a in plan.actions if a.template_id in applied.ids}
    # creates with deploy=true are deployed by the tenant once built; the others need POST …/deploy
    auto = {
        applied.ids[a.template_id] for a in plan.actions if a.op == "create" and a.deploy and a.template_id
    }
    manual = {
        applied.ids[a.template_id]
        for a in plan.actions
        if a.deploy and a.op != "create" and a.template_id in applied.ids
    }
    deploys: list[Future[None]] = []

    def deploy(item: dict[str, Any]) -> None:
        if item["id"] in manual:
            deploys.append(pool.submit(remote_actions.deploy_action, client, str(item["id"])))

    if manual:
        remote_actions.wait_for(client, manual, remote_actions.is_built, on_ready=deploy)
    for f in deploys:
        f.result()
    if auto or manual:
        remote_actions.wait_for(
            client,
            auto | manual,
            remote_actions.is_live,
            on_ready=lambda item: _note(applied, progress, f"action {names[str(item['id'])]!r}: deploy"),
        )
