""""Complete" proven by running both sides: the rule in the Rules-sandbox emulation and the action in the
Actions emulation (rulepress/testing), on the same generated cases, compared by what each does.

Cases come from the rule's conditions (transform.js `probes`: the input paths they read and the literals
they compare them with), plus the defaults, every condition at once, and, for a rule that calls out over
HTTP, a failing answer and a 200 that is not JSON. Both sides run with the real modules (the `request`
module on the rule side, axios on the action side, over the recording transport; lodash, uuid, ... at the
sandbox's versions; a stand-in for anything else, the same on both sides), the same HTTP answers, a fixed
clock and seeded randomness. Compared: allowed or failed and the message, ID and access token claims, app
and user metadata as persisted, MFA, redirects, the SAML response, every HTTP request (method, URL, headers
the code chose, body bytes) and the stand-in modules' calls. Agreeing cases are written into the action
file as test blocks (so `rulepress test` replays them); a difference is named.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import yaml

from rulepress.catalogue.model import Template
from rulepress.migrate.node import Converted
from rulepress.migrate.testcases import context_to_event
from rulepress.testing.cases import AUTH0_DEFAULTS, Case
from rulepress.testing.defaults import deep_merge, default_event, default_rule_input
from rulepress.testing.node import NodeOptions, make_job, run_job

JSON = Any

MAX_CASES = 24  # per rule
CASE_TIMEOUT = 0.75  # seconds per side: answers are immediate and packages load before a case, so a case
# takes milliseconds; only a hang (a rule that never calls back) runs this long
DEFAULT_ANSWER: dict[str, JSON] = {"status": 200, "json": {}}
FAILING_ANSWER: dict[str, JSON] = {"status": 500, "body": "upstream error"}
TEXT_ANSWER: dict[str, JSON] = {"status": 200, "body": "ok"}
#: a rule that reads the clock; its first cases run again at SATURDAY_NOON (the default is a Thursday midnight)
CLOCK_READ = re.compile(r"\bDate\b|\bmoment\b|getDay|getHours")
SATURDAY_NOON = 1767441600000.0  # 2026-01-03T12:00:00Z
#: a rule that calls out over HTTP (the request module, as a global or required)
HTTP_CALL = re.compile(r"\brequest\s*(?:\.\s*(?:get|post|put|patch|del|delete|head)\s*)?\(|require\(\s*['\"]request")
#: what an HTTP client's error carries when the request failed (the two clients word these differently)
NETWORK_CODES = frozenset({"ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ESOCKETTIMEDOUT", "ECONNABORTED",
                           "ENOTFOUND", "EAI_AGAIN", "EPIPE", "ERR_BAD_RESPONSE", "ERR_NETWORK",
                           "ERR_BAD_REQUEST", "HPE_INVALID_CONSTANT", "ERR_INVALID_URL", "ERR_FR_TOO_MANY_REDIRECTS"})
#: errors JavaScript itself throws: compared by kind, their message quotes the code
RUNTIME_ERRORS = frozenset({"TypeError", "ReferenceError", "RangeError", "SyntaxError"})
#: the api.* calls the comparison reads as effects; any other call of an action is a difference (a rule has none)
COMPARED_CALLS = frozenset({"api.idToken.setCustomClaim", "api.accessToken.setCustomClaim", "api.user.setAppMetadata",
                            "api.user.setUserMetadata", "api.access.deny", "api.multifactor.enable",
                            "api.redirect.sendUserTo"})
#: headers the transport itself decides (the URL, the body and the connection say the same)
TRANSPORT_HEADERS = frozenset({"host", "connection", "content-length"})
#: header values request or axios send by themselves; the same header with another value, set by the code, is
#: compared
CLIENT_DEFAULTS = {"accept": "application/json, text/plain, */*", "accept-encoding": "gzip, compress, deflate, br",
                   "user-agent": "axios/1.21.1"}
#: request sets `accept: application/json` itself for `json: true`; axios sends its own default accept
CLIENT_ACCEPTS = frozenset({"application/json", "application/json, text/plain, */*"})


@dataclass(frozen=True)
class Generated:
    name: str
    rule_input: dict[str, JSON]  # user, context, configuration (complete)
    changed: dict[str, JSON]  # what this case changes in the defaults: {"user": {...}} or {"context": {...}}
    http: list[dict[str, JSON]]
    clock: float | None = None  # another fixed time than the default (a Saturday noon), or None


@dataclass(frozen=True)
class Checked:
    """The outcome of the side-by-side run of one rule and its action."""

    cases: int
    differences: tuple[str, ...]  # "case 'NAME': what differs"
    block: str | None  # the agreeing cases, as the YAML of a test block of the action
    unchecked: tuple[str, ...] = ()  # why agreement here proves little (stand-ins, only errors)
    unreached: str | None = None  # the places where the rule acts that no generated case reached


def config_value(key: str) -> str:
    """A configuration value the rule can use as it meant to: URLs for URL-ish keys, a plain token else."""
    lower = key.lower()
    if lower.endswith(("key", "secret", "token", "password", "id")):
        return f"test-{key}"
    if any(word in lower for word in ("url", "uri", "hook", "endpoint", "api", "base", "server", "service")):
        return f"https://{lower.replace('_', '-')}.example.com/"
    if any(word in lower for word in ("domain", "host")):
        return f"{lower.replace('_', '-')}.example.com"
    return f"test-{key}"


def _put(target: dict[str, JSON], path: Sequence[str], value: JSON) -> None:
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value


def _get(data: JSON, path: Sequence[str]) -> JSON:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _truthy(value: JSON) -> bool:
    """JavaScript's truth of a JSON value ([] and {} are true)."""
    return value not in (None, False, 0, "") or isinstance(value, (list, dict))


