"""--state (SQLite): restarts keep everything, kill -9 loses no acknowledged write; the CLI's lifecycle."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
CODE = "exports.onExecutePostLogin = async (event, api) => {};"


def serve(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "rulepress", "tenant", "serve", *args], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    found = re.search(r"https?://127\.0\.0\.1:\d+", first)
    if found is None:
        proc.kill()
        raise AssertionError(first + (proc.stderr.read() if proc.stderr else ""))
    return proc, found.group(0)


def wait_built(api: Any, action_id: str) -> dict[str, Any]:
    for _ in range(500):
        action: dict[str, Any] = api.get(f"/actions/actions/{action_id}").json()
        if action["status"] == "built":
            return action
        time.sleep(0.01)
    raise AssertionError("not built")


def test_restart_keeps_rules_configs_actions_versions_bindings_secrets(
    tmp_path: Path, tenant_factory: Any, make_api: Any
) -> None:
    state = tmp_path / "tenant.db"
    first = tenant_factory(state=state, deploy_seconds=60)
    api = make_api(first)
    rule = api.post("/rules", json={"name": "kept", "script": "function (u, c, cb) { cb(null, u, c); }"}).json()
    api.put("/rules-configs/KEY", json={"value": "sekrit"})
    action = api.post("/actions/actions", json={
        "name": "kept", "supported_triggers": [{"id": "post-login", "version": "v3"}], "code": CODE,
        "secrets": [{"name": "S", "value": "hidden"}]}).json()
    wait_built(api, action["id"])
    api.post(f"/actions/actions/{action['id']}/deploy")
    api.patch("/actions/triggers/post-login/bindings",
              json={"bindings": [{"ref": {"type": "action_name", "value": "kept"}}]})
    pending = api.post("/actions/actions", json={
        "name": "pending", "supported_triggers": [{"id": "post-login", "version": "v3"}], "code": CODE}).json()
    before = api.state()
    first.stop()
    assert [v["deployed"] for v in before["versions"]] == [False]  # stopped before the flip

    second = tenant_factory(state=state)
    again = make_api(second)
    assert again.get(f"/rules/{rule['id']}").json() == rule
    assert again.get("/rules-configs").json() == [{"key": "KEY"}]
    after = again.state()
    assert after["versions"] == before["versions"] and after["bindings"] == before["bindings"]
    assert wait_built(again, pending["id"])["status"] == "built"  # a build cut short resumes
    deployed = wait_built(again, action["id"])["deployed_version"]
    for _ in range(500):  # so does a deploy
        if deployed["deployed"]:
            break
        time.sleep(0.01)
        deployed = again.get(f"/actions/actions/{action['id']}").json()["deployed_version"]
    assert deployed["deployed"] is True
    # the secret value is still there: a re-deploy of the draft carries it (names only on the wire)
    assert again.post(f"/actions/actions/{action['id']}/deploy").json()["secrets"][0]["name"] == "S"
    with sqlite3.connect(state) as conn:
        secrets = [b for (b,) in conn.execute("SELECT body FROM docs WHERE kind = 'action'")]
    assert any("hidden" in body for body in secrets)
    # a token from before the restart still works (same client secret)
    assert requests.get(second.api_url + "/rules", timeout=5,
                        headers={"Authorization": f"Bearer {api.token}"}).status_code == 200


def test_kill_9_loses_no_acknowledged_write(tmp_path: Path) -> None:
    state = tmp_path / "tenant.db"
    proc, base = serve("--state", str(state), "--client-id", "c", "--client-secret", "s")
    token = requests.post(base + "/oauth/token", data={
        "grant_type": "client_credentials", "client_id": "c", "client_secret": "s",
        "audience": base + "/api/v2/"}, timeout=5).json()["access_token"]
    acknowledged: list[str] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        for i in range(10_000):
            key = f"w{w}-{i}"
            try:
                answer = session.put(f"{base}/api/v2/rules-configs/{key}", json={"value": key}, timeout=5)
            except requests.RequestException:
                return
            if answer.status_code == 200:
                with lock:
                    acknowledged.append(key)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 300:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for thread in threads:
        thread.join()
    with sqlite3.connect(state) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = {k for (k,) in conn.execute("SELECT key FROM docs WHERE kind = 'rules_config'")}
    assert set(acknowledged) <= stored


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_credentials_and_stops_cleanly(sig: signal.Signals, tmp_path: Path) -> None:
    proc, base = serve("--tls", "--tls-dir", str(tmp_path / "tls"), "--client-id", "me",
                       "--client-secret", "pw")
    assert proc.stdout is not None and proc.stderr is not None
    announced = "".join(proc.stdout.readline() for _ in range(8))  # through "press Ctrl-C to stop"
    proc.send_signal(sig)
    out = announced + proc.stdout.read()
    err = proc.stderr.read()
    assert proc.wait(timeout=20) == 0, err
    assert base.startswith("https://127.0.0.1:")
    assert "client id:     me" in out and "client secret: pw" in out
    assert f"CA file:       {tmp_path / 'tls' / 'ca.pem'}" in out
    assert err.strip() == "local tenant stopped"


def test_cli_refuses_bad_options_and_state_files(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "rulepress", "tenant", "serve", *args], cwd=REPO,
                              capture_output=True, text=True, timeout=30, check=False)

    bad_rate = run("--fault-rate", "2")
    assert (bad_rate.returncode, bad_rate.stderr) == (
        2, "error: fault-rate must be between 0 and 1, not 2.0\n")
    not_db = tmp_path / "notes.txt"
    not_db.write_text("not a database, just text " * 100)
    refused = run("--state", str(not_db))
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: {not_db}: cannot use it as a state file:")
    assert "Traceback" not in refused.stderr


def test_the_state_file_is_readable_by_its_owner_only(tmp_path: Path, tenant_factory: Any) -> None:
    state = tmp_path / "tenant.db"
    tenant_factory(state=state)
    assert state.stat().st_mode & 0o777 == 0o600  # it holds secret values


def test_deploy_once_built_survives_a_restart(tmp_path: Path, tenant_factory: Any, make_api: Any) -> None:
    """An action created with deploy: true whose build had not finished when the tenant stopped is built
    and deployed after the restart (the intent is state, not only a task of the old process)."""
    state = tmp_path / "tenant.db"
    first = tenant_factory(state=state, build_seconds=30)
    created = make_api(first).post("/actions/actions", json={
        "name": "promised", "supported_triggers": [{"id": "post-login", "version": "v3"}], "code": CODE,
        "deploy": True}).json()
    first.stop()
    second = tenant_factory(state=state, build_seconds=0.1, deploy_seconds=0.1)
    api = make_api(second)
    for _ in range(100):
        action = api.get(f"/actions/actions/{created['id']}").json()
        if action.get("all_changes_deployed") and action["deployed_version"]["deployed"]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError(f"never deployed after the restart: {action}")
