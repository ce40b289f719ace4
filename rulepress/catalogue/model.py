"""The values that flow through the pipeline: Template (one markdown file) and its deploy settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["rule", "action"]


@dataclass(frozen=True)
class Block:
    """A fenced or indented block from the markdown body, with the file line of its first content line."""

    text: str
    line: int
    info: str = ""


@dataclass(frozen=True)
class RuleSettings:
    enabled: bool = True
    order: int | None = None
    stage: str = "login_success"
    configuration: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionSettings:
    trigger: str = "post-login"
    trigger_version: str = "v3"
    runtime: str = "node22"
    dependencies: tuple[tuple[str, str], ...] = ()  # (npm name, exact version), sorted by name
    secrets: tuple[str, ...] = ()
    deploy: bool = True
    migrated_from: str | None = None  # the id of the legacy rule this action replaces


@dataclass(frozen=True)
class Template:
    """One rules/<id>.md file, parsed. Lines are 1-based lines of the markdown file."""

    id: str
    path: str  # as reported in messages, e.g. "rules/foo.md"
    title: str
    title_line: int
    overview: str
    categories: tuple[str, ...]
    description: str  # HTML, ends with a newline
    code: str  # the first code block, without fences and trailing newline
    code_line: int  # file line of the first line of `code`
    kind: Kind
    name: str  # deploy name
    gallery: bool
    icon: str | None = None
    rule: RuleSettings | None = None
    action: ActionSettings | None = None
    tests: tuple[Block, ...] = ()  # blocks whose info string starts with "test"
    meta: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    meta_lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    def entry(self) -> Entry:
        """What rules.json publishes of this template."""
        return Entry(self.id, self.title, self.overview, self.categories, self.description, self.code,
                     self.kind, self.name, self.icon, self.rule, self.action)

    def to_json(self) -> dict[str, Any]:
        return self.entry().to_json()


@dataclass(frozen=True)
class Entry:
    """A published template as rules.json holds it: what the build writes and the deploy reads back."""

    id: str
    title: str
    overview: str
    categories: tuple[str, ...]
    description: str
    code: str
    kind: Kind
    name: str
    icon: str | None = None
    rule: RuleSettings | None = None
    action: ActionSettings | None = None

    def to_json(self) -> dict[str, Any]:
        """The rules.json object, keys in the published order."""
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "overview": self.overview,
            "categories": list(self.categories),
            "description": self.description,
            "code": self.code,
        }
        if self.icon is not None:
            out["icon"] = self.icon
        out["kind"] = self.kind
        out["name"] = self.name
        if self.rule is not None:
            out["rule"] = {
                "enabled": self.rule.enabled,
                "order": self.rule.order,
                "stage": self.rule.stage,
                "configuration": list(self.rule.configuration),
            }
        if self.action is not None:
            out["action"] = {
                "trigger": self.action.trigger,
                "trigger_version": self.action.trigger_version,
                "runtime": self.action.runtime,
                "dependencies": dict(self.action.dependencies),
                "secrets": list(self.action.secrets),
                "deploy": self.action.deploy,
            }
            if self.action.migrated_from is not None:
                out["action"]["migrated_from"] = self.action.migrated_from
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Entry:
        """The inverse of to_json; raises KeyError, TypeError or ValueError for an object of another shape."""
        kind = obj["kind"]
        if kind not in ("rule", "action"):
            raise ValueError(f"kind {str(kind)[:20]!r}")
        rule = action = None
        if kind == "rule":
            r = obj["rule"]
            order = r["order"]
            if order is not None and (not isinstance(order, int) or isinstance(order, bool)):
                raise TypeError("rule.order is not a whole number")
            rule = RuleSettings(_bool(r["enabled"]), order, _str(r["stage"]),
                                tuple(_str(c) for c in r["configuration"]))
        else:
            a = obj["action"]
            deps = a["dependencies"]
            if not isinstance(deps, dict):
                raise TypeError("action.dependencies is not a mapping")
            action = ActionSettings(_str(a["trigger"]), _str(a["trigger_version"]), _str(a["runtime"]),
                                    tuple(sorted((_str(k), _str(v)) for k, v in deps.items())),
                                    tuple(_str(s) for s in a["secrets"]), _bool(a["deploy"]),
                                    None if a.get("migrated_from") is None else _str(a["migrated_from"]))
        icon = obj.get("icon")
        return cls(_str(obj["id"]), _str(obj["title"]), _str(obj["overview"]),
                   tuple(_str(c) for c in obj["categories"]), _str(obj["description"]), _str(obj["code"]),
                   kind, _str(obj["name"]), None if icon is None else _str(icon), rule, action)


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, found {type(value).__name__}")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, found {type(value).__name__}")
    return value
