"""What code reads from event.secrets or configuration: the destructuring scan in checks._uses must find
exactly what the plain pattern \\{([^{}]*)\\}\\s*=\\s*obj\\b(?!\\.) finds (it is that pattern, made fast)."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rulepress.catalogue.checks import _uses

TOKENS = ["{", "}", "=", "==", " ", "\n", "\t", "\u00a0", ",", ":", "a", "b", "$x", "c = 1", "1a", "event.secrets",
          "event.secrets.K", "event.secrets['Q']", "configuration", "configuration.C", "x.configuration",
          "event.secretsX", "event.secrets.", "const ", "let "]


def reference(code: str, obj: str) -> dict[str, int]:
    """_uses as it was written first: member reads, then the destructuring pattern tried at every '{'."""
    found: dict[str, int] = {}
    member = re.compile(rf"{obj}(?:\.([A-Za-z_$][\w$]*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
    for mm in member.finditer(code):
        before = code[mm.start() - 1] if mm.start() else " "
        if not (before.isalnum() or before in "_$."):
            found.setdefault(mm.group(1) or mm.group(2), code.count("\n", 0, mm.start()) + 1)
    for mm in re.finditer(rf"\{{([^{{}}]*)\}}\s*=\s*{obj}\b(?!\.)", code):
        for part in mm.group(1).split(","):
            key = part.split(":")[0].split("=")[0].strip()
            if re.fullmatch(r"[A-Za-z_$][\w$]*", key):
                found.setdefault(key, code.count("\n", 0, mm.start()) + 1)
    return found


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.sampled_from([r"event\.secrets", "configuration"]))
@example(["const ", "{", " a", ",", " b: c", " }", " = ", "event.secrets"], r"event\.secrets")
@example(["{", "a", "}", "{", "b", "}", "=", "configuration", "{", "c", "}", "\n", "=", "configuration"],
         "configuration")
def test_destructuring_scan_finds_what_the_pattern_finds(tokens: list[str], obj: str) -> None:
    code = "".join(tokens)
    found = _uses(code, obj)
    expected = reference(code, obj)
    assert found == expected
    assert list(found) == list(expected)  # the same order: the first use of each name decides its line


def test_destructured_names_are_found_at_their_line() -> None:
    code = "const x = 1;\nconst { API_KEY, other: renamed = 2 } =\n  event.secrets;\nevent.secrets.TOKEN;"
    assert _uses(code, r"event\.secrets") == {"TOKEN": 4, "API_KEY": 2, "other": 2}
