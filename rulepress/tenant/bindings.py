"""`/actions/triggers` and their bindings (an ordered list, replaced whole by PATCH)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from rulepress.tenant.errors import invalid_body, not_found
from rulepress.tenant.lifecycle import Lifecycle
from rulepress.tenant.payload import check_keys, expect, json_object, paged
from rulepress.tenant.routes import Route, json_response
from rulepress.tenant.state import TenantState, new_uuid
from rulepress.tenant.triggers import TRIGGER_IDS, trigger_list

MAX_BINDINGS = 20
REF_TYPES = ("action_name", "action_id")


class BindingsApi:
    def __init__(self, tenant: TenantState, lifecycle: Lifecycle) -> None:
        self.t = tenant
        self.life = lifecycle

    def routes(self) -> list[Route]:
        path = "/actions/triggers/{trigger}/bindings"
        return [
            Route("GET", "/actions/triggers", self.list_triggers, "read:actions"),
            Route("GET", path, self.list_bindings, "read:actions"),
            Route("PATCH", path, self.replace_bindings, "update:actions"),
        ]

    def _trigger(self, request: web.Request) -> str:
        trigger = request.match_info["trigger"]
        if trigger not in TRIGGER_IDS:
            raise not_found(f"Trigger '{trigger}' does not exist.")
        return trigger

    def _view(self, binding: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in binding.items() if k != "action_id"}
        action = self.t.actions.get(binding["action_id"])
        if action is not None:
            out["action"] = self.life.action_view(action)
        return out

    async def list_triggers(self, request: web.Request) -> web.StreamResponse:
        return json_response({"triggers": trigger_list()})

    async def list_bindings(self, request: web.Request) -> web.StreamResponse:
        items = [self._view(b) for b in self.t.bindings.get(self._trigger(request), [])]
        return json_response(paged(request, items, "bindings", default_per_page=20))

    async def replace_bindings(self, request: web.Request) -> web.StreamResponse:
        trigger = self._trigger(request)
        body = await json_object(request)
        check_keys(body, ("bindings",), required=("bindings",))
        wanted = expect(body, "bindings", list)
        if len(wanted) > MAX_BINDINGS:
            raise invalid_body(f"Array is too long ({len(wanted)}), maximum {MAX_BINDINGS}", "bindings")
        old = {b["action_id"]: b for b in self.t.bindings.get(trigger, [])}
        now = self.t.now()
        new = []
        for item in wanted:
            action = self._resolve(item, trigger)
            display = item.get("display_name", action["name"])
            previous = old.get(action["id"])
            if previous is not None and previous["display_name"] == display:
                new.append(previous)
                continue
            new.append({
                "id": previous["id"] if previous else new_uuid(),
                "trigger_id": trigger,
                "display_name": display,
                "action_id": action["id"],
                "created_at": previous["created_at"] if previous else now,
                "updated_at": now,
            })
        self.t.save_bindings(trigger, new)
        return json_response({"bindings": [self._view(b) for b in new]})

    def _resolve(self, item: Any, trigger: str) -> dict[str, Any]:
        """The action a binding item refers to, checked for this trigger."""
        if not isinstance(item, dict):
            raise invalid_body("Expected type object", "bindings")
        check_keys(item, ("ref", "display_name", "secrets"), required=("ref",))
        if "display_name" in item:
            expect(item, "display_name", str)
        ref = expect(item, "ref", dict)
        check_keys(ref, ("type", "value"), required=("type", "value"))
        kind = expect(ref, "type", str)
        value = expect(ref, "value", str)
        if kind not in REF_TYPES:
            raise invalid_body(f"No enum match for: {kind}", "bindings.ref.type")
        key = "name" if kind == "action_name" else "id"
        action = next((a for a in self.t.actions.values() if a[key] == value), None)
        if action is None:
            raise invalid_body(f"Action '{value}' does not exist", "bindings.ref")
        if not action.get("_deployed_version"):
            raise invalid_body(f"Action '{action['name']}' has not been deployed", "bindings.ref")
        if all(t["id"] != trigger for t in action["supported_triggers"]):
            raise invalid_body(
                f"Action '{action['name']}' does not support the trigger '{trigger}'", "bindings.ref"
            )
        return action
