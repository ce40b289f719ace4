"""A legacy rule's test cases -> the migrated action's test cases (pure; formats in docs/TESTING.md).

Inputs: `user` becomes `event.user`, `context` keys move to their `event` places, `configuration` becomes
`event.secrets`; stubs of the `request` module become stubs of axios (the client the migration uses);
versioned module names lose their version. Expectations: the rule's callback outcome becomes the action's
API calls (`callback(new UnauthorizedError(m))` -> `api.access.deny(m)`, `context.idToken[k] = v` ->
`api.idToken.setCustomClaim(k, v)`, `auth0.users.updateAppMetadata(id, md)` -> `api.user.setAppMetadata`
per key). What has no action equivalent is left out and said in a note; a case left with nothing to check
is dropped (a test that asserts nothing would be a defect).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import quote

import yaml

from rulepress.migrate.node import Converted

JSON = Any

_MODULE_RE = re.compile(r"^((?:@[^/@]+/)?[^/@]+)(?:@[^/]+)?(/.*)?$")
_CONTEXT_PLACES: dict[str, tuple[str, ...]] = {
    "clientID": ("client", "client_id"),
    "clientName": ("client", "name"),
    "clientMetadata": ("client", "metadata"),
    "connection": ("connection", "name"),
    "connectionID": ("connection", "id"),
    "connectionStrategy": ("connection", "strategy"),
    "connectionMetadata": ("connection", "metadata"),
    "protocol": ("transaction", "protocol"),
    "tenant": ("tenant", "id"),
    "sessionID": ("session", "id"),
    "authentication": ("authentication",),
    "authorization": ("authorization",),
    "organization": ("organization",),
    "riskAssessment": ("authentication", "riskAssessment"),
}
_REQUEST_KEYS = {"ip": "ip", "hostname": "hostname", "query": "query", "body": "body",
                 "userAgent": "user_agent", "language": "language", "method": "method"}
_GEOIP_KEYS = {"country_code": "countryCode", "country_code3": "countryCode3", "country_name": "countryName",
               "city_name": "cityName", "latitude": "latitude", "longitude": "longitude",
               "time_zone": "timeZone", "continent_code": "continentCode"}
_OUTPUT_CONTEXT = ("idToken", "accessToken", "multifactor", "redirect")
#: Rules-sandbox global -> the module an action requires for it (rulepress/testing/rules_sandbox.json)
_SANDBOX_GLOBALS: dict[str, str] = {
    name: spec["module"] for name, spec in json.loads(
        resources.files("rulepress").joinpath("testing/rules_sandbox.json").read_text("utf-8"))["globals"].items()}
_METHODS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "del": "DELETE",
            "delete": "DELETE", "head": "HEAD"}


@dataclass(frozen=True)
class CasesResult:
    """The converted blocks (YAML text, or None to drop a block) and what was left out."""

    blocks: tuple[str | None, ...]
    converted: int
    dropped: int
    notes: tuple[str, ...]


class _Drop(Exception):
    """This case cannot be converted; the message says why."""


def base_module(name: str) -> str:
    m = _MODULE_RE.match(name)
    return (m.group(1) + (m.group(2) or "")) if m else name


def convert_blocks(blocks: Sequence[str], converted: Converted) -> CasesResult:
    out: list[str | None] = []
    notes: list[str] = []
    done = dropped = 0
    for text in blocks:
        data = yaml.safe_load(text)
        items = data if isinstance(data, list) else [data]
        cases = []
        for item in items:
            name = str(item.get("name", "?")) if isinstance(item, dict) else "?"
            case_notes: list[str] = []
            try:
                if not isinstance(item, dict):
                    raise _Drop("not a test case mapping")
                split = _Case(converted, case_notes).convert(item)
                cases.extend(split)
                done += 1
                if len(split) > 1:
                    case_notes.append(f"split in {len(split)} cases, one per API method: a rule's result "
                                      f"has no order, an action's calls do")
            except _Drop as exc:
                dropped += 1
                case_notes.append(f"dropped: {exc}")
            notes.extend(f"case '{name}': {n}" for n in case_notes)
        out.append(yaml.safe_dump(cases if isinstance(data, list) else cases[0], sort_keys=False,
                                  allow_unicode=True, width=110) if cases else None)
    return CasesResult(tuple(out), done, dropped, tuple(notes))


class _Case:
    def __init__(self, converted: Converted, notes: list[str]) -> None:
        self.c = converted
        self.notes = notes
        self.persists = "api.user.set" in converted.code
        self.input_user: dict[str, JSON] = {}

    def convert(self, case: dict[str, JSON]) -> list[dict[str, JSON]]:
        out: dict[str, JSON] = {"name": case.get("name")}
        modules = dict(case.get("modules") or {})
        globals_ = dict(case.get("globals") or {})
        # a stub of a Rules-sandbox global (`_`, `request`, ...) stubs the module the action requires instead:
        # kept as a global, it would let the action pass a test and throw on Auth0
        for name in [g for g in globals_ if g in _SANDBOX_GLOBALS]:
            modules.setdefault(_SANDBOX_GLOBALS[name], globals_.pop(name))
        event: dict[str, JSON] = {}
        if case.get("user"):
            event["user"] = case["user"]
        self.context_input(case.get("context") or {}, event)
        if case.get("configuration"):
            event["secrets"] = case["configuration"]
        for key, spec in (case.get("api_stubs") or {}).items():
            if isinstance(spec, dict) and ("$rejects" in spec or "$throws" in spec):
                raise _Drop(f"it makes {key} fail, and its action equivalent cannot fail")
        if event:
            out["event"] = event
        if modules:
            out["modules"] = self.modules(modules)
        if globals_:
            out["globals"] = globals_
        if "timeout" in case:
            out["timeout"] = case["timeout"]
        self.input_user = case.get("user") or {}
        expect, include = self.expect(case.get("expect") or {}, modules)
        if not expect and not include:
            raise _Drop("none of its expectations has an action equivalent")
        groups: dict[str, list[JSON]] = {}
        for call in include:
            groups.setdefault(next(iter(call)), []).append(call)
        if len(groups) <= 1:
            if include:
                expect["calls_include"] = include
            return [{**out, "expect": expect}]
        cases = []
        for i, (method, calls) in enumerate(groups.items()):
            part = dict(expect) if i == 0 else {}
            part["calls_include"] = calls
            cases.append({**out, "name": f"{out['name']} ({method})", "expect": part})
        return cases

    # ---- inputs --------------------------------------------------------------------------------
    def context_input(self, context: dict[str, JSON], event: dict[str, JSON]) -> None:
        context_to_event(context, event, self.notes)

    def modules(self, modules: dict[str, JSON]) -> dict[str, JSON]:
        out: dict[str, JSON] = {}
        for name, spec in modules.items():
            base = base_module(name)
            if base == "request":
                out["axios"] = self.request_stub(spec)
            else:
                out[base] = spec
        return out

    def request_stub(self, spec: JSON) -> JSON:
        if isinstance(spec, dict) and any(k.startswith("$") for k in spec):
            return _axios_behaviour(spec)
        if not isinstance(spec, dict):
            raise _Drop("its request stub is not a mapping")
        methods = {k: v for k, v in spec.items() if k in _METHODS or k == "defaults"}
        if len(methods) != 1 or "defaults" in methods:
            raise _Drop("it stubs several request methods, whose order as axios calls is unknown")
        return _axios_behaviour(next(iter(methods.values())))

    # ---- expectations --------------------------------------------------------------------------
    def expect(self, expect: dict[str, JSON], modules: dict[str, JSON]) -> tuple[dict[str, JSON], list[JSON]]:
        out: dict[str, JSON] = {}
        include: list[JSON] = []
        error = expect.get("error")
        if error is not None:
            name = error.get("name") if isinstance(error, dict) else None
            message = error.get("message", "$any") if isinstance(error, dict) else error
            prefixes = [d for d in self.c.deny_prefixes if d]
            by_prefix = isinstance(message, str) and any(message.startswith(d) for d in prefixes)
            if self.c.denies and (not self.c.throws or name == "UnauthorizedError" or by_prefix):
                include.append({"api.access.deny": [message]})
            else:
                out["error"] = error
        for key in ("calls", "calls_include"):
            if key not in expect:
                continue
            calls = expect[key] or []
            if key == "calls" and not calls:
                self.notes.append("'calls: []' (no Management API call) has no action equivalent; left out")
            for item in calls:
                include.extend(self.platform_call(item))
            if key == "calls" and calls:
                self.notes.append("the exact 'calls' list became 'calls_include' (an action makes more calls)")
        for key, value in (expect.get("user") or {}).items():
            if key in ("app_metadata", "user_metadata") and isinstance(value, dict) and self.persists:
                method = "api.user.setAppMetadata" if key == "app_metadata" else "api.user.setUserMetadata"
                before = self.input_user.get(key) or {}
                for k, v in value.items():
                    if v == "$absent":
                        continue
                    if isinstance(before, dict) and before.get(k) == v:
                        self.notes.append(f"expectation user.{key}.{k} is the input value (nothing to set); "
                                          f"left out")
                        continue
                    include.append({method: [k, v]})
            else:
                self.notes.append(f"expectation user.{key} has no action equivalent; left out")
        for key, value in (expect.get("context") or {}).items():
            include.extend(self.context_expectation(key, value))
        for key in ("module_calls", "module_calls_include"):
            if key in expect:
                out[key] = [self.module_call(item, modules) for item in expect[key] or []]
        include = _merge_same_calls(include)
        if "logs_include" in expect:
            out["logs_include"] = expect["logs_include"]
        if "error" in expect and expect["error"] is None:
            out["error"] = None
            if self.c.denies:
                self.notes.append("'error: null' is kept; it does not rule out an api.access.deny call")
        return out, include

    def platform_call(self, item: JSON) -> list[JSON]:
        ((name, args),) = item.items()
        method = {"auth0.users.updateAppMetadata": "api.user.setAppMetadata",
                  "auth0.users.updateUserMetadata": "api.user.setUserMetadata"}.get(name)
        if method is None or not isinstance(args, list) or len(args) != 2 or not isinstance(args[1], dict):
            self.notes.append(f"expected call {name} has no action equivalent; left out")
            return []
        return [{method: [k, v]} for k, v in args[1].items()]

    def context_expectation(self, key: str, value: JSON) -> list[JSON]:
        if key in ("idToken", "accessToken") and isinstance(value, dict):
            api = "api.idToken.setCustomClaim" if key == "idToken" else "api.accessToken.setCustomClaim"
            calls = []
            for claim, v in value.items():
                if key == "accessToken" and claim == "scope":
                    self.notes.append("expectation context.accessToken.scope has no setCustomClaim equivalent "
                                      "(api.accessToken.addScope/removeScope); left out")
                elif v == "$absent":
                    self.notes.append(f"expectation that context.{key} lacks {claim!r} left out")
                else:
                    calls.append({api: [claim, v]})
            return calls
        if key == "multifactor" and isinstance(value, dict) and "provider" in value:
            rest = {k: v for k, v in value.items() if k != "provider"}
            return [{"api.multifactor.enable": [value["provider"], rest] if rest else [value["provider"]]}]
        if key == "redirect" and isinstance(value, dict) and "url" in value:
            return [{"api.redirect.sendUserTo": [value["url"]]}]
        self.notes.append(f"expectation context.{key} has no action equivalent; left out")
        return []

    def module_call(self, item: JSON, modules: dict[str, JSON]) -> JSON:
        ((name, args),) = item.items()
        module = next((m for m in sorted(modules, key=len, reverse=True)
                       if name == m or name.startswith(m + ".")), None)
        if module is None:
            return item
        rest = name[len(module):]
        if base_module(module) != "request":
            return {base_module(module) + rest: args}
        method = _METHODS.get(rest.lstrip("."))
        options = args[0] if isinstance(args, list) and args else {}
        return {"axios": [_axios_config(options, method, self.notes)]}


def context_to_event(context: dict[str, JSON], event: dict[str, JSON], notes: list[str] | None = None) -> None:
    """Put a rule's `context` input at its `event` places; what has no place is said in `notes`."""
    said = notes if notes is not None else []
    for key, value in context.items():
        if key in _CONTEXT_PLACES:
            _put(event, _CONTEXT_PLACES[key], value)
        elif key == "request" and isinstance(value, dict):
            for rk, rv in value.items():
                if rk == "geoip" and isinstance(rv, dict):
                    for gk, gv in rv.items():
                        if gk in _GEOIP_KEYS:
                            _put(event, ("request", "geoip", _GEOIP_KEYS[gk]), gv)
                elif rk == "geoip":  # no geoip at all (null, false): the same in the event
                    _put(event, ("request", "geoip"), rv)
                elif rk in _REQUEST_KEYS:
                    _put(event, ("request", _REQUEST_KEYS[rk]), rv)
                else:
                    said.append(f"input context.request.{rk} has no action equivalent")
        elif key == "stats" and isinstance(value, dict):
            if "loginsCount" in value:
                _put(event, ("stats", "logins_count"), value["loginsCount"])
        elif key == "stats":  # no stats at all (null, false): the same in the event
            _put(event, ("stats",), value)
        elif key in _OUTPUT_CONTEXT:
            continue  # what a rule writes; an action starts without it
        else:
            said.append(f"input context.{key} has no action equivalent")


