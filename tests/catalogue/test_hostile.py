"""Hostile input is contained at the reading layer: every case is a `path:line` problem (exit 1), never a
crash (exit 3), never a huge message, never a file read from outside the repository, and a failed build
leaves rules.json as it was."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rulepress.catalogue.build import build
from rulepress.errors import ProblemsError, UserError

REPO = Path(__file__).resolve().parent.parent.parent
RULE = "function (user, context, callback) { callback(null, user, context); }"
ACTION = "exports.onExecutePostLogin = async () => {};"
GOOD = f"---\ngallery: true\n---\n# Fine\n\n```js\n{RULE}\n```\n"


def one_file(tmp_path: Path, name: str, text: str) -> list[str]:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / name).write_text(text)
    with pytest.raises(ProblemsError) as failed:
        build(tmp_path)
    return [str(p) for p in failed.value.problems]


def test_yaml_aliases_are_refused_before_anything_is_expanded(tmp_path: Path) -> None:
    # nine levels of nine aliases: 387 million items if expanded (PyYAML would take gigabytes)
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    text = f"---\ngallery: true\nx: &l0 [lol, lol]\n{levels}categories: *l9\n---\n# T\n\n```js\n{RULE}\n```\n"
    assert len(text) < 1000
    started = time.monotonic()
    problems = one_file(tmp_path, "laughs.md", text)
    assert time.monotonic() - started < 30  # generous: expansion would take minutes, not seconds
    assert problems == ["rules/laughs.md:3: YAML anchors and aliases (&name, *name) are not allowed in front "
                        "matter; write the value out"]


@pytest.mark.parametrize("value,tag", [("!!int x", "!!int"), ("!!float x", "!!float"),
                                       ("!!timestamp x", "!!timestamp"), ("!custom [1]", "!custom")])
def test_explicit_tags_are_problems_not_crashes(tmp_path: Path, value: str, tag: str) -> None:
    text = f"---\ngallery: true\nsecrets: {value}\n---\n# T\n\n```js\n{ACTION}\n```\n"
    assert one_file(tmp_path, "tags.md", text) == [
        f"rules/tags.md:3: explicit YAML tags ({tag}) are not allowed in front matter; write a plain value"]


def test_messages_quote_at_most_about_200_characters_of_a_value(tmp_path: Path) -> None:
    text = f"---\ngallery: true\nname: {'x' * 100_000}\nicon: [{'y' * 50_000}]\n---\n# T\n\n```js\n{RULE}\n```\n"
    problems = [p for p in one_file(tmp_path, "long.md", text) if "warning" not in p]
    assert len(problems) == 2 and all(len(p) < 500 for p in problems)
    assert "(100,002 characters)" in problems[0]


def test_numbers_out_of_range_ids_and_trigger_versions_are_refused(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "bad\nid.md").write_text(GOOD)
    (tmp_path / "rules" / "v99.md").write_text(
        GOOD.replace("gallery: true\n", "gallery: true\ntrigger_version: v99\n").replace(RULE, ACTION))
    big = GOOD.replace("gallery: true\n", "gallery: true\norder: 99999999999999999999999\n")
    problems = one_file(tmp_path, "order.md", big)
    assert problems == [
        "rules/bad\\nid.md:1: the id 'bad\\nid' (the file name) must be one token of letters, digits, '.', '_' and "
        "'-', starting with a letter or digit, at most 128 characters; rename the file",
        "rules/order.md:3: 'order' must be a whole number from 0 to 9007199254740991, "
        "not number 99999999999999999999999",
        "rules/v99.md:3: 'trigger_version' must be a version of the post-login trigger: v1, v2, v3, not 'v99'"]


def test_deprecated_trigger_version_is_a_warning(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "old.md").write_text(
        f"---\ngallery: true\ntrigger_version: v2\n---\n# Old\n\n```js\n{ACTION}\n```\n")
    result = build(tmp_path)
    assert [str(w) for w in result.warnings] == [
        "rules/old.md:3: warning: post-login v2 is deprecated; the current version is v3"]


def test_links_loops_and_special_files_are_named_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.md"
    outside.write_text(GOOD)
    root = tmp_path / "repo"
    rules = root / "rules"
    rules.mkdir(parents=True)
    (rules / "fine.md").write_text(GOOD)
    (root / "shared.md").write_text(GOOD.replace("# Fine", "# Shared").replace("function (", "function shared("))
    os.symlink("../shared.md", rules / "inside.md")  # inside the repository: followed
    os.symlink(outside, rules / "out.md")
    os.symlink("loop.md", rules / "loop.md")
    os.symlink("missing-target.md", rules / "dangling.md")
    (rules / "folder.md").mkdir()
    os.mkfifo(rules / "pipe.md")
    (rules / ".hidden.md").write_text(GOOD)
    (rules / ".gitkeep").write_text("")
    with pytest.raises(ProblemsError) as failed:
        build(root)
    assert [str(p) for p in failed.value.problems] == [
        "rules/.hidden.md:1: warning: hidden file ignored: its name starts with '.'",
        "rules/dangling.md:1: broken symlink: the file it points to does not exist",
        "rules/folder.md:1: a folder named like a markdown file: only files are read",
        "rules/loop.md:1: symlink loop: the link never reaches a file",
        f"rules/out.md:1: symlink to {outside.resolve()}, outside the repository: not followed (copy the file in, "
        "or link to one inside the repository)",
        "rules/pipe.md:1: not a regular file (a FIFO, socket or device): only files are read"]
    for name in ("out.md", "loop.md", "dangling.md", "pipe.md", "folder.md"):
        path = rules / name
        path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
    assert build(root).published == 2  # fine.md and the link inside the repository


def test_an_old_folder_with_an_unpublished_sample_builds(tmp_path: Path) -> None:
    """The original catalogue had unpublished files whose first code block is sample JSON output: a draft's
    problems are warnings (errors under --strict), and a published file's stay errors."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "fine.md").write_text(GOOD)
    (tmp_path / "rules" / "sample.md").write_text("# Sample output\n\n```json\n{\"user_id\": \"auth0|1\"}\n```\n")
    result = build(tmp_path)
    assert result.published == 1
    assert [str(w) for w in result.warnings] == [
        "rules/sample.md:4: warning: cannot tell whether this is a rule or an action: the code is neither a "
        "function expression nor a module that assigns exports; add 'kind: rule' or 'kind: action' (a draft: "
        "not published)"]
    with pytest.raises(ProblemsError, match="strict mode"):
        build(tmp_path, strict=True)
    (tmp_path / "rules" / "sample.md").write_text("---\ngallery: true\n---\n# Sample\n\n```json\n{}\n```\n")
    with pytest.raises(ProblemsError, match="build failed: 1 error"):
        build(tmp_path)


