"""Actions, their builds and deploys, and trigger bindings on the tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from rulepress.errors import UserError
from rulepress.remote.client import ApiError, Client
from rulepress.remote.records import Binding, RemoteAction, action_from_json, binding_from_json

_POLL_START = 0.05
_POLL_MAX = 1.0


class BuildFailed(UserError):
    """An action's build ended in `failed`."""


def read_actions(client: Client) -> list[dict[str, Any]]:
    try:
        return list(client.pages("/actions/actions", "actions"))
    except ApiError as exc:
        if exc.status == 403:
            raise UserError(f"the deploy client lacks a scope: {exc.message or exc}") from None
        raise


def read_bindings(client: Client, trigger: str) -> tuple[Binding, ...]:
    items = client.pages(f"/actions/triggers/{quote(trigger)}/bindings", "bindings")
    return tuple(binding_from_json(i) for i in items)


def _find_action_by_name(client: Client, name: str) -> dict[str, Any] | None:
    data = client.get("/actions/actions", {"actionName": name, "per_page": 100})
    for item in (data or {}).get("actions") or []:
        if item.get("name") == name:
            return dict(item)
    return None


def create_action(client: Client, body: dict[str, Any]) -> RemoteAction:
    """POST; when the answer is lost, look the action up by name before sending it again."""
    created = client.request(
        "POST", "/actions/actions", body=body, lookup=lambda: _find_action_by_name(client, body["name"])
    )
    return action_from_json(created)


def patch_action(client: Client, action_id: str, body: dict[str, Any]) -> RemoteAction:
    return action_from_json(client.request("PATCH", f"/actions/actions/{quote(action_id)}", body=body))


def delete_action(client: Client, action_id: str) -> None:
    try:
        client.request("DELETE", f"/actions/actions/{quote(action_id)}", params={"force": "true"})
    except ApiError as exc:
        if exc.status != 404:  # already gone: the goal is reached
            raise


def deploy_action(client: Client, action_id: str) -> None:
    """POST …/deploy; when the answer is lost, the action's state tells whether it took effect."""

    def took_effect() -> Any:
        item = client.get(f"/actions/actions/{quote(action_id)}")
        return item if item and item.get("all_changes_deployed") else None

    client.request("POST", f"/actions/actions/{quote(action_id)}/deploy", lookup=took_effect)


def patch_bindings(client: Client, trigger: str, bindings: Iterable[Binding]) -> None:
    body = {
        "bindings": [
            {"ref": {"type": "action_id", "value": b.action_id}, "display_name": b.display_name}
            for b in bindings
        ]
    }
    client.request("PATCH", f"/actions/triggers/{quote(trigger)}/bindings", body=body)


def wait_for(
    client: Client,
    ids: set[str],
    done: Callable[[dict[str, Any]], bool],
    on_ready: Callable[[dict[str, Any]], None] | None = None,
    patience: float | None = None,
) -> dict[str, dict[str, Any]]:
    """Poll until every action in `ids` satisfies `done`; one list read covers all of them.

    Raises BuildFailed listing every action whose build failed (with the build errors), and a UserError
    naming every action still not done after `patience` seconds (a tenant that does not progress a version
    is not waited on until a far deadline).
    `on_ready(item)` is called once per action as soon as it is done (to pipeline the next step).
    """
    started = client.clock()
    patience = client.patience if patience is None else patience
    waiting = set(ids)
    ready: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    delay = _POLL_START
    while waiting:
        if len(waiting) <= 2:
            items = [client.get(f"/actions/actions/{quote(i)}") for i in sorted(waiting)]
        else:
            items = [i for i in read_actions(client) if i.get("id") in waiting]
            missing = waiting - {str(i.get("id")) for i in items}
            if missing:
                raise UserError(
                    f"action(s) {', '.join(sorted(missing))} disappeared from the tenant during deploy"
                )
        for item in items:
            action_id = str(item["id"])
            if item.get("status") == "failed":
                reasons = [str(e.get("msg") or e.get("message") or e) for e in item.get("errors") or []]
                errors = "; ".join(reasons) or "no detail"
                failed.append(f"{item.get('name')}: build failed: {errors}")
                waiting.discard(action_id)
            elif done(item):
                ready[action_id] = item
                waiting.discard(action_id)
                if on_ready is not None:
                    on_ready(item)
        if waiting and client.clock() - started > patience:
            stuck = [f"{i.get('name')}: {_progress(i)}" for i in items if str(i.get("id")) in waiting]
            raise UserError(f"gave up waiting after {patience:.0f} s (--wait): the tenant did not progress "
                            + "; ".join(stuck))
        if waiting:
            client.pause(delay)
            delay = min(delay * 1.5, _POLL_MAX)
    if failed:
        raise BuildFailed("\n".join(failed))
    return ready


def _progress(item: dict[str, Any]) -> str:
    version = item.get("deployed_version") or {}
    shown = f"status {item.get('status')}"
    if version:
        shown += f", version {version.get('number')} deployed={str(bool(version.get('deployed'))).lower()}"
    return shown + f", all_changes_deployed={str(bool(item.get('all_changes_deployed'))).lower()}"


def is_built(item: dict[str, Any]) -> bool:
    return item.get("status") == "built"


def is_live(item: dict[str, Any]) -> bool:
    version = item.get("deployed_version") or {}
    return bool(item.get("all_changes_deployed")) and bool(version.get("deployed"))
