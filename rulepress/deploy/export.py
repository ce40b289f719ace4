"""A tenant's rules and actions → one markdown file per resource in our format (onboarding).

Secrets and rules-configuration values are exported as names only. Files are written atomically, only
inside the output folder, under names that tenant content cannot choose: a template id read from a marker
in the tenant's code is used only when it is a safe id (catalogue.source.ID_RE), otherwise the name's slug.
An existing file is never overwritten. The action order of each trigger can be written to an environments
file the caller names (when there is none yet), so that build + plan on the export reports nothing to do.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from rulepress.catalogue.source import ID_RE
from rulepress.errors import UserError
from rulepress.files import write_atomic
from rulepress.remote.actions import read_actions, read_bindings
from rulepress.remote.client import Client
from rulepress.remote.records import STATE_ACTION, RemoteAction, RemoteRule, action_from_json
from rulepress.remote.rules import read_rules

_CONFIG_USE = re.compile(
    r"configuration\s*(?:\.\s*([A-Za-z_$][\w$]*)|\[\s*['\"]([A-Za-z0-9_\-@*+:]+)['\"]\s*\])"
)


@dataclass(frozen=True)
class Exported:
    files: tuple[Path, ...]
    config: Path | None
    notes: tuple[str, ...]


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100].strip("-") or "unnamed"


def file_id(owner: str | None, name: str, notes: list[str]) -> str:
    """The file name (without .md) for a resource: its marker's template id when that is a safe id."""
    if owner is not None and ID_RE.match(owner):
        return owner
    if owner is not None:
        notes.append(f"{name[:100]!r}: its marker names {owner[:60]!r}, not a safe file name; exported as "
                     f"{slug(name)}.md")
    return slug(name)


def _yaml(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON scalars and flow collections are YAML


def _fence(code: str) -> str:
    longest = max((len(m) for m in re.findall(r"`{3,}", code)), default=0)
    return "`" * max(3, longest + 1)


def _document(front: list[tuple[str, object]], name: str, what: str, code: str) -> str:
    fence = _fence(code)
    lines = [
        "---",
        *(f"{k}: {_yaml(v)}" for k, v in front),
        "---",
        f"# {name}",
        "",
        f"{what} exported from the tenant by `rulepress export`.",
        "",
        f"{fence}js",
        code,
        fence,
        "",
    ]
    return "\n".join(lines)


def action_markdown(a: RemoteAction) -> str:
    front: list[tuple[str, object]] = [
        ("gallery", True),
        ("kind", "action"),
        ("name", a.name),
        ("trigger", a.trigger),
        ("trigger_version", a.trigger_version),
        ("runtime", a.runtime),
        ("dependencies", dict(a.dependencies)),
        ("secrets", list(a.secrets)),
        ("deploy", a.deployed),
    ]
    return _document(front, a.name, "Action", a.code)


def rule_markdown(r: RemoteRule) -> str:
    keys = sorted({m[0] or m[1] for m in _CONFIG_USE.findall(r.script)})
    front: list[tuple[str, object]] = [
        ("gallery", True),
        ("kind", "rule"),
        ("name", r.name),
        ("enabled", r.enabled),
        ("stage", r.stage),
        ("configuration", keys),
    ]
    if r.order is not None:
        front.insert(4, ("order", r.order))
    return _document(front, r.name, "Rule", r.script)


def export(client: Client, out: Path, *, config_path: Path | None = None) -> Exported:
    if out.exists() and not out.is_dir():
        raise UserError(f"{out} is not a folder")
    rules, _, note = read_rules(client)
    raw = [i for i in read_actions(client) if i.get("name") != STATE_ACTION]
    actions = [action_from_json(i) for i in raw]
    notes = [note] if note else []
    docs: list[tuple[str, str]] = []
    ids: dict[str, str] = {}  # action id → template id
    for a in actions:
        if a.integration:
            notes.append(f"marketplace action {a.name!r} skipped")
            continue
        ids[a.id] = file_id(a.owner, a.name, notes)
        docs.append((ids[a.id], action_markdown(a)))
    for r in rules or ():
        docs.append((file_id(r.owner, r.name, notes), rule_markdown(r)))
    seen: set[str] = set()
    written: list[Path] = []
    for template_id, _ in docs:
        if template_id in seen:
            raise UserError(f"two resources export to {template_id}.md; rename one on the tenant first")
        seen.add(template_id)
        path = out / f"{template_id}.md"
        assert path.parent == out and ID_RE.match(template_id), template_id  # a safe id is one plain name
        if path.exists():
            raise UserError(f"{path} exists; export into an empty folder")
    try:
        out.mkdir(parents=True, exist_ok=True)  # only now: the tenant was read, nothing is left behind
        for template_id, text in docs:
            path = out / f"{template_id}.md"
            write_atomic(path, text.encode("utf-8"))
            written.append(path)
    except OSError as exc:
        done = f"; {len(written)} file(s) were written before it" if written else ""
        raise UserError(f"cannot write into {out}: {exc.strerror or exc}{done}") from None
    triggers = sorted({a.trigger for a in actions if a.id in ids})
    order: dict[str, list[str]] = {}
    for trigger in triggers:
        order[trigger] = [ids[b.action_id] for b in read_bindings(client, trigger) if b.action_id in ids]
    config_written = None
    if config_path is not None and not config_path.exists():
        lines = [
            "# Written by `rulepress export`: the tenant's actions in their execution order.",
            'default = "exported"',
            "",
            "[env.exported]",
            "",
            "[env.exported.triggers]",
        ]
        lines += [f"{_yaml(t)} = {_yaml(ids_)}" for t, ids_ in order.items() if ids_]
        write_atomic(config_path, ("\n".join(lines) + "\n").encode("utf-8"))
        config_written = config_path
    return Exported(tuple(written), config_written, tuple(notes))
