"""The C path for a markdown body (rulepress/_fastbody.c, cmark's tree) must give exactly what the Python path
(cmark's HTML, cut) gives: title, code, test blocks, lines and description, byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rulepress import template
from rulepress.template import Source, _parse_body_html, _parse_body_tree, split_front_matter

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(template._FASTBODY is None, reason="the C path is not built here")

WORDS = ["word", "**bold**", "*em*", "`code`", "<b>raw</b>", "&amp;", "&copy;", "a<b", "x > y", '"q"', "'s'",
         "https://example.com", "www.example.com", "a@b.co", "~~gone~~", "[link](http://x)", "\\*", "é", "日本",
         "data-sourcepos", "<pre>", "</pre>", "<h1>", "</h1>", "</h2> x", "#", "|", "-", "1.", ">", "\t", "  "]
CODE = ["x", "a && b", "if (a < b) return '<p>';", "  indented", "", "\t tab", "&lt; literal", "```", "~~~",
        "</code></pre>", "é ✓", "````", "```js", "   ```", "    ```", "\t```", "``` ", "~~~~ \t", "</pre>", "-->",
        "<!--", "# not a heading", "- not a list", "[ref]: /url", "````x`"]


@st.composite
def blocks(draw: Any, depth: int = 0) -> str:
    kinds = ["para", "atx", "setext", "fence", "indented", "html", "break", "table", "blank"]
    if depth < 2:
        kinds += ["list", "quote"]
    kind = draw(st.sampled_from(kinds))
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4)))
    if kind == "para":
        return text
    if kind == "atx":
        return "#" * draw(st.integers(1, 7)) + draw(st.sampled_from([" ", "", "  "])) + text + draw(
            st.sampled_from(["", " #", " ##  "]))
    if kind == "setext":
        return text + "\n" + draw(st.sampled_from(["===", "---", "  ==="]))
    if kind == "fence":
        fence = draw(st.sampled_from(["```", "~~~", "````", "  ```", " ~~~~", "```", "```"]))
        info = draw(st.sampled_from(["", "js", "test", "test js", "javascript x=1", "a&amp;b", "c\\#"]))
        body = "\n".join(draw(st.lists(st.sampled_from(CODE), max_size=4)))
        close = draw(st.sampled_from([fence.strip(), fence.strip() + "`", "", "```", "   " + fence.strip(),
                                      fence.strip() + "  "]))
        return f"{fence}{info}\n{body}\n{close}".rstrip("\n") if close else f"{fence}{info}\n{body}"
    if kind == "indented":
        return "\n".join("    " + line for line in draw(st.lists(st.sampled_from(CODE), min_size=1, max_size=3)))
    if kind == "html":
        return draw(st.sampled_from(["<div>\n" + text + "\n</div>", "<pre>\nraw\n</pre>", "<pre>", "<!--", "<div>",
                                     '<h2 data-sourcepos="1:1-1:5">fake</h2>', "<!-- c -->", "<details>\n\n" + text]))
    if kind == "break":
        return draw(st.sampled_from(["---", "***", "___"]))
    if kind == "table":
        return f"| a | b |\n| --- | --- |\n| {text} | x |"
    if kind == "blank":
        return ""
    inner = draw(st.lists(blocks(depth + 1), min_size=1, max_size=3))
    if kind == "list":
        marker = draw(st.sampled_from(["- ", "* ", "1. ", "- [ ] "]))
        pad = " " * len(marker)
        return "\n".join(marker + "\n".join(pad + line if i else line for i, line in enumerate(b.split("\n")))
                         for b in inner)
    return "\n".join("> " + line for b in inner for line in b.split("\n"))


def both(body: str, offset: int = 0, with_tests: bool = True) -> tuple[Any, Any]:
    """The tree path (hollowing fenced blocks, and not) and the HTML path; the two tree answers must agree."""
    source = Source("\n" * offset + body, {}, {}, body, offset)
    tree = _parse_body_tree(source, with_tests=with_tests)
    assert tree == _parse_body_tree(source, with_tests=with_tests, hollow=False)
    return tree, _parse_body_html(source, with_tests=with_tests)


@settings(max_examples=2500, deadline=None)
@given(st.lists(blocks(), max_size=8), st.sampled_from(["\n\n", "\n"]), st.integers(0, 5), st.booleans())
@example(["# T", "```js\nx\n```", "```test\ny\n```", "```\nz\n```"], "\n\n", 3, True)
@example(["- a\n\n  ```js\n  x\n  ```"], "\n\n", 0, True)
@example(["# T", "```js\nnever closed"], "\n\n", 2, False)
def test_tree_path_gives_what_the_html_path_gives(parts: list[str], sep: str, offset: int, with_tests: bool) -> None:
    tree, html = both(sep.join(parts), offset, with_tests)
    if tree is not None:
        assert tree == html


def test_the_tree_path_reads_every_starter_template() -> None:
    """The C path is the common path: it answers for the whole starter catalogue, with the same result."""
    for path in sorted((REPO / "rules").glob("*.md")):
        source, _ = split_front_matter(str(path), path.read_text(encoding="utf-8"))
        assert source is not None
        for with_tests in (True, False):
            tree = _parse_body_tree(source, with_tests=with_tests)
            assert tree is not None, path
            assert tree == _parse_body_html(source, with_tests=with_tests), path


@pytest.mark.parametrize("body", ["# T </h1> tail\n\nText.\n", "Title </h2> x\n---\n\nText.\n",
                                  "# T\n\n## Sub *</h2>* rest\n\npara\n"])
def test_a_heading_whose_raw_html_closes_a_heading_is_left_to_the_html_path(body: str) -> None:
    """The HTML path cuts such a heading short; the tree path would drop it whole: it must not answer."""
    tree, html = both(body)
    assert tree is None
    source = Source(body, {}, {}, body, 0)
    assert template.parse_body(source) == html


def test_a_code_block_inside_a_list_is_left_to_the_html_path() -> None:
    tree, html = both("# T\n\n- item\n\n  ```js\n  x\n  ```\n")
    assert tree is None
    assert html.code is not None and html.code.text == "x"


def test_the_pure_python_switch_gives_the_same_rules_json(tmp_path: Path) -> None:
    """RULEPRESS_PURE_PYTHON turns the C path off; the build writes the same bytes either way."""
    outputs = []
    for pure in ("", "1"):
        root = tmp_path / (pure or "c")
        (root / "rules").mkdir(parents=True)
        for path in (REPO / "rules").glob("*.md"):
            (root / "rules" / path.name).write_bytes(path.read_bytes())
        env = {**os.environ, "RULEPRESS_PURE_PYTHON": pure}
        probe = subprocess.run([sys.executable, "-c", "from rulepress import template; "
                                "print(template._FASTBODY is None)"], env=env, capture_output=True, text=True,
                               check=True)
        assert probe.stdout.strip() == ("True" if pure else "False")
        subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root)], env=env, check=True,
                       capture_output=True)
        outputs.append((root / "rules.json").read_bytes())
    assert outputs[0] == outputs[1] == (REPO / "rules.json").read_bytes()


@pytest.mark.parametrize("body", [
    "# T\n\n```js\nx\n``\n````\ny\n```\n\ntext\n",          # shorter fence inside, longer fence closes
    "# T\n\n~~~\n```\n~~\n   ~~~\nafter\n",                  # indented closer (three spaces) closes
    "# T\n\n```\na\n    ```\nb\n```\n",                       # four spaces: content, not a closer
    "# T\n\n```\na\n\t```\nb\n```\n",                         # a tab is four columns: content
    "<pre>\n```\n</pre>\n```\n",                              # the fence sits inside an HTML block
    "<div>\n```\nx\n```\n\n# T\n",                            # ... of another kind
    "# T\n\n```js`\nnot a fence\n```\n",                      # a backtick in the info: no opening
    "# T\n\n```test\nt\n```\n\n```js\nc\n```\n\n## After\n\nMore.\n",
    "# T\n\n```js\nnever closed\n",
])
def test_hollowed_fences_give_what_the_html_path_gives(body: str) -> None:
    for with_tests in (True, False):
        tree, html = both(body, 3, with_tests)
        assert tree == html


def test_the_hollowed_text_keeps_the_fences_and_drops_what_is_inside() -> None:
    assert template._FASTBODY is not None
    text, blocks = template._FASTBODY.hollowed(b"# T\n\n```js\na\nb\n```\n\n~~~\nc\n~~~\ntail\n")
    assert text == b"# T\n\n```js\n```\n\n~~~\n~~~\ntail\n"
    assert blocks == [(3, 2), (6, 1)]  # the opening fence's line once hollowed, and the lines taken out


def test_every_starter_template_is_hollowed() -> None:
    for path in sorted((REPO / "rules").glob("*.md")):
        source, _ = split_front_matter(str(path), path.read_text(encoding="utf-8"))
        assert source is not None
        assert template._FASTBODY.hollowed(source.body.encode())[1], path
