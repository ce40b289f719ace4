"""--prune deletes only what rulepress created in that tenant: the marker in the code (anyone can write it)
and the deploy record's list of ids (written by rulepress) must both say so."""

from __future__ import annotations

from collections.abc import Callable

from deploy_helpers import Api, Deployer, Repo, action_md, rule_md


def test_a_forged_marker_is_not_enough_to_be_deleted(repo: Repo, deployer: Deployer) -> None:
    repo.write({"a": action_md("A"), "b": action_md("B")})
    assert deployer.run().error is None
    api = Api(deployer.tenant)
    api.call("POST", "/actions/actions", {
        "name": "Ghost", "supported_triggers": [{"id": "post-login", "version": "v3"}],
        "code": "/* rulepress:ghost */ exports.onExecutePostLogin = async () => {};"})
    repo.write({"a": action_md("A")}, clear=True)  # B left the catalogue
    outcome = deployer.run(prune=True)
    assert outcome.error is None and outcome.plan is not None
    assert [(a.op, a.name) for a in outcome.plan.actions if a.op != "unchanged"] == [
        ("delete", "B"), ("kept", "Ghost")]
    assert "'Ghost' carries rulepress's marker but this tenant's deploy record does not list it" in \
        " ".join(outcome.plan.notes)
    names = sorted(a["name"] for a in api.call("GET", "/actions/actions")["actions"])
    assert names == ["A", "Ghost", "rulepress-state"]
    again = deployer.plan(prune=True).plan
    assert again is not None and not again.has_changes


def test_what_a_stopped_deploy_created_can_still_be_pruned(repo: Repo,
                                                          make_deployer: Callable[..., Deployer]) -> None:
    deployer = make_deployer(deploy_seconds=3600)  # actions are created, but their versions never go live
    repo.write({"r": rule_md("R", 1), "a": action_md("A")})
    stopped = deployer.run(client={"patience": 0.5})
    assert stopped.error is not None and "gave up waiting" in stopped.error
    repo.write({"keep": rule_md("Keep", 2)}, clear=True)
    pruned = deployer.run(prune=True)
    assert pruned.plan is not None
    assert sorted((c.op, c.name) for c in [*pruned.plan.rules, *pruned.plan.actions] if c.op == "delete") == [
        ("delete", "A"), ("delete", "R")]
    api = Api(deployer.tenant)
    assert [r["name"] for r in api.call("GET", "/rules")] == ["Keep"]
