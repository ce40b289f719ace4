"""The values a plan is made of: what changes, field by field, and the writes in their safe order."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from rulepress.remote.records import DeployRecord

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
    unset: tuple[str, ...] = ()  # secrets whose values were not given: not compared; a deploy refuses
    cutover: tuple[RuleWrite, ...] = ()  # rules replaced by migrated actions: disabled after the bindings
    parked: tuple[tuple[str, str, str], ...] = ()  # (action id, name, temporary name): renamed first (a swap)
    limits: tuple[str, ...] = ()  # what the environment's plan cannot hold: a deploy refuses

    @property
    def has_changes(self) -> bool:
        return bool(
            self.rule_writes
            or self.cutover
            or self.config_puts
            or self.bindings
            or self.record is not None
            or any(a.op in ("create", "update", "delete") or a.deploy for a in self.actions)
        )


def temporary_name(remote_id: str) -> str:
    """A name a rule or action takes for a moment, so another one can take its name (names are unique)."""
    return f"rulepress-renaming-{''.join(c for c in remote_id if c.isalnum())[-12:]}"


def diff(old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), "tenant", "catalogue", n=2, lineterm="")
    return "\n".join(lines)


def match(desired_id: str, desired_name: str, remote: list[Any], taken: set[str]) -> Any:
    """The remote item for a template: the one carrying its marker, else the one with its name."""
    for item in remote:
        if item.id not in taken and item.owner == desired_id:
            return item
    for item in remote:
        if item.id not in taken and item.name == desired_name:
            return item
    return None
