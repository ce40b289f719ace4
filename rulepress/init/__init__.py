"""`rulepress init`: what a rules repository needs, written into a new or existing git repository.

The files are in init/files/ (package data). Nothing that exists is overwritten without `force`; the
pre-commit hook is installed (rulepress hooks install) so every commit keeps rules.json built.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from rulepress import __version__
from rulepress.errors import UserError
from rulepress.files import write_atomic
from rulepress.gitrun import git

# source name in init/files → path in the repository (dot files are kept without their dot in the package)
FILES = {
    "rules/require-verified-email.md": "rules/require-verified-email.md",
    "rules/add-email-domain-claim.md": "rules/add-email-domain-claim.md",
    "setup.cfg": "setup.cfg",
    "tenants.toml": "tenants.toml",
    "gitignore": ".gitignore",
    "CHANGELOG.md": "CHANGELOG.md",
    ".github/workflows/rulepress.yml": ".github/workflows/rulepress.yml",
    "pre-commit-config.yaml": ".pre-commit-config.yaml",
}


@dataclass(frozen=True)
class Initialized:
    written: tuple[str, ...]
    kept: tuple[str, ...]  # existed, not overwritten
    git_created: bool
    completed: tuple[str, ...] = ()  # what was added to kept files (sections, ignore lines)


def _source(name: str) -> Traversable:
    folder = resources.files("rulepress.init").joinpath("files")
    for part in name.split("/"):
        folder = folder.joinpath(part)
    return folder


def init(target: Path, *, force: bool = False) -> Initialized:
    target.mkdir(parents=True, exist_ok=True)
    git_created = False
    if not (target / ".git").exists():
        outer = git(target, "rev-parse", "--show-toplevel", check=False).strip()
        if outer:
            raise UserError(f"{target} is inside the git repository {outer}: run rulepress init at its top "
                            f"(rulepress init {outer}), or in a folder of its own")
        git(target, "init", "--quiet", "--initial-branch=main")  # the branch the workflow publishes from
        git_created = True
    branch = git(target, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip() or "main"
    has_rules = any((target / "rules").glob("*.md"))
    written: list[str] = []
    kept: list[str] = []
    notes: list[str] = []
    for name, rel in FILES.items():
        path = target / rel
        if rel.startswith("rules/") and has_rules and not path.exists():
            continue  # a catalogue of its own needs no examples (they would be published and deployed)
        if path.exists() and not force:
            kept.append(rel)
            notes.extend(_complete(path, rel, name))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = _source(name).read_text(encoding="utf-8").replace("@VERSION@", __version__)
        if rel.endswith("rulepress.yml"):
            text = text.replace("branches: [main]", f"branches: [{branch}]")
        write_atomic(path, text.encode("utf-8"))
        written.append(rel)
    return Initialized(tuple(written), tuple(kept), git_created, tuple(notes))


def _complete(path: Path, rel: str, name: str) -> list[str]:
    """Add to a kept file what the flow needs and it lacks, never changing what it has."""
    text = path.read_text(encoding="utf-8", errors="replace")
    ours = _source(name).read_text(encoding="utf-8")
    if rel == ".gitignore":
        missing = [line for line in ours.splitlines() if line and line not in text.splitlines()]
        if missing:
            write_atomic(path, (text.rstrip("\n") + "\n" + "\n".join(missing) + "\n").encode("utf-8"))
            return [f".gitignore: added {', '.join(missing)}"]
    if rel == "setup.cfg":
        added = []
        for section in ("[rulepress]", "[bumpversion]"):
            if section not in text:
                start = ours.index(section)
                end = ours.find("\n[", start + 1)
                text = text.rstrip("\n") + "\n\n" + ours[start:end if end > 0 else len(ours)].rstrip("\n") + "\n"
                added.append(section)
        if added:
            write_atomic(path, text.encode("utf-8"))
            return [f"setup.cfg: added {' and '.join(added)}"]
    return []
