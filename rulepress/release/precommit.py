"""The pre-commit hook: the build on ordinary commits (validate; rebuild and stage a stale rules.json), and
the release preparation on bump2version's release commit.

bump2version has no pre-hook. It refuses a dirty tree itself, rewrites the version in its files, stages
them with `git add --update`, and runs `git commit -F <message>` with BUMPVERSION_CURRENT_VERSION and
BUMPVERSION_NEW_VERSION in the environment; the tag comes after the commit. Our pre-commit hook sees those
variables and prepares the release in that commit: it rebuilds rules.json, puts back setup.cfg's own
formatting (bump2version rewrites the whole file through ConfigParser, dropping comments) with only the
two version lines changed, writes the CHANGELOG section, and stages the three files. When the catalogue
is invalid (or rules/ holds untracked files), it puts back every file bump2version rewrote and fails: git
makes no commit, bump2version makes no tag, and the tree is exactly as it was.
"""

from __future__ import annotations

import datetime
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from rulepress import config
from rulepress.catalogue.build import BuildResult, build
from rulepress.errors import ProblemsError, UserError
from rulepress.files import write_atomic
from rulepress.gitrun import git, status_entries

Clock = Callable[[], datetime.datetime]


def _utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def run_pre_commit(root: Path, environ: Mapping[str, str], clock: Clock = _utcnow) -> str:
    """What the pre-commit hook does; returns a line to print, raises UserError to refuse the commit."""
    new = environ.get("BUMPVERSION_NEW_VERSION")
    if new:
        return prepare_release(root, environ.get("BUMPVERSION_CURRENT_VERSION", ""), new, clock)
    return check_staged(root)


# -- ordinary commits ---------------------------------------------------------------------------------


def check_staged(root: Path) -> str:
    """Keep every commit's rules.json what the build makes of its rules/.

    When the commit touches rules/, rules.json or setup.cfg and the working tree of rules/ and setup.cfg
    equals the index (the usual case, `git commit -a` included), the catalogue is validated and rules.json
    rebuilt and staged when stale: an invalid catalogue refuses the commit. When rules/ or setup.cfg has
    unstaged edits or untracked files, rebuilding would publish what is not committed: the staged files are
    copied to a temporary folder and checked there, and a stale rules.json refuses the commit."""
    cfg = config.load(root)
    paths = [cfg.rules_dir, cfg.output, "setup.cfg"]
    entries = status_entries(root, paths)
    if not any(code[0] not in " ?" for code, _ in entries):
        return ""  # the commit touches nothing the build reads
    unstaged = [p for code, p in entries if code[1] != " " and p != cfg.output]
    if not unstaged:
        result = _checked(root, "", lambda: build(root))
        git(root, "add", "--", cfg.output)
        return f"rulepress: {cfg.output} {'rebuilt and staged' if result.written else 'is up to date'}"
    with tempfile.TemporaryDirectory(prefix="rulepress-staged-") as tmp:
        files = git(root, "ls-files", "-z", "--", *paths)
        git(root, "checkout-index", f"--prefix={tmp}/", "-z", "--stdin", input_bytes=files.encode())
        _checked(Path(tmp), " (as staged)", lambda: build(Path(tmp), check=True))
    return f"rulepress: {cfg.output} is up to date (as staged)"


def _checked(root: Path, where: str, step: Callable[[], BuildResult]) -> BuildResult:
    try:
        return step()
    except ProblemsError as exc:
        raise ProblemsError(exc.problems, f"commit refused: the catalogue{where} does not build "
                                          f"({exc.summary}); fix it, or commit with --no-verify") from None
    except UserError as exc:
        raise UserError(f"commit refused{where}: {exc}; unstaged changes in rules/ are not built into "
                        "a commit: stage them, or build and stage rules.json yourself") from None


# -- the release commit made by bump2version ----------------------------------------------------------


def prepare_release(root: Path, current: str, new: str, clock: Clock = _utcnow) -> str:
    cfg = config.load(root)
    touched = [p for p in git(root, "diff", "--name-only", "-z", "HEAD").split("\0") if p]
    untracked = [p for code, p in status_entries(root, [cfg.rules_dir]) if code == "??"]
    try:
        if untracked:
            raise UserError(f"release refused: {cfg.rules_dir}/ has files that are not committed "
                            f"({', '.join(untracked)}); commit or remove them first")
        try:
            build(root)
        except ProblemsError as exc:
            raise ProblemsError(exc.problems, f"release refused: the catalogue does not build "
                                              f"({exc.summary})") from None
        if "setup.cfg" in touched:
            original = git(root, "show", "HEAD:setup.cfg")
            write_atomic(root / "setup.cfg", set_versions(original, current, new).encode("utf-8"))
        write_atomic(root / "CHANGELOG.md", release_changelog(root, cfg.output, current, new, clock).encode())
        git(root, "add", "--", cfg.output, "CHANGELOG.md", *(["setup.cfg"] if "setup.cfg" in touched else []))
    except BaseException:  # refused, or a bug: either way bump2version must not commit a half release
        restore(root, touched + [cfg.output, "CHANGELOG.md"])
        raise
    staged = [cfg.output, "CHANGELOG.md", *(["setup.cfg"] if "setup.cfg" in touched else [])]
    return f"rulepress: release v{new} prepared: {', '.join(staged)} staged"


def restore(root: Path, paths: list[str]) -> None:
    """Put back the committed version of paths (index and working tree), as before the bump."""
    tracked = [p for p in dict.fromkeys(paths) if git(root, "ls-files", "--", p).strip()]
    if tracked:
        git(root, "checkout", "HEAD", "--", *tracked)


_ASSIGN = re.compile(r"^(?P<key>[A-Za-z_]+)(?P<sep>\s*[=:]\s*)(?P<value>.*?)\s*$")


def set_versions(text: str, current: str, new: str) -> str:
    """setup.cfg with `current_version` in [bumpversion] and `version` in [metadata] set to `new`, every
    other byte kept."""
    section = ""
    out = []
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
        m = _ASSIGN.match(line.rstrip("\r\n"))
        if m and ((section == "bumpversion" and m["key"] == "current_version")
                  or (section == "metadata" and m["key"] == "version" and m["value"] == current)):
            ending = line[len(line.rstrip("\r\n")):]
            line = f"{m['key']}{m['sep']}{new}{ending}"
        out.append(line)
    return "".join(out)


def release_changelog(root: Path, output: str, current: str, new: str, clock: Clock) -> str:
    from rulepress.release import changelog as cl

    repo = cl.open_repo(root)
    tags = {t.name for t in cl.release_tags(repo)}
    since = f"v{current}" if f"v{current}" in tags else None
    existing = cl.read_changelog(root / "CHANGELOG.md")
    generated = cl.pending(root, repo, output, since)
    title = f"v{new} ({clock().date().isoformat()})"
    return cl.render_changelog(cl.add_release(cl.parse_sections(existing), title, generated))
