"""Realistic defaults for test inputs: a complete event per Actions trigger, a complete rule user and context.

A test case states only what matters to it; its values are deep-merged over these (see `deep_merge`). The
values are fixed (no clock, no randomness) so that a test run is repeatable.
"""

from __future__ import annotations

import copy
from typing import Any

JSON = Any

NOW = "2026-01-15T10:00:00.000Z"
TENANT = "example-tenant"
DOMAIN = "example-tenant.eu.auth0.com"

_GEOIP = {
    "cityName": "Amsterdam",
    "continentCode": "EU",
    "countryCode": "NL",
    "countryCode3": "NLD",
    "countryName": "Netherlands",
    "latitude": 52.37,
    "longitude": 4.89,
    "subdivisionCode": "NH",
    "subdivisionName": "North Holland",
    "timeZone": "Europe/Amsterdam",
}

_REQUEST = {
    "ip": "203.0.113.10",
    "asn": "64496",
    "hostname": DOMAIN,
    "method": "GET",
    "language": "en",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
    "geoip": _GEOIP,
    "query": {},
    "body": {},
}

_USER = {
    "user_id": "auth0|64f0c0ffee0000000000abcd",
    "email": "jane.doe@example.com",
    "email_verified": True,
    "username": "jane.doe",
    "name": "Jane Doe",
    "given_name": "Jane",
    "family_name": "Doe",
    "nickname": "jane.doe",
    "picture": "https://s.gravatar.com/avatar/0000?s=480&r=pg&d=identicon",
    "phone_number": "+31612345678",
    "phone_verified": False,
    "created_at": "2025-06-01T08:00:00.000Z",
    "updated_at": NOW,
    "last_password_reset": None,
    "identities": [
        {
            "connection": "Username-Password-Authentication",
            "provider": "auth0",
            "user_id": "64f0c0ffee0000000000abcd",
            "isSocial": False,
        }
    ],
    "app_metadata": {},
    "user_metadata": {},
    "multifactor": [],
    "enrolledFactors": [],
}

_CLIENT = {"client_id": "tEsTcLiEnTiD0000000000000000000", "name": "Example App", "metadata": {}}
_CONNECTION = {
    "id": "con_0000000000000000",
    "name": "Username-Password-Authentication",
    "strategy": "auth0",
    "metadata": {},
}
_TENANT = {"id": TENANT}
_ORGANIZATION = {
    "id": "org_0000000000000000",
    "name": "example-org",
    "display_name": "Example Org",
    "metadata": {},
}
_TRANSACTION = {
    "id": "tx_0000000000000000",
    "acr_values": [],
    "locale": "en",
    "login_hint": None,
    "prompt": [],
    "protocol": "oidc-basic-profile",
    "redirect_uri": "https://app.example.com/callback",
    "requested_scopes": ["openid", "profile", "email"],
    "requested_authorization_details": [],
    "response_mode": "query",
    "response_type": ["code"],
    "state": "state-0000",
    "ui_locales": ["en"],
}

# Adaptive MFA's assessment of a login that looks as usual (the shape Auth0 documents for rules and actions)
_RISK_ASSESSMENT: dict[str, JSON] = {
    "confidence": "high",
    "version": "1",
    "assessments": {
        "UntrustedIP": {"confidence": "high", "code": "not_found_on_deny_list"},
        "NewDevice": {"confidence": "high", "code": "match", "details": {"device": "known", "useragent": "known"}},
        "ImpossibleTravel": {"confidence": "high", "code": "minimal_travel_from_last_login"},
    },
}

