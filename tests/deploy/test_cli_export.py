"""The commands as a user runs them (real processes), every secret searched in all their output, and the
export round trip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from deploy_helpers import SECRETS, Api, Repo, action_md, rule_md

REPO_ROOT = Path(__file__).resolve().parents[2]


class Cli:
    def __init__(self, tenant: Any, extra: dict[str, str] | None = None) -> None:
        self.env = {**os.environ, "AUTH0_DOMAIN": tenant.base_url, "AUTH0_CLIENT_ID": tenant.client_id,
                    "AUTH0_CLIENT_SECRET": tenant.client_secret, **(extra or {})}
        self.output: list[str] = []
        self.tenant = tenant

    def __call__(self, *args: str, script: bool = False) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, str(REPO_ROOT / "scripts" / "deploy.py")] if script else \
            [sys.executable, "-m", "rulepress"]
        done = subprocess.run([*cmd, *args], env=self.env, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, cwd=REPO_ROOT)
        self.output += [done.stdout, done.stderr]
        return done

    def assert_no_secret(self, *more: str) -> None:
        text = "\n".join(self.output + list(more))
        for value in (*SECRETS.values(), self.tenant.client_secret):
            assert value not in text


def test_plan_deploy_and_json_report_as_commands_never_show_a_secret(repo: Repo, tenant: Any,
                                                                     tmp_path: Path) -> None:
    repo.write({"a": action_md("A", extra="secrets: [API_KEY]", body="  api.x(event.secrets.API_KEY);"),
                "g": rule_md("G", 1, extra="configuration: [GREETING]", body="user.g = configuration.GREETING;")},
               tenants='[env.dev]\n[env.prod]\ndomain_env = "PROD_DOMAIN"\n')
    cli = Cli(tenant, {"API_KEY": SECRETS["API_KEY"]})
    root = str(repo.root)
    missing = cli("plan", "--root", root)  # a plan needs no value: the missing one is marked
    assert missing.returncode == 2, missing.stderr
    assert "  ! value not set: GREETING: deploy will refuse (these secrets' values are not compared)" in missing.stdout
    refused = cli("deploy", "--yes", "--root", root)
    assert refused.returncode == 1
    assert refused.stderr == ("error: environment 'dev': no value for secret(s) GREETING (set the environment "
                              "variables or pass --secrets-file); nothing was changed\n")
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text(f"# values for dev\nGREETING={SECRETS['GREETING']}\n", encoding="utf-8")
    plan = cli("plan", "--root", root, "--secrets-file", str(secrets_file))
    assert plan.returncode == 2, plan.stderr
    assert "+ action 'A' (create)" in plan.stdout and "rules-config values set (not shown): GREETING" in plan.stdout
    deployed = cli("--yes", "--root", root, "--secrets-file", str(secrets_file), "--json", script=True)
    assert deployed.returncode == 0, deployed.stderr
    report = json.loads(deployed.stdout)["environments"][0]
    assert report["env"] == "dev" and report["error"] is None
    assert report["plan"]["counts"] == {"create": 2, "update": 0, "delete": 0, "unchanged": 0, "kept": 0}
    # writes: config, rule, action (created and deployed in one call), bindings, record
    assert report["api"]["failed"] == 0 and report["api"]["writes"] == 5
    assert "action 'A': deploy" in report["applied"]
    again = cli("plan", "--root", root, "--secrets-file", str(secrets_file))
    assert again.returncode == 0 and again.stdout.rstrip().endswith("nothing to do"), again.stdout
    no_prod = cli("plan", "--root", root, "--all", "--secrets-file", str(secrets_file))
    assert no_prod.returncode == 1 and no_prod.stderr == "error: environment 'prod': set PROD_DOMAIN\n"
    far = cli("plan", "--root", root, "--env", "dev", "--secrets-file", str(secrets_file))
    assert far.returncode == 0
    cli.env["AUTH0_DOMAIN"] = "http://example.com"
    refused = cli("plan", "--root", root)
    assert refused.returncode == 1
    assert refused.stderr == ("error: AUTH0_DOMAIN 'http://example.com': plain http is allowed only for loopback "
                              "addresses\n")
    cli.env["AUTH0_DOMAIN"] = tenant.base_url
    cli.env["AUTH0_CLIENT_SECRET"] = "wrong-" + tenant.client_secret
    denied = cli("plan", "--root", root, "--secrets-file", str(secrets_file))
    assert denied.returncode == 1 and denied.stderr == (
        f"error: environment 'dev': the tenant at {tenant.base_url} refused the client credentials (POST "
        "/oauth/token: HTTP 401: Unauthorized); check AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET (and "
        f"AUTH0_DOMAIN={tenant.base_url}), and that the application is authorized for the Management API\n")
    cli.env["AUTH0_CLIENT_SECRET"] = tenant.client_secret
    rotated = {"GREETING": "rotated-greeting-secret-value"}
    secrets_file.write_text(f"GREETING={rotated['GREETING']}\n", encoding="utf-8")
    unconfirmed = cli("deploy", "--root", root, "--secrets-file", str(secrets_file))  # no terminal, no --yes
    assert unconfirmed.returncode == 2 and "run again with --yes" in unconfirmed.stderr
    assert "nothing was changed" in unconfirmed.stderr
    unconfirmed_json = cli("deploy", "--root", root, "--secrets-file", str(secrets_file), "--json")
    assert unconfirmed_json.returncode == 2 and json.loads(unconfirmed_json.stdout)["exit_code"] == 2
    changed = cli("deploy", "--yes", "--root", root, "--secrets-file", str(secrets_file))
    assert changed.returncode == 0 and "configuration values: (changed) -> (new values)" in changed.stdout
    cli.assert_no_secret(rotated["GREETING"], json.dumps(cli.env.get("nothing")))
    assert rotated["GREETING"] not in "\n".join(cli.output)


def test_stale_rules_json_is_refused(repo: Repo, tenant: Any) -> None:
    repo.write({"a": action_md("A")})
    (repo.root / "rules" / "b.md").write_text(action_md("B"), encoding="utf-8")
    done = Cli(tenant)("plan", "--root", str(repo.root))
    assert done.returncode == 1
    assert done.stderr == ("error: rules.json is stale: it is not what the build writes from rules/; run "
                           "'python build.py' and commit it\n")


def test_export_round_trip_plans_nothing_to_do(repo: Repo, tenant: Any, tmp_path: Path) -> None:
    api = Api(tenant)
    code = ("exports.onExecutePostLogin = async (event, api) => {\n"
            "  api.idToken.setCustomClaim('x', event.secrets.K);\n};")
    first = api.call("POST", "/actions/actions", {
        "name": "Hand Made Claims", "supported_triggers": [{"id": "post-login", "version": "v3"}], "code": code,
        "dependencies": [{"name": "lodash", "version": "4.17.21"}], "secrets": [{"name": "K", "value": "kv-secret-1"}],
        "deploy": True})
    second = api.call("POST", "/actions/actions", {
        "name": "Second", "supported_triggers": [{"id": "post-login", "version": "v3"}],
        "code": "exports.onExecutePostLogin = async () => {};", "deploy": True})
    api.call("POST", "/actions/actions", {
        "name": "Draft only", "supported_triggers": [{"id": "post-user-registration", "version": "v2"}],
        "code": "exports.onExecutePostUserRegistration = async () => {};"})
    api.call("POST", "/rules", {"name": "Old rule", "order": 4, "enabled": False,
                                "script": "function (user, context, callback) {\n  user.k = configuration.OLD_KEY;"
                                          "\n  callback(null, user, context);\n}"})
    api.call("PUT", "/rules-configs/OLD_KEY", {"value": "old-config-secret"})
    import time
    for _ in range(200):
        if all(api.call("GET", f"/actions/actions/{a['id']}")["all_changes_deployed"] for a in (first, second)):
            break
        time.sleep(0.05)
    api.call("PATCH", "/actions/triggers/post-login/bindings", {"bindings": [
        {"ref": {"type": "action_id", "value": second["id"]}, "display_name": "Second"},
        {"ref": {"type": "action_id", "value": first["id"]}, "display_name": "Hand Made Claims"}]})
    root = tmp_path / "exported"
    cli = Cli(tenant)
    done = cli("export", "--out", str(root / "rules"), "--config", str(root / "tenants.toml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"exported 4 file(s) into {root / 'rules'}; wrote {root / 'tenants.toml'}\n"
    names = sorted(p.name for p in (root / "rules").iterdir())
    assert names == ["draft-only.md", "hand-made-claims.md", "old-rule.md", "second.md"]
    text = (root / "rules" / "hand-made-claims.md").read_text(encoding="utf-8")
    assert 'secrets: ["K"]' in text and "kv-secret-1" not in text
    build = subprocess.run([sys.executable, "-m", "rulepress", "build", "--root", str(root)], capture_output=True,
                           text=True, timeout=120, cwd=REPO_ROOT)
    assert build.returncode == 0, build.stdout + build.stderr
    cli.env.update({"K": "kv-secret-1", "OLD_KEY": "old-config-secret"})
    seq_before = len(api.call("GET", "/actions/actions")["actions"])
    plan = cli("plan", "--root", str(root))
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "0 to create, 0 to update, 0 to delete, 4 unchanged" in plan.stdout
    assert len(api.call("GET", "/actions/actions")["actions"]) == seq_before
    for path in (root / "rules").iterdir():
        content = path.read_text(encoding="utf-8")
        assert "kv-secret-1" not in content and "old-config-secret" not in content


def test_tenant_content_never_chooses_where_export_writes(tenant: Any, tmp_path: Path) -> None:
    api = Api(tenant)
    for name, marker in (("Escaper", "../../escaped"), ("Absolute", "/tmp/abs"), ("Fine", "fine-id")):
        api.call("POST", "/actions/actions", {
            "name": name, "supported_triggers": [{"id": "post-login", "version": "v3"}],
            "code": f"/* rulepress:{marker} */ exports.onExecutePostLogin = async () => {{}};"})
    out = tmp_path / "deep" / "er" / "out"
    done = Cli(tenant)("export", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["absolute.md", "escaper.md", "fine-id.md"]
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "deep/er/out/absolute.md", "deep/er/out/escaper.md", "deep/er/out/fine-id.md"]  # nothing beside DIR
    assert "its marker names '../../escaped', not a safe file name; exported as escaper.md" in done.stdout
