"""Conformance: auth0-deploy-cli (a0deploy 8.44, from npm, pinned in package-lock.json) runs unchanged against
the local tenant over TLS: import of a directory with rules, rules-configs, actions and triggers, export,
and a second import of the export. Node runs with a preloaded guard that refuses anything but loopback."""

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
A0DEPLOY = HERE.parent.parent / "node_modules" / ".bin" / "a0deploy"
GUARD = HERE / "loopback_guard.cjs"
pytestmark = pytest.mark.skipif(shutil.which("node") is None or not A0DEPLOY.exists(),
                                reason="needs node and node_modules/auth0-deploy-cli (scripts/bootstrap runs npm ci)")

RULE = ("function hello(user, context, callback) {\n  context.idToken.hi = configuration.GREETING;\n"
        "  callback(null, user, context);\n}\n")
ACTION = "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('x', 1); };\n"


def write_import(folder: Path) -> None:
    (folder / "rules").mkdir(parents=True)
    (folder / "rules" / "hello.js").write_text(RULE)
    (folder / "rules" / "hello.json").write_text(json.dumps(
        {"name": "hello", "script": "./hello.js", "stage": "login_success", "enabled": True, "order": 1}))
    (folder / "rules-configs").mkdir()
    (folder / "rules-configs" / "GREETING.json").write_text(json.dumps({"key": "GREETING", "value": "hi there"}))
    (folder / "actions" / "mine").mkdir(parents=True)
    (folder / "actions" / "mine" / "code.js").write_text(ACTION)
    (folder / "actions" / "mine.json").write_text(json.dumps({
        "name": "mine", "code": "./actions/mine/code.js", "runtime": "node22", "dependencies": [],
        "secrets": [], "status": "built", "deployed": True,
        "supported_triggers": [{"id": "post-login", "version": "v3"}]}))
    (folder / "triggers").mkdir()
    (folder / "triggers" / "triggers.json").write_text(json.dumps(
        {"post-login": [{"action_name": "mine", "display_name": "mine"}]}))


def a0deploy(running: Any, tmp: Path, *args: str) -> str:
    config = tmp / "config.json"
    config.write_text(json.dumps({
        "AUTH0_DOMAIN": running.host_port, "AUTH0_CLIENT_ID": running.client_id,
        "AUTH0_CLIENT_SECRET": running.client_secret, "AUTH0_ALLOW_DELETE": False,
        "AUTH0_INCLUDED_ONLY": ["rules", "rulesConfigs", "actions", "triggers"]}))
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(running.ca_file), "NODE_OPTIONS": f"--require {GUARD}"}
    done = subprocess.run([str(A0DEPLOY), *args, "--config_file", str(config)], capture_output=True, text=True,
                          env=env, timeout=300, check=False, cwd=tmp)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "guard: refused" not in output  # a0deploy reached for nothing but the tenant
    assert running.client_secret not in output
    return output


def test_a0deploy_imports_exports_and_imports_again_over_tls(tenant_factory: Any, tmp_path: Path) -> None:
    running = tenant_factory(tls=True, build_seconds=0.1, deploy_seconds=0.1)
    write_import(tmp_path / "in")
    first = a0deploy(running, tmp_path, "import", "--input_file", str(tmp_path / "in"))
    assert "Import Successful" in first and 'Created [rules]: {"name":"hello","order":1}' in first
    state = requests.get(running.base_url + "/__rulepress/state", verify=str(running.ca_file), timeout=10).json()
    assert [(r["name"], r["stage"], r["order"]) for r in state["rules"]] == [("hello", "login_success", 1)]
    assert [a["name"] for a in state["actions"]] == ["mine"]
    exported = a0deploy(running, tmp_path, "export", "--format", "directory", "--output_folder",
                        str(tmp_path / "out"))
    assert "Export Successful" in exported
    assert (tmp_path / "out" / "rules" / "hello.js").read_text().strip() == RULE.strip()
    assert json.loads((tmp_path / "out" / "triggers" / "triggers.json").read_text())["post-login"][0][
        "action_name"] == "mine"
    again = a0deploy(running, tmp_path, "import", "--input_file", str(tmp_path / "out"))
    assert "Import Successful" in again and "Created [" not in again  # the round trip creates nothing new
