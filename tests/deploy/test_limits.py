"""A free-plan tenant holds 3 rules: the plan says so before any write, and a deploy refuses instead of
stopping half-way (and never tells the user to run again what cannot succeed)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from deploy_helpers import Api, Deployer, Repo, rule_md

from rulepress.deploy.report import render
from rulepress.errors import UserError


def test_a_catalogue_over_the_plans_rules_limit_is_refused_before_any_write(
        repo: Repo, make_deployer: Callable[..., Deployer]) -> None:
    deployer = make_deployer(plan="free", rate=1000.0, burst=1000)
    Api(deployer.tenant).call("POST", "/rules", {"name": "Hand made", "order": 10,
                                                 "script": "function (u, c, cb) { cb(); }"})
    repo.write({f"r{n}": rule_md(f"R{n}", n) for n in range(1, 4)},
               tenants='[env.small]\nrate_limit = "free"\ntemplates = ["*"]\n')
    plan = deployer.plan().plan
    assert plan is not None and plan.limits == (
        "the free plan holds at most 3 rules; this environment would hold 4 (3 from the catalogue, 1 already on "
        "the tenant): choose fewer templates (templates/exclude in tenants.toml) or a bigger plan",)
    assert "deploy will refuse" in render(plan)
    before = deployer.last_seq()
    with pytest.raises(UserError) as refused:
        deployer.run()
    assert str(refused.value) == f"environment 'small': {plan.limits[0]}\nnothing was changed (--force tries anyway)"
    assert deployer.writes(before) == []


def test_within_the_limit_nothing_is_said(repo: Repo, make_deployer: Callable[..., Deployer]) -> None:
    deployer = make_deployer(plan="free", rate=1000.0, burst=1000)
    repo.write({f"r{n}": rule_md(f"R{n}", n) for n in range(1, 4)},
               tenants='[env.small]\nrate_limit = "free"\ntemplates = ["*"]\n')
    outcome = deployer.run()
    assert outcome.plan is not None and outcome.plan.limits == () and outcome.error is None
    assert len(Api(deployer.tenant).call("GET", "/rules")) == 3


def test_a_rule_prune_will_not_delete_still_counts(repo: Repo, make_deployer: Callable[..., Deployer]) -> None:
    """A rule with our marker that the deploy record does not list is kept by --prune, so it still takes a
    place under the limit."""
    deployer = make_deployer(plan="free", rate=1000.0, burst=1000)
    Api(deployer.tenant).call("POST", "/rules", {"name": "Forged", "order": 10,
                                                 "script": "/* rulepress:gone */ function (u, c, cb) { cb(); }"})
    repo.write({f"r{n}": rule_md(f"R{n}", n) for n in range(1, 4)},
               tenants='[env.small]\nrate_limit = "free"\ntemplates = ["*"]\n')
    plan = deployer.plan(prune=True).plan
    assert plan is not None and len(plan.limits) == 1 and "would hold 4" in plan.limits[0]
