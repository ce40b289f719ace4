"""A hypothesis state machine: random rule and rules-config calls against the tenant and a plain model.

After every step the tenant's listing equals the model, whatever mix of valid and invalid calls came
before (conflicts, bad names, missing ids).
"""

from __future__ import annotations

from typing import Any

import requests
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from rulepress.tenant import start_tenant

names = st.sampled_from(["alpha", "beta", "gamma rule", "d-1", "-bad", "", "x" * 3])
orders = st.none() | st.integers(min_value=-1, max_value=6)
keys = st.sampled_from(["K1", "K2", "bad key", "a@b"])


class RulesMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.running = start_tenant()
        self.session = requests.Session()
        token = self.session.post(self.running.token_url, timeout=5, data={
            "grant_type": "client_credentials", "client_id": self.running.client_id,
            "client_secret": self.running.client_secret, "audience": self.running.audience}).json()
        self.session.headers["Authorization"] = f"Bearer {token['access_token']}"
        self.rules: dict[str, dict[str, Any]] = {}
        self.configs: dict[str, str] = {}

    def teardown(self) -> None:
        self.running.stop()

    def call(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.session.request(method, self.running.api_url + path, json=body, timeout=10)

    def _valid_name(self, name: str) -> bool:
        return bool(name) and name[0] != "-" and name[-1] != "-"

    @rule(name=names, order=orders, enabled=st.none() | st.booleans())
    def create(self, name: str, order: int | None, enabled: bool | None) -> None:
        body: dict[str, Any] = {"name": name, "script": "x"}
        if order is not None:
            body["order"] = order
        if enabled is not None:
            body["enabled"] = enabled
        answer = self.call("POST", "/rules", body)
        taken_names = {r["name"] for r in self.rules.values()}
        taken_orders = {r["order"] for r in self.rules.values()}
        if not self._valid_name(name) or (order is not None and order < 0):
            assert answer.status_code == 400
        elif name in taken_names or (order is not None and order in taken_orders):
            assert answer.status_code == 409
        else:
            assert answer.status_code == 201, answer.text
            made = answer.json()
            expected_order = order if order is not None else max(taken_orders, default=0) + 1
            assert made["order"] == expected_order and made["enabled"] is (enabled is not False)
            self.rules[made["id"]] = made

    @precondition(lambda self: bool(self.rules))
    @rule(data=st.data(), name=st.none() | names, order=orders)
    def patch(self, data: st.DataObject, name: str | None, order: int | None) -> None:
        rule_id = data.draw(st.sampled_from(list(self.rules)))  # creation order: ids are random
        body = {k: v for k, v in (("name", name), ("order", order)) if v is not None}
        answer = self.call("PATCH", f"/rules/{rule_id}", body)
        others = [r for r in self.rules.values() if r["id"] != rule_id]
        if not body or (name is not None and not self._valid_name(name)) or (order is not None and order < 0):
            assert answer.status_code == 400
        elif any(r["name"] == name for r in others) or any(r["order"] == order for r in others):
            assert answer.status_code == 409
        else:
            assert answer.status_code == 200, answer.text
            self.rules[rule_id] = {**self.rules[rule_id], **body}

    @rule(data=st.data(), missing=st.booleans())
    def delete(self, data: st.DataObject, missing: bool) -> None:
        rule_id = "rul_0123456789abcdef" if missing or not self.rules else data.draw(
            st.sampled_from(list(self.rules)))
        assert self.call("DELETE", f"/rules/{rule_id}").status_code == 204
        self.rules.pop(rule_id, None)

    @rule(key=keys, value=st.text(min_size=0, max_size=5))
    def put_config(self, key: str, value: str) -> None:
        answer = self.call("PUT", f"/rules-configs/{requests.utils.quote(key, safe='')}", {"value": value})
        if " " in key or not value:
            assert answer.status_code == 400
        else:
            assert answer.status_code == 200
            self.configs[key] = value

    @rule(key=keys)
    def delete_config(self, key: str) -> None:
        answer = self.call("DELETE", f"/rules-configs/{requests.utils.quote(key, safe='')}")
        assert answer.status_code == (400 if " " in key else 204)
        self.configs.pop(key, None)

    @invariant()
    def listing_matches_model(self) -> None:
        listed = self.call("GET", "/rules").json()
        assert listed == sorted(self.rules.values(), key=lambda r: (r["order"], r["id"]))
        assert self.call("GET", "/rules-configs").json() == [{"key": k} for k in sorted(self.configs)]


TestRulesMachine = RulesMachine.TestCase
TestRulesMachine.settings = settings(max_examples=40, stateful_step_count=30, deadline=None,
                                     suppress_health_check=list(HealthCheck))
