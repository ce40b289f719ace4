"""A Plan as text for people and as JSON for machines. Plans hold no secret values, so neither does this."""

from __future__ import annotations

from typing import Any

from rulepress.deploy.plan import ActionChange, FieldChange, Plan, RuleChange

_SIGN = {"create": "+", "update": "~", "delete": "-", "unchanged": "=", "kept": "!"}


def counts(plan: Plan) -> dict[str, int]:
    out = {"create": 0, "update": 0, "delete": 0, "unchanged": 0, "kept": 0}
    items: list[RuleChange | ActionChange] = [*plan.rules, *plan.actions]
    for item in items:
        op = item.op
        if isinstance(item, ActionChange) and op == "unchanged" and item.deploy:
            op = "update"
        out[op] += 1
    return out


def _fields(fields: tuple[FieldChange, ...]) -> list[str]:
    lines = []
    for f in fields:
        if f.diff:
            lines.append(f"      {f.field}:")
            lines.extend("        " + line for line in f.diff.splitlines())
        elif f.old:
            lines.append(f"      {f.field}: {f.old} -> {f.new}")
        else:
            lines.append(f"      {f.field}: {f.new}")
    return lines


def _item(kind: str, change: RuleChange | ActionChange, verbose: bool) -> list[str]:
    op = change.op
    if isinstance(change, ActionChange) and op == "unchanged" and change.deploy:
        op = "update"
    if op == "unchanged" and not verbose:
        return []
    if op == "kept":
        return [f"  ! {kind} {change.name!r} left the catalogue; kept (run with --prune to delete it)"]
    head = f"  {_SIGN[op]} {kind} {change.name!r}"
    if op == "create":
        head += " (create)"
    elif op == "delete":
        head += " (delete)"
    return [head] + (_fields(change.fields) if op in ("create", "update") else [])


def other_writes(plan: Plan) -> list[str]:
    """What a deploy writes besides rules and actions: the header counts these too, so that it and the
    exit code of `plan` always agree."""
    out = []
    if plan.rule_writes and not any(c.op in ("create", "update") for c in plan.rules):
        out.append("rule orders")
    if plan.config_puts:
        out.append(f"{len(plan.config_puts)} rules-config value(s)")
    if plan.cutover:
        out.append(f"{len(plan.cutover)} rule(s) disabled for their migrated action")
    if plan.bindings:
        out.append("bindings of " + ", ".join(b.trigger for b in plan.bindings))
    if plan.record is not None:
        out.append("the deploy record")
    return out


def render(plan: Plan, *, where: str = "", verbose: bool = False) -> str:
    c = counts(plan)
    summary = (
        f"{c['create']} to create, {c['update']} to update, {c['delete']} to delete, "
        f"{c['unchanged']} unchanged"
    )
    others = other_writes(plan)
    if others:
        summary += "; also to write: " + ", ".join(others)
    lines = [f"plan for environment {plan.env!r}{' (' + where + ')' if where else ''}: {summary}"]
    for rule in plan.rules:
        lines += _item("rule", rule, verbose)
    moves = [w for w in plan.rule_writes if "order" in w.body]
    if moves:
        lines.append(
            "  rule order writes: "
            + ", ".join(
                f"{w.name!r} -> {w.body['order']}{' (temporary)' if w.temporary else ''}" for w in moves
            )
        )
    if plan.config_puts:
        lines.append("  ~ rules-config values set (not shown): " + ", ".join(plan.config_puts))
    for _, name, temporary in plan.parked:
        lines.append(f"  ~ action {name!r}: renamed {temporary!r} first (its name goes to another action)")
    for action in plan.actions:
        lines += _item("action", action, verbose)
    for b in plan.bindings:
        new = [r.display_name for r in b.new]
        lines.append(f"  ~ bindings {b.trigger}: [{', '.join(b.old)}] -> [{', '.join(new)}]")
    for w in plan.cutover:
        lines.append(f"  ~ rule {w.name!r}: disabled after the bindings (its migrated action replaces it)")
    if plan.record is not None:
        old = (
            f"{plan.old_record.version} ({plan.old_record.sha or 'no commit'})" if plan.old_record else "none"
        )
        lines.append(f"  ~ deploy record: {old} -> {plan.record.version} ({plan.record.sha or 'no commit'})")
    for note in plan.notes:
        lines.append(f"  note: {note}")
    for line in plan.limits:
        lines.append(f"  ! {line}; deploy will refuse")
    if plan.unset:
        lines.append(f"  ! value not set: {', '.join(plan.unset)}: deploy will refuse (these secrets' values "
                     f"are not compared)")
    if not plan.has_changes:
        lines.append("  nothing to do")
    return "\n".join(lines)


def to_json(plan: Plan) -> dict[str, Any]:
    def fields(fs: tuple[FieldChange, ...]) -> list[dict[str, str]]:
        return [
            {"field": f.field, "old": f.old, "new": f.new, **({"diff": f.diff} if f.diff else {})} for f in fs
        ]

    return {
        "env": plan.env,
        "changes": plan.has_changes,
        "counts": counts(plan),
        "also": other_writes(plan),
        "unset": list(plan.unset),
        "limits": list(plan.limits),
        "cutover": [{"rule": w.name, "id": w.remote_id} for w in plan.cutover],
        "rules": [
            {
                "op": r.op,
                "name": r.name,
                "template": r.template_id,
                "id": r.remote_id,
                "fields": fields(r.fields),
            }
            for r in plan.rules
        ],
        "rule_writes": [
            {"method": w.method, "name": w.name, "order": w.body.get("order"), "temporary": w.temporary}
            for w in plan.rule_writes
        ],
        "rules_configs": list(plan.config_puts),
        "actions": [
            {
                "op": a.op,
                "name": a.name,
                "template": a.template_id,
                "id": a.remote_id,
                "deploy": a.deploy,
                "secrets_sent": list(a.send_secrets),
                "fields": fields(a.fields),
            }
            for a in plan.actions
        ],
        "bindings": [
            {"trigger": b.trigger, "old": list(b.old), "new": [r.display_name for r in b.new]}
            for b in plan.bindings
        ],
        "record": None if plan.record is None else {"version": plan.record.version, "sha": plan.record.sha},
        "notes": list(plan.notes),
    }