_POST_LOGIN: dict[str, JSON] = {
    "authentication": {
        "methods": [{"name": "pwd", "timestamp": NOW}],
        "riskAssessment": _RISK_ASSESSMENT,
    },
    "authorization": {"roles": []},
    "client": _CLIENT,
    "connection": _CONNECTION,
    "custom_domain": None,
    "organization": _ORGANIZATION,
    "prompt": None,
    "refresh_token": None,
    "request": _REQUEST,
    "resource_server": {"identifier": "https://api.example.com/"},
    "secrets": {},
    "security_context": {"ja3": "", "ja4": ""},
    "session": {
        "id": "session-0000",
        "created_at": NOW,
        "updated_at": NOW,
        "authenticated_at": NOW,
        "expires_at": None,
        "idle_expires_at": None,
        "device": {"initial_ip": "203.0.113.10", "last_ip": "203.0.113.10"},
        "metadata": {},
    },
    "stats": {"logins_count": 5},
    "tenant": _TENANT,
    "transaction": _TRANSACTION,
    "user": _USER,
}

_PRE_REGISTRATION_USER: dict[str, JSON] = {
    "email": "jane.doe@example.com",
    "username": "jane.doe",
    "name": "Jane Doe",
    "given_name": "Jane",
    "family_name": "Doe",
    "nickname": "jane.doe",
    "picture": None,
    "phone_number": None,
    "app_metadata": {},
    "user_metadata": {},
}

_EVENTS: dict[str, dict[str, JSON]] = {
    "post-login": _POST_LOGIN,
    "credentials-exchange": {
        "accessToken": {"customClaims": {}, "scope": ["read:things"]},
        "client": _CLIENT,
        "custom_domain": None,
        "request": {**_REQUEST, "method": "POST", "body": {"grant_type": "client_credentials"}},
        "resource_server": {"id": "rs_0000000000000000", "identifier": "https://api.example.com/"},
        "secrets": {},
        "tenant": _TENANT,
        "transaction": {"requested_scopes": ["read:things"]},
    },
    "pre-user-registration": {
        "client": _CLIENT,
        "connection": _CONNECTION,
        "request": {**_REQUEST, "method": "POST"},
        "secrets": {},
        "tenant": _TENANT,
        "transaction": _TRANSACTION,
        "user": _PRE_REGISTRATION_USER,
    },
    "post-user-registration": {
        "connection": _CONNECTION,
        "request": {**_REQUEST, "method": "POST"},
        "secrets": {},
        "tenant": _TENANT,
        "user": _USER,
    },
    "post-change-password": {
        "connection": _CONNECTION,
        "request": {**_REQUEST, "method": "POST"},
        "secrets": {},
        "tenant": _TENANT,
        "user": _USER,
    },
    "send-phone-message": {
        "client": _CLIENT,
        "message_options": {
            "action": "second-factor-authentication",
            "code": "123456",
            "message_type": "sms",
            "recipient": "+31612345678",
            "text": "Your verification code is 123456",
        },
        "request": _REQUEST,
        "secrets": {},
        "tenant": _TENANT,
        "user": _USER,
    },
    "password-reset-post-challenge": {
        "client": _CLIENT,
        "connection": _CONNECTION,
        "request": _REQUEST,
        "secrets": {},
        "tenant": _TENANT,
        "transaction": _TRANSACTION,
        "user": _USER,
    },
    "custom-email-provider": {
        "client": _CLIENT,
        "connection": _CONNECTION,
        "notification": {
            "from": "no-reply@example.com",
            "to": "jane.doe@example.com",
            "subject": "Verify your email",
            "html": "<p>Your code is 123456</p>",
            "text": "Your code is 123456",
            "message_type": "verify_email",
        },
        "request": _REQUEST,
        "secrets": {},
        "tenant": _TENANT,
        "user": _USER,
    },
    "custom-phone-provider": {
        "client": _CLIENT,
        "notification": {
            "message_type": "otp_verify",
            "as_text": "Your code is 123456",
            "as_voice": "Your code is 1 2 3 4 5 6",
            "delivery_method": "text",
            "recipient": "+31612345678",
            "code": "123456",
            "locale": "en",
        },
        "request": _REQUEST,
        "secrets": {},
        "tenant": _TENANT,
        "user": _USER,
    },
    "custom-token-exchange": {
        "client": _CLIENT,
        "request": {**_REQUEST, "method": "POST"},
        "resource_server": {"identifier": "https://api.example.com/"},
        "secrets": {},
        "tenant": _TENANT,
        "transaction": {
            "subject_token": "subject-token-0000",
            "subject_token_type": "urn:example:external-token",
            "requested_scopes": ["openid"],
        },
    },
}

