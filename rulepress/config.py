"""Repository configuration: the [rulepress] section of setup.cfg (optional; defaults otherwise)."""

from __future__ import annotations

import configparser
import difflib
import re
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


def catalogue_version(root: Path) -> str | None:
    """The catalogue's version: [bumpversion] current_version in setup.cfg (or [metadata] version)."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(root / "setup.cfg", encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    for section, key in (("bumpversion", "current_version"), ("metadata", "version")):
        if parser.has_option(section, key):
            return parser.get(section, key).strip() or None
    return None


def find_root(start: Path) -> Path:
    """The repository a command run in `start` works on, found as git finds its own: the nearest folder,
    from `start` upwards, whose setup.cfg has a [rulepress] section or that holds a rules/ folder, or a
    .git. `start` itself when none does (the command then says what is missing)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        cfg = folder / "setup.cfg"
        try:
            if cfg.is_file() and "[rulepress]" in cfg.read_text(encoding="utf-8", errors="replace"):
                return folder
        except OSError:
            pass
        if (folder / "rules").is_dir() or (folder / ".git").exists():
            return folder
    return start


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
    key_lines = _key_lines(cfg_path, line)
    for key in section:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(KEYS)}"
            problems.append(Problem("setup.cfg", key_lines.get(key, line),
                                    f"unknown key '{key}' in [rulepress] ({hint})"))
    publish = section.get("publish", "gallery")
    if publish not in ("gallery", "all"):
        problems.append(Problem("setup.cfg", key_lines.get("publish", line),
                                f"[rulepress] publish must be 'gallery' or 'all', not {publish!r}"))
    try:
        strict = section.getboolean("strict", False)
    except ValueError:
        problems.append(Problem("setup.cfg", key_lines.get("strict", line),
                                "[rulepress] strict must be true or false"))
        strict = False
    if problems:
        raise ProblemsError(problems)
    return RepoConfig(root, section.get("rules_dir", "rules"), section.get("output", "rules.json"),
                      publish, strict)


def _key_lines(path: Path, section_line: int) -> dict[str, int]:
    """Line of each key of the section that starts at `section_line`."""
    lines: dict[str, int] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines()[section_line:], section_line + 1):
        if text.startswith("["):
            break
        m = re.match(r"([A-Za-z_][\w-]*)\s*[=:]", text)
        if m:
            lines.setdefault(m.group(1).lower(), number)
    return lines


def _section_line(path: Path) -> int:
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text.strip() == "[rulepress]":
            return number
    return 1
