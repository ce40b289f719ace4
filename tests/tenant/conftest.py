"""Fixtures for the local tenant's own tests: a tiny HTTP helper with a token, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests


class Api:
    """Plain `requests` calls to a running tenant, with a bearer token."""

    def __init__(self, running: Any, scope: str | None = None) -> None:
        self.tenant = running
        self.session = requests.Session()
        form = {
            "grant_type": "client_credentials",
            "client_id": running.client_id,
            "client_secret": running.client_secret,
            "audience": running.audience,
        }
        if scope is not None:
            form["scope"] = scope
        answer = self.session.post(running.token_url, data=form, timeout=10)
        assert answer.status_code == 200, answer.text
        self.token = answer.json()["access_token"]
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.tenant.api_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def state(self) -> Any:
        return requests.get(self.tenant.base_url + "/__rulepress/state", timeout=10).json()

    def requests_log(self, since: int = 0) -> list[dict[str, Any]]:
        answer = requests.get(
            self.tenant.base_url + "/__rulepress/requests", params={"since": since}, timeout=10
        )
        return list(answer.json()["requests"])


@pytest.fixture
def api(tenant: Any) -> Api:
    return Api(tenant)


@pytest.fixture
def make_api() -> Any:
    return Api
