"""The pure parts of the changelog and of the release commit: catalogue diffs, sections, setup.cfg versions."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rulepress.release.changelog import (
    Changelog,
    Section,
    add_release,
    diff_catalogues,
    parse_sections,
    render_changelog,
    render_generated,
)
from rulepress.release.precommit import set_versions


def _t(tid: str, **changes: Any) -> dict[str, Any]:
    base = {"id": tid, "title": tid.title(), "overview": "o", "categories": ["x"], "description": "<p>d</p>\n",
            "code": "function (u, c, cb) {}", "kind": "rule", "name": tid.title(),
            "rule": {"enabled": True, "order": None, "stage": "login_success", "configuration": []}}
    return {**base, **changes}


def test_diff_names_what_changed() -> None:
    old = [_t("a"), _t("b"), _t("c"), _t("gone")]
    new = [_t("a"), _t("b", code="x"), _t("c", categories=["y"], rule={"enabled": False}, description="<p>e</p>\n"),
           _t("new")]
    diff = diff_catalogues(old, new)
    assert render_generated(diff, ["One", "Two"]) == (
        "### Templates\n"
        "- added `new`: New\n"
        "- changed `b`: code\n"
        "- changed `c`: metadata (categories, rule), description\n"
        "- removed `gone`\n\n"
        "### Commits\n- One\n- Two\n")


def test_no_change_says_so() -> None:
    assert render_generated(diff_catalogues([_t("a")], [_t("a")]), []) == (
        "### Templates\n- no template changed\n\n### Commits\n- none\n")


def test_release_takes_the_unreleased_notes_and_replaces_a_section_of_the_same_tag() -> None:
    log = parse_sections("# Changelog\n\n## Unreleased\n- a note\n\n## v0.1.0 (2026-01-01)\n\nold\n\n"
                         "### Templates\n- x\n")
    released = add_release(log, "v0.2.0 (2026-02-02)", "### Templates\n- y\n")
    assert render_changelog(released) == (
        "# Changelog\n\n## Unreleased\n\n## v0.2.0 (2026-02-02)\n\n- a note\n\n### Templates\n- y\n\n"
        "## v0.1.0 (2026-01-01)\n\nold\n\n### Templates\n- x\n")
    again = add_release(parse_sections(render_changelog(released)), "v0.2.0 (2026-02-03)", "### Templates\n- z\n")
    assert [s.title for s in again.sections] == ["Unreleased", "v0.2.0 (2026-02-03)", "v0.1.0 (2026-01-01)"]


_line = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20).map(lambda s: s.strip())
_text = st.lists(_line.filter(lambda s: s and not s.startswith("#")), max_size=3).map("\n".join)


@given(st.lists(st.tuples(_line.filter(bool), _text, _text), max_size=4))
def test_render_then_parse_gives_the_same_sections(items: list[tuple[str, str, str]]) -> None:
    sections = [Section(title, notes, "### Templates\n" + gen if gen else "") for title, notes, gen in items]
    log = Changelog("# Changelog\n", sections)
    parsed = parse_sections(render_changelog(log))
    assert [(s.title, s.notes, s.generated) for s in parsed.sections] == \
        [(s.title, s.notes, s.generated) for s in sections]


def test_set_versions_changes_only_the_two_version_lines() -> None:
    text = ("[metadata]\r\nname = x\r\nversion = 1.2.3\r\n\r\n[tool]\r\nversion = 1.2.3\r\n# keep me\r\n"
            "[bumpversion]\r\ncurrent_version = 1.2.3\r\nmessage = Release v{new_version}\r\n")
    assert set_versions(text, "1.2.3", "1.3.0") == text.replace(
        "name = x\r\nversion = 1.2.3", "name = x\r\nversion = 1.3.0").replace(
        "current_version = 1.2.3", "current_version = 1.3.0")
