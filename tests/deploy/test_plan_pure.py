"""The planner on hand-made snapshots: cases the local tenant cannot produce (marketplace actions)."""

from __future__ import annotations

import pytest

from rulepress.deploy.desired import Desired, DesiredAction
from rulepress.deploy.plan import make_plan
from rulepress.errors import UserError
from rulepress.remote.records import Binding, RemoteAction, Snapshot


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
                        Binding("b1", "B"), Binding("old", "Old"))})
    plan = make_plan(desired, snap, env="dev", version=None, sha=None, prune=True)
    assert [(a.op, a.name) for a in plan.actions] == [("unchanged", "B"), ("unchanged", "A"), ("delete", "Old")]
    (change,) = plan.bindings
    assert [r.display_name for r in change.new] == ["Vendor", "B", "Foreign", "A"]
    kept = make_plan(desired, snap, env="dev", version=None, sha=None, prune=False)
    assert [(a.op, a.name) for a in kept.actions][-1] == ("kept", "Old")
    assert [r.display_name for r in kept.bindings[0].new] == ["Vendor", "B", "Foreign", "A", "Old"]
