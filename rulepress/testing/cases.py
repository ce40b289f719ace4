"""Test blocks of a Template -> test cases (pure: values in, values out, every problem collected).

A test block is YAML: one case (a mapping) or a list of cases. The format is in docs/TESTING.md.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

from rulepress.catalogue.model import Block, Template
from rulepress.errors import Problem
from rulepress.testing.defaults import HANDLERS, deep_merge, default_event, default_rule_input

JSON = Any

COMMON_KEYS = ("name", "modules", "globals", "api_stubs", "http", "clock", "timeout", "expect")
ACTION_KEYS = ("event", "cache", "handler")
RULE_KEYS = ("user", "context", "configuration", "auth0")
COMMON_EXPECT = (
    "error",
    "calls",
    "calls_include",
    "module_calls",
    "module_calls_include",
    "logs_include",
    "requests",
)
HTTP_ANSWER_KEYS = ("method", "url", "status", "headers", "json", "body")
REQUEST_KEYS = ("method", "url", "headers", "body")
RULE_EXPECT = ("user", "context")
CALL_LISTS = ("calls", "calls_include", "module_calls", "module_calls_include")

AUTH0_DEFAULTS = {
    "domain": "example-tenant.eu.auth0.com",
    "baseUrl": "https://example-tenant.eu.auth0.com/api/v2",
    "accessToken": "test-management-api-token",
}


@dataclass(frozen=True)
class Call:
    """One expected call: a dotted name (`api.access.deny`, `axios.post`) and its arguments."""

    name: str
    args: tuple[JSON, ...]
    line: int


@dataclass(frozen=True)
class Case:
    """One test case, inputs complete (defaults merged), lines are markdown file lines."""

    template_id: str
    path: str
    name: str
    line: int
    kind: str
    handler: str | None
    input: dict[str, JSON]
    modules: dict[str, JSON]
    globals: dict[str, JSON]
    api_stubs: dict[str, JSON]
    timeout: float | None
    expect: dict[str, JSON]
    expect_lines: dict[str, int] = field(default_factory=dict)
    calls: dict[str, tuple[Call, ...]] = field(default_factory=dict)  # the CALL_LISTS expectations
    http: list[dict[str, JSON]] | None = None  # HTTP answers: real modules over the recording transport
    clock: float | None = None  # with http: the fixed clock, ms since 1970 (None: 2026-01-01T00:00:00Z)


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load(text: str) -> tuple[yaml.Node | None, JSON]:
    """The YAML node tree (for lines) and the data of one document, in one parse."""
    try:
        return _load_with(_Loader, text)
    except yaml.YAMLError:  # the pure-Python loader words errors better and points at the right line
        return _load_with(yaml.SafeLoader, text)


def _load_with(loader_class: Any, text: str) -> tuple[yaml.Node | None, JSON]:
    loader = loader_class(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def _did_you_mean(word: str, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _key_lines(node: yaml.Node, base: int) -> dict[str, int]:
    """File line of each key of a YAML mapping node."""
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _value in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                lines.setdefault(str(key_node.value), base + key_node.start_mark.line)
    return lines


def _value_node(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                found: yaml.Node = value
                return found
    return None


class _Parser:
    def __init__(self, template: Template) -> None:
        self.t = template
        self.problems: list[Problem] = []
        self.names: set[str] = set()

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.t.path, line, message))

    def block(self, block: Block) -> list[Case]:
        base = block.line
        try:
            node, data = _load(block.text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = base + mark.line if mark is not None else base
            reason = getattr(exc, "problem", None) or str(exc)
            self.problem(line, f"test block is not valid YAML: {reason}")
            return []
        if data is None or node is None:
            self.problem(base, "test block is empty: give a test case (a mapping) or a list of them")
            return []
        if isinstance(data, dict):
            return [c for c in [self.case(data, node, base)] if c is not None]
        if not isinstance(data, list) or not isinstance(node, yaml.SequenceNode):
            self.problem(base, "a test block holds a test case (a mapping) or a list of them")
            return []
        out = []
        for item, item_node in zip(data, node.value, strict=True):
            line = base + item_node.start_mark.line
            if not isinstance(item, dict):
                self.problem(line, "each item of a test block must be a test case (a mapping)")
                continue
            case = self.case(item, item_node, base)
            if case is not None:
                out.append(case)
        return out

    def mapping(self, data: dict[str, JSON], key: str, line: int) -> dict[str, JSON]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(line, f"'{key}' must be a mapping")
            return {}
        return value

    def case(self, data: dict[str, JSON], node: yaml.Node, base: int) -> Case | None:
        t = self.t
        line = base + node.start_mark.line
        lines = _key_lines(node, base)
        before = len(self.problems)
        allowed = COMMON_KEYS + (RULE_KEYS if t.kind == "rule" else ACTION_KEYS)
        other = ACTION_KEYS if t.kind == "rule" else RULE_KEYS
        for key in data:
            if key not in allowed:
                where = lines.get(str(key), line)
                if key in other:
                    self.problem(
                        where,
                        f"'{key}' is for {'actions' if t.kind == 'rule' else 'rules'}, "
                        f"and this template is {'a rule' if t.kind == 'rule' else 'an action'}",
                    )
                else:
                    self.problem(where, f"unknown test case key '{key}'{_did_you_mean(str(key), allowed)}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.problem(line, "a test case needs a name (a non-empty string)")
            name = f"case at line {line}"
        elif name in self.names:
            self.problem(lines.get("name", line), f"duplicate test case name '{name}'")
        self.names.add(name)
        timeout = data.get("timeout")
        if timeout is not None and (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not math.isfinite(timeout)
            or timeout <= 0
        ):
            self.problem(lines.get("timeout", line), "'timeout' must be a number of seconds above 0")
            timeout = None
        modules = self.mapping(data, "modules", lines.get("modules", line))
        globals_ = self.mapping(data, "globals", lines.get("globals", line))
        api_stubs = self.mapping(data, "api_stubs", lines.get("api_stubs", line))
        for stub_name, spec in api_stubs.items():
            if not isinstance(spec, dict) or not any(str(k).startswith("$") for k in spec):
                self.problem(
                    lines.get("api_stubs", line),
                    f"api_stubs '{stub_name}' must be a function stub ($returns, $resolves, "
                    "$rejects, $throws, $callback or $sequence)",
                )
        http = self.http_answers(data, lines.get("http", line))
        clock = self.clock(data, lines.get("clock", line), http is not None)
        handler: str | None = None
        if t.kind == "rule":
            base_input = default_rule_input(t.rule.configuration if t.rule else ())
            inputs: dict[str, JSON] = {
                key: deep_merge(base_input[key], self.mapping(data, key, lines.get(key, line)))
                for key in ("user", "context", "configuration")
            }
            inputs["auth0"] = deep_merge(
                AUTH0_DEFAULTS, self.mapping(data, "auth0", lines.get("auth0", line))
            )
        else:
            trigger = t.action.trigger if t.action else "post-login"
            secrets = t.action.secrets if t.action else ()
            inputs = {
                "event": deep_merge(
                    default_event(trigger, secrets), self.mapping(data, "event", lines.get("event", line))
                ),
                "cache": self.mapping(data, "cache", lines.get("cache", line)),
            }
            handler = data.get("handler", HANDLERS.get(trigger, "onExecutePostLogin"))
            if not isinstance(handler, str) or not handler:
                self.problem(lines.get("handler", line), "'handler' must be the name of an exported function")
        expect_node = _value_node(node, "expect")
        expect, expect_lines, calls = self.expect(data, expect_node, lines.get("expect", line), base)
        if len(self.problems) > before:
            return None
        return Case(
            template_id=t.id,
            path=t.path,
            name=name,
            line=line,
            kind=t.kind,
            handler=handler,
            input=inputs,
            modules=modules,
            globals=globals_,
            api_stubs=api_stubs,
            timeout=float(timeout) if timeout is not None else None,
            expect=expect,
            expect_lines=expect_lines,
            calls=calls,
            http=http,
            clock=clock,
        )

    def clock(self, data: dict[str, JSON], line: int, http: bool) -> float | None:
        if "clock" not in data:
            return None
        value = data["clock"]
        try:
            when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            self.problem(line, "'clock' must be a time with its zone, e.g. 2026-01-03T12:00:00Z")
            return None
        if not http:
            self.problem(line, "'clock' goes with 'http' answers (a case that runs its real modules)")
            return None
        return when.timestamp() * 1000

    def http_answers(self, data: dict[str, JSON], line: int) -> list[dict[str, JSON]] | None:
        if "http" not in data:
            return None
        answers = data["http"]
        usage = ("'http' must be a list of answers, each a mapping of method, url (a prefix), status, headers "
                 "and json or body")
        if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
            self.problem(line, usage)
            return None
        for answer in answers:
            why = _answer_problem(answer)
            if why:
                self.problem(line, f"{usage} ({why})")
                return None
        return answers

    def expect(
        self, data: dict[str, JSON], node: yaml.Node | None, line: int, base: int
    ) -> tuple[dict[str, JSON], dict[str, int], dict[str, tuple[Call, ...]]]:
        expect = data.get("expect")
        if not isinstance(expect, dict) or not expect:
            self.problem(line, "a test case needs 'expect': a mapping with at least one expectation")
            return {}, {}, {}
        lines = {key: value for key, value in _key_lines(node, base).items()} if node is not None else {}
        allowed = COMMON_EXPECT + (RULE_EXPECT if self.t.kind == "rule" else ())
        for key in expect:
            if key not in allowed:
                hint = (
                    " ('user' and 'context' are for rules)"
                    if key in RULE_EXPECT
                    else _did_you_mean(str(key), allowed)
                )
                self.problem(lines.get(str(key), line), f"unknown expectation '{key}'{hint}")
        calls: dict[str, tuple[Call, ...]] = {}
        for key in CALL_LISTS:
            if key in expect:
                calls[key] = self.call_list(
                    expect[key], _value_node(node, key) if node else None, lines.get(key, line), base, key
                )
        if "logs_include" in expect and not (
            isinstance(expect["logs_include"], list)
            and all(isinstance(x, str) for x in expect["logs_include"])
        ):
            self.problem(lines.get("logs_include", line), "'logs_include' must be a list of strings")
        requests = expect.get("requests")
        if "requests" in expect and not (isinstance(requests, list) and all(
                isinstance(r, dict) and set(r) <= set(REQUEST_KEYS) for r in requests)):
            self.problem(lines.get("requests", line), "'requests' must be a list of HTTP requests, each a mapping "
                                                      "of method, url, headers and body")
        if "requests" in expect and "http" not in data:
            self.problem(lines.get("requests", line), "'requests' needs 'http' answers in the case: without "
                                                      "them no request is recorded")
        error = expect.get("error")
        if error is not None and not isinstance(error, (str, dict)):
            self.problem(
                lines.get("error", line),
                "'error' must be a message (a string) or a mapping such as {name: ..., message: ...}",
            )
        for key in RULE_EXPECT:
            if key in expect and not isinstance(expect[key], dict):
                self.problem(lines.get(key, line), f"'{key}' must be a mapping (the properties to check)")
        return expect, lines, calls

    def call_list(
        self, value: JSON, node: yaml.Node | None, line: int, base: int, key: str
    ) -> tuple[Call, ...]:
        usage = f"'{key}' must be a list of calls, each written `- name: [arguments]`"
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(line, usage)
            return ()
        items = node.value if isinstance(node, yaml.SequenceNode) else []
        out = []
        for i, item in enumerate(value):
            item_line = base + items[i].start_mark.line if i < len(items) else line
            if not (isinstance(item, dict) and len(item) == 1):
                self.problem(item_line, usage)
                continue
            ((name, args),) = item.items()
            if args is None:
                args = []
            if not isinstance(args, list):
                self.problem(item_line, f"the arguments of '{name}' must be a list, e.g. `- {name}: [\"x\"]`")
                continue
            out.append(Call(str(name), tuple(args), item_line))
        return tuple(out)


def _answer_problem(answer: dict[str, JSON]) -> str | None:
    """What is wrong with one HTTP answer of a case, or None."""
    unknown = [k for k in answer if k not in HTTP_ANSWER_KEYS]
    if unknown:
        return f"unknown key '{unknown[0]}'"
    status = answer.get("status", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        return "status: a number from 200 to 599"
    for key in ("method", "url", "body"):
        if key in answer and not isinstance(answer[key], (str, int, float)):
            return f"{key}: a string"
    headers = answer.get("headers", {})
    if not isinstance(headers, dict):
        return "headers: a mapping of name to value"
    for name, value in headers.items():
        text = f"{name}{value}"
        if not isinstance(value, (str, int, float)) or "\r" in text or "\n" in text or not str(name).isascii():
            return f"headers: '{name}' needs a one-line value (and an ASCII name)"
        if str(name).lower() in ("content-length", "transfer-encoding", "connection"):
            return f"headers: '{name}' is set by the transport"
    return None


def parse_cases(template: Template) -> tuple[list[Case], list[Problem]]:
    """Every test case of a template, and every problem in its test blocks."""
    parser = _Parser(template)
    cases: list[Case] = []
    for block in template.tests:
        cases.extend(parser.block(block))
    return cases, parser.problems
