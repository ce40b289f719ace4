"""Every check on one template's metadata and code, and on the whole catalogue. All problems are collected.

The limits come from the Management API (see docs/FORMAT.md): rule names, actions per trigger,
dependencies and secrets per action, sizes.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rulepress.errors import Problem
from rulepress.model import ActionSettings, Block, Kind, RuleSettings, Template

if TYPE_CHECKING:
    from rulepress.template import Body

NAME_RE = re.compile(r"^[a-zA-Z0-9]([ \-a-zA-Z0-9]*[a-zA-Z0-9])?$")
CONFIG_KEY_RE = re.compile(r"^[A-Za-z0-9_\-@*+:]{1,127}$")
SECRET_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
NPM_NAME_RE = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]{0,213}$")
EXACT_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
MAX_NAME_LENGTH = 100
MAX_CODE_BYTES = 100 * 1024
MAX_ACTIONS = 100
MAX_ACTIONS_PER_TRIGGER = 20
MAX_DEPENDENCIES = 10
MAX_SECRETS = 30

# trigger id -> (current version, handler the trigger calls)
TRIGGERS: dict[str, tuple[str, str]] = {
    "post-login": ("v3", "onExecutePostLogin"),
    "credentials-exchange": ("v2", "onExecuteCredentialsExchange"),
    "pre-user-registration": ("v2", "onExecutePreUserRegistration"),
    "post-user-registration": ("v2", "onExecutePostUserRegistration"),
    "post-change-password": ("v2", "onExecutePostChangePassword"),
    "send-phone-message": ("v2", "onExecuteSendPhoneMessage"),
    "password-reset-post-challenge": ("v1", "onExecutePostChallenge"),
    "custom-email-provider": ("v1", "onExecuteCustomEmailProvider"),
    "custom-phone-provider": ("v1", "onExecuteCustomPhoneProvider"),
    "custom-token-exchange": ("v1", "onExecuteCustomTokenExchange"),
}
RUNTIMES = ("node22", "node18")
STAGES = ("login_success", "login_failure", "pre_authorize")

COMMON_KEYS = ("gallery", "categories", "short_description", "icon", "kind", "name")
RULE_KEYS = ("enabled", "order", "stage", "configuration")
ACTION_KEYS = ("trigger", "trigger_version", "runtime", "dependencies", "secrets", "deploy")
ALL_KEYS = COMMON_KEYS + RULE_KEYS + ACTION_KEYS

_ACTION_CODE_RE = re.compile(r"exports(?:\.[A-Za-z_$][\w$]*|\[[^\]]+\])?\s*=(?!=)")
_RULE_CODE_RE = re.compile(r"^(?:\s|//[^\n]*\n|/\*.*?\*/)*(?:async\s+)?function\b", re.DOTALL)


def type_name(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "empty value"}.get(type(value), type(value).__name__)


def derive_name(title: str) -> str:
    """A deploy name Auth0 accepts, from a title: other characters become spaces, then trimmed."""
    name = re.sub(r"[^A-Za-z0-9 \-]+", " ", title)
    name = re.sub(r" {2,}", " ", name).strip(" -")
    return name[:MAX_NAME_LENGTH].rstrip(" -")


def infer_kind(code: str) -> Kind | None:
    if _ACTION_CODE_RE.search(code):
        return "action"
    if _RULE_CODE_RE.match(code):
        return "rule"
    return None


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


class _Meta:
    """Typed access to front matter values, recording a problem for each wrong one."""

    def __init__(self, path: str, meta: Mapping[str, Any], lines: Mapping[str, int]) -> None:
        self.path, self.meta, self.lines = path, meta, lines
        self.problems: list[Problem] = []

    def line(self, key: str) -> int:
        return self.lines.get(key, 1)

    def error(self, key: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(self.path, self.line(key), message,
                                     "warning" if severity == "warning" else "error"))

    def get(self, key: str, default: Any, check: Callable[[Any], bool], expected: str | Callable[[], str]) -> Any:
        """The value of `key` (default when absent or wrong); `expected` words what it should be (a callable
        to put the words together only when they are needed)."""
        if key not in self.meta:
            return default
        value = self.meta[key]
        if not check(value):
            words = expected() if callable(expected) else expected
            self.error(key, f"'{key}' must be {words}, not {_show(value)}")
            return default
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.meta.get(key, default)
        if value is True or value is False:  # the common case, without a call
            return value
        return bool(self.get(key, default, _is_bool, "true or false"))

    def string(self, key: str, default: str | None) -> str | None:
        value = self.get(key, default, _is_text, "a non-empty string")
        return None if value is None else str(value)

    def choice(self, key: str, default: str, choices: Sequence[str]) -> str:
        if key not in self.meta:
            return default
        return str(self.get(key, default, choices.__contains__, lambda: "one of " + ", ".join(choices)))

    def names(self, key: str, pattern: re.Pattern[str], what: str) -> tuple[str, ...]:
        if key not in self.meta:
            return ()
        value = self.get(key, [], _is_list, lambda: f"a list of {what}")
        out: list[str] = []
        for item in value:
            if not isinstance(item, str) or not pattern.match(item):
                self.error(key, f"'{key}' has an invalid {what[:-1]} {_show(item)}")
            elif item in out:
                self.error(key, f"'{key}' lists {item!r} twice")
            else:
                out.append(item)
        return tuple(out)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{type_name(value)} {value!r}" if value is not None else "an empty value"


def check_keys(m: _Meta, kind: Kind) -> None:
    own = RULE_KEYS if kind == "rule" else ACTION_KEYS
    other = ACTION_KEYS if kind == "rule" else RULE_KEYS
    for key in m.meta:
        if key in COMMON_KEYS or key in own:
            continue
        if key in other:
            m.error(key, f"'{key}' applies to {'actions' if kind == 'rule' else 'rules'}, "
                         f"and this is {'a rule' if kind == 'rule' else 'an action'}")
            continue
        close = difflib.get_close_matches(key, ALL_KEYS, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        m.error(key, f"unknown key '{key}'{hint}")


def _rule_settings(m: _Meta) -> RuleSettings:
    order = m.get("order", None, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                  "a whole number of 0 or more")
    return RuleSettings(
        enabled=m.boolean("enabled", True),
        order=order,
        stage=m.choice("stage", "login_success", STAGES),
        configuration=m.names("configuration", CONFIG_KEY_RE, "configuration keys"),
    )


_TRIGGER_NAMES = tuple(TRIGGERS)
_VERSION_RE = re.compile(r"v\d+")


def _is_version(value: Any) -> bool:
    return isinstance(value, str) and _VERSION_RE.fullmatch(value) is not None


def _action_settings(m: _Meta) -> ActionSettings:
    trigger = m.choice("trigger", "post-login", _TRIGGER_NAMES)
    version = m.get("trigger_version", TRIGGERS[trigger][0], _is_version, "a version such as 'v3'")
    deps_raw = m.get("dependencies", {}, lambda v: isinstance(v, dict),
                     "a mapping of npm package names to exact versions")
    deps: list[tuple[str, str]] = []
    for name, ver in deps_raw.items():
        if not isinstance(name, str) or not NPM_NAME_RE.match(name):
            m.error("dependencies", f"'dependencies' has an invalid npm package name {_show(name)}")
        elif not isinstance(ver, str) or not EXACT_VERSION_RE.match(ver):
            m.error("dependencies", f"dependency '{name}' needs an exact version such as '1.2.3', "
                                    f"not {_show(ver)}")
        else:
            deps.append((name, ver))
    if len(deps) > MAX_DEPENDENCIES:
        m.error("dependencies", f"an action may have at most {MAX_DEPENDENCIES} dependencies, "
                                f"this one has {len(deps)}")
    secrets = m.names("secrets", SECRET_NAME_RE, "secret names")
    if len(secrets) > MAX_SECRETS:
        m.error("secrets", f"an action may have at most {MAX_SECRETS} secrets, this one has {len(secrets)}")
    return ActionSettings(
        trigger=trigger,
        trigger_version=str(version),
        runtime=m.choice("runtime", "node22", RUNTIMES),
        dependencies=tuple(sorted(deps)),
        secrets=secrets,
        deploy=m.boolean("deploy", True),
    )


def make_template(template_id: str, path: str, meta: Mapping[str, Any], meta_lines: Mapping[str, int],
                  body: Body, *, publish_all: bool = False) -> tuple[Template | None, list[Problem]]:
    """Check one file's metadata and structure, and build its Template."""
    m = _Meta(path, meta, meta_lines)
    gallery = m.boolean("gallery", False)
    categories_raw = m.get("categories", ["default"],
                           lambda v: isinstance(v, list) and len(v) > 0
                           and all(isinstance(c, str) and c.strip() for c in v),
                           "a non-empty list of category names")
    categories = tuple(dict.fromkeys(str(c) for c in categories_raw))
    short = m.string("short_description", None)
    icon = m.string("icon", None)
    declared_kind = m.get("kind", None, lambda v: v in ("rule", "action"), "'rule' or 'action'")
    last_line = body.first_line
    if body.title is None:
        m.problems.append(Problem(path, last_line, "no heading: the first heading (such as '# Title') "
                                                   "is the template's title"))
    if body.code is None:
        m.problems.append(Problem(path, last_line, "no code block: the first fenced or indented code "
                                                   "block is the template's code"))
    code = body.code or Block("", 1)
    kind: Kind | None = declared_kind or (infer_kind(code.text) if body.code else None)
    if kind is None and body.code is not None:
        m.problems.append(Problem(path, code.line, "cannot tell whether this is a rule or an action: "
                                                   "the code is neither a function expression nor a "
                                                   "module that assigns exports; add 'kind: rule' or "
                                                   "'kind: action'"))
    if kind is not None:
        check_keys(m, kind)
    title = body.title or ""
    name = m.string("name", None)
    if name is None:
        name = derive_name(title)
        if title and not name:
            m.problems.append(Problem(path, body.title_line, f"cannot derive a deploy name from the "
                                                             f"title {title!r}; add 'name'"))
    elif not NAME_RE.match(name) or len(name) > MAX_NAME_LENGTH:
        m.error("name", f"name {name!r} is not one Auth0 accepts: letters, digits, spaces and hyphens, "
                        f"not starting or ending with a space or hyphen, at most {MAX_NAME_LENGTH} "
                        f"characters")
    if len(code.text.encode("utf-8")) > MAX_CODE_BYTES:
        m.problems.append(Problem(path, code.line, f"code is {len(code.text.encode()):,} bytes; keep it "
                                                   f"under {MAX_CODE_BYTES:,}"))
    rule = _rule_settings(m) if kind == "rule" else None
    action = _action_settings(m) if kind == "action" else None
    if kind is not None and body.code is not None:
        m.problems.extend(check_code_usage(path, code, rule, action, meta_lines))
    if kind is None or body.code is None:
        return None, m.problems
    template = Template(
        id=template_id, path=path, title=title, title_line=body.title_line,
        overview=short if short is not None else body.overview,
        categories=categories, description=body.description, code=code.text, code_line=code.line,
        kind=kind, name=name, gallery=gallery or publish_all, icon=icon, rule=rule, action=action,
        tests=body.tests, meta=dict(meta), meta_lines=dict(meta_lines),
    )
    return template, m.problems


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
