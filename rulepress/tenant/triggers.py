"""The action triggers a tenant offers, with their current versions and runtimes."""

from __future__ import annotations

from typing import Any

RUNTIMES = ("node18", "node18-actions", "node22")
DEFAULT_RUNTIME = "node22"

# (id, version, status)
_TRIGGERS: tuple[tuple[str, str, str], ...] = (
    ("post-login", "v1", "DEPRECATED"),
    ("post-login", "v2", "DEPRECATED"),
    ("post-login", "v3", "CURRENT"),
    ("credentials-exchange", "v1", "DEPRECATED"),
    ("credentials-exchange", "v2", "CURRENT"),
    ("pre-user-registration", "v1", "DEPRECATED"),
    ("pre-user-registration", "v2", "CURRENT"),
    ("post-user-registration", "v1", "DEPRECATED"),
    ("post-user-registration", "v2", "CURRENT"),
    ("post-change-password", "v1", "DEPRECATED"),
    ("post-change-password", "v2", "CURRENT"),
    ("send-phone-message", "v1", "DEPRECATED"),
    ("send-phone-message", "v2", "CURRENT"),
    ("password-reset-post-challenge", "v1", "CURRENT"),
    ("custom-email-provider", "v1", "CURRENT"),
    ("custom-phone-provider", "v1", "CURRENT"),
    ("custom-token-exchange", "v1", "CURRENT"),
)

TRIGGER_IDS = frozenset(t[0] for t in _TRIGGERS)


def trigger_list() -> list[dict[str, Any]]:
    return [
        {
            "id": tid,
            "version": version,
            "status": status,
            "runtimes": list(RUNTIMES),
            "default_runtime": DEFAULT_RUNTIME,
            "compatible_triggers": [],
            "binding_policy": "trigger-bound",
        }
        for tid, version, status in _TRIGGERS
    ]


def known_trigger(trigger_id: str, version: str | None) -> bool:
    return any(t[0] == trigger_id and (version is None or t[1] == version) for t in _TRIGGERS)


def current_version(trigger_id: str) -> str | None:
    for tid, version, status in _TRIGGERS:
        if tid == trigger_id and status == "CURRENT":
            return version
    return None
