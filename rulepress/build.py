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
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

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
    """One file's compiled form. All but `fragment` and `code` is small and kept in the cache snapshot."""

    path: str
    summary: validate.Summary | None
    categories: list[str]
    problems: list[Problem]
    fragment: bytes | None = None  # its rules.json object, when published and sound
    code: jscheck.Code | None = None  # to check in Node
    published: bool = False
    code_key: str | None = None  # what the JavaScript verdict depends on: kind and code text

    def info(self) -> list[object]:
        return [self.summary, self.categories,
                [[p.line, p.message, p.severity] for p in self.problems], self.published, self.code_key]

    @classmethod
    def from_info(cls, path: str, info: list[Any]) -> FileResult:
        summary, categories, problems, published, code_key = info
        return cls(path, validate.Summary(*summary) if summary else None, categories,
                   [Problem(path, line, msg, sev) for line, msg, sev in problems], None, None, published,
                   code_key)


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
        return FileResult(path, None, [], problems)
    broken = any(p.severity == "error" for p in problems)
    published = template.gallery and not broken
    code_key = hashlib.sha1(f"{template.kind}\0{template.code}".encode()).hexdigest()
    return FileResult(path, None if broken else validate.summarize(template), list(template.categories),
                      problems, fragment(template) if published else None,
                      jscheck.Code(path, template.kind, template.code, template.code_line), published, code_key)


def _read_and_compile(root: str, rel: str, publish_all: bool) -> tuple[str, FileResult]:
    """(content key, result) of one file, read here: workers read their own files."""
    data = Path(root, rel).read_bytes()
    return _key(rel, data, publish_all), compile_file(rel, data, publish_all)


