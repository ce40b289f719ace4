"""Front matter + body → a Template: every key checked for its type and range, every problem collected.

The limits come from the Management API (see docs/FORMAT.md): rule names, orders, trigger versions,
dependencies and secrets per action, sizes.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rulepress.catalogue.frontmatter import clip, show
from rulepress.catalogue.model import ActionSettings, Block, Kind, RuleSettings, Template
from rulepress.catalogue.source import ID_RE
from rulepress.errors import Problem

if TYPE_CHECKING:
    from rulepress.catalogue.markdown import Body

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
MAX_ORDER = 2**53 - 1  # the largest whole number a JSON number holds exactly (the API is JavaScript)

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
ACTION_KEYS = ("trigger", "trigger_version", "runtime", "dependencies", "secrets", "deploy", "migrated_from")
ALL_KEYS = COMMON_KEYS + RULE_KEYS + ACTION_KEYS

_ACTION_CODE_RE = re.compile(r"exports(?:\.[A-Za-z_$][\w$]*|\[[^\]]+\])?\s*=(?!=)")
_FUNCTION_RE = re.compile(r"(?:async\s+)?function\b")


def _after_comments(code: str) -> str:
    """The code after its leading white space and comments (a scan: a pattern for this backtracks badly)."""
    at = 0
    while True:
        while at < len(code) and code[at].isspace():
            at += 1
        if code.startswith("//", at):
            end = code.find("\n", at)
            at = len(code) if end < 0 else end + 1
        elif code.startswith("/*", at):
            end = code.find("*/", at + 2)
            if end < 0:
                return ""
            at = end + 2
        else:
            return code[at:]


def derive_name(title: str) -> str:
    """A deploy name Auth0 accepts, from a title: other characters become spaces, then trimmed."""
    name = re.sub(r"[^A-Za-z0-9 \-]+", " ", title)
    name = re.sub(r" {2,}", " ", name).strip(" -")
    return name[:MAX_NAME_LENGTH].rstrip(" -")


def checkable(code: str) -> bool:
    """Code small enough to check (a larger one is an error already; its checks would only cost time)."""
    return len(code) <= MAX_CODE_BYTES and len(code.encode("utf-8")) <= MAX_CODE_BYTES


def infer_kind(code: str) -> Kind | None:
    if _ACTION_CODE_RE.search(code):
        return "action"
    if _FUNCTION_RE.match(_after_comments(code)):
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
            self.error(key, f"'{key}' must be {words}, not {show(value)}")
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
        out: dict[str, None] = {}
        for item in value:
            if not isinstance(item, str) or not pattern.match(item):
                self.error(key, f"'{key}' has an invalid {what[:-1]} {show(item)}")
            elif item in out:
                self.error(key, f"'{key}' lists {clip(repr(item))} twice")
            else:
                out[item] = None
        return tuple(out)


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
        m.error(key, f"unknown key '{clip(key, 60)}'{hint}")


def _rule_settings(m: _Meta) -> RuleSettings:
    order = m.get("order", None,
                  lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_ORDER,
                  lambda: "a whole number of 0 or more" if not isinstance(m.meta["order"], int)
                  or m.meta["order"] < 0 else f"a whole number from 0 to {MAX_ORDER}")
    return RuleSettings(
        enabled=m.boolean("enabled", True),
        order=order,
        stage=m.choice("stage", "login_success", STAGES),
        configuration=m.names("configuration", CONFIG_KEY_RE, "configuration keys"),
    )


_TRIGGER_NAMES = tuple(TRIGGERS)


def trigger_versions(trigger: str) -> tuple[str, ...]:
    """The versions a trigger has had, v1 up to its current one (older ones are deprecated)."""
    current = int(TRIGGERS[trigger][0][1:])
    return tuple(f"v{n}" for n in range(1, current + 1))


def _action_settings(m: _Meta) -> ActionSettings:
    trigger = m.choice("trigger", "post-login", _TRIGGER_NAMES)
    known = trigger_versions(trigger)
    version = m.get("trigger_version", known[-1], known.__contains__,
                    lambda: f"a version of the {trigger} trigger: {', '.join(known)}")
    if version != known[-1]:
        m.error("trigger_version", f"{trigger} {version} is deprecated; the current version is {known[-1]}",
                "warning")
    deps_raw = m.get("dependencies", {}, lambda v: isinstance(v, dict),
                     "a mapping of npm package names to exact versions")
    deps: list[tuple[str, str]] = []
    for name, ver in deps_raw.items():
        if not isinstance(name, str) or not NPM_NAME_RE.match(name):
            m.error("dependencies", f"'dependencies' has an invalid npm package name {show(name)}")
        elif not isinstance(ver, str) or not EXACT_VERSION_RE.match(ver):
            m.error("dependencies", f"dependency '{name}' needs an exact version such as '1.2.3', "
                                    f"not {show(ver)}")
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
        migrated_from=m.get("migrated_from", None, lambda v: isinstance(v, str) and ID_RE.match(v) is not None,
                            "the id of the legacy rule this action was migrated from"),
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
    if body.too_deep:
        m.problems.append(Problem(path, body.too_deep, "markdown nested deeper than markdown-it reads "
                                                       "(lists or quotes about 50 levels deep): the rest of "
                                                       "that block is lost; flatten it"))
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
                                                             f"title {clip(repr(title))}; add 'name'"))
    elif not NAME_RE.match(name) or len(name) > MAX_NAME_LENGTH:
        m.error("name", f"name {clip(repr(name))} is not one Auth0 accepts: letters, digits, spaces and hyphens, "
                        f"not starting or ending with a space or hyphen, at most {MAX_NAME_LENGTH} "
                        f"characters")
    if len(code.text.encode("utf-8")) > MAX_CODE_BYTES:
        m.problems.append(Problem(path, code.line, f"code is {len(code.text.encode()):,} bytes; keep it "
                                                   f"under {MAX_CODE_BYTES:,}"))
    rule = _rule_settings(m) if kind == "rule" else None
    action = _action_settings(m) if kind == "action" else None
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


