"""A legacy rule's markdown file + its migrated code -> the action's markdown file (pure).

The body is the rule's own markdown, line for line: the title, description, headings and examples stay,
a note after the title says the file was migrated, the first code block holds the action code and the
test blocks hold the converted test cases. The front matter is written anew: the rule-only keys go and
the action keys (kind, trigger, secrets, dependencies) come.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from rulepress.catalogue.model import Block, Template
from rulepress.migrate.node import Converted

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT_RE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
#: front matter keys carried over from the rule, in this order; the action keys follow them
KEPT_KEYS = ("gallery", "categories", "short_description", "icon")


@dataclass(frozen=True)
class BlockSpan:
    """Where a code block sits in the file: 0-based line indexes, end exclusive, fences included."""

    start: int
    end: int


def block_span(lines: Sequence[str], first_line: int, text: str) -> BlockSpan:
    """The lines of the block whose content starts at file line `first_line` (1-based)."""
    first = first_line - 1
    count = len(text.split("\n")) if text else 0
    fence = _FENCE_RE.match(lines[first - 1]) if first >= 1 else None
    if fence is not None:
        mark = fence.group(1)
        end = first + count
        while end < len(lines) and not _closes(lines[end], mark):
            end += 1
        return BlockSpan(first - 1, min(end + 1, len(lines)))
    return BlockSpan(first, first + count)  # an indented block: no fences


def _closes(line: str, mark: str) -> bool:
    stripped = line.strip()
    indent = len(line) - len(line.lstrip(" "))
    return indent <= 3 and len(stripped) >= len(mark) and set(stripped) == {mark[0]}


def action_id(rule_id: str) -> str:
    return f"{rule_id}-action"


def front_matter(template: Template, converted: Converted, draft: bool = False) -> str:
    """The action's front matter. A `draft` (work left for a person) is not published (no `gallery`, so the
    build only warns about it) and not deployed (`deploy: false`)."""
    meta = template.meta
    out: dict[str, object] = {}
    for key in KEPT_KEYS:
        if key in meta and not (draft and key == "gallery"):
            out[key] = meta[key]
    out["kind"] = "action"
    out["name"] = template.name
    out["trigger"] = "post-login"
    declared = template.rule.configuration if template.rule else ()
    secrets = list(declared) + [s for s in converted.secrets if s not in declared]
    if secrets:
        out["secrets"] = secrets
    if converted.dependencies:
        out["dependencies"] = dict(converted.dependencies)
    if draft:
        out["deploy"] = False
    out["migrated_from"] = template.id
    # one key per line (a mapping of scalars alone would come out as one flow line), lists and maps inline
    text = "".join(yaml.safe_dump({key: value}, sort_keys=False, allow_unicode=True, width=110,
                                  default_flow_style=None if isinstance(value, (list, dict)) else False)
                   for key, value in out.items())
    return "---\n" + text + "---\n"


def note(template: Template, converted: Converted, secrets: Sequence[str]) -> list[str]:
    lines = [f"> Migrated from the legacy rule `{template.path}` by `rulepress migrate`."]
    if secrets:
        names = ", ".join(f"`{s}`" for s in secrets)
        lines[0] += f" The rule's configuration keys are this action's secrets: {names}."
    for name, version, source in converted.pinned:
        lines.append(f"> The rule required `{name}` without a version; it is pinned to {version}, {source}.")
    if converted.todos:
        lines.append(f"> {len(converted.todos)} place(s) still need a person: see the `TODO(migrate)` "
                     f"comments in the code.")
    return lines


GENERATED_HEADING = "## Cases checked against the rule"


def compose(template: Template, text: str, converted: Converted, tests: Sequence[str | None], *,
            draft: bool = False, generated: str | None = None) -> str:
    """The action file. `text` is the rule file's text (newlines normalised); `tests` has, for each test
    block of the rule in order, the converted YAML, or None to drop the block; `draft`: see front_matter;
    `generated`: the YAML of the cases on which the rule and this action were run and agreed, added at
    the end under its own heading."""
    lines = text.split("\n")
    body_start = 0
    if lines and lines[0] == "---":
        body_start = lines.index("---", 1) + 1
    replacements: list[tuple[BlockSpan, list[str]]] = []
    code_span = block_span(lines, template.code_line, template.code)
    replacements.append((code_span, ["```js", *converted.code.split("\n"), "```"]))
    for block, new in zip(template.tests, tests, strict=True):
        span = _test_span(lines, block)
        replacements.append((span, [] if new is None else ["```test", *new.rstrip("\n").split("\n"), "```"]))
    title_end = template.title_line  # 1-based line of the title: insert after it (after a setext underline)
    if title_end < len(lines) and _SETEXT_RE.match(lines[title_end]) and lines[title_end - 1].strip():
        title_end += 1
    declared = template.rule.configuration if template.rule else ()
    secrets = list(declared) + [s for s in converted.secrets if s not in declared]
    inserts = {title_end: ["", *note(template, converted, secrets)]}
    out: list[str] = []
    spans = sorted(replacements, key=lambda r: r[0].start)
    i = body_start
    while i < len(lines):
        hit = next((r for r in spans if r[0].start == i), None)
        if hit is not None:
            out.extend(hit[1])
            i = hit[0].end
            continue
        out.append(lines[i])
        i += 1
        if i in inserts:
            out.extend(inserts.pop(i))
    body = "\n".join(out).strip("\n") + "\n"
    if generated:
        body += ("\n" + GENERATED_HEADING + "\n\n`rulepress migrate` ran the rule and this action side by side "
                 "on these cases, made from the rule's conditions, and they did the same (docs/MIGRATE.md); "
                 "`rulepress test` replays them.\n\n```test\n" + generated.rstrip("\n") + "\n```\n")
    return front_matter(template, converted, draft) + body


def _test_span(lines: Sequence[str], block: Block) -> BlockSpan:
    return block_span(lines, block.line, block.text.rstrip("\n"))
