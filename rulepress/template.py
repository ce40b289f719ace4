"""One markdown file -> a Template value (front matter, title, description, code, test blocks).

Markdown is parsed once by cmark-gfm (GitHub's own renderer, in C) with source positions on: the first
heading and the first code block are found from the positions, and the description is the same HTML with
every heading and code block taken out, as the original catalogue build did.
"""

from __future__ import annotations

import ctypes
import html
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

from rulepress import validate, yamlsubset
from rulepress.errors import Problem
from rulepress.model import Block, Template

MAX_FILE_BYTES = 512 * 1024
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_SOURCEPOS
_CMARK_EXTENSIONS = ["table", "strikethrough", "autolink", "tasklist"]

# the opening tag of a heading or code block, as cmark writes it with source positions; the block ends at
# the first matching closing tag (code text is escaped, so '</pre>' cannot occur inside it)
_OPEN_RE = re.compile(r'<(h[1-6]|pre) data-sourcepos="(\d+):\d+-(\d+):\d+">')
_SOURCEPOS_RE = re.compile(r' data-sourcepos="\d+:\d+-\d+:\d+"')
_CODE_OPEN_RE = re.compile(r'<code(?: class="language-([^"]*)")?>')
_ATX_RE = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+|$)")
_ATX_CLOSE_RE = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_SETEXT_RE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")
_FENCE_RE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})")
_TAG_RE = re.compile(r"<[^>]+>")
_KEY_LINE_RE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)[ \t]*:")


@dataclass(frozen=True)
class Source:
    """A file's text split into front matter and body, with line bookkeeping."""

    text: str  # the whole file
    meta: dict[str, Any]
    meta_lines: dict[str, int]
    body: str
    body_offset: int  # number of file lines before the body

    def lines(self, first: int, last: int) -> list[str]:
        """File lines first..last (1-based, inclusive; fewer at the end of the file). Only the lines up to
        `last` are split off: the body's later lines are never cut up."""
        if first > self.body_offset:
            skip, text = self.body_offset, self.body
        else:
            skip, text = 0, self.text
        return text.split("\n", last - skip)[first - skip - 1:last - skip]


def decode(path: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """Bytes -> text, refusing what is not a readable markdown file."""
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(path, 1, f"file is too large ({len(data):,} bytes; the limit is "
                                       f"{MAX_FILE_BYTES:,})")]
    if not data or data.isspace():
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
    return (text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text), []


_CLOSE_RE = re.compile(r"\n---(?:\n|\Z)")


def split_front_matter(path: str, text: str) -> tuple[Source | None, list[Problem]]:
    if not (text.startswith("---\n") or text == "---"):
        return Source(text, {}, {}, text, 0), []
    close = _CLOSE_RE.search(text, 3)
    if close is None:
        return None, [Problem(path, 1, "front matter opens with '---' but no closing '---' line follows")]
    yaml_text = text[4:close.start()] if close.start() > 3 else ""
    end = text.count("\n", 0, close.start()) + 1  # index of the closing line
    fast = yamlsubset.load_with_lines(yaml_text)
    if fast is not None:  # the plain front matter nearly every file has: its key lines come with it
        meta, key_lines = fast
        meta_lines = {key: line + 2 for key, line in key_lines.items()}
        if len(meta_lines) != len(meta):
            for key in meta:
                meta_lines.setdefault(key, 2)
    else:
        meta_lines = {}
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
        for number, text_line in enumerate(yaml_text.split("\n"), 2):
            m = _KEY_LINE_RE.match(text_line)
            if m and m.group(1) not in meta_lines:
                meta_lines[m.group(1)] = number
        meta = {str(k): v for k, v in meta.items()}
        for key in meta:
            meta_lines.setdefault(key, 2)
    body = text[close.end():]
    return Source(text, meta, meta_lines, body, end + 1), []


def _heading_text(source: Source, start: int, end: int) -> str:
    """Raw text of the heading whose block spans file lines `start`..`end` (1-based)."""
    if start == end and start > source.body_offset:  # one line in the body: found without splitting it
        body = source.body
        at = 0
        for _ in range(start - source.body_offset - 1):
            at = body.find("\n", at) + 1
        stop = body.find("\n", at)
        lines = [body[at:] if stop < 0 else body[at:stop]]
    else:
        lines = source.lines(start, end)
    first = lines[0]
    atx = _ATX_RE.match(first)
    if atx:
        text = first[atx.end():]
        return (_ATX_CLOSE_RE.sub("", text) if "#" in text else text).strip()
    parts: list[str] = []
    for i, line in enumerate(lines):
        if i and _SETEXT_RE.match(line):
            break
        parts.append(line.strip())
    return "\n".join(parts)


