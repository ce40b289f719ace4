"""`/rules` and `/rules-configs`."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from rulepress.tenant.errors import ApiError, conflict, invalid_body, invalid_path, not_found
from rulepress.tenant.payload import check_keys, expect, json_object, query_bool, query_int
from rulepress.tenant.routes import Route, json_response, no_content
from rulepress.tenant.state import TenantState, new_rule_id

NAME_PATTERN = r"^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$"
ID_PATTERN = r"^rul_[A-Za-z0-9]{16}$"
CONFIG_KEY_PATTERN = r"^[A-Za-z0-9_\-@*+:]*$"
RULE_KEYS = ("name", "script", "order", "enabled")
STAGES = ("login_success", "login_failure", "pre_authorize")
CREATE_KEYS = (*RULE_KEYS, "stage")  # stage on creation only, as the real API takes it (a0deploy sends it)
_NAME_RE = re.compile(NAME_PATTERN)
_ID_RE = re.compile(ID_PATTERN)
_KEY_RE = re.compile(CONFIG_KEY_PATTERN)


class RulesApi:
    def __init__(self, tenant: TenantState, rules_limit: int | None) -> None:
        self.t = tenant
        self.rules_limit = rules_limit

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/rules", self.list_rules, "read:rules", True),
            Route("POST", "/rules", self.create_rule, "create:rules", True),
            Route("GET", "/rules/{id}", self.get_rule, "read:rules", True),
            Route("PATCH", "/rules/{id}", self.update_rule, "update:rules", True),
            Route("DELETE", "/rules/{id}", self.delete_rule, "delete:rules", True),
            Route("GET", "/rules-configs", self.list_configs, "read:rules_configs", True),
            Route("PUT", "/rules-configs/{key}", self.put_config, "update:rules_configs", True),
            Route("DELETE", "/rules-configs/{key}", self.delete_config, "delete:rules_configs", True),
        ]

    # -- validation --------------------------------------------------------------------------------

    def _rule_id(self, request: web.Request) -> str:
        rule_id = request.match_info["id"]
        if not _ID_RE.match(rule_id):
            raise invalid_path(f"String does not match pattern {ID_PATTERN}: {rule_id}", "id")
        return rule_id

    def _existing(self, request: web.Request) -> dict[str, Any]:
        rule = self.t.rules.get(self._rule_id(request))
        if rule is None:
            raise not_found("The rule does not exist", "inexistent_rule")
        return rule

    def _check_fields(self, body: dict[str, Any], own_id: str | None) -> None:
        """Payload validation first (400), then conflicts with other rules (409)."""
        if "name" in body:
            name = expect(body, "name", str)
            if not _NAME_RE.match(name):
                raise invalid_body(f"String does not match pattern {NAME_PATTERN}: {name}", "name")
        if "script" in body:
            script = expect(body, "script", str)
            if not script:
                raise invalid_body("String is too short (0 chars), minimum 1", "script")
        if "order" in body:
            order = expect(body, "order", (int, float))
            if order < 0:
                raise invalid_body(f"Value {order} is less than minimum 0", "order")
        if "enabled" in body:
            expect(body, "enabled", bool)
        others = [r for r in self.t.rules.values() if r["id"] != own_id]
        if "name" in body and any(r["name"] == body["name"] for r in others):
            raise conflict("A rule with the same name already exists")
        if "order" in body and any(r["order"] == body["order"] for r in others):
            raise conflict("A rule with the same order already exists")

    # -- rules ---------------------------------------------------------------------------------------

    async def list_rules(self, request: web.Request) -> web.StreamResponse:
        enabled = query_bool(request, "enabled")
        include_totals = query_bool(request, "include_totals") or False
        page = query_int(request, "page", minimum=0)
        per_page = query_int(request, "per_page", minimum=1, maximum=100)
        rules = sorted(self.t.rules.values(), key=lambda r: (r["order"], r["id"]))
        if enabled is not None:
            rules = [r for r in rules if r["enabled"] is enabled]
        total = len(rules)
        start = 0
        if page is not None or per_page is not None:
            per_page = per_page or 50
            start = (page or 0) * per_page
            rules = rules[start : start + per_page]
        else:
            per_page = total
        items = [_fields(request, r) for r in rules]
        if include_totals:
            return json_response({"total": total, "start": start, "limit": per_page, "rules": items})
        return json_response(items)

    async def create_rule(self, request: web.Request) -> web.StreamResponse:
        body = await json_object(request)
        check_keys(body, CREATE_KEYS, required=("name", "script"))
        self._check_fields(body, None)
        stage = body.get("stage", "login_success")
        if stage not in STAGES:
            raise invalid_body(f"No enum match for: {stage!r}", "stage")
        if self.rules_limit is not None and len(self.t.rules) >= self.rules_limit:
            raise ApiError(403, "You reached the limit of entities of this type for this tenant")
        order = body.get("order")
        if order is None:
            order = max((r["order"] for r in self.t.rules.values()), default=0) + 1
        rule = {
            "id": new_rule_id(),
            "enabled": body.get("enabled", True),
            "script": body["script"],
            "name": body["name"],
            "order": order,
            "stage": stage,
        }
        self.t.save_rule(rule)
        return json_response(rule, 201)

    async def get_rule(self, request: web.Request) -> web.StreamResponse:
        query_bool(request, "include_fields")
        return json_response(_fields(request, self._existing(request)))

    async def update_rule(self, request: web.Request) -> web.StreamResponse:
        rule = self._existing(request)
        body = await json_object(request)
        check_keys(body, RULE_KEYS)
        if not body:
            raise invalid_body("Too few properties defined (0), minimum 1")
        self._check_fields(body, rule["id"])
        updated = {**rule, **body}
        self.t.save_rule(updated)
        return json_response(updated)

    async def delete_rule(self, request: web.Request) -> web.StreamResponse:
        self.t.drop_rule(self._rule_id(request))
        return no_content()

    # -- rules-configs -----------------------------------------------------------------------------

    def _key(self, request: web.Request) -> str:
        key = request.match_info["key"]
        if not 1 <= len(key) <= 127:
            raise invalid_path("String is too long (or empty): 1 to 127 characters", "key")
        if not _KEY_RE.match(key):
            raise invalid_path(f"String does not match pattern {CONFIG_KEY_PATTERN}: {key}", "key")
        return key

    async def list_configs(self, request: web.Request) -> web.StreamResponse:
        return json_response([{"key": k} for k in sorted(self.t.rules_configs)])

    async def put_config(self, request: web.Request) -> web.StreamResponse:
        key = self._key(request)
        body = await json_object(request)
        check_keys(body, ("value",), required=("value",))
        value = expect(body, "value", str)
        if not value:
            raise invalid_body("String is too short (0 chars), minimum 1", "value")
        self.t.save_config(key, value)
        return json_response({"key": key, "value": value})

    async def delete_config(self, request: web.Request) -> web.StreamResponse:
        self.t.drop_config(self._key(request))
        return no_content()


def _fields(request: web.Request, rule: dict[str, Any]) -> dict[str, Any]:
    """Apply `fields` / `include_fields` to one rule."""
    raw = request.query.get("fields")
    if not raw:
        return rule
    names = {f.strip() for f in raw.split(",") if f.strip()}
    include = request.query.get("include_fields", "true").lower() != "false"
    return {k: v for k, v in rule.items() if (k in names) == include}
