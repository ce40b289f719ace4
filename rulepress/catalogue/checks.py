"""Checks that look at the code and across files: the handler a trigger calls, secrets and configuration
read but not declared (and declared but never read), duplicate names and orders, per-trigger limits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from rulepress.catalogue.model import ActionSettings, Block, RuleSettings, Template
from rulepress.catalogue.schema import MAX_ACTIONS, MAX_ACTIONS_PER_TRIGGER, TRIGGERS
from rulepress.errors import Problem

_USE_PATTERNS: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {}
_IDENTIFIER_RE = re.compile(r"[A-Za-z_$][\w$]*")


def _uses(code: str, obj: str) -> dict[str, int]:
    """Names read as obj.X, obj['X'] or destructured from obj, with the code line of first use."""
    if obj not in _USE_PATTERNS:
        _USE_PATTERNS[obj] = (
            # no leading \b: it makes Python's re try every position (20 times slower); checked below
            re.compile(rf"{obj}(?:\.([A-Za-z_$][\w$]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])"),
            re.compile(rf"=\s*{obj}\b(?!\.)"),
        )
    member, assigned = _USE_PATTERNS[obj]
    found: dict[str, int] = {}

    def line_of(offset: int) -> int:
        return code.count("\n", 0, offset) + 1

    for mm in member.finditer(code):
        before = code[mm.start() - 1] if mm.start() else " "
        if not (before.isalnum() or before in "_$."):
            found.setdefault(mm.group(1) or mm.group(2), line_of(mm.start()))
    # destructuring, { a, b: c } = obj: from each '= obj', back over spaces to a '}', then to its '{' (the
    # braces hold no other brace). The same as finding \{([^{}]*)\}\s*=\s*obj\b(?!\.) (a test holds it to that),
    # without trying that pattern at every '{', which is ten times slower.
    for am in assigned.finditer(code):
        close = am.start() - 1
        while close >= 0 and code[close].isspace():
            close -= 1
        if close < 0 or code[close] != "}":
            continue
        start = max(code.rfind("{", 0, close), code.rfind("}", 0, close))
        if start < 0 or code[start] != "{":
            continue
        for part in code[start + 1:close].split(","):
            key = part.split(":")[0].split("=")[0].strip()
            if _IDENTIFIER_RE.fullmatch(key):
                found.setdefault(key, line_of(start))
    return found


@functools.cache
def _export_patterns(handler: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """How code exports a handler: exports.X = or exports['X'] =, or module.exports = { ... X ... }."""
    # no optional 'module.' in front: the search finds 'exports' either way, and a pattern that starts with
    # a literal is searched for with a fast scan instead of a match at every position
    return (re.compile(rf"exports\s*(?:\.\s*{handler}|\[\s*['\"]{handler}['\"]\s*\])\s*=(?!=)"),
            re.compile(rf"module\.exports\s*=\s*\{{[^}}]*\b{handler}\b", re.DOTALL))


def check_code_usage(path: str, code: Block, rule: RuleSettings | None, action: ActionSettings | None,
                     meta_lines: Mapping[str, int]) -> list[Problem]:
    problems: list[Problem] = []
    if action is not None:
        handler = TRIGGERS[action.trigger][1]
        assigned, listed = _export_patterns(handler)
        exported = assigned.search(code.text) or listed.search(code.text)
        if not exported:
            problems.append(Problem(path, code.line, f"the {action.trigger} trigger calls "
                                                     f"'{handler}', but the code does not export it "
                                                     f"(exports.{handler} = async (event, api) => {{ … }})"))
        used, declared, what, severity = _uses(code.text, r"event\.secrets"), action.secrets, "secrets", "error"
    else:
        assert rule is not None
        used, declared, what, severity = (_uses(code.text, "configuration"), rule.configuration,
                                          "configuration", "warning")
    for name, line in sorted(used.items(), key=lambda kv: kv[1]):
        if name not in declared:
            problems.append(Problem(path, code.line + line - 1,
                                    f"the code reads {what} '{name}', which is not declared in "
                                    f"'{what}'", "warning" if severity == "warning" else "error"))
    for name in declared:
        if name not in used:
            problems.append(Problem(path, meta_lines.get(what, 1),
                                    f"'{what}' declares '{name}', which the code never reads", "warning"))
    return problems


class Summary(NamedTuple):
    """What the checks across files need to know of one template (small, so it can be cached)."""

    path: str
    kind: str
    name: str
    gallery: bool
    stage: str | None
    order: int | None
    trigger: str | None
    name_line: int
    order_line: int
    trigger_line: int


def summarize(t: Template) -> Summary:
    return Summary(t.path, t.kind, t.name, t.gallery, t.rule.stage if t.rule else None,
                   t.rule.order if t.rule else None, t.action.trigger if t.action else None,
                   t.meta_lines.get("name", t.title_line), t.meta_lines.get("order", 1),
                   t.meta_lines.get("trigger", 1))


def _duplicates(items: Iterable[tuple[Any, Summary]]) -> Iterator[tuple[Summary, Summary]]:
    """(first, later) for every item whose key an earlier one had, grouped by key in order of first use."""
    first: dict[Any, Summary] = {}
    later: dict[Any, list[Summary]] = {}
    for key, s in items:
        seen = first.setdefault(key, s)
        if seen is not s:
            later.setdefault(key, []).append(s)
    if later:
        for key, s in first.items():
            for dup in later.get(key, ()):
                yield s, dup


def check_catalogue(summaries: Sequence[Summary]) -> list[Problem]:
    """Checks across files: duplicate names and orders, per-tenant and per-trigger limits."""
    problems: list[Problem] = []
    by_id: dict[str, Summary] = {}
    for s in summaries:
        first = by_id.setdefault(s.path.lower(), s)
        if first is not s:
            problems.append(Problem(s.path, 1, f"id clashes with {first.path}: ids must differ in more "
                                               f"than letter case (they are file names)"))
    published = [s for s in summaries if s.gallery]
    for first, s in _duplicates(((s.kind, s.name.lower()), s) for s in published):
        problems.append(Problem(s.path, s.name_line, f"{s.kind} name '{s.name}' is already used by {first.path}"))
    for first, s in _duplicates(((s.stage, s.order), s) for s in published
                                if s.stage is not None and s.order is not None):
        problems.append(Problem(s.path, s.order_line,
                                f"order {s.order} in stage {s.stage} is already used by {first.path}"))
    by_trigger: dict[str, list[Summary]] = {}
    actions = 0
    for s in published:
        if s.trigger is not None:
            actions += 1
            if actions == MAX_ACTIONS + 1:
                over_tenant = s
            by_trigger.setdefault(s.trigger, []).append(s)
    if actions > MAX_ACTIONS:
        problems.append(Problem(over_tenant.path, 1,
                                f"a tenant holds at most {MAX_ACTIONS} actions; the catalogue publishes "
                                f"{actions} (fine for a gallery; an environment must choose fewer)",
                                "warning"))
    for trigger, bound in by_trigger.items():
        if len(bound) > MAX_ACTIONS_PER_TRIGGER:
            over = bound[MAX_ACTIONS_PER_TRIGGER]
            problems.append(Problem(over.path, over.trigger_line,
                                    f"at most {MAX_ACTIONS_PER_TRIGGER} actions can be bound to "
                                    f"{trigger}; the catalogue publishes {len(bound)} (an environment must "
                                    f"choose fewer)", "warning"))
    return problems
