"""Conformance: the real `auth0` Node SDK (v5+, from npm) against the local tenant over TLS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "sdk_conformance.js"
SDK = HERE.parent.parent / "node_modules" / "auth0" / "package.json"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or not SDK.exists(),
    reason="needs node and node_modules/auth0 (scripts/bootstrap runs npm ci)",
)


def run_sdk(running: Any, mode: str) -> dict[str, Any]:
    env = dict(os.environ, NODE_EXTRA_CA_CERTS=str(running.ca_file))
    proc = subprocess.run(
        ["node", str(SCRIPT), mode, running.host_port, running.client_id, running.client_secret],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def requests_log(running: Any) -> list[dict[str, Any]]:
    answer = requests.get(running.base_url + "/__rulepress/requests", verify=str(running.ca_file), timeout=10)
    return list(answer.json()["requests"])


def test_sdk_version_is_v5_or_later() -> None:
    major = int(json.loads(SDK.read_text())["version"].split(".")[0])
    assert major >= 5


def test_node_sdk_full_flow_over_tls(tenant_factory: Any) -> None:
    running = tenant_factory(tls=True)
    out = run_sdk(running, "flow")
    assert out == {
        "paged_rules": 250,
        "paged_unique": 250,
        "updated_enabled": False,
        "get_deleted_status": 404,
        "duplicate_name_status": 409,
        "rules_configs": [{"key": "API_KEY"}],
        "created_status": "pending",
        "v1_number": 1,
        "bound": [["deny", "deny-v1"]],
        "listed_bindings": ["deny"],
        "after_patch_status": "pending",
        "v2_number": 2,
        "versions": [2, 1],
        "rollback_number": 3,
        "rollback_code_is_v1": True,
        "deployed_number": 3,
        "secret_values_hidden": True,
        "triggers": [
            "post-login:v3", "credentials-exchange:v2", "pre-user-registration:v2",
            "post-user-registration:v2", "post-change-password:v2", "send-phone-message:v2",
            "password-reset-post-challenge:v1", "custom-email-provider:v1",
            "custom-phone-provider:v1", "custom-token-exchange:v1",
        ],
        "delete_bound_status": 400,
        "get_deleted_action_status": 404,
    }
    token_calls = [r for r in requests_log(running) if r["path"] == "/oauth/token"]
    assert [r["status"] for r in token_calls] == [200]  # the SDK cached its token


def test_node_sdk_gets_through_429s_with_its_own_retries(tenant_factory: Any) -> None:
    running = tenant_factory(tls=True, plan="free", rules_limit=100)
    out = run_sdk(running, "ratelimit")
    assert out == {"statuses": [200] * 8}
    state = requests.get(running.base_url + "/__rulepress/state", verify=str(running.ca_file), timeout=10)
    assert sorted(r["name"] for r in state.json()["rules"]) == [f"limited-{i}" for i in range(8)]
    statuses = [r["status"] for r in requests_log(running) if r["path"] == "/api/v2/rules"]
    assert 429 in statuses
    assert statuses.count(201) == 8