def generate(rule: Template, converted: Converted) -> list[Generated]:
    """The cases for one rule: the defaults, one per probed value, every condition at once (and each other
    value on top), and for a rule that calls out over HTTP the same with a failing answer and a text one."""
    configuration = tuple(rule.rule.configuration if rule.rule else ()) + tuple(
        s for s in converted.secrets if not (rule.rule and s in rule.rule.configuration))
    base = default_rule_input(configuration)
    base["configuration"] = {key: config_value(key) for key in configuration}
    base["auth0"] = dict(AUTH0_DEFAULTS)
    answers = [dict(DEFAULT_ANSWER)]
    paths = [path for path, _ in converted.probes]
    tries: list[tuple[tuple[str, ...], JSON]] = []  # (path, value) for every probe worth a case
    for path, values in converted.probes:
        objects = any(len(other) > len(path) and other[: len(path)] == path for other in paths)
        default = _get(base, path)
        for value in values:
            if isinstance(value, dict) and set(value) == {"$config"}:  # compared with a configuration value
                value = base["configuration"].get(str(value["$config"]), config_value(str(value["$config"])))
            if isinstance(value, bool) and (objects or value == _truthy(default)):
                continue  # a truth test flips the default's truth; `user.app_metadata`: its keys are probed
            if (path, value) not in tries:  # (a configuration value may equal a literal: one case, one name)
                tries.append((path, value))

    def case(name: str, changes: list[tuple[tuple[str, ...], JSON]], http: list[dict[str, JSON]]) -> Generated:
        given = copy.deepcopy(base)
        changed: dict[str, JSON] = {}
        for path, value in changes:
            _put(given, path, value)
            _put(changed, path, copy.deepcopy(value))
        return Generated(name, given, changed, http)

    # the defaults, each condition's values alone, then every condition at its first value together (a gate
    # such as `if (context.clientID !== 'abc') return` hides the conditions behind it), and the others there
    # (a truth test turned false stays at the default there, tried on top as the other values are; one
    # turned true is one more condition met)
    firsts = list({path: (path, value) for path, value in reversed(tries)
                   if value is True or not isinstance(value, bool)}.values())[::-1]
    cases = [case("defaults", [], answers)]
    cases += [case(f"{'.'.join(path)} = {json.dumps(value)}", [(path, value)], answers) for path, value in tries]
    combined: list[Generated] = []
    if len(firsts) > 1 or (firsts and len(tries) > len(firsts)):
        combined.append(case("every condition at its first value", firsts, answers))
        # a gate that exits on its first value (`if (connection === 'github') return`) is opened by another
        lasts = list({path: (path, value) for path, value in tries
                      if value is True or not isinstance(value, bool)}.values())
        if lasts != firsts:
            combined.append(case("every condition at its last value", lasts, answers))
        combined += [case(f"every condition at its first value, {'.'.join(path)} = {json.dumps(value)}",
                          [*firsts, (path, value)], answers) for path, value in tries if (path, value) not in firsts]
    cases = [cases[0], *combined[:2], *cases[1:], *combined[2:]]
    if CLOCK_READ.search(rule.code):  # a rule that reads the time: the first cases again on a Saturday at noon
        cases[1:1] = [Generated(f"{g.name}, on a Saturday at noon UTC", g.rule_input, g.changed, g.http, SATURDAY_NOON)
                      for g in cases[:2]]
    if "axios" in converted.code or HTTP_CALL.search(rule.code):
        # each case again with the service failing, and the first ones with a 200 whose body is not JSON (code
        # that parses it fails where the rule had already gone on) or is an object with the fields the rule
        # reads; the cases that succeed are kept first, so no cut drops the one that opens a gate
        fields = {f: f"value-of-{f}" for f in converted.http_fields}
        texts = [Generated(f"{g.name}, the HTTP service answers text", g.rule_input, g.changed, [dict(TEXT_ANSWER)],
                           g.clock) for g in cases[:2]]
        # and cannot be reached at all (the client's own error: `if (err) return callback(err)`)
        texts += [Generated(f"{g.name}, the HTTP service cannot be reached", g.rule_input, g.changed, [], g.clock)
                  for g in cases[:2]]
        filled = [Generated(f"{g.name}, the HTTP answer has the fields read", g.rule_input, g.changed,
                            [{"status": 200, "json": fields}], g.clock) for g in cases[:3]] if fields else []
        fails = [Generated(f"{g.name}, the HTTP service fails", g.rule_input, g.changed, [dict(FAILING_ANSWER)],
                           g.clock) for g in cases]
        cases = [*cases[:MAX_CASES - len(texts) - len(filled) - 4], *filled, *texts, *fails][:MAX_CASES]
    return cases[:MAX_CASES]


