"""A rule's stage is set when it is created (the API takes it on POST only); a version the tenant does not
progress is not waited on until a far deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

from deploy_helpers import Api, Deployer, Repo, action_md, rule_md


def test_a_rule_is_created_in_its_stage(repo: Repo, deployer: Deployer) -> None:
    repo.write({"late": rule_md("Late", 1, extra="stage: login_failure")})
    outcome = deployer.run()
    assert outcome.error is None
    [rule] = Api(deployer.tenant).call("GET", "/rules")
    assert rule["stage"] == "login_failure"
    again = deployer.plan().plan
    assert again is not None and not again.has_changes and again.notes == ()


def test_a_version_the_tenant_never_deploys_is_not_waited_on_for_long(
        repo: Repo, make_deployer: Callable[..., Deployer]) -> None:
    deployer = make_deployer(deploy_seconds=3600)  # built, but its version never shows deployed
    repo.write({"a": action_md("A")})
    started = time.monotonic()
    outcome = deployer.run(client={"patience": 1.0})
    assert time.monotonic() - started < 30
    assert outcome.error is not None and "gave up waiting after 1 s (--wait): the tenant did not progress A: " \
        "status built, version 1 deployed=false" in outcome.error


def test_two_rules_swapping_names_converge_without_a_conflict(repo: Repo, deployer: Deployer) -> None:
    repo.write({"a": rule_md("First", 1), "b": rule_md("Second", 2)})
    assert deployer.run().error is None
    repo.write({"a": rule_md("Second", 1), "b": rule_md("First", 2)})
    swapped = deployer.run()
    assert swapped.error is None, swapped.error
    by_order = sorted(Api(deployer.tenant).call("GET", "/rules"), key=lambda r: r["order"])
    assert [r["name"] for r in by_order] == ["Second", "First"]
    again = deployer.plan().plan
    assert again is not None and not again.has_changes


def test_two_actions_swapping_names_converge_without_a_conflict(repo: Repo, deployer: Deployer) -> None:
    repo.write({"a": action_md("First"), "b": action_md("Second")})
    assert deployer.run().error is None
    repo.write({"a": action_md("Second"), "b": action_md("First")})
    swapped = deployer.run()
    assert swapped.error is None, swapped.error
    actions = {a["name"] for a in Api(deployer.tenant).call("GET", "/actions/actions")["actions"]}
    assert {"First", "Second"} <= actions and not any(n.startswith("rulepress-renaming-") for n in actions)
    again = deployer.plan().plan
    assert again is not None and not again.has_changes


def test_a_rule_renamed_while_a_new_template_takes_its_name_converges(repo: Repo, deployer: Deployer) -> None:
    repo.write({"a": rule_md("A", 1)})
    assert deployer.run().error is None
    repo.write({"a": rule_md("C", 1), "b": rule_md("A", 2)})
    outcome = deployer.run()
    assert outcome.error is None, outcome.error
    assert sorted(r["name"] for r in Api(deployer.tenant).call("GET", "/rules")) == ["A", "C"]
    again = deployer.plan().plan
    assert again is not None and not again.has_changes
