"""Every plan shape, deployed over real HTTP to the local tenant; each followed by an empty plan."""

from __future__ import annotations

import time
from typing import Any

import pytest
from deploy_helpers import SECRETS, Api, Deployer, Repo, action_md, rule_md

from rulepress.errors import UserError


def converged(d: Deployer) -> None:
    seq = d.last_seq()
    outcome = d.plan()
    assert outcome.plan is not None and not outcome.plan.has_changes, d.lines[-1]
    assert d.writes(seq) == []


def start(repo: Repo, d: Deployer) -> None:
    repo.write({
        "add-roles": action_md("Add roles", extra="secrets: [API_KEY]",
                               body="  api.idToken.setCustomClaim('k', event.secrets.API_KEY);"),
        "audit": action_md("Audit"),
        "greet": rule_md("Greet", 2, extra="configuration: [GREETING]",
                         body="user.greeting = configuration.GREETING;"),
        "tag": rule_md("Tag", 1),
    })
    outcome = d.run()
    assert outcome.error is None, outcome.error
    converged(d)


def test_first_deploy_creates_everything_and_a_rerun_writes_nothing(repo: Repo, deployer: Deployer) -> None:
    start(repo, deployer)
    state = deployer.state()
    assert sorted((r["name"], r["order"]) for r in state["rules"]) == [("Greet", 2), ("Tag", 1)]
    names = sorted(a["name"] for a in state["actions"])
    assert names == ["Add roles", "Audit", "rulepress-state"]
    assert [k["key"] for k in state["rules_configs"]] == ["GREETING"]
    plan_text = "\n".join(deployer.lines)
    assert "+ action 'Add roles' (create)" in plan_text
    assert "~ bindings post-login: [] -> [Add roles, Audit]" in plan_text
    assert "~ deploy record: none -> 1.0.0 (no commit)" in plan_text
    seq = deployer.last_seq()
    deployer.run()
    assert deployer.writes(seq) == []  # a no-op deploy writes nothing and creates no version
    assert deployer.lines[-1].endswith("nothing to do")


def test_code_change_is_one_patch_one_deploy_with_a_diff(repo: Repo, deployer: Deployer) -> None:
    start(repo, deployer)
    repo.write({"audit": action_md("Audit", "  api.idToken.setCustomClaim('audited', 2);")})
    seq = deployer.last_seq()
    outcome = deployer.run()
    assert outcome.error is None
    text = deployer.lines[-len(outcome.applied.done if outcome.applied else []) - 1]
    assert "~ action 'Audit'" in text and "+  api.idToken.setCustomClaim('audited', 2);" in text
    writes = deployer.writes(seq)
    audit = [a["id"] for a in deployer.state()["actions"] if a["name"] == "Audit"][0]
    state_id = [a["id"] for a in deployer.state()["actions"] if a["name"] == "rulepress-state"][0]
    assert writes == [("PATCH", f"/api/v2/actions/actions/{audit}"),
                      ("POST", f"/api/v2/actions/actions/{audit}/deploy"),
                      ("PATCH", f"/api/v2/actions/actions/{state_id}")]
    converged(deployer)


def test_secret_value_change_is_detected_without_showing_it(repo: Repo, deployer: Deployer) -> None:
    start(repo, deployer)
    changed = {**SECRETS, "API_KEY": "sk-rotated-0000-secret"}
    outcome = deployer.run(secrets=changed)
    assert outcome.plan is not None and outcome.error is None
    text = "\n".join(deployer.lines)
    assert "secret values: (changed) -> (new values, not shown)" in text
    for value in (*SECRETS.values(), *changed.values()):
        assert value not in text
    converged_plan = deployer.plan(secrets=changed)
    assert converged_plan.plan is not None and not converged_plan.plan.has_changes


def test_missing_secrets_are_all_reported_before_any_write(repo: Repo, deployer: Deployer) -> None:
    repo.write({"a": action_md("A", extra="secrets: [ONE, TWO]",
                               body="  api.x(event.secrets.ONE, event.secrets.TWO);"),
                "r": rule_md("R", extra="configuration: [THREE]", body="user.x = configuration.THREE;")})
    with pytest.raises(UserError) as info:
        deployer.run(secrets={})
    assert str(info.value) == ("environment 'default': no value for secret(s) ONE, THREE, TWO (set the environment "
                               "variables or pass --secrets-file); nothing was changed")
    assert deployer.writes() == []


