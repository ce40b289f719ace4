"""What happens to an action over time: builds, deploys, and how actions and versions look on the wire."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rulepress.tenant.builder import SyntaxChecker
from rulepress.tenant.state import TenantState, new_uuid
from rulepress.tenant.triggers import RUNTIMES, known_trigger

# what a version is built from; a change to any of them needs a new build
BUILD_INPUTS = ("code", "dependencies", "runtime", "secrets", "supported_triggers", "modules")


def fingerprint(record: dict[str, Any]) -> str:
    return json.dumps([record.get(k) for k in BUILD_INPUTS], sort_keys=True)


def _secret_names(secrets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"name": s["name"], "updated_at": s["updated_at"]} for s in secrets]


class Lifecycle:
    def __init__(
        self, tenant: TenantState, checker: SyntaxChecker, build_seconds: float, deploy_seconds: float
    ) -> None:
        self.t = tenant
        self.checker = checker
        self.build_seconds = build_seconds
        self.deploy_seconds = deploy_seconds
        self._generation: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- views -------------------------------------------------------------------------------------

    def action_view(self, action: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in action.items() if not k.startswith("_")}
        out["secrets"] = _secret_names(action["secrets"])
        deployed = self.t.versions.get(action.get("_deployed_version") or "")
        out["all_changes_deployed"] = bool(
            deployed is not None
            and action["status"] == "built"
            and deployed["_fingerprint"] == fingerprint(action)
        )
        if deployed is not None:
            out["deployed_version"] = self.version_view(deployed)
            out["current_version"] = {
                "id": deployed["id"],
                "number": deployed["number"],
                "status": "BUILT",
                "runtime": deployed["runtime"],
                "created_at": deployed["created_at"],
            }
        return out

    def version_view(self, version: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in version.items() if not k.startswith("_")}
        out["secrets"] = _secret_names(version["secrets"])
        action = self.t.actions.get(version["action_id"])
        if action is not None:
            out["action"] = {
                "id": action["id"],
                "name": action["name"],
                "supported_triggers": action["supported_triggers"],
                "all_changes_deployed": False,
                "created_at": action["created_at"],
                "updated_at": action["updated_at"],
            }
        return out

    # -- builds ------------------------------------------------------------------------------------

    def start_build(self, action_id: str, deploy_after: bool = False) -> None:
        """Send the action to `pending` and build it in the background. "Deploy once built" is state (on
        the record, not only in this task), so a restart keeps the promise."""
        action = self.t.actions.get(action_id)
        if action is not None and bool(action.get("_deploy_after")) != deploy_after:
            self.t.save_action({**action, "_deploy_after": deploy_after})
        self._generation[action_id] = self._generation.get(action_id, 0) + 1
        self._spawn(self._build(action_id, self._generation[action_id], deploy_after))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _current(self, action_id: str, generation: int) -> dict[str, Any] | None:
        if self._generation.get(action_id) != generation:
            return None
        return self.t.actions.get(action_id)

    async def _build(self, action_id: str, generation: int, deploy_after: bool) -> None:
        await asyncio.sleep(self.build_seconds / 2)
        action = self._current(action_id, generation)
        if action is None:
            return
        self.t.save_action({**action, "status": "building"})
        self.t.store.flush()
        problem = await self._problem(action)
        await asyncio.sleep(self.build_seconds / 2)
        action = self._current(action_id, generation)
        if action is None:
            return
        now = self.t.now()
        if problem is None:
            built = {**action, "status": "built", "built_at": now, "updated_at": now}
            built.pop("errors", None)
            built.pop("_deploy_after", None)
            self.t.save_action(built)
            if deploy_after or action.get("_deploy_after"):
                self.deploy(built, built)
        else:
            error = {"id": "build_failed", "msg": problem, "url": ""}
            failed = {**action, "status": "failed", "errors": [error], "updated_at": now}
            failed.pop("_deploy_after", None)
            self.t.save_action(failed)
        self.t.store.flush()

    async def _problem(self, action: dict[str, Any]) -> str | None:
        if action["runtime"] not in RUNTIMES:
            return f"unknown runtime {action['runtime']!r} (available: {', '.join(RUNTIMES)})"
        for trigger in action["supported_triggers"]:
            if not known_trigger(trigger["id"], trigger.get("version")):
                return f"unknown trigger {trigger['id']} {trigger.get('version') or ''}".rstrip()
        problem = await self.checker.check(action["code"])
        return None if problem is None else f"the code does not parse: {problem}"

    # -- deploys -----------------------------------------------------------------------------------

    def deploy(self, action: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
        """A new numbered version made from `source` (the draft, or an older version) and deployed."""
        now = self.t.now()
        number = max((v["number"] for v in self.t.action_versions(action["id"])), default=0) + 1
        version = {
            "id": new_uuid(),
            "action_id": action["id"],
            "code": source["code"],
            "dependencies": source["dependencies"],
            "runtime": source["runtime"],
            "secrets": source["secrets"],
            "supported_triggers": source["supported_triggers"],
            "modules": source.get("modules", []),
            "deployed": False,
            "number": number,
            "status": "built",
            "built_at": source.get("built_at") or now,
            "created_at": now,
            "updated_at": now,
            "_fingerprint": fingerprint(source),
        }
        self.t.save_version(version)
        self.t.save_action({**action, "_deployed_version": version["id"]})
        self._spawn(self._flip(action["id"], version["id"]))
        return version

    async def _flip(self, action_id: str, version_id: str) -> None:
        """After a moment, the new version shows `deployed: true` and the others false."""
        await asyncio.sleep(self.deploy_seconds)
        action = self.t.actions.get(action_id)
        if action is None or action.get("_deployed_version") != version_id:
            return
        now = self.t.now()
        for version in self.t.action_versions(action_id):
            wanted = version["id"] == version_id
            if version["deployed"] != wanted:
                self.t.save_version({**version, "deployed": wanted, "updated_at": now})
        self.t.store.flush()

    def resume(self) -> None:
        """After a restart: finish the builds and deploys the previous process left half done."""
        for action in list(self.t.actions.values()):
            if action["status"] in ("pending", "building"):
                self.start_build(action["id"], deploy_after=bool(action.get("_deploy_after")))
            version = self.t.versions.get(action.get("_deployed_version") or "")
            if version is not None and not version["deployed"]:
                self._spawn(self._flip(action["id"], version["id"]))

    def forget(self, action_id: str) -> None:
        self._generation.pop(action_id, None)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
