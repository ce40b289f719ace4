"""The whole path of a cutover, end to end against the local tenant: rules on a tenant → `rulepress export`
→ `rulepress migrate --all` → build → plan → deploy. Afterwards the actions run and the rules they replace
are disabled (not deleted); a second plan has nothing to do."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

RULE = ("function (user, context, callback) {{\n  context.idToken['https://example.com/{claim}'] = {value};\n"
        "  callback(null, user, context);\n}}")


def test_export_migrate_plan_deploy(tenant: Any, tmp_path: Path) -> None:
    env = {**os.environ, "AUTH0_DOMAIN": tenant.base_url, "AUTH0_CLIENT_ID": tenant.client_id,
           "AUTH0_CLIENT_SECRET": tenant.client_secret}

    def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run([sys.executable, "-m", "rulepress", *args], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=300, check=False)
        assert not check or done.returncode == 0, done.stdout + done.stderr
        return done

    session = requests.Session()
    token = session.post(tenant.base_url + "/oauth/token", json={
        "grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.client_secret,
        "audience": tenant.base_url + "/api/v2/"}, timeout=10).json()["access_token"]
    session.headers["Authorization"] = f"Bearer {token}"
    api = tenant.base_url + "/api/v2"
    for order, (name, claim, value) in enumerate([("Add plan", "plan", "'gold'"),
                                                  ("Add country", "country", "user.user_metadata.country || 'NZ'")], 1):
        answer = session.post(api + "/rules", json={"name": name, "order": order,
                                                    "script": RULE.format(claim=claim, value=value)}, timeout=10)
        assert answer.status_code == 201, answer.text
    repo = tmp_path / "repo"
    repo.mkdir()
    cli("export", "--out", str(repo / "rules"), "--config", str(repo / "tenants.toml"))
    cli("build")
    migrated = cli("migrate", "--all")
    assert migrated.stdout.count(": complete") == 2, migrated.stdout
    cli("build", "--strict")
    plan = cli("plan", check=False)
    assert plan.returncode == 2
    assert "+ action 'Add plan' (create)" in plan.stdout
    assert "~ rule 'Add plan': disabled after the bindings (its migrated action replaces it)" in plan.stdout
    cli("deploy", "--yes")
    rules = {r["name"]: r["enabled"] for r in session.get(api + "/rules", timeout=10).json()}
    assert rules == {"Add plan": False, "Add country": False}  # replaced, kept for a way back
    actions = session.get(api + "/actions/actions", timeout=10).json()["actions"]
    live = {a["name"] for a in actions if a.get("all_changes_deployed")}
    assert {"Add plan", "Add country"} <= live
    bound = session.get(api + "/actions/triggers/post-login/bindings", timeout=10).json()["bindings"]
    assert sorted(b["display_name"] for b in bound) == ["Add country", "Add plan"]
    again = cli("plan")
    assert again.stdout.rstrip().endswith("nothing to do")