def test_rename_enable_runtime_dependencies_and_trigger_changes(repo: Repo, deployer: Deployer) -> None:
    start(repo, deployer)
    repo.write({
        "audit": action_md("Audit trail", extra='runtime: node18\ndependencies: {"lodash": "4.17.21"}'),
        "tag": rule_md("Tag all", 1, extra="enabled: false"),
    })
    outcome = deployer.run()
    assert outcome.error is None, outcome.error
    text = "\n".join(deployer.lines)
    for expected in ("name: Audit -> Audit trail", "runtime: node22 -> node18",
                     "dependencies: (none) -> lodash@4.17.21", "name: Tag -> Tag all", "enabled: true -> false"):
        assert expected in text
    state = deployer.state()
    assert {r["name"]: r["enabled"] for r in state["rules"]} == {"Greet": True, "Tag all": False}
    converged(deployer)
    repo.write({"audit": action_md("Audit trail", trigger="post-user-registration",
                                   extra='runtime: node18\ndependencies: {"lodash": "4.17.21"}')})
    assert deployer.run().error is None
    assert "trigger: post-login v3 -> post-user-registration v2" in "\n".join(deployer.lines)
    converged(deployer)


def test_left_the_catalogue_is_kept_until_prune(repo: Repo, deployer: Deployer) -> None:
    start(repo, deployer)
    (repo.root / "rules" / "audit.md").unlink()
    (repo.root / "rules" / "tag.md").unlink()
    repo.write({})
    outcome = deployer.plan()
    assert outcome.plan is not None
    text = deployer.lines[-1]
    assert "! action 'Audit' left the catalogue; kept (run with --prune to delete it)" in text
    assert "! rule 'Tag' left the catalogue; kept" in text
    assert deployer.run(prune=True).error is None
    assert any("- action 'Audit' (delete)" in x for x in deployer.lines)
    state = deployer.state()
    assert sorted(a["name"] for a in state["actions"]) == ["Add roles", "rulepress-state"]
    assert [r["name"] for r in state["rules"]] == ["Greet"]
    converged(deployer)


def test_unmanaged_resources_are_never_touched_and_keep_their_binding_place(
        repo: Repo, deployer: Deployer, tenant: Any) -> None:
    api = Api(tenant)
    own = api.call("POST", "/actions/actions", {"name": "Hand made", "supported_triggers": [
        {"id": "post-login", "version": "v3"}], "code": "exports.onExecutePostLogin = async () => {};",
        "deploy": True})
    api.call("POST", "/rules", {"name": "Legacy", "script": "function (u, c, cb) { cb(null, u, c); }", "order": 5})
    for _ in range(200):
        if api.call("GET", f"/actions/actions/{own['id']}").get("all_changes_deployed"):
            break
        time.sleep(0.05)
    api.call("PATCH", "/actions/triggers/post-login/bindings", {"bindings": [
        {"ref": {"type": "action_id", "value": own["id"]}, "display_name": "Hand made"}]})
    repo.write({"b": action_md("B"), "a": action_md("A")},
               tenants='[env.dev]\n[env.dev.triggers]\npost-login = ["b", "a"]\n')
    assert deployer.run(prune=True).error is None
    bound = [b["display_name"] for b in api.call("GET", "/actions/triggers/post-login/bindings")["bindings"]]
    assert bound == ["Hand made", "B", "A"]
    names = {a["name"] for a in deployer.state()["actions"]}
    assert "Hand made" in names
    assert [r["name"] for r in deployer.state()["rules"]] == ["Legacy"]
    repo.write({}, tenants='[env.dev]\n[env.dev.triggers]\npost-login = ["a", "b"]\n')
    assert deployer.run(prune=True).error is None
    bound = [b["display_name"] for b in api.call("GET", "/actions/triggers/post-login/bindings")["bindings"]]
    assert bound == ["Hand made", "A", "B"]
    converged(deployer)


def test_an_older_catalogue_is_refused_without_force(repo: Repo, deployer: Deployer) -> None:
    repo.version("2.0.0")
    repo.write({"a": action_md("A")})
    assert deployer.run().error is None
    repo.version("1.9.0")
    seq = deployer.last_seq()
    with pytest.raises(UserError, match=r"the tenant runs catalogue 2\.0\.0 \(no commit\), newer than this one "
                                        r"\(1\.9\.0\); deploy a newer catalogue, or use --force"):
        deployer.run()
    assert deployer.writes(seq) == []
    assert deployer.run(force=True).error is None
    assert "~ deploy record: 2.0.0 (no commit) -> 1.9.0 (no commit)" in "\n".join(deployer.lines)


