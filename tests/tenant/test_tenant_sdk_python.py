"""Conformance: the real auth0-python 6.x (from PyPI) against the local tenant."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import requests
from auth0.authentication import GetToken
from auth0.management import Auth0, ManagementClient
from auth0.management.core.api_error import ApiError as SdkError

CODE_V1 = "exports.onExecutePostLogin = async (event, api) => { api.access.deny('v1'); };"
CODE_V2 = "exports.onExecutePostLogin = async (event, api) => {};"


def connect(running: Any, **kwargs: Any) -> Auth0:
    token = GetToken(
        running.host_port, running.client_id, running.client_secret, protocol="http"
    ).client_credentials(running.audience)
    return Auth0(base_url=running.api_url, token=token["access_token"], **kwargs)


def until(get: Callable[[], Any], test: Callable[[Any], bool]) -> Any:
    for _ in range(400):
        value = get()
        if test(value):
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def status_of(call: Callable[[], Any]) -> int:
    try:
        call()
    except SdkError as exc:
        return int(exc.status_code or 0)
    return 200


def test_token_has_the_granted_scopes(tenant: Any) -> None:
    token = GetToken(tenant.host_port, tenant.client_id, tenant.client_secret, protocol="http")
    answer = token.client_credentials(tenant.audience)
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 86400
    assert "read:rules" in answer["scope"].split() and "create:actions" in answer["scope"].split()


def test_rules_create_page_update_delete(tenant: Any) -> None:
    api = connect(tenant)
    for i in range(250):
        api.rules.create(name=f"rule-{i:03d}", script=f"function (u, c, cb) {{ cb(null, u, c); }} // {i}")
    names = [rule.name for rule in api.rules.list(per_page=50)]
    assert names == [f"rule-{i:03d}" for i in range(250)]
    first = api.rules.list(page=0, per_page=1).items[0]
    assert first.order == 1 and first.stage == "login_success" and first.enabled is True
    updated = api.rules.update(first.id, enabled=False, name="renamed")
    assert (updated.enabled, updated.name) == (False, "renamed")
    api.rules.delete(first.id)
    assert status_of(lambda: api.rules.get(first.id)) == 404
    api.rules.delete(first.id)  # a missing id: 204, no error


def test_rules_configs(tenant: Any) -> None:
    api = connect(tenant)
    answer = api.rules_configs.set("API_KEY", value="sekrit")
    assert (answer.key, answer.value) == ("API_KEY", "sekrit")
    assert [c.key for c in api.rules_configs.list()] == ["API_KEY"]
    api.rules_configs.delete("API_KEY")
    assert api.rules_configs.list() == []


def test_action_build_deploy_bind_versions_rollback(tenant: Any) -> None:
    api = connect(tenant)
    action = api.actions.create(
        name="deny-v1",
        supported_triggers=[{"id": "post-login", "version": "v3"}],
        code=CODE_V1,
        secrets=[{"name": "TOKEN", "value": "shh"}],
    )
    assert action.status == "pending"
    until(lambda: api.actions.get(action.id), lambda a: a.status == "built")
    v1 = api.actions.deploy(action.id)
    assert v1.number == 1
    until(lambda: api.actions.get(action.id), lambda a: a.deployed_version and a.deployed_version.deployed)
    bound = api.actions.triggers.bindings.update_many(
        "post-login", bindings=[{"ref": {"type": "action_id", "value": action.id}, "display_name": "deny"}]
    )
    assert [(b.display_name, b.action.name) for b in bound.bindings or []] == [("deny", "deny-v1")]
    assert [b.display_name for b in api.actions.triggers.bindings.list("post-login")] == ["deny"]
    api.actions.update(action.id, code=CODE_V2)
    assert api.actions.get(action.id).status == "pending"
    until(lambda: api.actions.get(action.id), lambda a: a.status == "built")
    assert api.actions.deploy(action.id).number == 2
    assert [v.number for v in api.actions.versions.list(action.id)] == [2, 1]
    rolled = api.actions.versions.deploy(action.id, v1.id)
    assert (rolled.number, rolled.code) == (3, CODE_V1)
    final = until(lambda: api.actions.get(action.id), lambda a: a.deployed_version.deployed)
    assert final.deployed_version.number == 3
    assert all(s.model_dump(exclude_none=True).keys() == {"name", "updated_at"} for s in final.secrets)
    assert [(t.id, t.version) for t in api.actions.triggers.list().triggers if t.status == "CURRENT"][0] == (
        "post-login", "v3",
    )
    assert status_of(lambda: api.actions.delete(action.id)) == 400
    api.actions.delete(action.id, force=True)
    assert status_of(lambda: api.actions.get(action.id)) == 404


@pytest.mark.parametrize("plan", ["free"])
def test_gets_through_429s_with_its_own_retries(tenant_factory: Any, plan: str) -> None:
    running = tenant_factory(plan=plan, rules_limit=100)
    api = connect(running)
    for i in range(8):
        api.rules.create(name=f"limited-{i}", script="x")
    assert len(list(api.rules.list())) == 8
    log = requests.get(running.base_url + "/__rulepress/requests", timeout=10).json()["requests"]
    statuses = [r["status"] for r in log if r["path"] == "/api/v2/rules" and r["method"] == "POST"]
    assert 429 in statuses and statuses.count(201) == 8


def test_management_client_over_tls_gets_its_own_token(
    tenant_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ManagementClient builds https:// URLs and fetches its token itself; trust our CA through httpx's
    SSL_CERT_FILE (the environment, not our code)."""
    running = tenant_factory(tls=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(running.ca_file))
    client = ManagementClient(
        domain=running.host_port, client_id=running.client_id, client_secret=running.client_secret
    )
    created = client.rules.create(name="over-tls", script="function (u, c, cb) { cb(null, u, c); }")
    assert [r.id for r in client.rules.list()] == [created.id]
    assert client.rules_configs.set("K", value="v").key == "K"
    log = requests.get(running.base_url + "/__rulepress/requests", verify=str(running.ca_file), timeout=10)
    assert [(r["method"], r["path"]) for r in log.json()["requests"]][:2] == [
        ("POST", "/oauth/token"), ("POST", "/api/v2/rules")]
