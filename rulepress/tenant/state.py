"""The tenant's data in memory, and the small helpers every resource module shares."""

from __future__ import annotations

import datetime
import secrets
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rulepress.tenant.store import Store

_ID_ALPHABET = string.ascii_letters + string.digits


def rfc3339(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def new_rule_id() -> str:
    return "rul_" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))


def new_uuid() -> str:
    return str(uuid.uuid4())


@dataclass
class TenantState:
    """Everything the tenant holds. Handlers change it and record each change in `store`."""

    store: Store
    clock: Callable[[], float]
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    rules_configs: dict[str, str] = field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)  # version id -> version
    bindings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # trigger -> list

    def now(self) -> str:
        return rfc3339(self.clock())

    def load(self) -> None:
        """Fill the dictionaries from the state file (if any)."""
        for kind, key, value in self.store.load():
            if kind == "rule":
                self.rules[key] = value
            elif kind == "rules_config":
                self.rules_configs[key] = value
            elif kind == "action":
                self.actions[key] = value
            elif kind == "version":
                self.versions[key] = value
            elif kind == "bindings":
                self.bindings[key] = value

    # -- write-through helpers -------------------------------------------------------------------

    def save_rule(self, rule: dict[str, Any]) -> None:
        self.rules[rule["id"]] = rule
        self.store.put("rule", rule["id"], rule)

    def drop_rule(self, rule_id: str) -> None:
        self.rules.pop(rule_id, None)
        self.store.delete("rule", rule_id)

    def save_config(self, key: str, value: str) -> None:
        self.rules_configs[key] = value
        self.store.put("rules_config", key, value)

    def drop_config(self, key: str) -> None:
        self.rules_configs.pop(key, None)
        self.store.delete("rules_config", key)

    def save_action(self, action: dict[str, Any]) -> None:
        self.actions[action["id"]] = action
        self.store.put("action", action["id"], action)

    def drop_action(self, action_id: str) -> None:
        self.actions.pop(action_id, None)
        self.store.delete("action", action_id)
        for vid in [v for v, ver in self.versions.items() if ver["action_id"] == action_id]:
            self.versions.pop(vid)
            self.store.delete("version", vid)

    def save_version(self, version: dict[str, Any]) -> None:
        self.versions[version["id"]] = version
        self.store.put("version", version["id"], version)

    def save_bindings(self, trigger: str, bindings: list[dict[str, Any]]) -> None:
        self.bindings[trigger] = bindings
        self.store.put("bindings", trigger, bindings)

    def action_versions(self, action_id: str) -> list[dict[str, Any]]:
        """The versions of one action, newest first."""
        found = [v for v in self.versions.values() if v["action_id"] == action_id]
        return sorted(found, key=lambda v: v["number"], reverse=True)