def test_deprecated_rules_tenant_skips_rules_with_a_note(repo: Repo, make_deployer: Any) -> None:
    d = make_deployer(rules_deprecated=True)
    repo.write({"a": action_md("A"), "r": rule_md("R", extra="configuration: [NOPE]",
                                                  body="user.x = configuration.NOPE;")})
    outcome = d.run(secrets={})
    assert outcome.error is None
    assert ("note: rules are not available on this tenant (Rules reached end of life; the tenant answers "
            "'deprecated feature'): rule templates are skipped; convert them with `rulepress migrate` "
            "(1 rule template(s))") in "\n".join(d.lines)
    assert [a["name"] for a in d.state()["actions"] if a["name"] == "A"] == ["A"]


def test_missing_scope_is_reported_as_a_missing_scope(repo: Repo, make_deployer: Any) -> None:
    d = make_deployer(scopes=("read:actions", "create:actions", "update:actions", "delete:actions",
                              "read:rules_configs"))
    repo.write({"a": action_md("A")})
    with pytest.raises(UserError, match="the deploy client lacks a scope: Insufficient scope, expected any of: "
                                        "read:rules"):
        d.run()


def test_keywords_are_substituted_and_unknown_ones_refused(repo: Repo, deployer: Deployer) -> None:
    repo.write({"a": action_md("A", "  api.idToken.setCustomClaim('https://@@DOMAIN@@/x', 1);")},
               tenants='[env.dev.keywords]\nDOMAIN = "acme.example"\n')
    assert deployer.run().error is None
    code = [a["code"] for a in deployer.state()["actions"] if a["name"] == "A"][0]
    assert "https://acme.example/x" in code and code.startswith("/* rulepress:a */ ")
    repo.write({}, tenants="[env.dev]\n")
    with pytest.raises(UserError, match=r"^a: keyword @@DOMAIN@@ has no value in this environment$"):
        deployer.run()


def test_all_environments_deploy_in_parallel_each_with_its_templates(repo: Repo, tenant_factory: Any) -> None:
    from rulepress.deploy import environments
    from rulepress.deploy.flow import Target, deploy, make_client

    repo.write({"a": action_md("A"), "b": action_md("B")},
               tenants='[env.one]\ntemplates = ["a"]\n[env.two]\nexclude = ["a"]\n')
    tenants = {"one": tenant_factory(), "two": tenant_factory()}
    targets = []
    for env in environments.load(repo.root).select(None, True):
        t = tenants[env.name]
        creds = environments.Credentials(t.base_url, t.client_id, t.client_secret)
        targets.append(Target(env, creds, make_client(env, creds)))
    lines: list[str] = []
    outcomes = deploy(repo.root, targets, environ={}, say=lines.append)
    assert [(o.env, o.error) for o in outcomes] == [("one", None), ("two", None)]
    for name, wanted in (("one", ["A"]), ("two", ["B"])):
        d = Deployer(repo, tenants[name])
        assert sorted(a["name"] for a in d.state()["actions"] if a["name"] != "rulepress-state") == wanted
    assert "[one] action 'A': create" in lines and "[two] action 'B': create" in lines


def test_uncommitted_changes_are_refused_without_force(repo: Repo, deployer: Deployer) -> None:
    import subprocess

    repo.write({"a": action_md("A")})
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "catalogue"]):
        subprocess.run(["git", *args], cwd=repo.root, check=True)
    repo.write({"a": action_md("A", "  api.idToken.setCustomClaim('changed', 1);")})
    with pytest.raises(UserError, match=r"^rules/, rules.json or tenants.toml has uncommitted changes; commit them "
                                        r"first, or use --force$"):
        deployer.run()
    assert deployer.writes() == []
    assert deployer.run(force=True).error is None
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo.root, capture_output=True, text=True).stdout.strip()
    record = [a["code"] for a in deployer.state()["actions"] if a["name"] == "rulepress-state"][0]
    assert f'"sha": "{sha}"' in record and '"version": "1.0.0"' in record


def test_progress_counts_every_planned_step_and_the_bar_draws_it(repo: Repo, deployer: Deployer) -> None:
    import io

    from rulepress.commands.deploy_cmd import Bar

    repo.write({"a": action_md("A"), "r": rule_md("R", 1)})
    seen: list[tuple[str, str, int, int]] = []
    assert deployer.run(progress=lambda *step: seen.append(step)).error is None
    assert seen == [("default", "rule 'R': POST", 1, 5), ("default", "action 'A': create", 2, 5),
                    ("default", "action 'A': deploy", 3, 5), ("default", "bindings post-login", 4, 5),
                    ("default", "deploy record", 5, 5)]
    out = io.StringIO()
    bar = Bar(out)
    bar("default", "action 'A': create", 1, 2)
    bar("default", "deploy record", 2, 2)
    assert out.getvalue() == ("\r\033[Kdefault [############............] 1/2 action 'A': create"
                              "\r\033[Kdefault [########################] 2/2 deploy record\n")
