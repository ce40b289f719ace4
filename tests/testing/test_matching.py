"""Properties of the pure parts: expectation matching and the deep merge of inputs over defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rulepress.cli import main
from rulepress.testing.check import mismatch
from rulepress.testing.defaults import deep_merge, default_event

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=12,
)


def without_markers(value: Any) -> bool:
    if isinstance(value, str):
        return value not in ("$any", "$absent")
    if isinstance(value, list):
        return all(without_markers(v) for v in value)
    if isinstance(value, dict):
        return "$match" not in value and all(without_markers(v) for v in value.values())
    return True


@given(json_values)
def test_a_value_matches_itself(value: Any) -> None:
    if without_markers(value):
        assert mismatch(value, value) is None


@given(st.dictionaries(st.text(max_size=3), json_values, max_size=4), st.text(max_size=3), json_values)
def test_mappings_match_partially(expected: dict[str, Any], extra_key: str, extra: Any) -> None:
    if without_markers(expected) and extra_key not in expected:
        assert mismatch(expected, {**expected, extra_key: extra}) is None


@given(json_values, json_values)
def test_merge_keeps_what_the_override_says(base: Any, override: Any) -> None:
    merged = deep_merge(base, override)
    if isinstance(base, dict) and isinstance(override, dict):
        assert set(merged) == set(base) | set(override)
        for key, value in override.items():
            if not isinstance(value, dict):
                assert merged[key] == value
    else:
        assert merged == override


def test_mismatch_messages() -> None:
    assert mismatch({"a": {"b": [1, 2]}}, {"a": {"b": [1, 3]}}) == "expected 2 at a.b[1], got 3"
    assert mismatch({"a": 1}, {}) == "missing at a"
    assert mismatch(True, 1) == "expected true, got 1"
    assert mismatch([1], [1, 2]) == "expected 1 item(s), got 2"
    assert mismatch({"$match": "^x"}, "yx") == '"yx" does not match /^x/'
    assert mismatch({"k": "$absent"}, {"k": None}) == "expected no value at k, got null"
    assert mismatch({"k": "$any"}, {}) is None


def test_merge_does_not_share_the_defaults() -> None:
    event = deep_merge(default_event("post-login"), {"user": {"app_metadata": {"x": 1}}})
    event["user"]["identities"].append("changed")
    again = default_event("post-login")
    assert again["user"]["app_metadata"] == {} and len(again["user"]["identities"]) == 1
    assert event["user"]["email"] == "jane.doe@example.com"


def test_missing_node_is_a_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.md").write_text(
        "# A\n\nx\n\n```js\nexports.onExecutePostLogin = async () => {};\n```\n\n"
        "```test\nname: one\nexpect: {calls: []}\n```\n",
        encoding="utf-8",
    )
    code = main(["test", "--root", str(tmp_path), "--node", str(tmp_path / "no-node")])
    assert code == 1
    assert capsys.readouterr().err == (
        f"error: cannot run '{tmp_path / 'no-node'}': install Node.js 18 or later, or pass --node PATH\n"
    )