def to_event(g: Generated, secrets: Sequence[str]) -> dict[str, JSON]:
    """The action's event for a generated case: the Actions defaults (the same login as the rule's defaults,
    as Auth0 gives it to an action: a rule's user had properties an action's event.user has not), with the
    case's change at its event place, and the configuration as secrets."""
    moved: dict[str, JSON] = {}
    context_to_event(g.changed.get("context", {}), moved)
    if "user" in g.changed:
        moved["user"] = g.changed["user"]
    moved["secrets"] = g.rule_input["configuration"]
    event: dict[str, JSON] = deep_merge(default_event("post-login", tuple(secrets)), moved)
    return event


def check(pairs: Sequence[tuple[Template, Template, Converted]], node: str | None = None) -> list[Checked]:
    """Run every (rule, action, converted) pair side by side, in one Node process."""
    templates: list[Template] = []
    cases: list[Case] = []
    plan: list[list[tuple[Generated, dict[str, JSON]]]] = []
    for rule, action, converted in pairs:
        # the rule runs as instrumented: the same code, counting the places where it acts
        templates.extend([replace(rule, code=converted.instrumented or rule.code), action])
        secrets = action.action.secrets if action.action else ()
        runs = []
        for g in generate(rule, converted):
            event = to_event(g, secrets)
            runs.append((g, event))
            cases.append(_case(rule, g.name, g.rule_input, g.http, g.clock))
            cases.append(_case(action, g.name, {"event": event, "cache": {}}, g.http, g.clock))
        plan.append(runs)
    options = NodeOptions(node=node) if node else NodeOptions()
    job = make_job(templates, cases, options)
    job["by_kind"] = True  # a rule and its action never share a worker, nor its modules' state
    results = run_job(job, options.node)
    out = []
    at = 0
    for (rule, action, converted), runs in zip(pairs, plan, strict=True):
        differences: list[str] = []
        written: list[dict[str, JSON]] = []
        secrets = action.action.secrets if action.action else ()
        stand_ins: set[str] = set()
        evidence = False  # some case where the rule did something other than fail with an error
        reached: set[int] = set()
        ran: set[str] = set()  # "name@version" both sides loaded in a case that agreed and did not fail alone
        for g, event in runs:
            rule_result, action_result = results[at], results[at + 1]
            at += 2
            reached |= set(rule_result.get("hits", []))
            rule_effects = rule_side(rule_result, g.rule_input)
            action_effects = action_side(action_result, event)
            stand_ins |= {str(c.get("call", "")).split(".")[0].split("(")[0]
                          for c in rule_result.get("module_calls", [])}
            evidence = evidence or not _failed_on_its_own(rule_effects["outcome"])
            what = _differs(rule_effects, action_effects)
            if not what and not _failed_on_its_own(rule_effects["outcome"]):
                ran |= set(rule_result.get("real_modules", [])) & set(action_result.get("real_modules", []))
            if what:
                differences.append(f"case '{g.name}': {what}")
            elif not action_result.get("problems"):  # (one that reports a problem cannot replay as a passing test)
                written.append(_test_case(g, event, secrets, action_result))
        # agreement that proves little: stand-ins answered for real modules, or every case failed alike
        unchecked: list[str] = []
        if stand_ins:
            unchecked.append(f"the rule ran with stand-ins for {', '.join(sorted(stand_ins))} (not at a version "
                             "rulepress has): what they return is not real, so agreeing cases prove little")
        for pin in converted.newest_pins:
            if pin not in ran:
                name, version = pin.rsplit("@", 1)
                unchecked.append(f"require('{name}') is pinned to {version}, npm's newest release (not the "
                                 "version the rule ran with), and no generated case that agreed ran it on both "
                                 "sides: check its calls against this version")
        if not evidence:
            unchecked.append("every generated case ended in an error on the rule's side: nothing shows the action "
                             "does what the rule did")
        # places where the rule acts that no generated case reached: said, not (yet) a TODO, since the rule's
        # own converted tests, which often reach them, are not counted here
        missed = [line for i, line in enumerate(converted.sites) if i not in reached]
        unreached = (f"{len(missed)} of {len(converted.sites)} places where the rule acts never ran in a generated "
                     f"case (rule file lines {', '.join(str(rule.code_line + n - 1) for n in sorted(set(missed)))}): "
                     "what the action does there was not compared") if missed and converted.instrumented else None
        block = yaml.safe_dump(written, sort_keys=False, allow_unicode=True, width=110) if written else None
        out.append(Checked(len(runs), tuple(differences), block, tuple(unchecked), unreached))
    return out


