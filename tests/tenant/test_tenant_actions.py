"""Actions: asynchronous builds checked by real Node, deploys, versions, bindings, over real HTTP."""

from __future__ import annotations

import time
from typing import Any

CODE = "exports.onExecutePostLogin = async (event, api) => {};"
POST_LOGIN = [{"id": "post-login", "version": "v3"}]


def create(api: Any, name: str = "act", **extra: Any) -> dict[str, Any]:
    body = {"name": name, "supported_triggers": POST_LOGIN, "code": CODE, **extra}
    answer = api.post("/actions/actions", json=body)
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def settle(api: Any, action_id: str) -> dict[str, Any]:
    """Poll until the build has finished, as a client does."""
    for _ in range(500):
        action: dict[str, Any] = api.get(f"/actions/actions/{action_id}").json()
        if action["status"] in ("built", "failed"):
            return action
        time.sleep(0.01)
    raise AssertionError("build never finished")


def deployed(api: Any, name: str = "act") -> dict[str, Any]:
    action = create(api, name)
    settle(api, action["id"])
    assert api.post(f"/actions/actions/{action['id']}/deploy").status_code == 200
    return action


def test_build_goes_pending_then_built(api: Any) -> None:
    action = create(api, secrets=[{"name": "KEY", "value": "sekrit"}])
    assert action["status"] == "pending"
    assert action["runtime"] == "node22" and action["all_changes_deployed"] is False
    assert "deployed_version" not in action
    built = settle(api, action["id"])
    assert built["status"] == "built"
    assert built["secrets"][0].keys() == {"name", "updated_at"}
    assert "sekrit" not in api.get("/actions/actions").text
    assert "sekrit" not in str(api.state())


def test_build_fails_on_bad_code_runtime_or_trigger(api: Any) -> None:
    bad_code = create(api, "bad-code", code="exports.onExecutePostLogin = async (event, api) => {")
    bad_runtime = create(api, "bad-runtime", runtime="node4")
    bad_trigger = api.post("/actions/actions", json={
        "name": "bad-trigger", "supported_triggers": [{"id": "post-logout", "version": "v1"}], "code": CODE,
    }).json()
    failed = {a["name"]: settle(api, a["id"]) for a in (bad_code, bad_runtime, bad_trigger)}
    assert {name: a["status"] for name, a in failed.items()} == dict.fromkeys(failed, "failed")
    assert failed["bad-code"]["errors"][0]["msg"] == "the code does not parse: Unexpected end of input"
    assert failed["bad-runtime"]["errors"][0]["msg"].startswith("unknown runtime 'node4'")
    assert failed["bad-trigger"]["errors"][0]["msg"] == "unknown trigger post-logout v1"
    refused = api.post(f"/actions/actions/{bad_code['id']}/deploy")
    assert refused.status_code == 400
    assert refused.json() == {"statusCode": 400, "error": "Bad Request",
                              "message": "A draft must be in the 'built' state before it can be deployed."}


def test_deploy_before_built_is_refused_and_patch_rebuilds(api: Any) -> None:
    action = create(api)
    early = api.post(f"/actions/actions/{action['id']}/deploy")
    assert early.status_code == 400
    settle(api, action["id"])
    version = api.post(f"/actions/actions/{action['id']}/deploy").json()
    assert (version["number"], version["deployed"], version["status"]) == (1, False, "built")
    for _ in range(200):
        got = api.get(f"/actions/actions/{action['id']}").json()
        if got["deployed_version"]["deployed"]:
            break
        time.sleep(0.01)
    assert got["all_changes_deployed"] is True and got["current_version"]["status"] == "BUILT"
    renamed = api.patch(f"/actions/actions/{action['id']}", json={"name": "renamed"}).json()
    assert renamed["status"] == "built"  # a name is no build input
    patched = api.patch(f"/actions/actions/{action['id']}", json={"code": CODE + "\n// v2"}).json()
    assert patched["status"] == "pending" and patched["all_changes_deployed"] is False


def test_versions_paging_omits_zero_fields(api: Any) -> None:
    action = create(api)
    assert api.get(f"/actions/actions/{action['id']}/versions").json() == {"versions": [], "per_page": 50}
    settle(api, action["id"])
    for _ in range(3):
        api.post(f"/actions/actions/{action['id']}/deploy")
    first = api.get(f"/actions/actions/{action['id']}/versions", params={"per_page": 2}).json()
    assert (first.get("page"), first["total"], first["per_page"]) == (None, 3, 2)
    assert [v["number"] for v in first["versions"]] == [3, 2]
    second = api.get(f"/actions/actions/{action['id']}/versions", params={"per_page": 2, "page": 1}).json()
    assert (second["page"], [v["number"] for v in second["versions"]]) == (1, [1])
    assert api.get("/actions/actions", params={"actionName": "nope"}).json() == {"actions": [], "per_page": 50}