def _compile_many(root: Path, jobs: Sequence[str], publish_all: bool) -> Iterator[tuple[str, FileResult]]:
    """Results in order, as they come (so their code can be checked in Node meanwhile)."""
    if len(jobs) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        yield from (_read_and_compile(str(root), rel, publish_all) for rel in jobs)
        return
    workers = min(os.cpu_count() or 1, 8)
    with ProcessPoolExecutor(workers) as pool:
        yield from pool.map(_read_and_compile, [str(root)] * len(jobs), jobs, [publish_all] * len(jobs),
                            chunksize=max(1, min(200, len(jobs) // (workers * 4))))


class Cache:
    """Results of earlier builds in SQLite: per file content key, its small info (in one snapshot row) and
    its rules.json fragment. A broken or foreign cache is dropped and rebuilt, never trusted."""

    def __init__(self, root: Path) -> None:
        self.db: sqlite3.Connection | None = None
        folder = root / CACHE_DIR
        for attempt in range(2):
            try:
                folder.mkdir(exist_ok=True)
                if not (folder / ".gitignore").exists():
                    (folder / ".gitignore").write_text("*\n")
                self.db = self._open(folder / "build.sqlite")
                return
            except (OSError, sqlite3.Error):
                if attempt == 0:
                    for suffix in ("", "-journal", "-wal", "-shm"):
                        Path(f"{folder / 'build.sqlite'}{suffix}").unlink(missing_ok=True)
        self.db = None  # no cache: slower, still correct

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE IF NOT EXISTS fragments (key TEXT PRIMARY KEY, data BLOB NOT NULL)")
        db.execute("CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY, salt BLOB, data TEXT)")
        row = db.execute("SELECT salt, data FROM snapshot WHERE id = 1").fetchone()
        if row is None or row[0] != _CACHE_SALT:  # empty, or written by another version of rulepress
            with db:
                db.execute("DELETE FROM fragments")
                db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, '{}')", (_CACHE_SALT,))
        return db

    def snapshot(self) -> dict[str, Any]:
        if self.db is None:
            return {}
        data = json.loads(self.db.execute("SELECT data FROM snapshot WHERE id = 1").fetchone()[0])
        return data if isinstance(data, dict) else {}

    def fragments(self, keys: set[str]) -> dict[str, bytes]:
        if self.db is None or not keys:
            return {}
        return {k: bytes(d) for k, d in self.db.execute("SELECT key, data FROM fragments") if k in keys}

    def save(self, fragments: dict[str, bytes], snapshot: dict[str, Any]) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?)", fragments.items())
                self.db.execute("UPDATE snapshot SET data = ? WHERE id = 1", (json.dumps(snapshot),))
                if fragments:
                    live = {k for _, _, k in snapshot.get("files", {}).values()}
                    stale = [(k,) for (k,) in self.db.execute("SELECT key FROM fragments") if k not in live]
                    self.db.executemany("DELETE FROM fragments WHERE key = ?", stale)
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


@dataclass
class Compiled:
    results: list[FileResult]  # every markdown file, in file order
    problems: list[Problem]  # from the folder scan and the checks across files
    parsed: int
    cache: Cache
    snapshot: dict[str, Any]
    keys: dict[str, str]  # path -> content key
    fresh: dict[str, bytes]  # content key -> fragment, for what was parsed now
    unchanged: bool  # every file and the set of files is as the last build saw them


def compile_catalogue(cfg: config.RepoConfig) -> Compiled:
    """Every file's result (from the cache where its content is unchanged) and the checks across files."""
    entries, problems = _scan(cfg)
    publish_all = cfg.publish == "all"
    cache = Cache(cfg.root)
    old = cache.snapshot()
    old_files: dict[str, list[Any]] = old.get("files", {})
    infos: dict[str, list[Any]] = old.get("infos", {})
    keys: dict[str, str] = {}
    files: dict[str, list[Any]] = {}
    jobs: list[str] = []
    for entry in entries:
        rel = f"{cfg.rules_dir}/{entry.name}"
        st = entry.stat()
        seen = old_files.get(rel)
        if seen is not None and seen[0] == st.st_size and seen[1] == st.st_mtime_ns and seen[2] in infos:
            keys[rel] = seen[2]
        else:
            data = Path(entry.path).read_bytes()
            keys[rel] = _key(rel, data, publish_all)
            if keys[rel] not in infos:
                jobs.append(rel)
        files[rel] = [st.st_size, st.st_mtime_ns, keys[rel]]
    fresh: list[FileResult] = []
    checker = jscheck.Checker()
    # JavaScript verdicts by code: a file whose code did not change (only its description, say) needs no Node
    old_js: dict[str, list[list[Any]]] = old.get("js", {})
    js_problems: dict[str, list[Problem]] = {}
    checked: dict[str, FileResult] = {}
    for key, result in _compile_many(cfg.root, jobs, publish_all):
        keys[result.path] = key  # the content the worker read (it may have changed since the scan)
        files[result.path][2] = key
        fresh.append(result)
        if result.code is None or result.code_key is None:
            continue
        if result.code_key in old_js:
            base = result.code.line - 1
            js_problems[result.path] = [Problem(result.path, base + rel, msg, sev)
                                        for rel, msg, sev in old_js[result.code_key]]
        else:
            checker.add(result.code)
            checked[result.path] = result
    for p in checker.finish():
        js_problems.setdefault(p.path, []).append(p)
    new_js = {r.code_key: [[p.line - r.code.line + 1, p.message, p.severity] for p in js_problems.get(path, [])]
              for path, r in checked.items() if r.code_key is not None and r.code is not None}
    fresh_by_path: dict[str, FileResult] = {}
    for r in fresh:
        extra = js_problems.get(r.path, [])
        r.problems.extend(extra)
        if any(p.severity == "error" for p in extra):
            r.fragment, r.summary, r.published = None, None, False
        fresh_by_path[r.path] = r
    results = [fresh_by_path.get(rel) or FileResult.from_info(rel, infos[key]) for rel, key in keys.items()]
    unchanged = files == old_files
    new_infos = infos if unchanged and not fresh else {keys[r.path]: r.info() for r in results}
    live_code = {r.code_key for r in results if r.code_key is not None}
    js = {k: v for k, v in {**old_js, **new_js}.items() if k in live_code} if fresh else old_js
    snapshot = {"files": files, "infos": new_infos, "output": old.get("output"), "js": js}
    problems.extend(validate.check_catalogue([r.summary for r in results if r.summary is not None]))
    return Compiled(results, problems, len(fresh), cache, snapshot, keys,
                    {keys[r.path]: r.fragment for r in fresh if r.fragment is not None}, unchanged)


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
    c = compile_catalogue(cfg)
    problems = c.problems + [p for r in c.results for p in r.problems]
    try:
        warnings = _raise_if_broken(problems, strict or cfg.strict)
    except ProblemsError:
        c.cache.save(c.fresh, {**c.snapshot, "output": None})  # keep the work; rules.json is not current
        raise
    published = [r for r in c.results if r.published]
    try:
        st = cfg.output_path.stat()
        output_stat: list[int] | None = [st.st_size, st.st_mtime_ns]
    except FileNotFoundError:
        output_stat = None
    up_to_date = c.unchanged and output_stat is not None and output_stat == c.snapshot["output"]
    written = False
    if not up_to_date:
        stored = c.cache.fragments({c.keys[r.path] for r in published} - set(c.fresh))
        fragments = {**stored, **c.fresh}
        output = assemble((r.categories, fragments[c.keys[r.path]]) for r in published)
        current = _same_bytes(cfg.output_path, output) if output_stat is not None else None
        if not current:
            if check:
                c.cache.save(c.fresh, {**c.snapshot, "output": None})
                state = "missing" if current is None else "stale"
                raise UserError(f"{cfg.output} is {state}: it is not what the build writes from "
                                f"{cfg.rules_dir}/; run 'python build.py' and commit it")
            write_atomic(cfg.output_path, output)
            written = True
            st = cfg.output_path.stat()
            output_stat = [st.st_size, st.st_mtime_ns]
    if not up_to_date or c.fresh:
        c.cache.save(c.fresh, {**c.snapshot, "output": output_stat})
    return BuildResult(len(c.results), len(published), written, cfg.output_path, warnings, c.parsed)


def _same_bytes(path: Path, data: bytes) -> bool:
    """Whether the file holds exactly `data`, compared in chunks (rules.json can be tens of MB)."""
    if path.stat().st_size != len(data):
        return False
    view = memoryview(data)
    with path.open("rb") as f:
        for start in range(0, len(data), 1 << 20):
            if f.read(1 << 20) != view[start:start + (1 << 20)]:
                return False
    return True


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            mode = path.stat().st_mode & 0o7777  # keep the file's permissions
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask  # what open() would have given a new file
        os.fchmod(fd, mode)
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