def test_ids_keep_their_case(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "get-FullContact-profile.md").write_text(GOOD)
    build(tmp_path)
    assert '"id": "get-FullContact-profile"' in (tmp_path / "rules.json").read_text()


def test_inputs_found_by_review_neither_hang_nor_crash(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    # a pattern that skipped leading comments backtracked exponentially on these
    (tmp_path / "rules" / "comments.md").write_text("# C\n\n```js\n" + "/**/" * 40 + "x\n```\n")
    # repr() refuses integers of more than 4,300 digits
    huge = GOOD.replace("gallery: true\n", "gallery: true\norder: 0x" + "f" * 4000 + "\n")
    (tmp_path / "rules" / "hexorder.md").write_text(huge)
    # lists nested past markdown-it's guard drop the rest of the block: reported, not silent
    nested = "".join("  " * n + "- item\n" for n in range(60))
    (tmp_path / "rules" / "nested.md").write_text(GOOD.replace("# Fine\n", "# Fine\n\n" + nested))
    started = time.monotonic()
    with pytest.raises(ProblemsError) as failed:
        build(tmp_path)
    assert time.monotonic() - started < 20
    problems = [str(p) for p in failed.value.problems]
    assert "rules/hexorder.md:3: 'order' must be a whole number from 0 to 9007199254740991, not a number of " \
           "about 4,816 digits" in problems
    assert any(p.startswith("rules/nested.md:") and "nested deeper than markdown-it reads" in p for p in problems)
    assert any(p.startswith("rules/comments.md:4: warning: cannot tell whether this is a rule") for p in problems)


def test_a_rules_folder_linked_from_outside_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.md").write_text(GOOD)
    root = tmp_path / "repo"
    root.mkdir()
    os.symlink(outside, root / "rules")
    with pytest.raises(UserError, match=r"^rules/ leads to .*outside, outside the repository: not followed"):
        build(root)
    assert not (root / "rules.json").exists()


def test_an_output_that_cannot_be_written_is_an_error_not_a_bug(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.md").write_text(GOOD)
    (tmp_path / "setup.cfg").write_text("[rulepress]\noutput = rules\n")  # a folder
    with pytest.raises(UserError, match=r"^cannot write rules: "):
        build(tmp_path)


# -- a mutation fuzzer over the starter catalogue -------------------------------------------------------

TOKENS = ["0x" + "f" * 4000, ":59" * 800, "/**/" * 30, "---", "```", "~~~", "&a ", "*a", "!!int ", "!!binary ",
          "? ", ": ", "- ", "[", "]", "{", "}", "#",
          "\t", "\0", "\r", "\u2028", "\ufeff", "99999999999999999999999", "-1", "1e309", ".nan", "null",
          "<script>", "'", '"', "\\", "    ", "> ", "|", "%YAML 1.1", "@", "`"]


def mutate(rnd: random.Random, text: str) -> bytes:
    lines = text.split("\n")
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(6)
        i = rnd.randrange(len(lines))
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[rnd.randrange(len(lines))])
        elif op == 2:
            pos = rnd.randint(0, len(lines[i]))
            lines[i] = lines[i][:pos] + rnd.choice(TOKENS) + lines[i][pos:]
        elif op == 3:
            lines[i] = lines[i][: rnd.randint(0, len(lines[i]))]
        elif op == 4:
            lines.insert(i, rnd.choice(TOKENS) * rnd.randint(1, 300))
        else:
            j = rnd.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    data = "\n".join(lines).encode("utf-8", "surrogatepass")
    if rnd.random() < 0.05:  # a byte that is not UTF-8
        pos = rnd.randint(0, len(data))
        data = data[:pos] + b"\xff" + data[pos:]
    return data


def test_no_mutated_catalogue_crashes_the_build_or_touches_rules_json(tmp_path: Path) -> None:
    sources = sorted((REPO / "rules").glob("*.md"))
    root = tmp_path / "repo"
    rules = root / "rules"
    rules.mkdir(parents=True)
    rnd = random.Random(20261206)
    outcomes = {"built": 0, "refused": 0}
    for _ in range(120):
        for old in rules.iterdir():
            old.unlink()
        for source in rnd.sample(sources, 3):
            (rules / source.name).write_bytes(mutate(rnd, source.read_text(encoding="utf-8")))
        before = (root / "rules.json").read_bytes() if (root / "rules.json").exists() else None
        try:
            build(root)  # anything but success or a UserError is a bug: the test fails with its traceback
            outcomes["built"] += 1
        except UserError as exc:
            outcomes["refused"] += 1
            after = (root / "rules.json").read_bytes() if (root / "rules.json").exists() else None
            assert after == before, "a failed build changed rules.json"
            assert "Traceback" not in str(exc)
            assert all(len(line) < 1200 for line in str(exc).splitlines()), "a message quotes too much"
    assert outcomes["built"] > 5 and outcomes["refused"] > 30, outcomes  # the fuzzer reaches both sides


def test_build_py_exits_1_not_3_on_hostile_input(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.md").write_bytes(b"---\ngallery: true\norder: !!timestamp x\nx: &a [*a]\n---\n# \xff\n")
    os.symlink("a.md", tmp_path / "rules" / "b.md")
    done = subprocess.run([sys.executable, str(REPO / "build.py"), "--root", str(tmp_path)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "rules/a.md:" in done.stderr
