"""The fast front-matter reader must never disagree with PyYAML: whenever it answers, PyYAML gives the
same value (types included); whatever PyYAML refuses, it refuses too (it hands it over)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rulepress import yamlsubset
from rulepress.template import _KEY_LINE_RE

REPO = Path(__file__).resolve().parents[2]

# scalars chosen to hit every corner of YAML 1.1 resolution and of plain-scalar syntax
TRICKY = ["yes", "No", "ON", "off", "true", "False", "y", "n", "~", "null", "Null", "NULL", "", "0", "00", "07",
          "08", "0x1F", "0o7", "0b101", "1_000", "-1", "+1", "1:20", "1.5", ".5", "1e3", "1.0e+3", ".inf",
          "-.INF", ".nan", "2024-01-01", "2024-01-01 10:00:00", "<<", "=", "node22", "3.0.3", "v3",
          "post-login", "a b", "a  b", "a #b", "a# b", "a:b", "a: b", "a:", ":a", "-a", "- a", "?a", "? a",
          "[a]", "a]", "a,b", "{a}", "#x", "&a", "*a", "!x", "|", ">", "%x", "@x", "`x", "'q'", "'q''s'",
          "'q's'", '"d"', '"d\\n"', '"d', "'q", "é", "日本", "a\u2028b", "a\x85b", "a\x7fb", "a\tb", "a\ufeff",
          "https://example.com/x?y=1#z", "C#", "a ", " a", "...", "---"]
scalars = st.one_of(st.sampled_from(TRICKY),
                    st.text(alphabet=st.sampled_from("ab1 :#-[],'\"{}&*!|>%@`?.~\t\\"), max_size=8))
keys = st.one_of(st.sampled_from(["gallery", "name", "a-b", "a.b", "_x", "yes", "null", "1", "'q k'", '"d k"',
                                  "@s/p", "a b", "a:", "'@s/p'", "x"]),
                 st.text(alphabet=st.sampled_from("ab_-.:'\" 1"), min_size=1, max_size=5))
indent = st.sampled_from(["", " ", "  ", "    "])


@st.composite
def entries(draw: Any) -> str:
    key = draw(keys)
    shape = draw(st.sampled_from(["scalar", "flow", "list", "map", "empty", "comment", "blank", "raw"]))
    if shape == "scalar":
        return f"{key}: {draw(scalars)}"
    if shape == "flow":
        items = draw(st.lists(scalars, max_size=4))
        return f"{key}: [{draw(st.sampled_from([', ', ',', ' , ']) ).join(items)}]"
    if shape in ("list", "map"):
        pad = draw(indent)
        rows = draw(st.lists(st.tuples(keys, scalars), min_size=1, max_size=3))
        if shape == "list":
            body = [f"{pad}- {v}" for _, v in rows]
        else:
            body = [f"{pad}{k}: {v}" for k, v in rows]
        if draw(st.booleans()):
            body.insert(draw(st.integers(0, len(body))), draw(st.sampled_from(["", "  # c", "# c", "\t", " x"])))
        return "\n".join([f"{key}:"] + body)
    if shape == "empty":
        return f"{key}:"
    if shape == "comment":
        return draw(st.sampled_from(["# a comment", "  # indented", "#"]))
    if shape == "blank":
        return draw(st.sampled_from(["", "   "]))
    return draw(st.text(alphabet=st.sampled_from("ab: -#[]'\"\t\n"), max_size=12))


# mostly what the subset accepts, so that most examples exercise the fast path rather than the hand-over
PLAIN = ["gallery", "true", "no", "~", "12", "0", "+3", "post-login", "3.0.3", "a b", "a:b", "a]", "C#", "'q'",
         "'q''s'", '"d"', "''", "é", "[a, b]", "[]", "[yes, 1]", "1.5", "a: b"]


@st.composite
def plausible(draw: Any) -> str:
    key = draw(st.sampled_from(["gallery", "name", "a-b", "a.b", "'q k'", "yes", "x"]))
    value = st.sampled_from(PLAIN)
    shape = draw(st.sampled_from(["scalar", "list", "map", "empty", "comment"]))
    if shape == "scalar":
        return f"{key}: {draw(value)}"
    if shape == "list":
        return "\n".join([f"{key}:"] + [f"  - {v}" for v in draw(st.lists(value, min_size=1, max_size=3))])
    if shape == "map":
        rows = draw(st.dictionaries(st.sampled_from(["k", "node-ses", "'@s/p'", "on"]), value, min_size=1))
        return "\n".join([f"{key}:"] + [f"  {k}: {v}" for k, v in rows.items()])
    return f"{key}:" if shape == "empty" else "# comment"


def pyyaml(text: str) -> tuple[bool, Any]:
    try:
        return True, yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return False, None


def typed(value: Any) -> Any:
    """The value with every scalar tagged by its type, so True != 1 and 1 != 1.0."""
    if isinstance(value, dict):
        return {typed(k): typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


@settings(max_examples=3000, deadline=None)
@given(st.lists(entries(), max_size=6))
@example(["key: a]", "other: [a b, c]"])
@example(["dependencies:", "  node-ses: 3.0.3", "  '@scope/pkg': 1.2.3", "secrets: [A, B]"])
@example(["list:", "- a", "- 'b'", 'map:', '  k: "v"'])
def test_fast_reader_agrees_with_pyyaml(lines: list[str]) -> None:
    text = "\n".join(lines)
    found = yamlsubset.load_with_lines(text)
    ok, slow = pyyaml(text)
    if found is None:
        assert yamlsubset.load(text) is None
        return  # handed to PyYAML: always allowed
    fast, key_lines = found
    assert ok, f"accepted what PyYAML refuses: {text!r}"
    assert typed(fast) == typed(slow if slow is not None else {}), text
    # the key lines are those a line-by-line scan finds (what the reader does for PyYAML's documents)
    scanned: dict[str, int] = {}
    for number, line in enumerate(text.split("\n")):
        m = _KEY_LINE_RE.match(line)
        if m:
            scanned.setdefault(m.group(1), number)
    assert key_lines == scanned, text


@settings(max_examples=3000, deadline=None)
@given(st.lists(plausible(), max_size=4))
def test_fast_reader_agrees_with_pyyaml_on_plausible_front_matter(lines: list[str]) -> None:
    test_fast_reader_agrees_with_pyyaml.hypothesis.inner_test(lines)  # type: ignore[attr-defined]


@pytest.mark.parametrize("scalar", TRICKY)
def test_every_tricky_scalar_in_every_position(scalar: str) -> None:
    for text in (f"k: {scalar}", f"k:\n  - {scalar}", f"k:\n- {scalar}", f"k: [{scalar}]", f"k: [a, {scalar}]",
                 f"k:\n  sub: {scalar}", f"{scalar}: v", f"k:\n  {scalar}: v", f"a: 1\n{scalar}\nb: 2"):
        test_fast_reader_agrees_with_pyyaml.hypothesis.inner_test(text.split("\n"))  # type: ignore[attr-defined]


def test_fast_reader_takes_every_starter_template() -> None:
    """The fast path is the common path: the whole starter catalogue goes through it."""
    for path in sorted((REPO / "rules").glob("*.md")):
        lines = path.read_text(encoding="utf-8").split("\n")
        text = "\n".join(lines[1:lines.index("---", 1)])
        assert yamlsubset.load(text) == yaml.safe_load(text), path


@pytest.mark.parametrize("text", ["a: b: c", "a: [b", "a: 'b", "a:\n  - b\n  c: d", "a:\n b: 1\n  c: 2",
                                  "a: b\n  continued", "a: 1.5", "a: 2024-01-01", "a: &x b", "yes: 1",
                                  "a: b # c", "a: 'x'y'", "a:\tb", "a: x\u2028y", "k" * 1025 + ": v",
                                  "'" + "k" * 1021 + "': v", "name" + " " * 1021 + ": v",
                                  "a:\n  " + "k" * 1030 + ": v"])
def test_beyond_the_subset_goes_to_pyyaml(text: str) -> None:
    assert yamlsubset.load(text) is None


def test_the_ascii_check_for_awkward_characters_is_the_full_one() -> None:
    """Front matter in ASCII is checked with a small pattern; it must refuse exactly what the full one does."""
    full = re.compile(yamlsubset._AWKWARD)
    for code in [*range(0x300), 0x2028, 0x2029, 0xd7ff, 0xfeff, 0xfffe, 0x1f600]:
        text = f"a{chr(code)}b"
        assert yamlsubset._awkward(text) == (full.search(text) is not None), hex(code)
        assert yamlsubset._awkward(chr(code)) == (full.search(chr(code)) is not None), hex(code)
