"""Rules and rules-configs on the tenant: read all, create, patch, delete."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from rulepress.errors import UserError
from rulepress.remote.client import ApiError, Client
from rulepress.remote.records import RemoteRule, rule_from_json

DEPRECATED_NOTE = (
    "rules are not available on this tenant (Rules reached end of life; the tenant answers "
    "'deprecated feature'): rule templates are skipped; convert them with `rulepress migrate`"
)


def is_deprecated(exc: ApiError) -> bool:
    """403 'deprecated feature' (rules end of life), as opposed to a missing scope."""
    return (
        exc.status == 403 and "deprecated" in exc.message.lower() and exc.error_code != "insufficient_scope"
    )


def scope_error(exc: ApiError) -> UserError:
    return UserError(
        f"the deploy client lacks a scope: {exc.message or exc} (grant it to the client's API access)"
    )


def read_rules(client: Client) -> tuple[tuple[RemoteRule, ...] | None, frozenset[str], str]:
    """(rules, rules-config keys, note). rules is None when the tenant has no rules any more."""
    try:
        items = client.pages("/rules", "rules")
        keys = client.get("/rules-configs") or []
    except ApiError as exc:
        if is_deprecated(exc):
            return None, frozenset(), DEPRECATED_NOTE
        if exc.status == 403:
            raise scope_error(exc) from None
        raise
    rules = tuple(
        sorted((rule_from_json(i) for i in items), key=lambda r: (r.order is None, r.order, r.name))
    )
    return rules, frozenset(str(k.get("key")) for k in keys if isinstance(k, dict)), ""


def _find_rule_by_name(client: Client, name: str) -> dict[str, Any] | None:
    for item in client.pages("/rules", "rules"):
        if item.get("name") == name:
            return dict(item)
    return None


def create_rule(client: Client, body: dict[str, Any]) -> RemoteRule:
    created = client.request(
        "POST", "/rules", body=body, lookup=lambda: _find_rule_by_name(client, body["name"])
    )
    return rule_from_json(created)


def patch_rule(client: Client, rule_id: str, body: dict[str, Any]) -> RemoteRule:
    return rule_from_json(client.request("PATCH", f"/rules/{quote(rule_id)}", body=body))


def delete_rule(client: Client, rule_id: str) -> None:
    client.request("DELETE", f"/rules/{quote(rule_id)}")


def put_config(client: Client, key: str, value: str) -> None:
    client.request("PUT", f"/rules-configs/{quote(key, safe='')}", body={"value": value})


def delete_config(client: Client, key: str) -> None:
    client.request("DELETE", f"/rules-configs/{quote(key, safe='')}")
