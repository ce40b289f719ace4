"""One markdown file → a Template and its problems: decode, split the front matter, read the markdown, check.

A file that is not published (no `gallery`, or `gallery: false`, while setup.cfg says `publish = gallery`)
is a draft: it is checked all the same, but its problems are warnings (errors under --strict), as the
original catalogue's unpublished files were never read at all.
"""

from __future__ import annotations

from typing import NamedTuple

from rulepress.catalogue import frontmatter, markdown, schema
from rulepress.catalogue.checks import check_code_usage
from rulepress.catalogue.model import Block, Template
from rulepress.catalogue.source import decode
from rulepress.errors import Problem


class Parsed(NamedTuple):
    template: Template | None  # None when the file cannot make one (its problems say why)
    problems: list[Problem]  # as found: a draft's are made warnings by the build, not here
    draft: bool  # known not to be published


def read_template(path: str, data: bytes, *, publish_all: bool = False) -> Parsed:
    """Parse and check one rule file. `path` is how messages name it ("rules/foo.md")."""
    text, problems = decode(path, data)
    if text is None:
        return Parsed(None, problems, False)
    split, problems = frontmatter.split(path, text)
    if split is None:
        return Parsed(None, problems, False)
    draft = not publish_all and split.meta.get("gallery", False) is False  # a wrong value is not "no"
    body = markdown.parse_body(split.body, split.body_offset)
    template_id = path.rsplit("/", 1)[-1].removesuffix(".md")
    template, found = schema.make_template(template_id, path, split.meta, split.meta_lines, body,
                                           publish_all=publish_all)
    problems += found
    if template is not None and schema.checkable(template.code):
        code = Block(template.code, template.code_line)
        problems.extend(check_code_usage(path, code, template.rule, template.action, template.meta_lines))
    return Parsed(template, problems, draft)


def parse_template(path: str, data: bytes, *, publish_all: bool = False) -> tuple[Template | None,
                                                                                list[Problem]]:
    """read_template as a pair, for callers that treat every file as published (migrate)."""
    parsed = read_template(path, data, publish_all=publish_all)
    return parsed.template, parsed.problems


def as_draft(problems: list[Problem]) -> list[Problem]:
    """A draft's problems: errors become warnings that say why."""
    return [p if p.severity == "warning" else Problem(p.path, p.line, f"{p.message} (a draft: not published)",
                                                       "warning") for p in problems]
