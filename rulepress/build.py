"""The build: read rules/, validate every file and the whole catalogue, write rules.json atomically.

Each file's result (its rules.json fragment, a summary for the checks across files, and its problems) is
cached in .rulepress-cache/ under a key made of the file's content, its path and the tool's version, so a
rebuild only parses what changed. File stats (size, mtime) let an unchanged file skip even being read.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

from rulepress import __version__, config, jscheck, validate
from rulepress.catalogue import assemble, file_order_key, fragment
from rulepress.errors import Problem, ProblemsError, UserError
from rulepress.model import Template
from rulepress.template import parse_template

CACHE_DIR = ".rulepress-cache"


def _code_fingerprint() -> bytes:
    """What the cached results depend on: our parsing and checking code, and the renderer's version."""
    h = hashlib.sha1(f"rulepress {__version__} cmarkgfm {metadata.version('cmarkgfm')}".encode())
    package = Path(__file__).parent
    for name in ("build.py", "catalogue.py", "model.py", "template.py", "validate.py", "jscheck.py",
                 "js/syntax_check.js"):
        h.update((package / name).read_bytes())
    return h.digest()


_CACHE_SALT = _code_fingerprint()
PARALLEL_THRESHOLD = 400  # below this many files to parse, one process is faster


@dataclass
class FileResult:
    """One file's compiled form: all that the build needs, small enough to cache."""

    path: str
    summary: validate.Summary | None
    categories: list[str]
    fragment: str | None
    problems: list[Problem]
    code: jscheck.Code | None = None  # to check in Node (not cached)

    def dump(self) -> str:
        return json.dumps({
            "summary": asdict(self.summary) if self.summary else None,
            "categories": self.categories, "fragment": self.fragment,
            "problems": [[p.line, p.message, p.severity] for p in self.problems],
        }, ensure_ascii=False)

    @classmethod
    def load(cls, path: str, text: str) -> FileResult:
        data = json.loads(text)
        summary = validate.Summary(**data["summary"]) if data["summary"] else None
        problems = [Problem(path, line, msg, sev) for line, msg, sev in data["problems"]]
        return cls(path, summary, data["categories"], data["fragment"], problems)


@dataclass(frozen=True)
class BuildResult:
    files: int
    published: int
    written: bool  # rules.json changed on disk
    output: Path
    warnings: list[Problem] = field(default_factory=list)
    parsed: int = 0  # files parsed this time (the rest came from the cache)


def compile_file(path: str, data: bytes, publish_all: bool) -> FileResult:
    template, problems = parse_template(path, data, publish_all=publish_all)
    if template is None:
        return FileResult(path, None, [], None, problems)
    broken = any(p.severity == "error" for p in problems)
    return FileResult(path, None if broken else validate.summarize(template), list(template.categories),
                      fragment(template) if template.gallery and not broken else None, problems,
                      jscheck.Code(path, template.kind, template.code, template.code_line))


def _compile_many(jobs: Sequence[tuple[str, bytes]], publish_all: bool) -> list[FileResult]:
    if len(jobs) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        return [compile_file(p, d, publish_all) for p, d in jobs]
    workers = min(os.cpu_count() or 1, 8)
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(compile_file, [p for p, _ in jobs], [d for _, d in jobs],
                             [publish_all] * len(jobs), chunksize=max(1, len(jobs) // (workers * 4))))


class Cache:
    """Content-keyed results in SQLite. A broken cache is dropped and rebuilt, never trusted."""

    def __init__(self, root: Path) -> None:
        self.db: sqlite3.Connection | None = None
        folder = root / CACHE_DIR
        try:
            folder.mkdir(exist_ok=True)
            (folder / ".gitignore").write_text("*\n") if not (folder / ".gitignore").exists() else None
            self.db = self._open(folder / "build.sqlite")
        except (OSError, sqlite3.Error):
            try:
                (folder / "build.sqlite").unlink(missing_ok=True)
                self.db = self._open(folder / "build.sqlite")
            except (OSError, sqlite3.Error):
                self.db = None  # no cache: slower, still correct

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, data TEXT NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, size INTEGER, "
                   "mtime INTEGER, key TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS meta (salt BLOB)")
        row = db.execute("SELECT salt FROM meta").fetchone()
        if row is None or row[0] != _CACHE_SALT:  # another version of rulepress wrote it
            with db:
                db.execute("DELETE FROM results")
                db.execute("DELETE FROM stats")
                db.execute("DELETE FROM meta")
                db.execute("INSERT INTO meta VALUES (?)", (_CACHE_SALT,))
        return db

    def stats(self) -> dict[str, tuple[int, int, str]]:
        if self.db is None:
            return {}
        return {p: (s, m, k) for p, s, m, k in self.db.execute("SELECT path, size, mtime, key FROM stats")}

    def results(self, keys: Sequence[str]) -> dict[str, str]:
        if self.db is None or not keys:
            return {}
        wanted = set(keys)
        return {k: d for k, d in self.db.execute("SELECT key, data FROM results") if k in wanted}

    def save(self, results: dict[str, FileResult], stats: dict[str, tuple[int, int, str]]) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?)",
                                    [(k, r.dump()) for k, r in results.items()])
                self.db.execute("DELETE FROM stats")
                self.db.executemany("INSERT INTO stats VALUES (?, ?, ?, ?)",
                                    [(p, s, m, k) for p, (s, m, k) in stats.items()])
                live = {k for _, _, k in stats.values()}
                stale = [k for (k,) in self.db.execute("SELECT key FROM results") if k not in live]
                self.db.executemany("DELETE FROM results WHERE key = ?", [(k,) for k in stale])
        except sqlite3.Error:
            pass  # a cache that cannot be written only costs time


