"""`/actions/actions`, their versions and deploys."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from rulepress.tenant.errors import ApiError, invalid_body, not_found
from rulepress.tenant.lifecycle import BUILD_INPUTS, Lifecycle
from rulepress.tenant.payload import check_keys, expect, json_object, paged, query_bool
from rulepress.tenant.routes import Route, json_response, no_content
from rulepress.tenant.state import TenantState, new_uuid
from rulepress.tenant.triggers import DEFAULT_RUNTIME

CREATE_KEYS = ("name", "supported_triggers", "code", "dependencies", "runtime", "secrets", "modules",
               "deploy")
PATCH_KEYS = ("name", "supported_triggers", "code", "dependencies", "runtime", "secrets", "modules")
MAX_ACTIONS = 100
MAX_SECRETS = 30
MAX_DEPENDENCIES = 10
NOT_FOUND = "That action does not exist."


class ActionsApi:
    def __init__(self, tenant: TenantState, lifecycle: Lifecycle) -> None:
        self.t = tenant
        self.life = lifecycle

    def routes(self) -> list[Route]:
        base = "/actions/actions"
        return [
            Route("GET", base, self.list_actions, "read:actions"),
            Route("POST", base, self.create, "create:actions"),
            Route("GET", base + "/{id}", self.get, "read:actions"),
            Route("PATCH", base + "/{id}", self.update, "update:actions"),
            Route("DELETE", base + "/{id}", self.delete, "delete:actions"),
            Route("POST", base + "/{id}/deploy", self.deploy, "create:actions"),
            Route("GET", base + "/{id}/versions", self.list_versions, "read:actions"),
            Route("GET", base + "/{id}/versions/{vid}", self.get_version, "read:actions"),
            Route("POST", base + "/{id}/versions/{vid}/deploy", self.deploy_version, "create:actions"),
            # Actions modules (shared code): this tenant has none; an empty page, as a0deploy and the SDK read it
            Route("GET", "/actions/modules", self.list_modules, "read:actions"),
        ]

    def _existing(self, request: web.Request) -> dict[str, Any]:
        action = self.t.actions.get(request.match_info["id"])
        if action is None:
            raise not_found(NOT_FOUND)
        return action

    # -- body checks -------------------------------------------------------------------------------

    def _fields(self, body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
        """The validated build inputs and name from a create or patch body."""
        out: dict[str, Any] = {}
        if "name" in body:
            name = expect(body, "name", str)
            if not name.strip():
                raise invalid_body("String is too short (0 chars), minimum 1", "name")
            out["name"] = name
        if "supported_triggers" in body:
            triggers = expect(body, "supported_triggers", list)
            if len(triggers) != 1:
                raise invalid_body("Array must hold exactly 1 item", "supported_triggers")
            out["supported_triggers"] = [_trigger(t) for t in triggers]
        if "code" in body:
            code = expect(body, "code", str)
            if len(code.encode()) > 100 * 1024:
                raise invalid_body("String is too long, maximum 102400 bytes", "code")
            out["code"] = code
        if "runtime" in body:
            out["runtime"] = expect(body, "runtime", str)
        if "dependencies" in body:
            deps = expect(body, "dependencies", list)
            if len(deps) > MAX_DEPENDENCIES:
                raise invalid_body(f"Array is too long ({len(deps)}), maximum {MAX_DEPENDENCIES}",
                                   "dependencies")
            out["dependencies"] = [_pair(d, "dependencies", ("name", "version")) for d in deps]
        if "modules" in body:
            out["modules"] = expect(body, "modules", list)
        if "secrets" in body:
            out["secrets"] = self._secrets(expect(body, "secrets", list), old)
        name = out.get("name")  # conflicts only once the payload is valid
        if name is not None and any(a["name"] == name and a is not old for a in self.t.actions.values()):
            raise ApiError(409, f"An action with the name '{name}' already exists.")
        return out

    def _secrets(self, given: list[Any], old: dict[str, Any] | None) -> list[dict[str, Any]]:
        if len(given) > MAX_SECRETS:
            raise invalid_body(f"Array is too long ({len(given)}), maximum {MAX_SECRETS}", "secrets")
        previous = {s["name"]: s for s in (old or {}).get("secrets", [])}
        now = self.t.now()
        out = []
        for item in given:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise invalid_body("Missing required property: name", "secrets")
            check_keys(item, ("name", "value"))
            name = item["name"]
            if not 1 <= len(name) <= 128:
                raise invalid_body("String length must be 1 to 128", "secrets.name")
            if "value" not in item:
                if name not in previous:
                    raise invalid_body("Missing required property: value", "secrets")
                out.append(previous[name])
                continue
            value = item["value"]
            if not isinstance(value, str) or len(value) > 4096:
                raise invalid_body("Expected a string of at most 4096 characters", "secrets.value")
            out.append({"name": name, "value": value, "updated_at": now})
        return out

    # -- handlers ----------------------------------------------------------------------------------

    async def list_actions(self, request: web.Request) -> web.StreamResponse:
        trigger = request.query.get("triggerId")
        name = request.query.get("actionName")
        deployed = query_bool(request, "deployed")
        installed = query_bool(request, "installed")
        found = []
        for action in sorted(self.t.actions.values(), key=lambda a: (a["created_at"], a["id"])):
            if trigger and all(t["id"] != trigger for t in action["supported_triggers"]):
                continue
            if name and action["name"] != name:
                continue
            if deployed is not None and bool(action.get("_deployed_version")) is not deployed:
                continue
            if installed:  # marketplace integrations: this tenant has none
                continue
            found.append(self.life.action_view(action))
        return json_response(paged(request, found, "actions"))

    async def list_modules(self, request: web.Request) -> web.StreamResponse:
        return json_response(paged(request, [], "modules"))

    async def create(self, request: web.Request) -> web.StreamResponse:
        body = await json_object(request)
        check_keys(body, CREATE_KEYS, required=("name", "supported_triggers"))
        fields = self._fields(body, None)
        deploy = expect(body, "deploy", bool) if "deploy" in body else False
        if len(self.t.actions) >= MAX_ACTIONS:
            raise ApiError(403, "You reached the limit of entities of this type for this tenant")
        now = self.t.now()
        action = {
            "id": new_uuid(),
            "name": fields["name"],
            "supported_triggers": fields["supported_triggers"],
            "code": fields.get("code", ""),
            "dependencies": fields.get("dependencies", []),
            "runtime": fields.get("runtime", DEFAULT_RUNTIME),
            "secrets": fields.get("secrets", []),
            "modules": fields.get("modules", []),
            "status": "pending",
            "created_at": now,
            "updated_at": now,
            "_deployed_version": None,
        }
        self.t.save_action(action)
        self.life.start_build(action["id"], deploy_after=deploy)
        return json_response(self.life.action_view(action), 201)

    async def get(self, request: web.Request) -> web.StreamResponse:
        return json_response(self.life.action_view(self._existing(request)))

    async def update(self, request: web.Request) -> web.StreamResponse:
        action = self._existing(request)
        body = await json_object(request)
        check_keys(body, PATCH_KEYS)
        fields = self._fields(body, action)
        rebuild = any(k in fields and fields[k] != action.get(k) for k in BUILD_INPUTS)
        updated = {**action, **fields, "updated_at": self.t.now()}
        if rebuild:
            updated["status"] = "pending"
            updated.pop("errors", None)
        self.t.save_action(updated)
        if rebuild:
            self.life.start_build(action["id"])
        return json_response(self.life.action_view(updated))

    async def delete(self, request: web.Request) -> web.StreamResponse:
        action = self._existing(request)
        force = query_bool(request, "force") or False
        bound = [t for t, items in self.t.bindings.items()
                 if any(b["action_id"] == action["id"] for b in items)]
        if bound and not force:
            raise ApiError(
                400,
                f"The action is bound to the trigger(s) {', '.join(sorted(bound))}; remove the "
                "bindings first or delete with force=true.",
            )
        for trigger in bound:
            kept = [b for b in self.t.bindings[trigger] if b["action_id"] != action["id"]]
            self.t.save_bindings(trigger, kept)
        self.t.drop_action(action["id"])
        self.life.forget(action["id"])
        return no_content()

    async def deploy(self, request: web.Request) -> web.StreamResponse:
        action = self._existing(request)
        if action["status"] != "built":
            raise ApiError(400, "A draft must be in the 'built' state before it can be deployed.")
        version = self.life.deploy(action, action)
        return json_response(self.life.version_view(version))

    async def list_versions(self, request: web.Request) -> web.StreamResponse:
        action = self._existing(request)
        versions = [self.life.version_view(v) for v in self.t.action_versions(action["id"])]
        return json_response(paged(request, versions, "versions"))

    def _version(self, request: web.Request, action: dict[str, Any]) -> dict[str, Any]:
        version = self.t.versions.get(request.match_info["vid"])
        if version is None or version["action_id"] != action["id"]:
            raise not_found("That version does not exist.")
        return version

    async def get_version(self, request: web.Request) -> web.StreamResponse:
        action = self._existing(request)
        return json_response(self.life.version_view(self._version(request, action)))

    async def deploy_version(self, request: web.Request) -> web.StreamResponse:
        action = self._existing(request)
        old = self._version(request, action)
        update_draft = False
        if request.can_read_body and request.content_length != 0:
            body = await json_object(request)
            check_keys(body, ("update_draft",))
            if "update_draft" in body:
                update_draft = expect(body, "update_draft", bool)
        version = self.life.deploy(action, old)
        if update_draft:
            draft = {**self.t.actions[action["id"]], "updated_at": self.t.now(), "status": "built"}
            draft.update({k: old.get(k) for k in BUILD_INPUTS})
            self.t.save_action(draft)
        return json_response(self.life.version_view(version))


def _trigger(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise invalid_body("Missing required property: id", "supported_triggers")
    check_keys(item, ("id", "version", "url", "runtimes", "default_runtime", "status",
                      "compatible_triggers", "binding_policy"))
    out = {"id": item["id"]}
    if "version" in item:
        out["version"] = expect(item, "version", str)
    return out


def _pair(item: Any, prop: str, keys: tuple[str, str]) -> dict[str, str]:
    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in keys):
        raise invalid_body(f"Expected objects with string properties {' and '.join(keys)}", prop)
    check_keys(item, keys + ("registry_url",))
    return {k: item[k] for k in keys}
