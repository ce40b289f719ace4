"""The planner on hand-made snapshots: cases the local tenant cannot produce (marketplace actions)."""

from __future__ import annotations

import pytest

from rulepress.deploy.desired import Desired, DesiredAction
from rulepress.deploy.plan import make_plan
from rulepress.errors import UserError
from rulepress.remote.records import Binding, DeployRecord, RemoteAction, Snapshot


def desired_action(tid: str, name: str) -> DesiredAction:
    return DesiredAction(tid, name, "exports.onExecutePostLogin = async () => {};", "post-login", "v3", "node22",
                         (), (), None, True)


def remote_action(aid: str, name: str, *, integration: bool = False, owner: str | None = None) -> RemoteAction:
    return RemoteAction(aid, name, "exports.onExecutePostLogin = async () => {};", "post-login", "v3", "node22",
                        (), (), "built", True, True, integration, owner, None)


def test_a_template_named_like_a_marketplace_action_is_refused() -> None:
    desired = Desired((), (desired_action("a", "Vendor MFA"),), {"post-login": ("a",)})
    snap = Snapshot((), "", frozenset(), (remote_action("m1", "Vendor MFA", integration=True),))
    with pytest.raises(UserError, match="action 'Vendor MFA': a marketplace action has this name; rename the "
                                        "template"):
        make_plan(desired, snap, env="dev", version=None, sha=None)


def test_marketplace_and_foreign_bindings_keep_their_places_and_are_never_changed() -> None:
    desired = Desired((), (desired_action("b", "B"), desired_action("a", "A")), {"post-login": ("b", "a")})
    snap = Snapshot((), "", frozenset(), (
        remote_action("m1", "Vendor", integration=True), remote_action("x1", "Foreign"),
        remote_action("a1", "A", owner="a"), remote_action("b1", "B", owner="b"),
        remote_action("old", "Old", owner="gone")),
        {"post-login": (Binding("m1", "Vendor"), Binding("a1", "A"), Binding("x1", "Foreign"),
                        Binding("b1", "B"), Binding("old", "Old"))},
        record=DeployRecord("1.0.0", None, "dev", ("a1", "b1", "old")))
    plan = make_plan(desired, snap, env="dev", version=None, sha=None, prune=True)
    assert [(a.op, a.name) for a in plan.actions] == [("unchanged", "B"), ("unchanged", "A"), ("delete", "Old")]
    (change,) = plan.bindings
    assert [r.display_name for r in change.new] == ["Vendor", "B", "Foreign", "A"]
    kept = make_plan(desired, snap, env="dev", version=None, sha=None, prune=False)
    assert [(a.op, a.name) for a in kept.actions][-1] == ("kept", "Old")
    assert [r.display_name for r in kept.bindings[0].new] == ["Vendor", "B", "Foreign", "A", "Old"]


def test_prune_deletes_only_what_the_record_lists_and_says_why_it_keeps_a_forged_marker() -> None:
    """A marker anyone could write; the record of what rulepress created is on the tenant, written by us."""
    desired = Desired((), (desired_action("a", "A"),), {"post-login": ("a",)})
    actions = (remote_action("a1", "A", owner="a"), remote_action("mine", "Mine", owner="gone"),
               remote_action("forged", "Forged", owner="ghost"))
    snap = Snapshot((), "", frozenset(), actions, record=DeployRecord("1.0.0", None, "dev", ("a1", "mine")))
    plan = make_plan(desired, snap, env="dev", version="1.0.0", sha=None, prune=True)
    assert [(a.op, a.name) for a in plan.actions] == [("unchanged", "A"), ("delete", "Mine"), ("kept", "Forged")]
    assert plan.notes == ("'Forged' carries rulepress's marker but this tenant's deploy record does not list it: "
                          "kept (a marker alone could be forged)",)
    assert plan.record is not None and plan.record.owned == ("a1",)  # what was deleted leaves the record


def test_a_record_from_before_the_list_adopts_what_the_catalogue_matches_once() -> None:
    desired = Desired((), (desired_action("a", "A"),), {"post-login": ("a",)})
    snap = Snapshot((), "", frozenset(), (remote_action("a1", "A", owner="a"), remote_action("old", "Old", owner="x")),
                    record=DeployRecord("1.0.0", None, "dev", None))
    plan = make_plan(desired, snap, env="dev", version="1.0.0", sha=None, prune=True)
    assert [(a.op, a.name) for a in plan.actions] == [("unchanged", "A"), ("kept", "Old")]
    assert plan.record is not None and plan.record.owned == ("a1",)
    assert "adopting 1 resource(s) into the deploy record" in plan.notes[-1]