def _scan(cfg: config.RepoConfig) -> tuple[list[os.DirEntry[str]], list[Problem]]:
    if not cfg.rules_path.is_dir():
        raise UserError(f"no {cfg.rules_dir}/ folder in {cfg.root}: the catalogue lives there")
    markdown, problems = [], []
    for entry in os.scandir(cfg.rules_path):
        rel = f"{cfg.rules_dir}/{entry.name}"
        if entry.name.startswith("."):
            continue
        if entry.name.endswith(".md") and entry.is_file():
            markdown.append(entry)
        else:
            problems.append(Problem(rel, 1, "not a markdown file (.md); ignored", "warning"))
    markdown.sort(key=lambda e: file_order_key(e.name[:-3]))
    return markdown, problems


def _key(rel: str, data: bytes, publish_all: bool) -> str:
    h = hashlib.sha1(_CACHE_SALT)
    h.update(f"\0{rel}\0{publish_all}\0".encode())
    h.update(data)
    return h.hexdigest()


def compile_catalogue(cfg: config.RepoConfig) -> tuple[list[FileResult], list[Problem], int]:
    """Every file's result (cached where possible), problems across files, and how many were parsed."""
    entries, problems = _scan(cfg)
    publish_all = cfg.publish == "all"
    cache = Cache(cfg.root)
    old_stats = cache.stats()
    keys: dict[str, str] = {}
    stats: dict[str, tuple[int, int, str]] = {}
    contents: dict[str, bytes] = {}
    for entry in entries:
        rel = f"{cfg.rules_dir}/{entry.name}"
        st = entry.stat()
        old = old_stats.get(rel)
        if old is not None and old[0] == st.st_size and old[1] == st.st_mtime_ns:
            keys[rel] = old[2]
        else:
            data = Path(entry.path).read_bytes()
            contents[rel] = data
            keys[rel] = _key(rel, data, publish_all)
        stats[rel] = (st.st_size, st.st_mtime_ns, keys[rel])
    cached = cache.results(list(keys.values()))
    results: dict[str, FileResult] = {}
    jobs: list[tuple[str, bytes]] = []
    for rel, key in keys.items():
        if key in cached:
            results[rel] = FileResult.load(rel, cached[key])
        else:
            jobs.append((rel, contents[rel] if rel in contents else (cfg.root / rel).read_bytes()))
    fresh = _compile_many(jobs, publish_all)
    js_problems = jscheck.check([r.code for r in fresh if r.code is not None])
    by_path: dict[str, list[Problem]] = {}
    for p in js_problems:
        by_path.setdefault(p.path, []).append(p)
    for r in fresh:
        extra = by_path.get(r.path, [])
        r.problems.extend(extra)
        if any(p.severity == "error" for p in extra):
            r.fragment, r.summary = None, None
        results[r.path] = r
    cache.save({keys[r.path]: r for r in fresh}, stats)
    ordered = [results[rel] for rel in keys]
    problems.extend(validate.check_catalogue([r.summary for r in ordered if r.summary is not None]))
    return ordered, problems, len(fresh)


def _raise_if_broken(problems: list[Problem], strict: bool) -> list[Problem]:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if errors:
        raise ProblemsError(problems, f"build failed: {len(errors)} error(s), {len(warnings)} warning(s)")
    if strict and warnings:
        raise ProblemsError(problems, f"build failed in strict mode: {len(warnings)} warning(s)")
    return warnings


def build(root: Path, *, check: bool = False, strict: bool = False) -> BuildResult:
    """Compile root/rules into rules.json. With check, write nothing and fail if rules.json is stale."""
    cfg = config.load(root)
    results, problems, parsed = compile_catalogue(cfg)
    for r in results:
        problems.extend(r.problems)
    warnings = _raise_if_broken(problems, strict or cfg.strict)
    published = [r for r in results if r.fragment is not None]
    output = assemble((r.categories, r.fragment) for r in published if r.fragment is not None)
    try:
        current = cfg.output_path.read_bytes()
    except FileNotFoundError:
        current = None
    if check:
        if current != output:
            state = "missing" if current is None else "stale"
            raise UserError(f"{cfg.output} is {state}: it is not what the build writes from "
                            f"{cfg.rules_dir}/; run 'python build.py' and commit it")
        return BuildResult(len(results), len(published), False, cfg.output_path, warnings, parsed)
    if current != output:
        write_atomic(cfg.output_path, output)
    return BuildResult(len(results), len(published), current != output, cfg.output_path, warnings, parsed)


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def iter_templates(root: Path, cfg: config.RepoConfig | None = None) -> Iterator[tuple[Template | None,
                                                                                        list[Problem]]]:
    cfg = cfg or config.load(root)
    entries, _ = _scan(cfg)
    for entry in entries:
        rel = f"{cfg.rules_dir}/{entry.name}"
        yield parse_template(rel, Path(entry.path).read_bytes(), publish_all=cfg.publish == "all")


def load_catalogue(root: Path, *, strict: bool = False, published_only: bool = False) -> list[Template]:
    """Every template in root/rules, fully validated (JavaScript included); raises ProblemsError."""
    cfg = config.load(root)
    entries, problems = _scan(cfg)
    templates: list[Template] = []
    checked: list[Template] = []
    for template, found in iter_templates(root, cfg):
        problems.extend(found)
        if template is not None:
            checked.append(template)
            if not any(p.severity == "error" for p in found):
                templates.append(template)
    problems.extend(jscheck.check([jscheck.Code(t.path, t.kind, t.code, t.code_line) for t in checked]))
    problems.extend(validate.check_catalogue([validate.summarize(t) for t in templates]))
    _raise_if_broken(problems, strict or cfg.strict)
    return [t for t in templates if t.gallery or not published_only]
