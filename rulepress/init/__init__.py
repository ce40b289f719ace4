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


def _source(name: str) -> Traversable:
    folder = resources.files("rulepress.init").joinpath("files")
    for part in name.split("/"):
        folder = folder.joinpath(part)
    return folder


def init(target: Path, *, force: bool = False) -> Initialized:
    target.mkdir(parents=True, exist_ok=True)
    git_created = False
    if not (target / ".git").exists():
        git(target, "init", "--quiet", "--initial-branch=main")  # the branch the workflow publishes from
        git_created = True
    written: list[str] = []
    kept: list[str] = []
    for name, rel in FILES.items():
        path = target / rel
        if path.exists() and not force:
            kept.append(rel)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        text = _source(name).read_text(encoding="utf-8").replace("@VERSION@", __version__)
        write_atomic(path, text.encode("utf-8"))
        written.append(rel)
    return Initialized(tuple(written), tuple(kept), git_created)
