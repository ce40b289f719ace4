"""Bad input: the real error answer, no crash, state unchanged. Plus a hypothesis fuzz of every endpoint."""

from __future__ import annotations

import json
import threading
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulepress.tenant import start_tenant

SCRIPT = "function (u, c, cb) { cb(null, u, c); }"


def test_malformed_json_and_wrong_types(api: Any) -> None:
    raw = {"Content-Type": "application/json"}
    broken = api.post("/rules", data=b'{"name": "x", ', headers=raw)
    assert (broken.status_code, broken.json()) == (400, {
        "statusCode": 400, "error": "Bad Request", "message": "Invalid request payload JSON format"})
    assert api.post("/rules", data=b"\xff\xfe", headers=raw).status_code == 400
    for body, found in ((b"[1]", "array"), (b"null", "null"), (b"3", "integer"), (b'"s"', "string")):
        answer = api.post("/rules", data=body, headers=raw)
        assert answer.json()["message"] == (
            f"Payload validation error: 'Expected type object but found type {found}'.")
    text = api.post("/rules", data="name=x", headers={"Content-Type": "text/plain"})
    assert (text.status_code, text.json()["message"]) == (415, "Unsupported Media Type")
    assert api.state()["rules"] == []


def test_huge_body_refused(tenant_factory: Any, make_api: Any) -> None:
    api = make_api(tenant_factory(max_body_bytes=4096))
    answer = api.post("/rules", json={"name": "big", "script": "x" * 10_000})
    assert answer.status_code == 413
    assert answer.json()["statusCode"] == 413
    assert api.state()["rules"] == []
    assert api.post("/rules", json={"name": "small", "script": SCRIPT}).status_code == 201


def test_unknown_paths_methods_and_strange_ids(api: Any) -> None:
    for method, path in [("GET", "/nothing"), ("PUT", "/rules"), ("DELETE", "/actions/triggers"),
                         ("GET", "/rules/rul_AAAAAAAAAAAAAAAA/extra"), ("POST", "/")]:
        answer = api.call(method, path, json={})
        assert (answer.status_code, answer.json()) == (404, {
            "statusCode": 404, "error": "Not Found", "message": "Not Found"}), (method, path)
    for strange in ("%00", "..%2F..%2Fetc", "ü" * 300, "rul_" + "A" * 16 + "%20", "'; DROP TABLE docs; --"):
        assert api.get(f"/rules/{strange}").status_code in (400, 404)
        assert api.get(f"/actions/actions/{strange}").status_code == 404
        assert api.delete(f"/rules-configs/{strange}").status_code in (400, 404)
    outside = requests.get(api.tenant.base_url + "/oauth/token", timeout=5)
    assert outside.status_code == 404


def test_concurrent_writers(api: Any) -> None:
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(i: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {api.token}"
        same = session.post(api.tenant.api_url + "/rules", json={"name": "same", "script": SCRIPT}, timeout=10)
        own = session.post(api.tenant.api_url + "/rules", json={"name": f"own-{i}", "script": SCRIPT},
                           timeout=10)
        with lock:
            statuses.extend([same.status_code, own.status_code])

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(409) == 15 and statuses.count(201) == 17
    rules = api.state()["rules"]
    assert len({r["order"] for r in rules}) == len(rules) == 17


# -- fuzz --------------------------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/rules"), ("POST", "/rules"), ("GET", "/rules/{id}"), ("PATCH", "/rules/{id}"),
    ("DELETE", "/rules/{id}"), ("GET", "/rules-configs"), ("PUT", "/rules-configs/{id}"),
    ("DELETE", "/rules-configs/{id}"), ("GET", "/actions/actions"), ("POST", "/actions/actions"),
    ("GET", "/actions/actions/{id}"), ("PATCH", "/actions/actions/{id}"), ("DELETE", "/actions/actions/{id}"),
    ("POST", "/actions/actions/{id}/deploy"), ("GET", "/actions/actions/{id}/versions"),
    ("GET", "/actions/actions/{id}/versions/{id}"), ("POST", "/actions/actions/{id}/versions/{id}/deploy"),
    ("GET", "/actions/triggers"), ("GET", "/actions/triggers/{id}/bindings"),
    ("PATCH", "/actions/triggers/{id}/bindings"),
]
KEYS = ["name", "script", "order", "enabled", "value", "supported_triggers", "code", "runtime", "secrets",
        "dependencies", "bindings", "ref", "type", "id", "version", "deploy", "update_draft", "stage"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8),
                                                                inner, max_size=5),
    max_leaves=12,
)
FIXED_IDS = ["rul_AAAAAAAAAAAAAAAA", "post-login", "K", "", "%2e%2e", "00000000-0000-4000-8000-000000000000"]
ids = st.sampled_from(FIXED_IDS) | st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/?#"), min_size=1, max_size=20)


def test_fuzz_every_endpoint_never_crashes() -> None:
    with start_tenant(build_seconds=0.0) as running:
        session = requests.Session()
        token = session.post(running.token_url, data={
            "grant_type": "client_credentials", "client_id": running.client_id,
            "client_secret": running.client_secret, "audience": running.audience}, timeout=5).json()
        session.headers["Authorization"] = f"Bearer {token['access_token']}"

        @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
        @given(endpoint=st.sampled_from(ENDPOINTS), path_ids=st.lists(ids, min_size=2, max_size=2),
               body=json_values, query=st.dictionaries(st.sampled_from(
                   ["page", "per_page", "include_totals", "enabled", "force", "fields"]), st.text(max_size=5)),
               raw=st.booleans())
        def probe(endpoint: tuple[str, str], path_ids: list[str], body: Any, query: dict[str, str],
                  raw: bool) -> None:
            method, template = endpoint
            path = template.replace("{id}", requests.utils.quote(path_ids[0], safe=""), 1)
            path = path.replace("{id}", requests.utils.quote(path_ids[1], safe=""), 1)
            data = json.dumps(body).encode()[:-1] if raw else json.dumps(body).encode()
            answer = session.request(method, running.api_url + path, params=query, data=data,
                                     headers={"Content-Type": "application/json"}, timeout=10)
            assert answer.status_code < 500, (method, path, body, answer.text)
            if answer.status_code >= 400:
                envelope = answer.json()
                assert envelope["statusCode"] == answer.status_code and envelope["message"]
            state = session.get(running.base_url + "/__rulepress/state", timeout=10).json()
            names = [r["name"] for r in state["rules"]]
            orders = [r["order"] for r in state["rules"]]
            assert len(set(names)) == len(names) and len(set(orders)) == len(orders)

        probe()
