"""What a case expected vs what its run did -> failures (pure).

Matching: a mapping in an expectation is partial (keys it does not name are not checked); lists and scalars
are exact; `$any` matches anything, `$absent` matches only a missing key, `{$match: REGEX}` matches a string
that the regular expression finds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from rulepress.testing.cases import Call, Case

JSON = Any
_MISSING = object()


@dataclass(frozen=True)
class Failure:
    """One reason a case failed, at a markdown line; `expected`/`actual` are shown when `compare` is set."""

    line: int
    message: str
    compare: bool = False
    expected: JSON = None
    actual: JSON = None


def show(value: JSON) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


def mismatch(expected: JSON, actual: JSON, where: str = "") -> str | None:
    """None when `actual` matches `expected`, else where and how they differ."""
    at = f" at {where}" if where else ""
    if expected == "$any":
        return None
    if expected == "$absent":
        return None if actual is _MISSING else f"expected no value{at}, got {show(actual)}"
    if actual is _MISSING:
        return f"missing{at}"
    if isinstance(expected, dict) and set(expected) == {"$match"}:
        pattern = str(expected["$match"])
        if isinstance(actual, str) and re.search(pattern, actual):
            return None
        return f"{show(actual)}{at} does not match /{pattern}/"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"expected a mapping{at}, got {show(actual)}"
        for key, value in expected.items():
            problem = mismatch(value, actual.get(key, _MISSING), f"{where}.{key}" if where else str(key))
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"expected a list{at}, got {show(actual)}"
        if len(expected) != len(actual):
            return f"expected {len(expected)} item(s){at}, got {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            problem = mismatch(e, a, f"{where}[{i}]")
            if problem:
                return problem
        return None
    same_type = isinstance(expected, bool) == isinstance(actual, bool)
    if same_type and expected == actual:
        return None
    return f"expected {show(expected)}{at}, got {show(actual)}"


def project(expected: JSON, actual: JSON) -> JSON:
    """The part of `actual` that `expected` talks about (for showing a partial match)."""
    if isinstance(expected, dict) and isinstance(actual, dict) and set(expected) != {"$match"}:
        return {k: project(v, actual[k]) for k, v in expected.items() if k in actual}
    return actual


def _call_matches(call: Call, actual: dict[str, JSON]) -> bool:
    return call.name == actual.get("call") and mismatch(list(call.args), actual.get("args", [])) is None


def _shown_calls(calls: list[dict[str, JSON]] | tuple[Call, ...]) -> list[JSON]:
    out: list[JSON] = []
    for c in calls:
        if isinstance(c, Call):
            out.append({c.name: list(c.args)})
        else:
            out.append({c.get("call"): c.get("args", [])})
    return out


def check_calls(
    key: str, expected: tuple[Call, ...], actual: list[dict[str, JSON]], line: int
) -> Failure | None:
    """`calls`/`module_calls`: exactly these, in order. `*_include`: these, in order, others allowed."""
    if key.endswith("_include"):
        pos = 0
        for call in expected:
            while pos < len(actual) and not _call_matches(call, actual[pos]):
                pos += 1
            if pos == len(actual):
                return Failure(
                    call.line,
                    f"{key}: no call matching {show(_shown_calls((call,))[0])} (in this order)",
                    True,
                    _shown_calls(expected),
                    _shown_calls(actual),
                )
            pos += 1
        return None
    for i, call in enumerate(expected):
        if i >= len(actual) or not _call_matches(call, actual[i]):
            got = "nothing" if i >= len(actual) else show(_shown_calls([actual[i]])[0])
            return Failure(
                call.line,
                f"{key}: call {i + 1} differs: expected {show(_shown_calls((call,))[0])}, got {got}",
                True,
                _shown_calls(expected),
                _shown_calls(actual),
            )
    if len(actual) > len(expected):
        extra = show(_shown_calls([actual[len(expected)]])[0])
        return Failure(
            line, f"{key}: unexpected call {extra}", True, _shown_calls(expected), _shown_calls(actual)
        )
    return None


def check_requests(expected: list[JSON], actual: list[JSON], line: int) -> Failure | None:
    """`requests`: exactly these HTTP requests, in order; each expected mapping is compared key by key
    (`headers` names only the headers it checks, in lower case)."""
    for i, wanted in enumerate(expected):
        if i >= len(actual):
            return Failure(line, f"requests: request {i + 1} was not sent: expected {show(wanted)}", True,
                           expected, actual)
        problem = mismatch(wanted, actual[i])
        if problem:
            return Failure(line, f"requests: request {i + 1} differs: {problem}", True, expected,
                           [project(e, a) for e, a in zip(expected, actual, strict=False)])
    if len(actual) > len(expected):
        return Failure(line, f"requests: unexpected request {show(actual[len(expected)])}", True, expected, actual)
    return None


def _error_text(error: dict[str, JSON]) -> str:
    if error.get("not_an_error"):
        return f"a non-Error value {error.get('message')}"
    return f"{error.get('name') or 'Error'}: {error.get('message')}"


def evaluate(case: Case, result: dict[str, JSON]) -> list[Failure]:
    """Every failure of one case (empty: the case passed)."""
    failures: list[Failure] = []
    for problem in result.get("problems", []):
        failures.append(Failure(problem.get("line") or case.line, str(problem.get("message"))))
    outcome = result.get("outcome")
    if outcome in ("timeout", "crash", "syntax"):
        return failures
    lines = case.expect_lines
    expect = case.expect
    error = result.get("error")
    error_line = (error or {}).get("line") or case.line
    verb = "called back with" if outcome == "callback" else "threw"
    wanted = expect.get("error")
    if wanted is None:
        if error is not None:
            failures.append(Failure(error_line, f"{verb} {_error_text(error)}"))
    elif error is None:
        failures.append(
            Failure(
                lines.get("error", case.line), "expected an error, but there was none", True, wanted, None
            )
        )
    else:
        actual_error = {k: v for k, v in error.items() if k not in ("line", "not_an_error")}
        problem = mismatch(
            wanted, actual_error.get("message", _MISSING) if isinstance(wanted, str) else actual_error
        )
        if problem:
            failures.append(
                Failure(lines.get("error", case.line), f"error: {problem}", True, wanted, actual_error)
            )
    for key, calls in case.calls.items():
        actual_calls = result.get("module_calls" if key.startswith("module") else "calls", [])
        failure = check_calls(key, calls, actual_calls, lines.get(key, case.line))
        if failure:
            failures.append(failure)
    if "logs_include" in expect:
        logs: list[str] = result.get("logs", [])
        pos = 0
        for text in expect["logs_include"]:
            while pos < len(logs) and text not in logs[pos]:
                pos += 1
            if pos == len(logs):
                failures.append(
                    Failure(
                        lines.get("logs_include", case.line),
                        f"logs_include: no log line containing {show(text)} (in this order)",
                        True,
                        expect["logs_include"],
                        logs,
                    )
                )
                break
            pos += 1
    if "requests" in expect:
        failure = check_requests(expect["requests"], result.get("requests") or [], lines.get("requests", case.line))
        if failure:
            failures.append(failure)
    for key in ("user", "context"):
        if key in expect and case.kind == "rule":
            actual = result.get(key)
            problem = mismatch(expect[key], actual if actual is not None else _MISSING)
            if problem:
                failures.append(
                    Failure(
                        lines.get(key, case.line),
                        f"{key}: {problem}",
                        True,
                        expect[key],
                        project(expect[key], actual),
                    )
                )
    return failures