def _unescape_code(text: str) -> str:
    """The inverse of cmark's escaping of code text, which writes only these four entities (faster than
    html.unescape, and exact: a literal '&lt;' in code arrives as '&amp;lt;' and is restored last)."""
    if "&" not in text:
        return text
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


_SENTENCE_END_RE = re.compile(r"[.!?](?:\s|$)")


def overview_from(description: str) -> str:
    """The first sentence of the description's first paragraph, as text."""
    start = description.find("<p>")
    end = description.find("</p>", start + 3) if start >= 0 else -1
    if end < 0:
        return ""
    text = description[start + 3:end]
    if "<" in text:
        text = _TAG_RE.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    text = " ".join(text.split())
    stop = _SENTENCE_END_RE.search(text)
    return text[: stop.start() + 1] if stop else text


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


_lib, _ffi = _cmark.lib, _cmark.ffi
_lib.cmark_gfm_core_extensions_ensure_registered()
_EXTENSIONS = [_lib.cmark_find_syntax_extension(name.encode()) for name in _CMARK_EXTENSIONS]


def _freeing_functions() -> tuple[Callable[[int], None], Callable[[int], None]] | None:
    """cmark's cmark_node_free and the C library's free. cmarkgfm's bindings expose neither, so a tree and
    its HTML would stay allocated for the life of the process (about 30 KB per template: 300 MB for 10,000);
    both are public symbols of the same shared library. None (keep the memory) if they cannot be found."""
    if os.name != "posix":  # elsewhere the library's C runtime may not be the process's
        return None
    try:
        node_free = ctypes.CDLL(_cmark.__file__).cmark_node_free
        free = ctypes.CDLL(None).free
    except (OSError, AttributeError, TypeError):
        return None
    node_free.argtypes = free.argtypes = [ctypes.c_void_p]
    node_free.restype = free.restype = None
    return node_free, free


_FREE = _freeing_functions()


def render_html(markdown: str) -> str:
    """cmark-gfm's HTML for `markdown`, with our options and extensions (what cmarkgfm's
    markdown_to_html_with_extensions does, without looking the extensions up on every call)."""
    data = markdown.encode("utf-8")
    parser = _lib.cmark_parser_new(_CMARK_OPTIONS)
    try:
        for extension in _EXTENSIONS:
            _lib.cmark_parser_attach_syntax_extension(parser, extension)
        _lib.cmark_parser_feed(parser, data, len(data))
        root = _lib.cmark_parser_finish(parser)
        html_out = _lib.cmark_render_html(root, _CMARK_OPTIONS, _lib.cmark_parser_get_syntax_extensions(parser))
        rendered = str(_ffi.string(html_out).decode("utf-8"))
        if _FREE is not None:
            _FREE[1](int(_ffi.cast("uintptr_t", html_out)))
            _FREE[0](int(_ffi.cast("uintptr_t", root)))
        return rendered
    finally:
        _lib.cmark_parser_free(parser)


def _load_fastbody() -> Any:
    """The C path (rulepress/_fastbody.c), set up; None where it was not built, cannot find cmark-gfm's
    functions, or RULEPRESS_PURE_PYTHON is set."""
    if os.environ.get("RULEPRESS_PURE_PYTHON"):
        return None
    try:
        from rulepress import _fastbody  # type: ignore[attr-defined]

        _fastbody.setup(_cmark.__file__, _CMARK_EXTENSIONS, int(Options.CMARK_OPT_UNSAFE))
    except (ImportError, OSError, RuntimeError, ValueError, AttributeError):
        return None
    return _fastbody


_FASTBODY = _load_fastbody()


def parse_body(source: Source, *, with_tests: bool = True) -> Body:
    """Title, code, description and (unless with_tests is false, as in the build) the test blocks."""
    body = _parse_body_tree(source, with_tests=with_tests)
    return body if body is not None else _parse_body_html(source, with_tests=with_tests)