HANDLERS: dict[str, str] = {
    "post-login": "onExecutePostLogin",
    "credentials-exchange": "onExecuteCredentialsExchange",
    "pre-user-registration": "onExecutePreUserRegistration",
    "post-user-registration": "onExecutePostUserRegistration",
    "post-change-password": "onExecutePostChangePassword",
    "send-phone-message": "onExecuteSendPhoneMessage",
    "password-reset-post-challenge": "onExecutePostChallenge",
    "custom-email-provider": "onExecuteCustomEmailProvider",
    "custom-phone-provider": "onExecuteCustomPhoneProvider",
    "custom-token-exchange": "onExecuteCustomTokenExchange",
}

_RULE_USER: dict[str, JSON] = {
    **{k: v for k, v in _USER.items() if k not in ("enrolledFactors", "last_password_reset")},
    "blocked": False,
    "last_ip": "203.0.113.10",
    "last_login": NOW,
    "logins_count": 5,
    "multifactor": [],
}

_RULE_CONTEXT: dict[str, JSON] = {
    "tenant": TENANT,
    "clientID": _CLIENT["client_id"],
    "clientName": _CLIENT["name"],
    "clientMetadata": {},
    "connection": _CONNECTION["name"],
    "connectionID": _CONNECTION["id"],
    "connectionStrategy": "auth0",
    "connectionOptions": {},
    "connectionMetadata": {},
    "samlConfiguration": {},
    "protocol": "oidc-basic-profile",
    "stats": {"loginsCount": 5},
    "sso": {"with_auth0": False, "with_dbconn": False, "current_clients": []},
    "accessToken": {},
    "idToken": {},
    "sessionID": "session-0000",
    "request": {
        "userAgent": _REQUEST["user_agent"],
        "ip": "203.0.113.10",
        "hostname": DOMAIN,
        "query": {},
        "body": {},
        "geoip": {
            "country_code": "NL",
            "country_code3": "NLD",
            "country_name": "Netherlands",
            "city_name": "Amsterdam",
            "latitude": 52.37,
            "longitude": 4.89,
            "time_zone": "Europe/Amsterdam",
            "continent_code": "EU",
        },
    },
    "authentication": {"methods": [{"name": "pwd", "timestamp": 1768471200000}]},
    "authorization": {"roles": []},
    "organization": {
        "id": _ORGANIZATION["id"],
        "name": "example-org",
        "display_name": "Example Org",
        "metadata": {},
    },
    "riskAssessment": _RISK_ASSESSMENT,
}


def deep_merge(base: JSON, override: JSON) -> JSON:
    """`override` over `base`: mappings merge key by key, recursively; anything else (lists too) replaces."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = deep_merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(override)


def default_event(trigger: str, secrets: tuple[str, ...] = ()) -> dict[str, JSON]:
    """A complete event for `trigger`; each declared secret gets a fixed placeholder value."""
    event = copy.deepcopy(_EVENTS.get(trigger, _POST_LOGIN))
    event["secrets"] = {name: f"test-{name}" for name in secrets}
    return event


def default_rule_input(configuration: tuple[str, ...] = ()) -> dict[str, JSON]:
    """user, context and configuration for a rule; each declared configuration key gets a placeholder."""
    return {
        "user": copy.deepcopy(_RULE_USER),
        "context": copy.deepcopy(_RULE_CONTEXT),
        "configuration": {name: f"test-{name}" for name in configuration},
    }
