"""Rules and rules-configs: validation, conflicts, defaults, paging and limits, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

SCRIPT = "function (user, context, callback) { callback(null, user, context); }"


def test_create_defaults_order_and_enabled(api: Any) -> None:
    first = api.post("/rules", json={"name": "one", "script": SCRIPT})
    second = api.post("/rules", json={"name": "two", "script": SCRIPT, "order": 7, "enabled": False})
    third = api.post("/rules", json={"name": "three", "script": SCRIPT})
    assert first.status_code == second.status_code == third.status_code == 201
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    body = first.json()
    assert set(body) == {"id", "enabled", "script", "name", "order", "stage"}
    assert body["id"].startswith("rul_") and len(body["id"]) == 20
    assert (body["order"], body["enabled"], body["stage"]) == (1, True, "login_success")
    assert (second.json()["order"], second.json()["enabled"]) == (7, False)
    assert third.json()["order"] == 8


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"script": SCRIPT}, "Payload validation error: 'Missing required property: name'."),
        ({"name": "x"}, "Payload validation error: 'Missing required property: script'."),
        ({"name": "x", "script": SCRIPT, "stage": "later"},
         "Payload validation error: 'No enum match for: 'later'' on property stage."),
        ({"name": "-bad", "script": SCRIPT},
         "Payload validation error: 'String does not match pattern "
         "^[a-zA-Z0-9]([ \\-a-zA-Z0-9]*[a-zA-Z0-9])?$: -bad' on property name."),
        ({"name": "x", "script": ""},
         "Payload validation error: 'String is too short (0 chars), minimum 1' on property script."),
        ({"name": "x", "script": SCRIPT, "order": -1},
         "Payload validation error: 'Value -1 is less than minimum 0' on property order."),
        ({"name": "x", "script": SCRIPT, "enabled": "yes"},
         "Payload validation error: 'Expected type boolean but found type string' on property enabled."),
        ({"name": "x", "script": SCRIPT, "order": True},
         "Payload validation error: 'Expected type integer/number but found type boolean' on property order."),
    ],
)
def test_create_validation(api: Any, body: dict[str, Any], message: str) -> None:
    answer = api.post("/rules", json=body)
    assert answer.status_code == 400
    assert answer.json() == {"statusCode": 400, "error": "Bad Request", "message": message,
                             "errorCode": "invalid_body"}
    assert api.state()["rules"] == []


def test_duplicate_name_and_order_conflict(api: Any) -> None:
    api.post("/rules", json={"name": "one", "script": SCRIPT, "order": 1})
    other = api.post("/rules", json={"name": "two", "script": SCRIPT, "order": 2}).json()
    name = api.post("/rules", json={"name": "one", "script": SCRIPT})
    assert name.status_code == 409
    assert name.json() == {"statusCode": 409, "error": "Conflict",
                           "message": "A rule with the same name already exists"}
    order = api.patch(f"/rules/{other['id']}", json={"order": 1})
    assert order.status_code == 409
    assert order.json()["message"] == "A rule with the same order already exists"
    # the same order on the rule itself is no conflict
    assert api.patch(f"/rules/{other['id']}", json={"order": 2, "name": "two"}).status_code == 200


def test_get_patch_delete_and_missing(api: Any) -> None:
    rule = api.post("/rules", json={"name": "one", "script": SCRIPT}).json()
    patched = api.patch(f"/rules/{rule['id']}", json={"enabled": False})
    assert patched.json() == {**rule, "enabled": False}
    assert api.patch(f"/rules/{rule['id']}", json={}).json()["message"] == (
        "Payload validation error: 'Too few properties defined (0), minimum 1'."
    )
    assert api.delete(f"/rules/{rule['id']}").status_code == 204
    missing = api.get(f"/rules/{rule['id']}")
    assert missing.status_code == 404
    assert missing.json() == {"statusCode": 404, "error": "Not Found", "message": "The rule does not exist",
                              "errorCode": "inexistent_rule"}
    again = api.delete(f"/rules/{rule['id']}")
    assert (again.status_code, again.content) == (204, b"")
    bad = api.get("/rules/not-a-rule-id")
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_uri"


def test_paging_include_totals_and_filters(api: Any) -> None:
    for i in range(7):
        api.post("/rules", json={"name": f"r{i}", "script": SCRIPT, "enabled": i % 2 == 0})
    bare = api.get("/rules").json()
    assert isinstance(bare, list) and [r["name"] for r in bare] == [f"r{i}" for i in range(7)]
    page = api.get("/rules", params={"page": 1, "per_page": 3, "include_totals": "true"}).json()
    assert (page["total"], page["start"], page["limit"]) == (7, 3, 3)
    assert [r["name"] for r in page["rules"]] == ["r3", "r4", "r5"]
    assert api.get("/rules", params={"page": 5, "per_page": 3}).json() == []
    enabled = api.get("/rules", params={"enabled": "false"}).json()
    assert [r["name"] for r in enabled] == ["r1", "r3", "r5"]
    fields = api.get("/rules", params={"fields": "name,order", "include_fields": "true"}).json()
    assert fields[0] == {"name": "r0", "order": 1}
    too_big = api.get("/rules", params={"per_page": 101})
    assert too_big.status_code == 400 and too_big.json()["errorCode"] == "invalid_query_string"


def test_rules_limit_of_the_free_plan(tenant_factory: Any, make_api: Any) -> None:
    api = make_api(tenant_factory(rules_limit=3))
    for i in range(3):
        assert api.post("/rules", json={"name": f"r{i}", "script": SCRIPT}).status_code == 201
    refused = api.post("/rules", json={"name": "r3", "script": SCRIPT})
    assert refused.status_code == 403
    assert refused.json()["message"] == "You reached the limit of entities of this type for this tenant"


def test_rules_deprecated_tenant(tenant_factory: Any, make_api: Any) -> None:
    api = make_api(tenant_factory(rules_deprecated=True))
    for method, path in [("GET", "/rules"), ("POST", "/rules"), ("GET", "/rules-configs"),
                         ("PUT", "/rules-configs/K")]:
        answer = api.call(method, path, json={"name": "x", "script": SCRIPT, "value": "v"})
        assert answer.status_code == 403
        assert answer.json() == {"statusCode": 403, "error": "Forbidden",
                                 "message": "Insufficient privileges to use this deprecated feature"}
    assert api.get("/actions/actions").status_code == 200


def test_rules_configs_keys_only_upsert_delete(api: Any) -> None:
    assert api.put("/rules-configs/API_KEY", json={"value": "one"}).json() == {"key": "API_KEY", "value": "one"}
    assert api.put("/rules-configs/API_KEY", json={"value": "two"}).status_code == 200
    assert api.put("/rules-configs/a-b@c*d+e:f", json={"value": "x"}).status_code == 200
    assert api.get("/rules-configs").json() == [{"key": "API_KEY"}, {"key": "a-b@c*d+e:f"}]
    assert "two" not in api.get("/rules-configs").text
    assert api.delete("/rules-configs/API_KEY").status_code == 204
    assert api.delete("/rules-configs/API_KEY").status_code == 204
    bad = api.put("/rules-configs/bad%20key", json={"value": "x"})
    assert bad.status_code == 400 and bad.json()["errorCode"] == "invalid_uri"
    extra = api.put("/rules-configs/K", json={"value": "x", "other": 1})
    assert extra.json()["message"] == "Payload validation error: 'Additional properties not allowed: other'."
    assert api.get("/rules-configs").json() == [{"key": "a-b@c*d+e:f"}]


def test_stage_is_taken_on_creation_as_the_real_api_does_and_not_changed_after(api: Any) -> None:
    """auth0-deploy-cli always sends stage on POST /rules, and its recordings of a real tenant answer 201."""
    created = api.post("/rules", json={"name": "pre", "script": SCRIPT, "stage": "pre_authorize"})
    assert created.status_code == 201 and created.json()["stage"] == "pre_authorize"
    patched = api.patch(f"/rules/{created.json()['id']}", json={"stage": "login_success"})
    assert patched.status_code == 400


def test_actions_modules_is_an_empty_page(api: Any) -> None:
    answer = api.get("/actions/modules")
    assert (answer.status_code, answer.json()) == (200, {"modules": [], "per_page": 50})
