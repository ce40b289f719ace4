"""CHANGELOG.md: one section per release tag, the templates added, changed and removed between the catalogues
at two tags (read with GitPython), and the commit subjects in between.

Pure parts (`diff_catalogues`, `render_section`, `parse_sections`, `render_changelog`) take values; the
functions at the bottom read git history.

A section looks like this; hand-written notes between the heading and `### Templates` are kept when the
file is regenerated, and notes under `## Unreleased` move into the next release's section:

    ## v1.3.0 (2026-11-23)
    Optional notes written by hand.

    ### Templates
    - added `add-roles-to-tokens`: Add roles to tokens
    - changed `check-domains`: code, metadata (rule), description
    - removed `old-rule`

    ### Commits
    - Roles in tokens
"""

from __future__ import annotations

import configparser
import datetime
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rulepress import config
from rulepress.catalogue.rulesjson import read_objects
from rulepress.errors import UserError
from rulepress.release.versions import tag_version

HEADER = "# Changelog\n"
UNRELEASED = "Unreleased"
TEMPLATES_HEADING = "### Templates"
COMMITS_HEADING = "### Commits"
DEFAULT_MESSAGE = "Bump version: {current_version} → {new_version}"
_SECTION = re.compile(r"^## (?P<title>.+?)\s*$", re.M)
_BODY_KEYS = ("code", "description")


@dataclass(frozen=True)
class Change:
    template_id: str
    title: str
    what: tuple[str, ...] = ()  # for a change: code, metadata (keys), description


@dataclass(frozen=True)
class CatalogueDiff:
    added: tuple[Change, ...] = ()
    changed: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


@dataclass
class Section:
    title: str  # "v1.2.0 (2026-11-23)" or "Unreleased"
    notes: str = ""  # hand-written text before "### Templates"
    generated: str = ""  # "### Templates" and what follows

    @property
    def tag(self) -> str:
        return self.title.split(" ", 1)[0]


@dataclass
class Changelog:
    preamble: str = HEADER
    sections: list[Section] = field(default_factory=list)


def diff_catalogues(old: Sequence[dict[str, Any]], new: Sequence[dict[str, Any]]) -> CatalogueDiff:
    """What changed between two lists of published templates (as read from rules.json)."""
    before = {str(t["id"]): t for t in old}
    after = {str(t["id"]): t for t in new}
    added = [Change(i, str(t.get("title", ""))) for i, t in after.items() if i not in before]
    removed = [Change(i, str(t.get("title", ""))) for i, t in before.items() if i not in after]
    changed = []
    for i, t in after.items():
        if i not in before or before[i] == t:
            continue
        was = before[i]
        what = []
        if was.get("code") != t.get("code"):
            what.append("code")
        keys = sorted(k for k in set(was) | set(t) if k not in _BODY_KEYS and was.get(k) != t.get(k))
        if keys:
            what.append(f"metadata ({', '.join(keys)})")
        if was.get("description") != t.get("description"):
            what.append("description")
        changed.append(Change(i, str(t.get("title", "")), tuple(what)))
    return CatalogueDiff(tuple(added), tuple(changed), tuple(removed))


def render_generated(diff: CatalogueDiff, subjects: Sequence[str]) -> str:
    lines = [TEMPLATES_HEADING]
    lines += [f"- added `{c.template_id}`: {c.title}" for c in diff.added]
    lines += [f"- changed `{c.template_id}`: {', '.join(c.what)}" for c in diff.changed]
    lines += [f"- removed `{c.template_id}`" for c in diff.removed]
    if diff.empty:
        lines.append("- no template changed")
    lines += ["", COMMITS_HEADING]
    lines += [f"- {s}" for s in subjects] or ["- none"]
    return "\n".join(lines) + "\n"


def parse_sections(text: str) -> Changelog:
    """Split a CHANGELOG.md into its preamble and `## ` sections (notes kept apart from generated text)."""
    matches = list(_SECTION.finditer(text))
    if not matches:
        return Changelog(text if text.strip() else HEADER, [])
    log = Changelog(text[: matches[0].start()])
    for n, m in enumerate(matches):
        end = matches[n + 1].start() if n + 1 < len(matches) else len(text)
        body = text[m.end() + 1 : end]
        at = body.find(TEMPLATES_HEADING + "\n")
        notes, generated = (body, "") if at < 0 else (body[:at], body[at:])
        log.sections.append(Section(m["title"], notes.strip("\n"), generated.strip("\n")))
    return log


def render_changelog(log: Changelog) -> str:
    parts = [log.preamble.rstrip("\n") + "\n"]
    for s in log.sections:
        body = "\n\n".join(p for p in (s.notes.strip("\n"), s.generated.strip("\n")) if p)
        parts.append(f"\n## {s.title}\n" + ("\n" + body + "\n" if body else ""))
    return "".join(parts)


