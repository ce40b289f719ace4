"""rules.json entries (typed, as the build wrote them) + one environment → the state a tenant should be in
(pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rulepress.catalogue.model import Entry
from rulepress.deploy.environments import Environment
from rulepress.errors import UserError
from rulepress.remote.marker import secrets_digest

MAX_BOUND = 20  # actions per trigger
_KEYWORD = re.compile(r"@@([A-Za-z_][A-Za-z0-9_]*)@@")


@dataclass(frozen=True)
class DesiredRule:
    template_id: str
    name: str
    script: str
    enabled: bool
    order: int | None
    stage: str
    configuration: tuple[str, ...]
    digest: str | None


@dataclass(frozen=True)
class DesiredAction:
    template_id: str
    name: str
    code: str
    trigger: str
    trigger_version: str
    runtime: str
    dependencies: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...]
    digest: str | None
    deploy: bool
    migrated_from: str | None = None  # the legacy rule this action replaces: disabled once it is bound


@dataclass(frozen=True)
class Desired:
    rules: tuple[DesiredRule, ...]
    actions: tuple[DesiredAction, ...]
    bindings: dict[str, tuple[str, ...]] = field(default_factory=dict)  # trigger → template ids, in order


def secret_names(entries: Sequence[Entry], env: Environment) -> list[str]:
    """Every secret and rules-configuration name the environment's templates read."""
    names: set[str] = set()
    for entry in entries:
        if not env.takes(entry.id):
            continue
        if entry.action is not None:
            names.update(entry.action.secrets)
        if entry.rule is not None:
            names.update(entry.rule.configuration)
    return sorted(names)


def _digest(names: Sequence[str], values: Mapping[str, str], key: str) -> str | None:
    """What the tenant's marker is compared with; None (not compared) while any value is unknown."""
    if any(name not in values for name in names):
        return None
    return secrets_digest({name: values[name] for name in names}, key)


def _keywords(template_id: str, code: str, keywords: Mapping[str, str], problems: list[str]) -> str:
    unknown = sorted({m for m in _KEYWORD.findall(code) if m not in keywords})
    for name in unknown:
        problems.append(f"{template_id}: keyword @@{name}@@ has no value in this environment")
    return _KEYWORD.sub(lambda m: keywords.get(m[1], m[0]), code)


def desired_state(
    entries: Sequence[Entry], env: Environment, values: Mapping[str, str], digest_key: str
) -> Desired:
    """Raises UserError listing every problem (unknown ids, keywords without values, duplicate names)."""
    problems: list[str] = []
    keywords = dict(env.keywords)
    rules: list[DesiredRule] = []
    actions: list[DesiredAction] = []
    known = {e.id for e in entries}
    for pattern in env.templates + env.exclude:
        if not any(c in pattern for c in "*?[") and pattern not in known:
            problems.append(f"environment {env.name!r}: no published template {pattern!r}")
    for entry in entries:
        tid = entry.id
        if not env.takes(tid):
            continue
        code = _keywords(tid, entry.code, keywords, problems)
        if entry.rule is not None:
            r = entry.rule
            digest = _digest(r.configuration, values, digest_key)
            rules.append(DesiredRule(tid, entry.name, code, r.enabled, r.order, r.stage, r.configuration, digest))
        elif entry.action is not None:
            a = entry.action
            names = tuple(sorted(a.secrets))
            digest = _digest(names, values, digest_key)
            actions.append(DesiredAction(tid, entry.name, code, a.trigger, a.trigger_version, a.runtime,
                                         a.dependencies, names, digest, a.deploy, a.migrated_from))
    for kind, items in (("rule", [r.name for r in rules]), ("action", [a.name for a in actions])):
        seen: set[str] = set()
        for name in items:
            if name in seen:
                problems.append(f"two {kind} templates deploy under the name {name!r}")
            seen.add(name)
    bindings = _bindings(env, actions, problems)
    if problems:
        raise UserError("\n".join(problems))
    return Desired(tuple(rules), tuple(actions), bindings)


def _bindings(
    env: Environment, actions: Sequence[DesiredAction], problems: list[str]
) -> dict[str, tuple[str, ...]]:
    """Per trigger: the listed templates first, in the listed order, then the other deployed ones by id."""
    by_trigger: dict[str, list[str]] = {}
    for action in sorted(actions, key=lambda a: a.template_id):
        if action.deploy:
            by_trigger.setdefault(action.trigger, []).append(action.template_id)
    out: dict[str, tuple[str, ...]] = {}
    listed = dict(env.triggers)
    for trigger in sorted(set(by_trigger) | set(listed)):
        present = by_trigger.get(trigger, [])
        first = []
        for tid in listed.get(trigger, ()):
            if tid not in present:
                problems.append(
                    f"environment {env.name!r}: triggers.{trigger} lists {tid!r}, which is not a "
                    f"deployed {trigger} action of this environment"
                )
            elif tid not in first:
                first.append(tid)
        out[trigger] = tuple(first + [t for t in present if t not in first])
        if len(out[trigger]) > MAX_BOUND:
            problems.append(f"environment {env.name!r}: {len(out[trigger])} actions bound to {trigger}; a trigger "
                            f"takes at most {MAX_BOUND} (set deploy: false on some, or split environments)")
    return out
