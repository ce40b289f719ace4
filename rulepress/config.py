"""Repository configuration: the [rulepress] section of setup.cfg (optional; defaults otherwise)."""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from rulepress.errors import Problem, ProblemsError

KEYS = ("rules_dir", "output", "publish", "strict")


@dataclass(frozen=True)
class RepoConfig:
    root: Path
    rules_dir: str = "rules"
    output: str = "rules.json"
    publish: str = "gallery"  # gallery: only `gallery: true` files; all: every file
    strict: bool = False

    @property
    def rules_path(self) -> Path:
        return self.root / self.rules_dir

    @property
    def output_path(self) -> Path:
        return self.root / self.output


def load(root: Path) -> RepoConfig:
    cfg_path = root / "setup.cfg"
    if not cfg_path.is_file():
        return RepoConfig(root)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(cfg_path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ProblemsError([Problem("setup.cfg", getattr(exc, "lineno", 1) or 1,
                                     f"cannot read setup.cfg: {exc}")]) from None
    if not parser.has_section("rulepress"):
        return RepoConfig(root)
    section = parser["rulepress"]
    problems = []
    line = _section_line(cfg_path)
    for key in section:
        if key not in KEYS:
            problems.append(Problem("setup.cfg", line, f"unknown key '{key}' in [rulepress] "
                                                       f"(known: {', '.join(KEYS)})"))
    publish = section.get("publish", "gallery")
    if publish not in ("gallery", "all"):
        problems.append(Problem("setup.cfg", line, f"[rulepress] publish must be 'gallery' or 'all', "
                                                   f"not {publish!r}"))
    try:
        strict = section.getboolean("strict", False)
    except ValueError:
        problems.append(Problem("setup.cfg", line, "[rulepress] strict must be true or false"))
        strict = False
    if problems:
        raise ProblemsError(problems)
    return RepoConfig(root, section.get("rules_dir", "rules"), section.get("output", "rules.json"),
                      publish, strict)


def _section_line(path: Path) -> int:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.strip() == "[rulepress]":
            return number
    return 1
