"""Token grant, bearer and scope checks, the rate limit and fault injection, over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def grant(tenant: Any, **fields: Any) -> requests.Response:
    form = {"grant_type": "client_credentials", "client_id": tenant.client_id,
            "client_secret": tenant.client_secret, "audience": tenant.audience, **fields}
    return requests.post(tenant.token_url, data={k: v for k, v in form.items() if v is not None}, timeout=5)


def test_token_form_and_json(tenant: Any) -> None:
    form = grant(tenant)
    assert form.status_code == 200
    assert set(form.json()) == {"access_token", "scope", "expires_in", "token_type"}
    as_json = requests.post(tenant.token_url, timeout=5, json={
        "grant_type": "client_credentials", "client_id": tenant.client_id,
        "client_secret": tenant.client_secret, "audience": tenant.audience})
    assert as_json.status_code == 200 and as_json.json()["token_type"] == "Bearer"
    assert tenant.client_secret not in as_json.text


@pytest.mark.parametrize(
    ("fields", "status", "body"),
    [
        ({"client_secret": "wrong"}, 401, {"error": "access_denied", "error_description": "Unauthorized"}),
        ({"client_id": "other"}, 401, {"error": "access_denied", "error_description": "Unauthorized"}),
        ({"audience": "https://example.com/api/v2/"}, 403,
         {"error": "access_denied", "error_description": "Service not found: https://example.com/api/v2/"}),
        ({"audience": None}, 403, {"error": "access_denied", "error_description":
                                   "No audience parameter was provided, and no default audience has been "
                                   "configured"}),
        ({"grant_type": None}, 400, {"error": "invalid_request",
                                     "error_description": "Missing required parameter: grant_type"}),
        ({"grant_type": "password"}, 403, {"error": "unauthorized_client",
                                           "error_description": "Grant type 'password' not allowed for the client."}),
    ],
)
def test_token_errors_are_oauth_shaped(tenant: Any, fields: dict[str, Any], status: int,
                                       body: dict[str, str]) -> None:
    answer = grant(tenant, **fields)
    assert (answer.status_code, answer.json()) == (status, body)


def test_client_without_grant(tenant_factory: Any) -> None:
    running = tenant_factory(scopes=())
    answer = grant(running)
    assert answer.status_code == 403
    assert answer.json()["error_description"].startswith(f'Client is not authorized to access "{running.audience}"')


def test_bearer_checks(tenant: Any, make_api: Any) -> None:
    url = tenant.api_url + "/rules"
    missing = requests.get(url, timeout=5)
    assert (missing.status_code, missing.json()) == (
        401, {"statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"})
    token = make_api(tenant).token
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    bad = requests.get(url, headers={"Authorization": f"Bearer {forged}"}, timeout=5)
    assert (bad.status_code, bad.json()["message"]) == (401, "Invalid token")
    junk = requests.get(url, headers={"Authorization": "Bearer x.y.z"}, timeout=5)
    assert junk.status_code == 401


def test_expired_token(tenant_factory: Any, make_api: Any) -> None:
    clock = Clock()
    running = tenant_factory(clock=clock, token_lifetime=60)
    api = make_api(running)
    assert api.get("/rules").status_code == 200
    clock.now += 61
    expired = api.get("/rules")
    assert expired.status_code == 401
    assert expired.json()["message"] == "Expired token received for JSON Web Token validation"


def test_insufficient_scope(tenant_factory: Any, make_api: Any) -> None:
    api = make_api(tenant_factory(scopes=("read:rules",)))
    assert api.get("/rules").status_code == 200
    refused = api.post("/rules", json={"name": "x", "script": "x"})
    assert (refused.status_code, refused.json()) == (403, {
        "statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: create:rules",
        "errorCode": "insufficient_scope"})
    assert api.state()["rules"] == []


def test_requested_scope_narrows_the_token(tenant: Any, make_api: Any) -> None:
    api = make_api(tenant, scope="read:actions")
    assert api.get("/actions/actions").status_code == 200
    assert api.get("/rules").json()["errorCode"] == "insufficient_scope"


def test_rate_limit_token_bucket(tenant_factory: Any, make_api: Any) -> None:
    clock = Clock()
    api = make_api(tenant_factory(clock=clock, plan="free"))  # burst 2, 2 per second
    first, second, third = (api.get("/rules") for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    assert third.json() == {"statusCode": 429, "error": "Too Many Requests",
                            "message": "Global limit has been reached", "errorCode": "too_many_requests"}
    assert (first.headers["X-RateLimit-Limit"], first.headers["X-RateLimit-Remaining"]) == ("2", "1")
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert int(third.headers["X-RateLimit-Reset"]) >= int(clock.now)
    clock.now += 0.5
    assert api.get("/rules").status_code == 200
    assert api.get("/nothing-here").status_code == 429  # every API call counts, known path or not
    clock.now += 10
    unknown = api.get("/nothing-here")
    assert unknown.status_code == 404 and unknown.headers["X-RateLimit-Limit"] == "2"


def test_rate_limit_headers_when_off(api: Any) -> None:
    answer = api.get("/rules")
    assert {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= set(answer.headers)


def test_seeded_faults_leave_state_unchanged(tenant_factory: Any, make_api: Any) -> None:
    def run(seed: int) -> tuple[list[int], int]:
        running = tenant_factory(fault_rate=0.3, fault_seed=seed)
        api = None
        while api is None:  # the token call can be hit by a fault too
            try:
                api = make_api(running)
            except AssertionError:
                pass
        statuses = [api.put(f"/rules-configs/K{i}", json={"value": "v"}).status_code for i in range(40)]
        return statuses, len(api.state()["rules_configs"])

    statuses, stored = run(7)
    assert set(statuses) <= {200, 500, 502, 503} and 200 in statuses and len(set(statuses)) > 1
    assert stored == statuses.count(200)
    assert run(7)[0] == statuses  # the same seed gives the same faults


def test_dropped_connections(tenant_factory: Any, make_api: Any) -> None:
    running = tenant_factory(drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        requests.post(running.token_url, data={}, timeout=5)
    log = requests.get(running.base_url + "/__rulepress/requests", timeout=5).json()["requests"]
    assert [(r["path"], r["status"]) for r in log] == [("/oauth/token", 0)]