def _failed_on_its_own(outcome: JSON) -> bool:
    """The rule failed with an error it did not make: a runtime error, an HTTP client's, a hang."""
    if not isinstance(outcome, dict):
        return False
    return "did not finish" in outcome or str(outcome.get("fails", "")).startswith("(")


def _case(template: Template, name: str, inputs: dict[str, JSON], http: list[dict[str, JSON]],
          clock: float | None) -> Case:
    return Case(template_id=template.id, path=template.path, name=name, line=template.code_line,
                kind=template.kind, handler=None if template.kind == "rule" else "onExecutePostLogin",
                input=inputs, modules={}, globals={}, api_stubs={}, timeout=CASE_TIMEOUT, expect={}, http=http,
                clock=clock)


# ---- what each side did, in the same terms -------------------------------------------------------------

def _outcome(result: dict[str, JSON], denied: str | None) -> JSON:
    outcome = result.get("outcome")
    if outcome in ("timeout", "crash", "syntax"):
        problems = "; ".join(str(p.get("message")) for p in result.get("problems", []))
        return {"did not finish": outcome, "why": problems}
    if denied is not None:
        return {"fails": denied}
    error = result.get("error")
    if error is None and outcome == "threw":  # the code could not even start (no handler exported, ...)
        return {"fails": "; ".join(str(p.get("message")) for p in result.get("problems", [])) or "threw"}
    if error is None:
        return "continues"
    if error.get("code") in NETWORK_CODES or str(error.get("name", "")).startswith("Axios"):
        return {"fails": "(an HTTP client error)"}  # request and axios word their own errors differently
    if error.get("name") in RUNTIME_ERRORS:  # their messages name the code's own variables (context, event)
        return {"fails": f"(a {error['name']})"}
    return {"fails": error.get("message")}


def _merged_metadata(start: JSON, writes: list[JSON]) -> JSON:
    if not writes:
        return None
    out = dict(start or {})
    for md in writes:
        for key, value in (md or {}).items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
    return out