def _parse_body_tree(source: Source, *, with_tests: bool = True, hollow: bool = True) -> Body | None:
    """parse_body from cmark's tree, in C: None where the HTML path must decide (a heading or code block
    inside a list or block quote; raw HTML carrying the attribute the HTML path strips and keys on; or no C
    path). With hollow, cmark reads the body with the lines inside its top-level fenced blocks taken out
    (most of a template's lines are its code, which cmark would only hand back), and the whole body again
    if one of them does not come back as a block (see _fastbody.c)."""
    if _FASTBODY is None or "data-sourcepos" in source.body:
        return None
    parsed = _FASTBODY.parse(source.body.encode("utf-8"), hollow)
    if parsed is None:
        return None
    description, heading, blocks = parsed
    offset = source.body_offset
    title, title_line = None, 0
    if heading is not None:
        title, title_line = _heading_text(source, heading[0] + offset, heading[1] + offset), heading[0] + offset
    code: Block | None = None
    tests: list[Block] = []
    for text, start, info, fenced in blocks:
        if info == "test":
            if with_tests:
                tests.append(Block(text.rstrip("\n"), start + offset + fenced, info))
        elif code is None:
            code = Block(text.rstrip("\n"), start + offset + fenced, info)
            if not with_tests:
                break
    return Body(title, title_line, code, tuple(tests), description, offset + 1)


def _parse_body_html(source: Source, *, with_tests: bool = True) -> Body:
    """parse_body from cmark's HTML with source positions: every heading and code block is cut out of it."""
    rendered = render_html(source.body)
    offset = source.body_offset
    title: str | None = None
    title_line = 0
    code: Block | None = None
    tests: list[Block] = []
    kept: list[str] = []  # the description: the HTML between headings and code blocks
    last = 0
    for m in _OPEN_RE.finditer(rendered):
        if m.start() < last:
            continue  # inside the block just taken (a tag that only looks like cmark's, in raw HTML)
        tag = m.group(1)
        close = rendered.find("</pre>" if tag == "pre" else f"</{tag}>", m.end())
        if close < 0:  # raw HTML that only looks like cmark's tag: not a block, search on
            continue
        kept.append(rendered[last:m.start()])
        last = close + len(tag) + 3
        if rendered.startswith("\n", last):
            last += 1
        start, end = int(m.group(2)), int(m.group(3))  # body lines
        if tag != "pre":
            if title is None:
                title, title_line = _heading_text(source, start + offset, end + offset), start + offset
            continue
        if code is not None and not with_tests:
            continue
        cm = _CODE_OPEN_RE.match(rendered, m.end())
        if cm is None or not rendered.endswith("</code>", m.end(), close):
            continue  # not cmark's shape; cannot happen for cmark output
        info = cm.group(1) or ""
        if "&" in info:  # the class attribute is escaped; the word itself is what the tree path gives
            info = html.unescape(info)
        if info == "test" and not with_tests:
            continue
        content = _unescape_code(rendered[cm.end():close - 7])
        line = start + offset
        fenced = _FENCE_RE.match(source.lines(line, line)[0]) is not None
        block = Block(content.rstrip("\n"), line + 1 if fenced else line, info)
        if info == "test":
            tests.append(block)
        elif code is None:
            code = block
    kept.append(rendered[last:])
    description = _SOURCEPOS_RE.sub("", "".join(kept))
    return Body(title, title_line, code, tuple(tests), description, offset + 1)


def parse_template(path: str, data: bytes, *, publish_all: bool = False,
                   with_tests: bool = True) -> tuple[Template | None, list[Problem]]:
    """Parse one rule file. Returns the Template (None when it cannot be built) and every problem found.
    The build passes with_tests=False: rules.json does not carry test blocks, so they are not extracted."""
    return parse_templates([(path, data)], publish_all=publish_all, with_tests=with_tests)[0]


def parse_templates(files: Sequence[tuple[str, bytes]], *, publish_all: bool = False,
                    with_tests: bool = True) -> list[tuple[Template | None, list[Problem]]]:
    """parse_template for each (path, data), in order. The files go through each stage together (decode,
    front matter, markdown, checks) rather than one by one through all: each stage's code then stays in
    the processor's caches, which makes a batch of a few hundred files about 15% faster."""
    out: list[tuple[Template | None, list[Problem]]] = []
    decoded: list[tuple[int, str, str]] = []
    for i, (path, data) in enumerate(files):
        text, problems = decode(path, data)
        out.append((None, problems))
        if text is not None:
            decoded.append((i, path, text))
    split: list[tuple[int, str, Source]] = []
    for i, path, text in decoded:
        source, problems = split_front_matter(path, text)
        if source is None:
            out[i] = (None, problems)
        else:
            split.append((i, path, source))
    bodies = [parse_body(source, with_tests=with_tests) for _, _, source in split]
    for (i, path, source), body in zip(split, bodies, strict=True):
        template_id = path.rsplit("/", 1)[-1].removesuffix(".md")
        out[i] = validate.make_template(template_id, path, source.meta, source.meta_lines, body,
                                        publish_all=publish_all)
    return out