def _merge_same_calls(calls: list[JSON]) -> list[JSON]:
    """One expected call per (method, first argument): the rule's `calls` and `user` expectations can
    both describe the one `api.user.setAppMetadata('k', …)` call; their partial values merge."""
    out: list[JSON] = []
    index: dict[tuple[str, str], int] = {}
    for call in calls:
        ((method, args),) = call.items()
        key = (method, repr(args[0])) if len(args) == 2 else None
        if key is not None and key in index:
            ((_, seen),) = out[index[key]].items()
            out[index[key]] = {method: [args[0], _deep_merge(seen[1], args[1])]}
            continue
        if key is not None:
            index[key] = len(out)
        out.append(call)
    return out


def _deep_merge(a: JSON, b: JSON) -> JSON:
    if isinstance(a, dict) and isinstance(b, dict):
        merged = dict(a)
        for k, v in b.items():
            merged[k] = _deep_merge(merged[k], v) if k in merged else v
        return merged
    return b


def _put(target: dict[str, JSON], path: tuple[str, ...], value: JSON) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def _axios_behaviour(spec: JSON) -> JSON:
    if not isinstance(spec, dict):
        raise _Drop("its request stub is not a function stub")
    if "$sequence" in spec:
        return {"$sequence": [_axios_behaviour(s) for s in spec["$sequence"]]}
    if "$throws" in spec:
        return {"$rejects": spec["$throws"]}
    if "$callback" in spec:
        values = spec["$callback"] if isinstance(spec["$callback"], list) else [spec["$callback"]]
        if values and values[0] is not None:
            return {"$rejects": values[0]}
        response = values[1] if len(values) > 1 and isinstance(values[1], dict) else {}
        body = values[2] if len(values) > 2 else response.get("body")
        resolved: dict[str, JSON] = {"status": response.get("statusCode", 200), "data": body}
        if "headers" in response:
            resolved["headers"] = response["headers"]
        return {"$resolves": resolved}
    raise _Drop("its request stub does not call back")