def _requests(result: dict[str, JSON]) -> list[JSON]:
    return [{"method": r["method"], "url": r["url"], "body": r["body"],
             "headers": {k: v for k, v in sorted(r["headers"].items())
                         if k not in TRANSPORT_HEADERS and CLIENT_DEFAULTS.get(k) != v
                         and not (k == "accept" and v in CLIENT_ACCEPTS)}}
            for r in result.get("requests") or []]


def _problems(result: dict[str, JSON]) -> list[str]:
    """What went wrong beside the outcome (an uncaught error, a blocked request), by kind, without the
    code's own wording or lines."""
    # (an uncaught error is not among them: it ends the case, and the outcome says so; after a rule called back,
    # it no longer changed the login)
    kinds = {str(p.get("message", "")).split(":")[0] for p in result.get("problems", [])}
    return sorted(kinds - {"uncaught error"})


def rule_side(result: dict[str, JSON], given: dict[str, JSON]) -> dict[str, JSON]:
    context = result.get("context") or {}
    before = given["context"]
    writes: dict[str, list[JSON]] = {"app_metadata": [], "user_metadata": []}
    for call in result.get("calls", []):
        args = call.get("args") or []
        if call["call"] == "auth0.users.updateAppMetadata" and len(args) > 1:
            writes["app_metadata"].append(args[1])
        elif call["call"] == "auth0.users.updateUserMetadata" and len(args) > 1:
            writes["user_metadata"].append(args[1])
    mfa = context.get("multifactor") if context.get("multifactor") != before.get("multifactor") else None
    redirect = context.get("redirect") if context.get("redirect") != before.get("redirect") else None
    return {
        "outcome": _outcome(result, None),
        "ID token claims": {k: v for k, v in (context.get("idToken") or {}).items()
                            if (before.get("idToken") or {}).get(k) != v},
        "access token claims": {k: v for k, v in (context.get("accessToken") or {}).items()
                                if (before.get("accessToken") or {}).get(k) != v},
        "app_metadata": _merged_metadata(given["user"].get("app_metadata"), writes["app_metadata"]),
        "user_metadata": _merged_metadata(given["user"].get("user_metadata"), writes["user_metadata"]),
        "MFA": None if not isinstance(mfa, dict) else {
            "provider": mfa.get("provider"), "allowRememberBrowser": mfa.get("allowRememberBrowser"),
            "options": {k: v for k, v in mfa.items() if k not in ("provider", "allowRememberBrowser")}},
        "redirect": redirect.get("url") if isinstance(redirect, dict) else redirect,
        "SAML response": _rule_saml(context.get("samlConfiguration"), before.get("samlConfiguration"),
                                    result.get("user") or {}),
        "HTTP requests": _requests(result),
        "module calls": result.get("module_calls", []),
        "other API calls": [c for c in result.get("calls", []) if not str(c.get("call")).startswith("auth0.users.")],
        "problems": _problems(result),
    }


def _rule_saml(after: JSON, before: JSON, user: dict[str, JSON]) -> JSON:
    """What a rule changed in context.samlConfiguration: each mapped attribute with the profile value it
    reads, and the other settings."""
    after = after if isinstance(after, dict) else {}
    before = before if isinstance(before, dict) else {}
    out: dict[str, JSON] = {}
    mappings = after.get("mappings") if isinstance(after.get("mappings"), dict) else {}
    old = before.get("mappings") if isinstance(before.get("mappings"), dict) else {}
    for attr, path in mappings.items():
        if old.get(attr) != path:
            out[f"attribute {attr}"] = _get(user, str(path).split(".")) if isinstance(path, str) else None
    for key, value in after.items():
        if key != "mappings" and before.get(key) != value:
            out[key] = value
    return out or None