def test_rollback_deploys_an_old_version_as_a_new_number(api: Any) -> None:
    action = create(api)
    settle(api, action["id"])
    v1 = api.post(f"/actions/actions/{action['id']}/deploy").json()
    api.patch(f"/actions/actions/{action['id']}", json={"code": CODE + "// v2"})
    settle(api, action["id"])
    api.post(f"/actions/actions/{action['id']}/deploy")
    rolled = api.post(f"/actions/actions/{action['id']}/versions/{v1['id']}/deploy", json={})
    assert rolled.status_code == 200
    assert (rolled.json()["number"], rolled.json()["code"]) == (3, CODE)
    missing = api.post(f"/actions/actions/{action['id']}/versions/00000000-0000-4000-8000-000000000000/deploy")
    assert missing.status_code == 404


def test_duplicate_names_and_missing_ids(api: Any) -> None:
    create(api, "same")
    again = api.post("/actions/actions", json={"name": "same", "supported_triggers": POST_LOGIN})
    assert again.status_code == 409
    for method in ("GET", "PATCH", "DELETE"):
        answer = api.call(method, "/actions/actions/00000000-0000-4000-8000-000000000000", json={"name": "x"})
        assert answer.status_code == 404
        assert answer.json() == {"statusCode": 404, "error": "Not Found", "message": "That action does not exist."}


def test_bindings_replace_whole_list_and_refuse_bad_entries(api: Any) -> None:
    one, two = deployed(api, "one"), deployed(api, "two")
    create(api, "undeployed")
    other = api.post("/actions/actions", json={
        "name": "m2m", "supported_triggers": [{"id": "credentials-exchange", "version": "v2"}], "code": CODE})
    settle(api, other.json()["id"])
    api.post(f"/actions/actions/{other.json()['id']}/deploy")
    path = "/actions/triggers/post-login/bindings"
    set_two = api.patch(path, json={"bindings": [
        {"ref": {"type": "action_name", "value": "two"}},
        {"ref": {"type": "action_id", "value": one["id"]}, "display_name": "first"},
    ]})
    assert set_two.status_code == 200
    assert [(b["display_name"], b["action"]["name"]) for b in set_two.json()["bindings"]] == [
        ("two", "two"), ("first", "one")]
    listed = api.get(path).json()
    assert (listed["total"], listed["per_page"], "page" not in listed) == (2, 20, True)
    for ref, message in [
        ({"type": "action_name", "value": "undeployed"}, "Action 'undeployed' has not been deployed"),
        ({"type": "action_name", "value": "m2m"}, "Action 'm2m' does not support the trigger 'post-login'"),
        ({"type": "action_name", "value": "ghost"}, "Action 'ghost' does not exist"),
    ]:
        answer = api.patch(path, json={"bindings": [{"ref": ref}]})
        assert answer.status_code == 400
        assert answer.json()["message"] == f"Payload validation error: '{message}' on property bindings.ref."
    too_many = api.patch(path, json={"bindings": [{"ref": {"type": "action_id", "value": two["id"]}}] * 21})
    assert too_many.status_code == 400
    assert [b["display_name"] for b in api.get(path).json()["bindings"]] == ["two", "first"]
    assert api.patch(path, json={"bindings": []}).json() == {"bindings": []}
    assert api.get(path).json() == {"bindings": [], "per_page": 20}
    assert api.get("/actions/triggers/no-such-trigger/bindings").status_code == 404


def test_delete_bound_action_needs_force(api: Any) -> None:
    action = deployed(api)
    api.patch("/actions/triggers/post-login/bindings",
              json={"bindings": [{"ref": {"type": "action_id", "value": action["id"]}}]})
    refused = api.delete(f"/actions/actions/{action['id']}")
    assert refused.status_code == 400
    assert api.get(f"/actions/actions/{action['id']}").status_code == 200
    assert api.delete(f"/actions/actions/{action['id']}", params={"force": "true"}).status_code == 204
    assert api.get("/actions/triggers/post-login/bindings").json()["bindings"] == []
    assert api.state()["versions"] == []


def test_triggers_list_current_versions(api: Any) -> None:
    triggers = api.get("/actions/triggers").json()["triggers"]
    current = {t["id"]: t["version"] for t in triggers if t["status"] == "CURRENT"}
    assert current["post-login"] == "v3" and current["credentials-exchange"] == "v2"
    assert current["send-phone-message"] == "v2" and current["custom-token-exchange"] == "v1"