def add_release(log: Changelog, title: str, generated: str) -> Changelog:
    """The changelog with a new release section on top: notes under "Unreleased" move into it, and an
    empty "Unreleased" section stays for the next ones. An existing section for the same tag is replaced."""
    tag = title.split(" ", 1)[0]
    notes = ""
    rest: list[Section] = []
    for s in log.sections:
        if s.title == UNRELEASED:
            notes = s.notes
        elif s.tag != tag:
            rest.append(s)
    return Changelog(log.preamble, [Section(UNRELEASED), Section(title, notes, generated), *rest])


# -- reading git history ------------------------------------------------------------------------------


def open_repo(root: Path) -> Any:
    import git  # GitPython, imported here: the pre-commit hook path never needs it

    try:
        return git.Repo(root, search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UserError(f"{root} is not a git repository") from None


def release_tags(repo: Any) -> list[Any]:
    """Tags named like vX.Y.Z, oldest version first."""
    tags = [t for t in repo.tags if tag_version(t.name) is not None]
    return sorted(tags, key=lambda t: tag_version(t.name) or ())


def catalogue_at(repo: Any, rev: str | None, output: str) -> list[dict[str, Any]]:
    """The published templates in rules.json at `rev` (empty when the file is not there)."""
    if rev is None:
        return []
    try:
        blob = repo.commit(rev).tree / output
    except KeyError:
        return []
    with tempfile.TemporaryDirectory(prefix="rulepress-changelog-") as tmp:
        path = Path(tmp) / "rules.json"
        path.write_bytes(blob.data_stream.read())
        try:
            return read_objects(path)
        except UserError as exc:
            raise UserError(f"{output} at {rev}: {str(exc).replace(str(path), output)}") from None


def bump_message(repo: Any, rev: str) -> str:
    """The [bumpversion] commit message template in setup.cfg at rev."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string((repo.commit(rev).tree / "setup.cfg").data_stream.read().decode("utf-8"))
    except (KeyError, configparser.Error, UnicodeDecodeError):
        return DEFAULT_MESSAGE
    return parser.get("bumpversion", "message", fallback=DEFAULT_MESSAGE)


def subjects_between(repo: Any, since: str | None, until: str, skip: Sequence[str] = ()) -> list[str]:
    """Commit subjects in since..until, oldest first, without merges and release commits."""
    rev = f"{since}..{until}" if since else until
    out = [c.summary for c in repo.iter_commits(rev, no_merges=True, reverse=True)]
    return [s if isinstance(s, str) else s.decode("utf-8", "replace") for s in out if s not in skip]


def release_subject(message: str, previous: str | None, version: str) -> str:
    try:
        return message.format(current_version=previous or "", new_version=version)
    except (KeyError, IndexError, ValueError):
        return message


def _date(tag: Any) -> str:
    obj = tag.tag
    when = obj.tagged_date if obj is not None else tag.commit.committed_date
    return datetime.datetime.fromtimestamp(when, datetime.UTC).date().isoformat()


def generated_for_tag(repo: Any, output: str, previous: Any | None, tag: Any) -> str:
    prev_name = previous.name if previous is not None else None
    version = tag.name[1:]
    skip = [release_subject(bump_message(repo, tag.name), prev_name[1:] if prev_name else None, version)]
    diff = diff_catalogues(catalogue_at(repo, prev_name, output), catalogue_at(repo, tag.name, output))
    return render_generated(diff, subjects_between(repo, prev_name, tag.name, skip))


def regenerate(root: Path, existing: str, *, preview: bool) -> str:
    """CHANGELOG.md rebuilt from every release tag, keeping hand-written notes. With `preview`, the
    "Unreleased" section also lists what changed since the last tag (working-tree rules.json)."""
    repo = open_repo(root)
    output = config.load(root).output
    old = parse_sections(existing)
    notes = {s.tag: s.notes for s in old.sections}
    tags = release_tags(repo)
    sections = []
    for n, tag in enumerate(tags):
        previous = tags[n - 1] if n else None
        sections.append(Section(f"{tag.name} ({_date(tag)})", notes.get(tag.name, ""),
                                generated_for_tag(repo, output, previous, tag)))
    unreleased = Section(UNRELEASED, notes.get(UNRELEASED, ""))
    if preview:
        unreleased.generated = pending(root, repo, output, tags[-1].name if tags else None)
    return render_changelog(Changelog(old.preamble if old.sections else HEADER, [unreleased, *reversed(sections)]))


def pending(root: Path, repo: Any, output: str, since: str | None) -> str:
    """The generated part for what changed since `since` up to the working tree's rules.json."""
    current = read_objects(root / output) if (root / output).exists() else []
    diff = diff_catalogues(catalogue_at(repo, since, output), current)
    head = None if not repo.head.is_valid() else "HEAD"
    return render_generated(diff, subjects_between(repo, since, head) if head else [])


def read_changelog(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HEADER
