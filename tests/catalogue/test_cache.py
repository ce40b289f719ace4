"""The build cache: unchanged files are neither read (same stat) nor compiled (same content), and every way
the cache could be wrong (a hand-edited rules.json, a failed build, a --check, a copied clone, another
Node) still gives the bytes a build from scratch gives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rulepress.catalogue.build import POOL_FROM, build, load_catalogue, node_identity
from rulepress.catalogue.cache import Cache, fingerprint
from rulepress.catalogue.rulesjson import render
from rulepress.errors import ProblemsError, UserError

HERE = Path(__file__).parent
REPO = HERE.parent.parent


def copy_folder(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".rulepress-cache", "rules.json"))
    return dst


def from_scratch(root: Path, tmp_path: Path) -> bytes:
    """What a build of the same files with no cache and no rules.json writes."""
    clean = copy_folder(root, tmp_path / f"scratch-{len(list(tmp_path.iterdir()))}")
    build(clean)
    return (clean / "rules.json").read_bytes()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_rebuild_parses_only_the_changed_file(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    assert build(root).parsed == 4
    edit(root / "rules" / "enrich.md", "Indented code counts", "Indented code still counts")
    result = build(root)
    assert result.written and result.parsed == 1
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_a_hand_edited_rules_json_is_not_copied_from(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    build(root)
    edit(root / "rules.json", "Enrich: the profile (v2)", "Enrich: the profile (v3)")  # same length
    result = build(root)
    assert result.written and result.parsed == 0  # rewritten from the cached objects, not from the file
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)
    edit(root / "rules" / "enrich.md", "Indented code counts", "Indented code still counts")
    (root / "rules.json").write_bytes(b"[]\n")
    assert build(root).parsed == 1
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_a_copied_repository_reuses_its_cache(tmp_path: Path) -> None:
    """A copy (or a checkout, or a CI cache restored into a fresh clone) changes every stamp, not the
    content: files are hashed, not parsed, and rules.json's objects are checked against their hashes."""
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    build(root)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)  # new inodes and ctimes
    result = build(copy)
    assert result.parsed == 0 and not result.written
    assert (copy / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_the_fix_after_a_failed_build_reuses_that_builds_work(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    build(root)
    before = (root / "rules.json").read_bytes()
    edit(root / "rules" / "enrich.md", "Indented code counts", "Indented code still counts")
    edit(root / "rules" / "add-claim.md", "trigger: post-login", "trigger: post-logn")
    with pytest.raises(ProblemsError) as failed:
        build(root)
    assert [p.message for p in failed.value.problems if p.severity == "error"] == [
        "'trigger' must be one of post-login, credentials-exchange, pre-user-registration, "
        "post-user-registration, post-change-password, send-phone-message, password-reset-post-challenge, "
        "custom-email-provider, custom-phone-provider, custom-token-exchange, not 'post-logn'"]
    assert (root / "rules.json").read_bytes() == before  # a failed build writes nothing
    edit(root / "rules" / "add-claim.md", "trigger: post-logn", "trigger: post-login")
    result = build(root)
    assert result.written and result.parsed == 1  # enrich.md's object was kept from the failed build
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_checks_across_files_are_redone_when_a_summary_changes(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    action = ("---\ngallery: true\nname: {name}\n---\n# {title}\n\n{text}\n\n```js\n"
              "exports.onExecutePostLogin = async () => {{}};\n```\n")
    for n in range(21):  # one over the per-trigger limit: a warning across files
        (root / "rules" / f"a{n:02d}.md").write_text(action.format(name=f"Action {n}", title=f"A {n}", text="Text."))
    first = build(root)
    limit = [str(w) for w in first.warnings if "post-login" in w.message]
    assert limit == ["rules/a20.md:1: warning: at most 20 actions can be bound to post-login; the catalogue publishes "
                     "21 (an environment must choose fewer)"]
    (root / "rules" / "a05.md").write_text(action.format(name="Action 5", title="A 5", text="New text."))
    again = build(root)
    assert again.parsed == 1 and [str(w) for w in again.warnings if "post-login" in w.message] == limit
    (root / "rules" / "a07.md").write_text(action.format(name="Action 3", title="A 7", text="Text."))
    with pytest.raises(ProblemsError) as clash:
        build(root)
    assert "rules/a07.md:3: action name 'Action 3' is already used by rules/a03.md" in [
        str(p) for p in clash.value.problems]
    (root / "rules" / "a07.md").write_text(action.format(name="Action 7", title="A 7", text="Text."))
    fixed = build(root)  # a07.md is as it was: rules.json needs no change
    assert fixed.parsed == 1 and not fixed.written
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_many_files_in_parallel_match_a_plain_build_and_share_code_verdicts(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    rule = "---\ngallery: true\ncategories: [{cat}]\n---\n# Rule {n}\n\n{pad}Rule number {n}.\n\n```js\n{code}\n```\n"
    good = "function (user, context, callback) {\n  callback(null, user, context);\n}"
    for n in range(POOL_FROM):  # the build compiles in a pool of processes from this many new files
        (root / "rules" / f"r{n:04d}.md").write_text(rule.format(n=n, cat=f"c{n % 7}", pad="", code=good))
    result = build(root)
    assert result.parsed == POOL_FROM and result.published == POOL_FROM
    assert (root / "rules.json").read_bytes() == render(load_catalogue(root))
    broken = "function (user, context, callback) {\n  callback(null user);\n}"
    (root / "rules" / "r0010.md").write_text(rule.format(n=10, cat="c0", pad="", code=broken))
    (root / "rules" / "r0400.md").write_text(rule.format(n=400, cat="c0", pad="More.\n\nLines.\n\n", code=broken))
    with pytest.raises(ProblemsError) as failed:
        build(root)
    assert [str(p) for p in failed.value.problems] == [
        "rules/r0010.md:11: JavaScript syntax error: missing ) after argument list",
        "rules/r0400.md:15: JavaScript syntax error: missing ) after argument list"]


def test_an_order_beyond_what_json_holds_exactly_is_refused(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    edit(root / "rules" / "Zeta-first.md", "order: 2", "order: 18446744073709551616")
    with pytest.raises(ProblemsError) as failed:
        build(root)
    assert [str(p) for p in failed.value.problems] == [
        "rules/Zeta-first.md:7: 'order' must be a whole number from 0 to 9007199254740991, "
        "not number 18446744073709551616"]
    assert not (root / "rules.json").exists()


def test_switching_what_is_published_rebuilds_everything(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    assert build(root).published == 3
    (root / "setup.cfg").write_text("[rulepress]\npublish = all\n")
    assert build(root).published == 4
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)
    (root / "setup.cfg").write_text("[rulepress]\npublish = gallery\n")
    (root / "rules.json").unlink()
    assert build(root).published == 3
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_an_edit_that_restores_the_mtime_is_still_seen(tmp_path: Path) -> None:
    """Size and mtime can be kept by an edit (touch -r, cp -p); the ctime cannot, as git's index knows."""
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    build(root)
    out = root / "rules.json"
    st = out.stat()
    edit(out, "Enrich: the profile (v2)", "Enrich: the profile (v3)")
    os.utime(out, ns=(st.st_atime_ns, st.st_mtime_ns))
    md = root / "rules" / "enrich.md"
    st = md.stat()
    edit(md, "Indented code counts", "Indented code COUNTS")
    os.utime(md, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert build(root).written
    assert out.read_bytes() == from_scratch(root, tmp_path)
    assert "Indented code COUNTS" in out.read_text()


def test_a_file_that_could_not_be_read_is_read_again(tmp_path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("root reads any file, and setpriv is not here to take that away")
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    md = root / "rules" / "enrich.md"
    # as root, drop the capabilities that let root read a file whatever its mode
    prefix = (["setpriv", "--bounding-set=-dac_override,-dac_read_search",
               "--inh-caps=-dac_override,-dac_read_search"] if os.geteuid() == 0 else [])
    if prefix and subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("setpriv may not drop capabilities here")

    def build_py() -> subprocess.CompletedProcess[str]:
        return subprocess.run([*prefix, sys.executable, str(REPO / "build.py"), "--root", str(root)],
                              capture_output=True, text=True, check=False)

    md.chmod(0)
    refused = build_py()
    assert refused.returncode == 1, refused.stderr
    assert "rules/enrich.md:1: cannot read the file: Permission denied" in refused.stderr
    assert "Traceback" not in refused.stderr
    md.chmod(0o644)
    fixed = build_py()
    assert fixed.returncode == 0, fixed.stderr
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_another_node_checks_the_code_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two Node wrappers that log each run: the same Node reuses its cached verdicts, another one (an
    upgrade, say) starts the cache afresh."""
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    real = shutil.which("node")
    assert real is not None
    log = tmp_path / "node.log"
    for name in ("a", "b"):
        wrapper = tmp_path / name / "node"
        wrapper.parent.mkdir()
        wrapper.write_text(f'#!/bin/sh\necho {name} >> "{log}"\nexec "{real}" "$@"\n')
        wrapper.chmod(0o755)
    path = os.environ["PATH"]
    monkeypatch.setenv("PATH", f"{tmp_path / 'a'}{os.pathsep}{path}")
    build(root)
    assert log.read_text() == "a\n"  # one Node process checks every code
    edit(root / "rules" / "enrich.md", "Indented code counts", "Indented code still counts")
    assert build(root).parsed == 1
    assert log.read_text() == "a\n"  # same Node, same code: the cached verdict serves
    monkeypatch.setenv("PATH", f"{tmp_path / 'b'}{os.pathsep}{path}")
    edit(root / "rules" / "enrich.md", "still counts", "counts again")
    result = build(root)  # another Node: every file is compiled and checked again
    assert log.read_text() == "a\nb\n" and result.parsed == 4


def test_a_touched_file_is_hashed_once_and_its_new_stamp_kept(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    build(root)
    md = root / "rules" / "enrich.md"
    os.utime(md, ns=(md.stat().st_atime_ns, md.stat().st_mtime_ns - 10 * 10**9))  # touched, not racy
    result = build(root)
    assert result.parsed == 0 and not result.written  # same content: nothing parsed, nothing written
    st = md.stat()
    recorded = Cache(root, f"{fingerprint()} {node_identity()} publish=gallery").stats()
    assert recorded["rules/enrich.md"][0] == [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def test_problems_from_another_node_do_not_outlive_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    fake = tmp_path / "bin" / "node"  # a Node that finds an error in the first code it is given
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\ncat > /dev/null\n'
                    'echo \'[{"i": 0, "line": 1, "message": "fake error", "severity": "error"}]\'\n')
    fake.chmod(0o755)
    real_path = os.environ["PATH"]
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{real_path}")
    with pytest.raises(ProblemsError) as failed:
        build(root)
    assert [p.message for p in failed.value.problems] == ["fake error"]
    monkeypatch.setenv("PATH", real_path)
    assert build(root).written  # the real Node: no error, whatever the other one said
    assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_removing_every_file_while_the_setting_changes_empties_rules_json(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    build(root)
    for md in (root / "rules").glob("*.md"):
        md.unlink()
    (root / "setup.cfg").write_text("[rulepress]\npublish = all\n")
    with pytest.raises(UserError, match="^rules.json is stale"):
        build(root, check=True)
    assert build(root).written
    assert (root / "rules.json").read_bytes() == b"[]\n"


def test_a_file_name_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    try:
        fd = os.open(os.fsencode(root / "rules") + b"/bad\xff.md", os.O_WRONLY | os.O_CREAT, 0o644)
    except OSError:
        pytest.skip("this file system refuses such names")
    os.close(fd)
    with pytest.raises(ProblemsError) as failed:
        build(root)
    assert [str(p) for p in failed.value.problems] == [
        "rules/bad\\xff.md:1: the file name is not valid UTF-8; rename it (its id would be the name)"]


def test_rebuilds_after_random_edits_equal_builds_from_scratch(tmp_path: Path) -> None:
    """Objects grow, shrink and move between groups; every rebuild must equal a build from scratch."""
    import random

    rnd = random.Random(7)
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    rule = ("---\ngallery: true\ncategories: [{cats}]\nname: Rule {n}\n---\n# Rule {n}\n\n{text}\n\n```js\n"
            "function (user, context, callback) {{\n  callback(null, user, context); // {code}\n}}\n```\n")
    cats = {n: ("a" if n % 3 else "a, b") if n % 4 else "c" for n in range(12)}

    def write(n: int) -> None:
        text = " ".join(rnd.choice(["short.", "a longer sentence here.", "é ü 日本.", "x" * rnd.randint(1, 90)])
                        for _ in range(rnd.randint(1, 6)))
        (root / "rules" / f"r{n:02d}.md").write_text(rule.format(n=n, cats=cats[n], text=text,
                                                                 code=rnd.randint(0, 3)))

    for n in range(12):
        write(n)
    build(root)
    for _ in range(25):
        edited = rnd.sample([n for n in range(12) if "," not in cats[n]], rnd.randint(1, 3))
        for n in edited:
            write(n)
        result = build(root)
        assert result.parsed == len(edited)
        assert (root / "rules.json").read_bytes() == from_scratch(root, tmp_path)


def test_a_file_changed_just_before_the_build_is_read_again_next_time(tmp_path: Path) -> None:
    """As git's index does ("racy git"): a stat taken within the file's timestamp granularity of a change is
    not trusted, since a second change in the same tick would leave size and times as they were."""
    root = copy_folder(HERE / "golden" / "small", tmp_path / "repo")
    old = root / "rules" / "add-claim.md"
    os.utime(old, ns=(old.stat().st_atime_ns, old.stat().st_mtime_ns - 10 * 10**9))
    edit(root / "rules" / "enrich.md", "Indented code counts", "Indented code COUNTS")  # just now
    build(root)
    recorded = Cache(root, f"{fingerprint()} {node_identity()} publish=gallery").stats()
    assert recorded["rules/enrich.md"][0] == []  # racy: read again next time
    assert recorded["rules/add-claim.md"][0] != []
