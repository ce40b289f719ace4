"""What a tenant holds, as plain values the planner compares: parsed from the API's JSON, nothing else."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rulepress.remote.marker import unmark

STATE_ACTION = "rulepress-state"  # the undeployed, unbound action that records what was deployed
_STATE_LINE = re.compile(r"^// rulepress-state (\{.*\})$", re.M)


@dataclass(frozen=True)
class RemoteRule:
    id: str
    name: str
    script: str  # without our marker
    enabled: bool
    order: int | None
    stage: str
    owner: str | None  # template id from our marker; None: not created by rulepress
    digest: str | None


@dataclass(frozen=True)
class RemoteAction:
    id: str
    name: str
    code: str  # the draft's code, without our marker
    trigger: str
    trigger_version: str
    runtime: str
    dependencies: tuple[tuple[str, str], ...]
    secrets: tuple[str, ...]  # names only: values are write-only
    status: str
    all_changes_deployed: bool
    deployed: bool  # has a deployed version
    integration: bool  # a marketplace action: never touched
    owner: str | None
    digest: str | None


@dataclass(frozen=True)
class Binding:
    action_id: str
    display_name: str


@dataclass(frozen=True)
class DeployRecord:
    """What the last deploy recorded on the tenant."""

    version: str
    sha: str | None
    env: str
    # the remote ids of the rules and actions rulepress deployed here: --prune deletes only these (and only
    # when their code also carries our marker, which alone anyone could write). None: a record written
    # before rulepress kept the list.
    owned: tuple[str, ...] | None = None

    def line(self) -> str:
        data: dict[str, object] = {"version": self.version, "sha": self.sha, "env": self.env}
        if self.owned is not None:
            data["owned"] = sorted(self.owned)
        return "// rulepress-state " + json.dumps(data, sort_keys=True)


@dataclass(frozen=True)
class Snapshot:
    """The remote state, read once."""

    rules: tuple[RemoteRule, ...] | None  # None: rules are not available on this tenant
    rules_note: str  # why rules are unavailable
    config_keys: frozenset[str]
    actions: tuple[RemoteAction, ...]
    bindings: dict[str, tuple[Binding, ...]] = field(default_factory=dict)
    record: DeployRecord | None = None
    record_action_id: str | None = None


def rule_from_json(item: dict[str, Any]) -> RemoteRule:
    marked = unmark(str(item.get("script") or ""))
    order = item.get("order")
    return RemoteRule(
        id=str(item["id"]),
        name=str(item.get("name") or ""),
        script=marked.code,
        enabled=bool(item.get("enabled", True)),
        order=int(order) if isinstance(order, int | float) else None,
        stage=str(item.get("stage") or "login_success"),
        owner=marked.template_id,
        digest=marked.digest,
    )


def action_from_json(item: dict[str, Any]) -> RemoteAction:
    marked = unmark(str(item.get("code") or ""))
    triggers = item.get("supported_triggers") or [{}]
    deps = tuple(sorted((str(d.get("name")), str(d.get("version"))) for d in item.get("dependencies") or []))
    return RemoteAction(
        id=str(item["id"]),
        name=str(item.get("name") or ""),
        code=marked.code,
        trigger=str(triggers[0].get("id") or ""),
        trigger_version=str(triggers[0].get("version") or ""),
        runtime=str(item.get("runtime") or "node22"),
        dependencies=deps,
        secrets=tuple(sorted(str(s.get("name")) for s in item.get("secrets") or [])),
        status=str(item.get("status") or ""),
        all_changes_deployed=bool(item.get("all_changes_deployed")),
        deployed=bool(item.get("deployed_version")),
        integration=bool(item.get("integration")),
        owner=marked.template_id,
        digest=marked.digest,
    )


def binding_from_json(item: dict[str, Any]) -> Binding:
    action = item.get("action") or {}
    return Binding(action_id=str(action.get("id") or ""), display_name=str(item.get("display_name") or ""))


def record_from_code(code: str) -> DeployRecord | None:
    found = _STATE_LINE.search(code)
    if not found:
        return None
    try:
        data = json.loads(found[1])
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("version"), str):
        return None
    sha = data.get("sha")
    owned = data.get("owned")
    owned_ids = tuple(str(i) for i in owned) if isinstance(owned, list) else None
    return DeployRecord(
        str(data["version"]), sha if isinstance(sha, str) else None, str(data.get("env") or ""), owned_ids
    )


def record_code(record: DeployRecord) -> str:
    return (
        "// Written by rulepress on each deploy: the catalogue version and git commit deployed here.\n"
        "// Never deployed nor bound; do not edit or delete it.\n"
        + record.line()
        + "\nexports.onExecutePostLogin = async () => {};\n"
    )


def version_key(version: str) -> tuple[int, ...]:
    """'1.10.2' → (1, 10, 2); non-numeric parts count as 0."""
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.+-]", version)[:3])
