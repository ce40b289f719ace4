"""The fixture and the introspection endpoints others rely on."""

from __future__ import annotations

from typing import Any

import requests


def test_fixture_serves_token_and_api(tenant: Any, api: Any) -> None:
    assert tenant.base_url.startswith("http://127.0.0.1:")
    assert tenant.domain == tenant.base_url
    created = api.post("/rules", json={"name": "smoke", "script": "function (u, c, cb) { cb(null, u, c); }"})
    assert created.status_code == 201
    log = api.requests_log()
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/oauth/token", 200),
        ("POST", "/api/v2/rules", 201),
    ]
    assert api.state()["rules"][0]["name"] == "smoke"
    assert requests.get(tenant.base_url + "/__rulepress/requests", params={"since": 1}, timeout=5).json()[
        "requests"
    ][0]["path"] == "/api/v2/rules"
