"""A migrated action replaces its rule: the deploy that binds the action disables the rule (never deletes
it) after the bindings, so the two never both run after a deploy; the plan shows both together."""

from __future__ import annotations

from deploy_helpers import Api, Deployer, Repo, action_md, rule_md

from rulepress.deploy.report import render


def test_the_rule_is_disabled_once_its_action_is_bound(repo: Repo, deployer: Deployer) -> None:
    repo.write({"greet": rule_md("Greet", 1), "later": rule_md("Later", 2)})
    assert deployer.run().error is None
    repo.write({"greet-action": action_md("Greet action", extra="migrated_from: greet")})
    outcome = deployer.run()
    assert outcome.error is None and outcome.plan is not None
    text = render(outcome.plan)
    assert "+ action 'Greet action' (create)" in text
    assert "~ rule 'Greet': disabled after the bindings (its migrated action replaces it)" in text
    assert "rule 'Greet' ran before rule(s) 'Later'; as action 'Greet action' its logic runs after every rule" \
        in " ".join(outcome.plan.notes)
    assert outcome.applied is not None
    done = outcome.applied.done
    assert done.index("bindings post-login") < done.index("rule 'Greet': disabled (replaced by its action)")
    rules = {r["name"]: r["enabled"] for r in Api(deployer.tenant).call("GET", "/rules")}
    assert rules == {"Greet": False, "Later": True}  # disabled, not deleted
    again = deployer.plan().plan
    assert again is not None and not again.has_changes


def test_a_rule_removed_from_the_catalogue_with_its_action_is_still_cut_over(repo: Repo, deployer: Deployer) -> None:
    repo.write({"greet": rule_md("Greet", 1)})
    assert deployer.run().error is None
    repo.write({"greet-action": action_md("Greet action", extra="migrated_from: greet")}, clear=True)
    outcome = deployer.run()
    assert outcome.error is None
    assert {r["name"]: r["enabled"] for r in Api(deployer.tenant).call("GET", "/rules")} == {"Greet": False}
    again = deployer.plan().plan
    assert again is not None and not again.has_changes


def test_only_a_deployed_login_action_takes_a_rules_place(repo: Repo, deployer: Deployer) -> None:
    repo.write({"greet": rule_md("Greet", 1)})
    assert deployer.run().error is None
    repo.write({"greet-m2m": action_md("Greet m2m", trigger="credentials-exchange", extra="migrated_from: greet"),
                "greet-draft": action_md("Greet draft", extra="migrated_from: greet\ndeploy: false")})
    outcome = deployer.run()
    assert outcome.error is None and outcome.plan is not None and outcome.plan.cutover == ()
    assert {r["name"]: r["enabled"] for r in Api(deployer.tenant).call("GET", "/rules")} == {"Greet": True}


def test_a_forged_marker_does_not_make_a_rule_disabled(repo: Repo, deployer: Deployer) -> None:
    api = Api(deployer.tenant)
    api.call("POST", "/rules", {"name": "Handmade", "order": 5,
                                "script": "/* rulepress:greet */ function (u, c, cb) { cb(null, u, c); }"})
    repo.write({"greet-action": action_md("Greet action", extra="migrated_from: greet")})
    outcome = deployer.run()
    assert outcome.error is None and outcome.plan is not None and outcome.plan.cutover == ()
    assert "nothing is disabled; disable that rule by hand if it still runs" in " ".join(outcome.plan.notes)
    assert {r["name"]: r["enabled"] for r in api.call("GET", "/rules")} == {"Handmade": True}