def action_side(result: dict[str, JSON], event: dict[str, JSON]) -> dict[str, JSON]:
    claims: dict[str, dict[str, JSON]] = {"idToken": {}, "accessToken": {}}
    writes: dict[str, list[JSON]] = {"app_metadata": [], "user_metadata": []}
    denied = mfa = redirect = None
    saml: dict[str, JSON] = {}
    for call in result.get("calls", []):
        name, args = call["call"], list(call.get("args") or []) + [None, None]
        if name in ("api.idToken.setCustomClaim", "api.accessToken.setCustomClaim") and args[1] is not None:
            claims[name.split(".")[1]][str(args[0])] = args[1]
        elif name == "api.user.setAppMetadata":
            writes["app_metadata"].append({str(args[0]): args[1]})
        elif name == "api.user.setUserMetadata":
            writes["user_metadata"].append({str(args[0]): args[1]})
        elif name == "api.access.deny" and denied is None:
            denied = str(args[0])
        elif name == "api.multifactor.enable":
            opts = args[1] or {}
            mfa = {"provider": args[0], "allowRememberBrowser": opts.get("allowRememberBrowser"),
                   "options": opts.get("providerOptions") or {}}
        elif name == "api.samlResponse.setAttribute":
            saml[f"attribute {args[0]}"] = args[1]
        elif name.startswith("api.samlResponse.set"):
            setting = name.removeprefix("api.samlResponse.set")
            saml[setting[:1].lower() + setting[1:]] = args[0]
        elif name == "api.redirect.sendUserTo":
            query = (args[1] or {}).get("query")
            if query:  # as the URL carries them: JavaScript's true and false
                query = {k: ("true" if v is True else "false" if v is False else v) for k, v in query.items()}
            redirect = f"{args[0]}{'&' if '?' in str(args[0]) else '?'}{urlencode(query)}" if query else args[0]
    user = event["user"]
    if denied is None and result.get("error") is not None:
        # an action that throws fails the login and its api.user.set*Metadata calls are not applied (a deny
        # keeps them); a rule's updateAppMetadata had already written
        writes = {"app_metadata": [], "user_metadata": []}
    return {
        "outcome": _outcome(result, denied),
        "ID token claims": claims["idToken"],
        "access token claims": claims["accessToken"],
        "app_metadata": _merged_metadata(user.get("app_metadata"), writes["app_metadata"]),
        "user_metadata": _merged_metadata(user.get("user_metadata"), writes["user_metadata"]),
        "MFA": mfa,
        "redirect": redirect,
        "SAML response": saml or None,
        "HTTP requests": _requests(result),
        "module calls": result.get("module_calls", []),
        "other API calls": [c for c in result.get("calls", []) if c.get("call") not in COMPARED_CALLS
                            and not str(c.get("call")).startswith("api.samlResponse.set")],
        "problems": _problems(result),
    }


def _show(value: JSON) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 300 else text[:297] + "..."


def _differs(rule: dict[str, JSON], action: dict[str, JSON]) -> str | None:
    """What differs first: the outcome, then (a login that continues) every effect, or (a login that
    fails) what already happened: HTTP requests, module calls and metadata written."""
    keys = list(rule) if rule["outcome"] == "continues" else [
        "outcome", "HTTP requests", "module calls", "app_metadata", "user_metadata", "problems"]
    for key in keys:
        if rule[key] != action[key]:
            return f"{key}: the rule gives {_show(rule[key])}, the action {_show(action[key])}"
    return None


# ---- the agreeing case as a test case of the action --------------------------------------------------

def _diff(base: JSON, value: JSON) -> JSON:
    if isinstance(base, dict) and isinstance(value, dict):
        return {k: (_diff(base[k], v) if k in base else v) for k, v in value.items() if base.get(k) != v}
    return value


def _test_case(g: Generated, event: dict[str, JSON], secrets: Sequence[str],
               result: dict[str, JSON]) -> dict[str, JSON]:
    case: dict[str, JSON] = {"name": f"same as the rule: {g.name}"}
    changed = _diff(default_event("post-login", tuple(secrets)), event)
    if changed:
        case["event"] = changed
    case["http"] = copy.deepcopy(g.http)  # no YAML anchors: each case reads on its own
    if g.clock is not None:
        case["clock"] = datetime.fromtimestamp(g.clock / 1000, UTC).isoformat().replace("+00:00", "Z")
    expect: dict[str, JSON] = {"calls": [{c["call"]: c.get("args") or []} for c in result.get("calls", [])]}
    error = result.get("error")
    if error is not None:
        expect["error"] = error.get("message")
    if result.get("module_calls"):
        expect["module_calls"] = [{c["call"]: c.get("args") or []} for c in result["module_calls"]]
    requests = _requests(result)
    if requests:
        expect["requests"] = requests
    case["expect"] = expect
    return case