def _has_matcher(value: JSON) -> bool:
    if isinstance(value, dict):
        return any(str(k).startswith("$") or _has_matcher(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_matcher(v) for v in value)
    return isinstance(value, str) and value in ("$any", "$absent")


def _js_text(value: JSON) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _js_order(data: dict[str, JSON]) -> list[tuple[str, JSON]]:
    """A JavaScript object's key order: array-index keys ("0", "7") ascending first, then the rest as written."""
    def index(key: str) -> int | None:
        if not re.fullmatch(r"0|[1-9][0-9]*", key, re.ASCII) or int(key) >= 2**32 - 1:
            return None
        return int(key)
    indexed = sorted((k for k in data if index(k) is not None), key=lambda k: index(k) or 0)
    return [(k, data[k]) for k in indexed] + [(k, v) for k, v in data.items() if index(k) is None]


def qs_stringify(value: JSON, prefix: str | None = None) -> str:
    """What qs 6.4's stringify (request 2.81's form encoder) makes of JSON data with its defaults: nested keys
    in brackets, list items by index, null as `key=`, every byte but A-Z a-z 0-9 - _ . ~ percent-encoded."""
    parts: list[str] = []
    items = (_js_order(value) if isinstance(value, dict) else enumerate(value) if isinstance(value, list)
             else [])
    for key, item in items:
        name = f"{prefix}[{key}]" if prefix is not None else str(key)
        if isinstance(item, (dict, list)):
            inner = qs_stringify(item, name)
            if inner:
                parts.append(inner)
        elif item is None:
            parts.append(quote(name, safe="-_.~") + "=")
        else:
            parts.append(quote(name, safe="-_.~") + "=" + quote(_js_text(item), safe="-_.~"))
    return "&".join(parts)


def _axios_config(options: JSON, method: str | None, notes: list[str]) -> JSON:
    if options == "$any":
        return "$any"
    out: dict[str, JSON] = {}
    if method:
        out["method"] = method
    if isinstance(options, str):
        out["url"] = options
        return out
    if not isinstance(options, dict):
        return "$any"
    for key, value in options.items():
        if key in ("url", "uri"):
            out["url"] = value
        elif key in ("method", "headers", "timeout"):
            out[key] = value
        elif key == "qs":
            out["params"] = value
        elif key == "body":
            out["data"] = value
        elif key == "json":
            if not isinstance(value, bool):
                out["data"] = value
        elif key == "form":
            # the action sends qs.stringify(form), as request did: the expected body is that string
            if isinstance(value, str):
                out["data"] = value
            elif isinstance(value, (dict, list)) and not _has_matcher(value):
                out["data"] = qs_stringify(value)
                out["headers"] = {"content-type": "application/x-www-form-urlencoded"}
            else:
                out["data"] = "$any"
                notes.append("the expected request form body holds a matcher ($any, $match): not compared")
        elif key == "auth" and isinstance(value, dict):
            out["auth"] = {{"user": "username", "pass": "password"}.get(k, k): v for k, v in value.items()}
        else:
            notes.append(f"expected request option {key!r} has no axios equivalent; left out")
    return out
