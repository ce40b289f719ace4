"""One markdown file -> a Template value (front matter, title, description, code, test blocks).

Markdown is parsed once by cmark-gfm (GitHub's own renderer, in C) with source positions on: the first
heading and the first code block are found from the positions, and the description is the same HTML with
every heading and code block taken out, as the original catalogue build did.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import cmarkgfm
import yaml
from cmarkgfm.cmark import Options

from rulepress import validate
from rulepress.errors import Problem
from rulepress.model import Block, Template

MAX_FILE_BYTES = 512 * 1024
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_SOURCEPOS
_CMARK_EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]

_BLOCK_RE = re.compile(
    r'<(h[1-6]|pre) data-sourcepos="(\d+):\d+-(\d+):\d+">(.*?)</\1>\n?', re.DOTALL
)
_SOURCEPOS_RE = re.compile(r' data-sourcepos="\d+:\d+-\d+:\d+"')
_CODE_RE = re.compile(r'<code(?: class="language-([^"]*)")?>(.*)</code>\Z', re.DOTALL)
_ATX_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_ATX_CLOSE_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})")
_TAG_RE = re.compile(r"<[^>]+>")
_KEY_LINE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:")


@dataclass(frozen=True)
class Source:
    """A file's text split into front matter and body, with line bookkeeping."""

    lines: list[str]  # every line of the file, newline removed
    meta: dict[str, Any]
    meta_lines: dict[str, int]
    body: str
    body_offset: int  # number of file lines before the body


def decode(path: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """Bytes -> text, refusing what is not a readable markdown file."""
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(path, 1, f"file is too large ({len(data):,} bytes; the limit is "
                                       f"{MAX_FILE_BYTES:,})")]
    if not data.strip():
        return None, [Problem(path, 1, "file is empty")]
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        return None, [Problem(path, line, "file is binary (it contains a NUL byte), not markdown")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(path, line, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} "
                                          f"at offset {exc.start})")]
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n"), []


def split_front_matter(path: str, text: str) -> tuple[Source | None, list[Problem]]:
    lines = text.split("\n")
    if lines[0] != "---":
        return Source(lines, {}, {}, text, 0), []
    try:
        end = lines.index("---", 1)
    except ValueError:
        return None, [Problem(path, 1, "front matter opens with '---' but no closing '---' line follows")]
    yaml_text = "\n".join(lines[1:end])
    try:
        meta = yaml.load(yaml_text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = 2 + (mark.line if mark is not None else 0)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and start is not None and start.line + 2 != line:  # say where the open construct began
            problem += f" ({context.removeprefix('while ')} at line {start.line + 2})"
        return None, [Problem(path, line, f"front matter is not valid YAML: {problem}")]
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        return None, [Problem(path, 2, f"front matter must be a mapping of keys to values, not a "
                                       f"{validate.type_name(meta)}")]
    meta_lines: dict[str, int] = {}
    for i in range(1, end):
        m = _KEY_LINE_RE.match(lines[i])
        if m and m.group(1) not in meta_lines:
            meta_lines[m.group(1)] = i + 1
    for key in meta:
        meta_lines.setdefault(str(key), 2)
    body = "\n".join(lines[end + 1:])
    return Source(lines, {str(k): v for k, v in meta.items()}, meta_lines, body, end + 1), []


def _heading_text(lines: list[str], start: int, end: int) -> str:
    """Raw text of the heading whose block starts at file line `start` (1-based)."""
    first = lines[start - 1]
    if _ATX_RE.match(first):
        text = _ATX_RE.sub("", first, count=1)
        return _ATX_CLOSE_RE.sub("", text).strip()
    parts: list[str] = []
    for i in range(start - 1, min(end, len(lines))):
        if i > start - 1 and _SETEXT_RE.match(lines[i]):
            break
        parts.append(lines[i].strip())
    return "\n".join(parts)


def _unescape_code(text: str) -> str:
    """The inverse of cmark's escaping of code text, which writes only these four entities (faster than
    html.unescape, and exact: a literal '&lt;' in code arrives as '&amp;lt;' and is restored last)."""
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def overview_from(description: str) -> str:
    m = re.search(r"<p>(.*?)</p>", description, re.DOTALL)
    if not m:
        return ""
    text = " ".join(html.unescape(_TAG_RE.sub("", m.group(1))).split())
    end = re.search(r"[.!?](\s|$)", text)
    return text[: end.start() + 1] if end else text


@dataclass(frozen=True)
class Body:
    title: str | None
    title_line: int
    code: Block | None
    tests: tuple[Block, ...]
    description: str
    first_line: int  # file line where the body starts

    @property
    def overview(self) -> str:
        """The first sentence of the description: the gallery's overview when none is given."""
        return overview_from(self.description)


def parse_body(source: Source) -> Body:
    rendered = cmarkgfm.markdown_to_html_with_extensions(
        source.body, options=_CMARK_OPTIONS, extensions=_CMARK_EXTENSIONS
    )
    offset = source.body_offset
    title: str | None = None
    title_line = 0
    code: Block | None = None
    tests: list[Block] = []
    kept: list[str] = []  # the description: the HTML between headings and code blocks
    last = 0
    for m in _BLOCK_RE.finditer(rendered):
        kept.append(rendered[last:m.start()])
        last = m.end()
        tag, start, end = m.group(1), int(m.group(2)) + offset, int(m.group(3)) + offset
        if tag != "pre":
            if title is None:
                title, title_line = _heading_text(source.lines, start, end), start
            continue
        cm = _CODE_RE.match(m.group(4))
        if cm is None:  # not cmark's shape; cannot happen for cmark output
            continue
        info, content = cm.group(1) or "", _unescape_code(cm.group(2))
        fenced = bool(_FENCE_RE.match(source.lines[start - 1]))
        block = Block(content.rstrip("\n"), start + 1 if fenced else start, info)
        if info == "test":
            tests.append(block)
        elif code is None:
            code = block
    kept.append(rendered[last:])
    description = _SOURCEPOS_RE.sub("", "".join(kept))
    return Body(title, title_line, code, tuple(tests), description, offset + 1)


def parse_template(path: str, data: bytes, *, publish_all: bool = False) -> tuple[Template | None,
                                                                                  list[Problem]]:
    """Parse one rule file. Returns the Template (None when it cannot be built) and every problem found."""
    text, problems = decode(path, data)
    if text is None:
        return None, problems
    source, problems = split_front_matter(path, text)
    if source is None:
        return None, problems
    body = parse_body(source)
    template_id = path.rsplit("/", 1)[-1].removesuffix(".md")
    return validate.make_template(template_id, path, source.meta, source.meta_lines, body,
                                  publish_all=publish_all)
