"""The build end to end: golden output, compatibility with the original format, --check, cache, CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulepress.catalogue.build import build, load_catalogue
from rulepress.catalogue.rulesjson import assemble, read_entries, read_objects
from rulepress.errors import ProblemsError, UserError

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def copy_folder(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".rulepress-cache", "rules.json"))
    return dst


def test_golden_rules_json(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    result = build(root)
    assert result.written and result.published == 3 and result.files == 4
    expected = (HERE / "golden" / "small" / "expected-rules.json").read_bytes()
    assert (root / "rules.json").read_bytes() == expected


def test_rules_json_gets_ordinary_permissions(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    old = os.umask(0o022)
    try:
        build(root)
    finally:
        os.umask(old)
    assert (root / "rules.json").stat().st_mode & 0o777 == 0o644
    (root / "rules.json").chmod(0o664)
    (root / "rules" / "enrich.md").write_text("---\ngallery: true\n---\n# New\n\n    function (u, c, cb) {}\n")
    assert build(root).written
    assert (root / "rules.json").stat().st_mode & 0o777 == 0o664
    assert not list(root.glob(".rules.json.*"))  # no temporary file left behind


def test_build_is_byte_stable_and_idempotent(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "a")
    other = copy_folder(HERE / "golden" / "small", tmp_path / "b")
    build(root)
    first = (root / "rules.json").read_bytes()
    again = build(root)
    assert not again.written and again.parsed == 0
    build(other)
    assert (other / "rules.json").read_bytes() == first == (root / "rules.json").read_bytes()
    assert first == (json.dumps(json.loads(first), indent=2, ensure_ascii=False) + "\n").encode()


def _first_fenced_code(md: str) -> str:
    match = re.search(r"^```[^\n]*\n(.*?)\n```$", md, re.DOTALL | re.MULTILINE)
    assert match
    return match.group(1)


def test_original_format_folder_builds_equivalently(tmp_path: Path) -> None:
    root = copy_folder(HERE / "original", tmp_path / "repo")
    result = build(root)
    assert result.published == 5
    groups = json.loads((root / "rules.json").read_text(encoding="utf-8"))
    assert [(g["name"], [t["id"] for t in g["templates"]]) for g in groups] == [
        ("access control", ["check-domains-against-connection-aliases", "check_last_password_reset"]),
        ("debugging", ["debug-rule"]),
        ("enrich profile", ["get-FullContact-profile"]),
        ("webhook", ["get-FullContact-profile"]),
        ("saml", ["saml-attribute-mapping"]),
    ]
    by_id = {t["id"]: t for g in groups for t in g["templates"]}
    assert by_id["saml-attribute-mapping"]["title"] == "SAML Attributes mapping"
    assert by_id["debug-rule"]["title"] == "Dump rule variables"
    assert by_id["get-FullContact-profile"]["categories"] == ["enrich profile", "webhook"]
    for template_id, template in by_id.items():
        source = (root / "rules" / f"{template_id}.md").read_text(encoding="utf-8")
        assert template["code"] == _first_fenced_code(source)
        assert list(template)[:6] == ["id", "title", "overview", "categories", "description", "code"]
        assert template["kind"] == "rule"
    fullcontact = by_id["get-FullContact-profile"]["description"]
    assert "<blockquote>" in fullcontact and "fullContactInfo" in fullcontact
    assert "statusCode" not in fullcontact and "<h2>" not in fullcontact  # code and headings vanish
    assert by_id["debug-rule"]["description"] == (
        "<p>This rule shows how to print the input variables to the console.\n"
        "Use it with the real-time logs.</p>\n")
    # the original never declared configuration keys: a warning, not an error
    assert any("configuration 'FULLCONTACT_KEY'" in w.message for w in result.warnings)
    with pytest.raises(ProblemsError):
        build(root, strict=True)


def test_check_reports_stale_and_missing_without_writing(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    with pytest.raises(UserError, match=r"^rules.json is missing"):
        build(root, check=True)
    assert not (root / "rules.json").exists()
    build(root)
    build(root, check=True)
    md = root / "rules" / "enrich.md"
    md.write_text(md.read_text().replace("Indented code", "Indented CODE"))
    before = (root / "rules.json").read_bytes()
    with pytest.raises(UserError, match=r"^rules.json is stale"):
        build(root, check=True)
    assert (root / "rules.json").read_bytes() == before
    result = build(root)
    assert result.written and result.parsed == 0  # --check already parsed and cached the change
    assert "Indented CODE" in (root / "rules.json").read_text()


def test_a_broken_cache_is_rebuilt_not_trusted(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    build(root)
    (root / ".rulepress-cache" / "build.sqlite").write_bytes(b"this is not a database" * 100)
    (root / "rules.json").unlink()
    result = build(root)
    assert result.written and result.parsed == 4
    assert (root / "rules.json").read_bytes() == (HERE / "golden" / "small" / "expected-rules.json").read_bytes()


def test_publish_all_in_setup_cfg(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    (root / "setup.cfg").write_text("[rulepress]\npublish = all\n")
    result = build(root)
    assert result.published == 4
    ids = [t["id"] for t in read_objects(root / "rules.json")]
    assert ids == ["Zeta-first", "add-claim", "draft", "enrich"]


def test_bad_setup_cfg_is_reported(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    (root / "setup.cfg").write_text("[metadata]\nname = x\n\n[rulepress]\npublsh = all\n")
    with pytest.raises(ProblemsError) as info:
        build(root)
    assert [str(p) for p in info.value.problems] == [
        "setup.cfg:5: unknown key 'publsh' in [rulepress] (did you mean 'publish'?)"]


def test_load_catalogue_returns_templates_with_tests(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    templates = {t.id: t for t in load_catalogue(root)}
    claim = templates["add-claim"]
    assert claim.kind == "action" and claim.code_line == 19 and claim.title_line == 9
    assert [(b.line, b.text) for b in claim.tests] == [(31, "name: adds the claim")]
    assert claim.action is not None and claim.action.dependencies == (("lodash", "4.17.21"),)
    assert templates["enrich"].code_line == 12
    assert not templates["draft"].gallery
    assert [t.id for t in load_catalogue(root, published_only=True)] == ["Zeta-first", "add-claim", "enrich"]


def test_starter_catalogue_is_valid_strict_and_rules_json_is_fresh() -> None:
    result = build(REPO, check=True, strict=True)
    assert result.published >= 16
    kinds = [t["kind"] for t in read_objects(REPO / "rules.json")]
    assert kinds.count("rule") >= 5 and kinds.count("action") >= 11


def _run_build_py(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(root), *args],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
                          check=False)


def test_build_py_exit_codes_and_messages(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    ok = _run_build_py(root)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "rules.json written: 3 template(s) published from 4 file(s) (4 parsed, 0 from cache)\n"
    (root / "rules" / "broken.md").write_text("---\ngallery: true\n---\n# Broken\n\n```js\nfunction (user {\n```\n")
    bad = _run_build_py(root, "--check")
    assert bad.returncode == 1
    assert bad.stderr == ("rules/broken.md:7: JavaScript syntax error: Unexpected token '{'\n"
                          "error: build failed: 1 error(s), 0 warning(s)\n")
    usage = _run_build_py(root, "--bogus")
    assert usage.returncode == 2 and "unrecognized arguments: --bogus" in usage.stderr
    missing = _run_build_py(tmp_path / "nowhere")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "no rules/ folder" in missing.stderr


group_names = st.text(alphabet="abcé xyz", min_size=1, max_size=6)
fragments = st.builds(lambda d: ("      " + json.dumps(d, indent=2, ensure_ascii=False)
                                 .replace("\n", "\n      ")).encode("utf-8"),
                      st.dictionaries(st.sampled_from(["id", "title", "code"]),
                                      st.text(max_size=20), min_size=1))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.lists(group_names, min_size=1, max_size=3, unique=True), fragments), max_size=8))
def test_assemble_matches_json_dumps(entries: list[tuple[list[str], bytes]]) -> None:
    groups: dict[str, list[object]] = {}
    for categories, text in entries:
        for c in categories:
            groups.setdefault(c, []).append(json.loads(text))
    expected = json.dumps([{"name": n, "templates": t} for n, t in groups.items()], indent=2,
                          ensure_ascii=False) + "\n"
    assert assemble(entries).decode("utf-8") == expected


def test_cached_javascript_verdicts_follow_the_code_when_lines_move(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    md = tmp_path / "rules" / "broken.md"
    md.write_text("---\ngallery: true\n---\n# Broken\n\n```js\nfunction (user {\n```\n")
    with pytest.raises(ProblemsError) as first:
        build(tmp_path)
    assert [str(p) for p in first.value.problems] == [
        "rules/broken.md:7: JavaScript syntax error: Unexpected token '{'"]
    md.write_text("---\ngallery: true\n---\n# Broken\n\nTwo more\n\nlines.\n\n```js\nfunction (user {\n```\n")
    with pytest.raises(ProblemsError) as moved:
        build(tmp_path)
    assert [str(p) for p in moved.value.problems] == [
        "rules/broken.md:11: JavaScript syntax error: Unexpected token '{'"]
    md.write_text("---\ngallery: true\n---\n# Fixed\n\nTwo more\n\nlines.\n\n```js\nfunction (user, c, cb) {}\n```\n")
    assert build(tmp_path).published == 1


def test_raw_html_heading_is_kept_and_the_markdown_heading_is_the_title(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "odd.md").write_text(
        '---\ngallery: true\n---\n<h1 data-sourcepos="1:1-1:1">\n\n## Real title\n\n'
        "```js\nfunction (user, context, callback) { callback(null, user, context); }\n```\n")
    assert build(tmp_path).published == 1
    [template] = read_entries(tmp_path / "rules.json")
    assert template.title == "Real title"
    assert template.description == '<h1 data-sourcepos="1:1-1:1">\n'  # raw HTML is kept, as the original did


def test_rules_json_reads_back_into_the_values_the_build_wrote() -> None:
    templates = load_catalogue(REPO, published_only=True)
    assert read_entries(REPO / "rules.json") == [t.entry() for t in templates]
