"""A rule's stage is set when it is created (the API takes it on POST only), and a second plan is empty."""

from __future__ import annotations

from deploy_helpers import Api, Deployer, Repo, rule_md


def test_a_rule_is_created_in_its_stage(repo: Repo, deployer: Deployer) -> None:
    repo.write({"late": rule_md("Late", 1, extra="stage: login_failure")})
    outcome = deployer.run()
    assert outcome.error is None
    [rule] = Api(deployer.tenant).call("GET", "/rules")
    assert rule["stage"] == "login_failure"
    again = deployer.plan().plan
    assert again is not None and not again.has_changes and again.notes == ()
