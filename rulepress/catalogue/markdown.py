"""A markdown body → title, code, test blocks and description, with markdown-it-py.

One parse gives a token stream with line maps: the title is the first heading's text (any level, ATX or
setext, anywhere), the code is the first fenced or indented code block, blocks whose info string is
`test` are test cases, and the description is the HTML of every other token, as the original catalogue
build made it (headings and code blocks vanish from it). Raw HTML is kept, as the original renderer kept
it; the gallery sanitizes it when it shows it. GitHub's extensions are rendered: tables, strikethrough,
autolinks (linkify) and task lists.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from linkify_it import LinkifyIt
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.tasklists import tasklists_plugin

from rulepress.catalogue.model import Block


@dataclass(frozen=True)
class Body:
    title: str | None
    title_line: int  # file line of the first heading (0 when there is none)
    code: Block | None
    tests: tuple[Block, ...]
    description: str  # HTML
    first_line: int  # file line where the body starts
    too_deep: int = 0  # file line where nesting passed MAX_NESTING and markdown-it stopped reading (0: never)

    @property
    def overview(self) -> str:
        """The first sentence of the description: the gallery's overview when none is given."""
        return overview_from(self.description)


class _GitHubLinks(LinkifyIt):  # type: ignore[misc]
    """GitHub's autolinks: a URL with a scheme, an email address, or a domain starting with 'www.'; a bare
    domain such as 'Appery.io' stays text (linkify-it's fuzzy links would link it)."""

    def match(self, text: str) -> list[Any] | None:
        found = [m for m in super().match(text) or []
                 if m.schema or m.raw.lower().startswith("www.")]
        return found or None

    def test(self, text: str) -> bool:
        return super().test(text) and self.match(text) is not None


MAX_NESTING = 100  # markdown-it's own guard; past it the rest of a block is dropped, which we report


@cache
def parser() -> MarkdownIt:
    md = MarkdownIt("gfm-like", {"html": True, "maxNesting": MAX_NESTING}).use(tasklists_plugin)
    md.linkify = _GitHubLinks()
    # strikethrough as GitHub writes it (<del>, where markdown-it writes <s>)
    md.add_render_rule("s_open", lambda *_: "<del>")
    md.add_render_rule("s_close", lambda *_: "</del>")
    return md


def parse_body(body: str, body_offset: int) -> Body:
    """`body_offset`: file lines before the body, so that every line reported is a file line."""
    md = parser()
    tokens = md.parse(body)
    too_deep = next((body_offset + t.map[0] + 1 for t in tokens
                     if t.level >= MAX_NESTING - 2 and t.map is not None), 0)
    title: str | None = None
    title_line = 0
    code: Block | None = None
    tests: list[Block] = []
    kept: list[Token] = []
    skip_until = -1
    for i, token in enumerate(tokens):
        if i <= skip_until:
            continue
        if token.type == "heading_open":
            close = _closing(tokens, i)
            if title is None and token.map is not None:
                inline = tokens[i + 1].content if tokens[i + 1].type == "inline" else ""
                title = "\n".join(part.strip() for part in inline.strip().split("\n"))
                title_line = body_offset + token.map[0] + 1
            skip_until = close
            continue
        if token.type in ("fence", "code_block") and token.map is not None:
            fenced = token.type == "fence"
            info = token.info.strip().split(maxsplit=1)[0] if fenced and token.info.strip() else ""
            block = Block(token.content.rstrip("\n"), body_offset + token.map[0] + 1 + fenced, info)
            if info == "test":
                tests.append(block)
            elif code is None:
                code = block
            continue
        kept.append(token)
    description = md.renderer.render(kept, md.options, {})
    return Body(title, title_line, code, tuple(tests), description, body_offset + 1, too_deep)


def _closing(tokens: list[Token], i: int) -> int:
    """Index of the token that closes tokens[i] (same tag, one nesting step back)."""
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


_TAG_RE = re.compile(r"<[^>]+>")
_SENTENCE_END_RE = re.compile(r"[.!?](?:\s|$)")


def overview_from(description: str) -> str:
    """The first sentence of the description's first paragraph, as text."""
    start = description.find("<p>")
    end = description.find("</p>", start + 3) if start >= 0 else -1
    if end < 0:
        return ""
    text = html.unescape(_TAG_RE.sub("", description[start + 3:end]))
    text = " ".join(text.split())
    stop = _SENTENCE_END_RE.search(text)
    return text[: stop.start() + 1] if stop else text
