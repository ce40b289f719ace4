"""The build: read rules/, validate every file and the whole catalogue, write rules.json atomically.

What each file compiled to (a summary for the checks across files, its categories and problems) is kept
in .rulepress-cache/ under a key made of the file's content, its path and the tool's version, so a
rebuild only parses what changed; file stats (size, mtime, ctime, inode) let an unchanged file skip even
being read.
A file's rules.json object is not stored twice: the cache records where it sits in the rules.json the
build last wrote, and a rebuild copies it from there (when that file is still as written). Objects that
never reached rules.json (a failed build, a --check) are kept in the cache beside it.
A cold build parses in a pool of processes while one Node process checks the code of each distinct code
text (a verdict is cached by code, so a change to a description never needs Node).
"""

from __future__ import annotations

import bisect
import functools
import gc
import hashlib
import itertools
import json
import mmap
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import orjson
import xxhash
import yaml
from cmarkgfm import _cmark

from rulepress import __version__, config, forkpool, jscheck, validate
from rulepress.catalogue import assemble_pieces, file_order_key, fragment
from rulepress.errors import Problem, ProblemsError, UserError
from rulepress.model import Template
from rulepress.template import parse_template, parse_templates

CACHE_DIR = ".rulepress-cache"


def _code_fingerprint() -> bytes:
    """What the cached results depend on: our parsing and checking code, and the libraries' versions."""
    cmark = _cmark.ffi.string(_cmark.lib.cmark_version_string()).decode()
    h = hashlib.sha1(f"rulepress {__version__} cmark-gfm {cmark} pyyaml {yaml.__version__} "
                     f"orjson {orjson.__version__} xxhash {xxhash.VERSION}".encode())
    package = Path(__file__).parent
    for name in ("build.py", "catalogue.py", "model.py", "template.py", "validate.py", "jscheck.py",
                 "yamlsubset.py", "_fastbody.c", "js/syntax_check.js"):
        h.update((package / name).read_bytes())
    return h.digest()


_CACHE_SALT = _code_fingerprint()
PARALLEL_THRESHOLD = 400  # below this many files to parse, one process is faster
CHUNK = 250  # files per task in the pool: one message back per chunk

# A file's compiled form, as the cache keeps it: [summary (list) or None, categories, problems as
# [line, message, severity], published, code key (what the JavaScript verdict depends on) or None].
Info = list[Any]
SUMMARY, CATEGORIES, PROBLEMS, PUBLISHED, CODE_KEY = range(5)


@dataclass(frozen=True)
class BuildResult:
    files: int
    published: int
    written: bool  # rules.json changed on disk
    output: Path
    warnings: list[Problem] = field(default_factory=list)
    parsed: int = 0  # files parsed this time (the rest came from the cache)


class Compiled(NamedTuple):
    """One file compiled now: its info, its rules.json object (when published) and its code (to check)."""

    path: str
    key: str
    info: Info
    fragment: bytes | memoryview | None
    code: jscheck.Code | None
    digest: str = ""  # the object's hash: a copy of it found in rules.json is checked against it
    summary_json: str = ""  # info's summary as the cache keeps it (JSON), made in the worker
    stat: tuple[int, list[int]] | None = None  # size and stamp, taken from the open file before reading it
    spilled: int = 0  # the object's length, while it travels through a file (then fragment is None)
    code_spilled: int = -1  # the code's UTF-8 length, while it travels through a file (code.text is "")
    code_utf8: memoryview | None = None  # the code in UTF-8, when it came through a file (code.text is "")


def compile_files(files: Sequence[tuple[str, str, bytes, tuple[int, list[int]] | None]],
                  publish_all: bool) -> list[Compiled]:
    """Each (path, content key, bytes, stat) compiled, in order: parsed stage by stage (see parse_templates),
    then its info, rules.json object and code."""
    parsed = parse_templates([(path, data) for path, _, data, _ in files], publish_all=publish_all,
                             with_tests=False)
    out: list[Compiled] = []
    for (path, key, _, stat), (template, problems) in zip(files, parsed, strict=True):
        found = [[p.line, p.message, p.severity] for p in problems]
        if template is None:
            out.append(Compiled(path, key, [None, [], found, False, None], None, None, stat=stat))
            continue
        broken = any(p.severity == "error" for p in problems)
        published = template.gallery and not broken
        code_key = xxhash.xxh3_128_hexdigest(f"{template.kind}\0{template.code}".encode())
        summary = None if broken else list(validate.summarize(template))
        info = [summary, list(template.categories), found, published, code_key]
        obj = fragment(template) if published else None
        out.append(Compiled(path, key, info, obj, jscheck.Code(path, template.kind, template.code,
                                                                template.code_line),
                            _digest(obj) if obj is not None else "",
                            _dumps(summary).decode() if summary is not None else "", stat))
    return out


def _digest(data: bytes | memoryview) -> str:
    """What identifies content in the cache: XXH3's 128 bits (an accidental match is as unlikely as SHA-1's,
    at a tenth of its cost; the cache guards against mistakes, not attackers, who could edit it anyway)."""
    return xxhash.xxh3_128_hexdigest(data)


def _dumps(value: Any) -> bytes:
    """JSON bytes: orjson's, or the standard library's for what orjson refuses (integers beyond 64 bits,
    which an 'order' may be). Either way the same value always gives the same bytes."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value).encode()


def _key(rel: str, data: bytes, publish_all: bool) -> str:
    h = xxhash.xxh3_128(_CACHE_SALT)
    h.update(f"\0{rel}\0{publish_all}\0".encode())
    h.update(data)
    return h.hexdigest()


def _read(path: str) -> bytes:
    """The file's bytes (several times faster than Path.read_bytes for small files)."""
    return _read_stat(path)[0]


def _read_stat(path: str, dir_fd: int | None = None) -> tuple[bytes, tuple[int, list[int]]]:
    """The file's bytes, and its size and stamp as they were before it was read (so a change made while it
    is read shows as a new stamp next time). A relative path is taken from dir_fd's folder."""
    fd = os.open(path, os.O_RDONLY, dir_fd=dir_fd)
    try:
        st = os.fstat(fd)
        chunks = [os.read(fd, 1 << 16)]
        while len(chunks[-1]) == 1 << 16:
            chunks.append(os.read(fd, 1 << 16))
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks), (st.st_size, _stamp(st))


def _stamp(st: os.stat_result) -> list[int]:
    """What says a file is unchanged, with its size: mtime, ctime and inode, as git's index keeps them."""
    return [st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


_UNREADABLE = "unreadable "  # the key of a file that could not be read (content keys are hex digests)


def _read_and_compile(root: str, rels: Sequence[str], publish_all: bool, root_fd: int | None = None
                      ) -> list[Compiled]:
    """Read these files (relative to root, or to root_fd's folder) and compile them, in order; a file that
    cannot be read compiles to its error."""
    done: dict[int, Compiled] = {}
    readable: list[tuple[str, str, bytes, tuple[int, list[int]] | None]] = []
    for i, rel in enumerate(rels):
        try:
            data, stat = _read_stat(rel, root_fd) if root_fd is not None else _read_stat(os.path.join(root, rel))
        except OSError as exc:
            problem = [1, f"cannot read the file: {exc.strerror or exc}", "error"]
            done[i] = Compiled(rel, _UNREADABLE + rel, [None, [], [problem], False, None], None, None)
            continue
        readable.append((rel, _key(rel, data, publish_all), data, stat))
    compiled = iter(compile_files(readable, publish_all))
    return [done[i] if i in done else next(compiled) for i in range(len(rels))]


# In a pool worker: the file its objects go to, as (folder, descriptor, size so far).
_SPILL: tuple[str, int, int] | None = None


def _compile_chunk(root: str, rels: Sequence[str], publish_all: bool, spill: str | None = None
                   ) -> tuple[list[Compiled], tuple[str, int, int] | None]:
    """A pool task: read and compile these files (workers read their own files). With `spill`, a folder,
    the chunk's objects and code texts are not sent back through the pool's pipe but written to the
    worker's own file there (each result's object, then its code in UTF-8), and the results carry their
    lengths instead; returned with them: (file, offset, length) of the chunk's bytes. Sending 60 MB through
    the pipe costs the parent more than reading it from a file."""
    global _SPILL
    try:
        root_fd: int | None = os.open(root, os.O_RDONLY | os.O_DIRECTORY)  # files opened from here: shorter
    except OSError:
        root_fd = None  # each file's own error says what is wrong
    try:
        results = _read_and_compile(root, rels, publish_all, root_fd)
    finally:
        if root_fd is not None:
            os.close(root_fd)
    if spill is None:
        return results, None
    try:
        if _SPILL is None or _SPILL[0] != spill:
            path = os.path.join(spill, str(os.getpid()))
            _SPILL = (spill, os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), 0)
        folder, fd, offset = _SPILL
        pieces: list[bytes | memoryview] = []
        sent: list[Compiled] = []
        for r in results:  # each result's object, then its code
            if r.fragment is None and r.code is None:
                sent.append(r)
                continue
            spilled = code_spilled = -1
            if r.fragment is not None:
                pieces.append(r.fragment)
                spilled = len(r.fragment)
            if r.code is not None:
                code = r.code.text.encode("utf-8")
                pieces.append(code)
                code_spilled = len(code)
            sent.append(r._replace(fragment=None, spilled=max(spilled, 0), code_spilled=code_spilled,
                                   code=None if r.code is None else r.code._replace(text="")))
        data = memoryview(b"".join(pieces))
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
    except OSError:  # no room or no folder: the objects go through the pipe after all
        _SPILL = None
        return results, None
    _SPILL = (folder, fd, offset + len(data))
    return sent, (str(os.getpid()), offset, len(data))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Compiling allocates many small objects and no cycles; the cyclic collector only costs time here."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _compile_many(root: Path, jobs: Sequence[str], publish_all: bool) -> Iterator[Compiled]:
    """Results in file order, as they come (so their code can be checked in Node meanwhile). From a pool,
    objects arrive through files in a temporary folder (see _compile_chunk) as memoryviews."""
    if len(jobs) < PARALLEL_THRESHOLD or (os.cpu_count() or 1) < 2:
        for i in range(0, len(jobs), 50):
            yield from _read_and_compile(str(root), jobs[i:i + 50], publish_all)
        return
    workers = min(os.cpu_count() or 1, 8)
    # chunks shrink towards the end (a quarter of what is left per worker, at most CHUNK), so the workers
    # finish together instead of one of them working through a whole last chunk alone
    largest = max(CHUNK, len(jobs) // (forkpool.MAX_CHUNKS // 2))  # a huge catalogue takes bigger chunks
    bounds = [0]
    while bounds[-1] < len(jobs):
        left = len(jobs) - bounds[-1]
        bounds.append(bounds[-1] + max(1, min(largest, left // (workers * 4), left), min(25, left)))
    with tempfile.TemporaryDirectory(prefix="rulepress-build-") as spill:
        chunks = [jobs[a:b] for a, b in itertools.pairwise(bounds)]
        task = functools.partial(_compile_chunk, str(root), publish_all=publish_all, spill=spill)
        files: dict[str, int] = {}
        try:
            for results, where in forkpool.map_chunks(task, chunks, workers):
                if where is None:
                    yield from results
                    continue
                name, offset, length = where
                if name not in files:
                    files[name] = os.open(os.path.join(spill, name), os.O_RDONLY)
                data = memoryview(os.pread(files[name], length, offset))
                if len(data) != length:
                    raise OSError(f"{name} in {spill} is shorter than its worker wrote")
                at = 0
                for result in results:
                    if not result.spilled and result.code_spilled < 0:
                        yield result
                        continue
                    fragment, code = result.fragment, None
                    if result.spilled:
                        fragment = data[at:at + result.spilled]
                        at += result.spilled
                    if result.code_spilled >= 0:
                        code = data[at:at + result.code_spilled]
                        at += result.code_spilled
                    yield result._replace(fragment=fragment, spilled=0, code_utf8=code, code_spilled=-1)
        finally:
            for fd in files.values():
                os.close(fd)


class Cache:
    """Results of earlier builds in SQLite: one snapshot row (see Catalogue.snapshot) and the rules.json
    objects that are not in the rules.json the snapshot describes. A broken or foreign cache is dropped
    and rebuilt, never trusted."""

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
        db.execute("CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY, salt BLOB, data BLOB)")
        row = db.execute("SELECT salt, data FROM snapshot WHERE id = 1").fetchone()
        if row is None or row[0] != _CACHE_SALT:  # empty, or written by another version of rulepress
            with db:
                db.execute("DELETE FROM fragments")
                db.execute("INSERT OR REPLACE INTO snapshot VALUES (1, ?, '{}')", (_CACHE_SALT,))
        return db

    def snapshot(self) -> dict[str, Any]:
        if self.db is None:
            return {}
        try:
            data = orjson.loads(self.db.execute("SELECT data FROM snapshot WHERE id = 1").fetchone()[0])
        except (orjson.JSONDecodeError, sqlite3.Error, TypeError):
            return {}
        return data if isinstance(data, dict) else {}

    def fragments(self, keys: Iterable[str]) -> dict[str, bytes]:
        wanted = set(keys)
        if self.db is None or not wanted:
            return {}
        try:
            return {k: bytes(d) for k, d in self.db.execute("SELECT key, data FROM fragments") if k in wanted}
        except sqlite3.Error:
            return {}

    def save(self, snapshot: dict[str, Any], fragments: dict[str, bytes | memoryview] | None) -> None:
        """Store the snapshot. `fragments`: objects to keep beside rules.json (None: rules.json now holds
        every published object, so none are kept)."""
        if self.db is None:
            return
        try:
            with self.db:
                self.db.execute("UPDATE snapshot SET data = ? WHERE id = 1", (_dumps(snapshot),))
                if fragments is None:
                    self.db.execute("DELETE FROM fragments")
                else:
                    self.db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?)", fragments.items())
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
        try:
            entry.name.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8, kept as surrogates by the file system codec
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            problems.append(Problem(shown, 1, "the file name is not valid UTF-8; rename it (its id would be "
                                              "the name)"))
            continue
        if entry.name.endswith(".md") and entry.is_file():
            markdown.append(entry)
        else:
            problems.append(Problem(rel, 1, "not a markdown file (.md); ignored", "warning"))
    if all(e.name.isascii() for e in markdown):
        markdown.sort(key=lambda e: e.name)  # for ASCII names the same order as their bytes, found faster
    else:
        markdown.sort(key=lambda e: file_order_key(e.name[:-3]))
    return markdown, problems


# One row per markdown file, in file order, as the snapshot keeps them (flattened):
FIELDS = ("path", "size", "stamp", "key", "published", "categories", "start", "end", "digest", "code_key",
          "summary")
PATH, SIZE, STAMP, KEY, PUBLISHED, CATS, START, END, DIGEST, CODE, SUM = range(len(FIELDS))
# stamp: [mtime, ctime, inode], as git's index keeps them: an edit that restores the mtime still changes
# the ctime, so an unchanged stamp means an unchanged file.
# `categories` indexes a table of category lists; start/end: where the object sits in the rules.json the
# snapshot describes (0, 0: not there); digest: the object's hash (XXH3, 128 bits), so that a rules.json
# whose stamp changed (a checkout, a copy, a restored CI cache) can still serve the objects that are intact;
# code_key: what the JavaScript verdict depends on ("" for none); summary: the file's validate.Summary as
# JSON ("" when the file is broken), what the checks across files depend on.


@dataclass
class Catalogue:
    """Every markdown file's row (from the cache where its content is unchanged), every problem, and the
    objects compiled now: what the build writes and caches."""

    rows: list[list[Any]]
    categories: list[list[str]]
    problems: list[Problem]  # from the folder scan, each file, and the checks across files
    file_problems: dict[str, list[list[Any]]]  # content key -> its problems, for files that have any
    fresh: dict[str, bytes | memoryview]  # content key -> rules.json object, for what was compiled now
    parsed: int
    unchanged: bool  # every file, and the set of files, is as the last build saw it
    js: dict[str, list[list[Any]]]  # code key -> its JavaScript problems, lines relative to the code
    cross: list[Any]  # [digest of every summary, the problems the checks across files found]
    cache: Cache
    old: dict[str, Any]  # the snapshot the build started from
    old_rows: list[list[Any]]  # its rows (an unchanged file's row is the same list as in `rows`)
    publish_all: bool  # what rows were made with: with another setting they are not reused
    node: str  # which Node gave the JavaScript verdicts in the rows: another one (an upgrade) starts afresh

    def snapshot(self, output: list[int] | None, current: bool) -> dict[str, Any]:
        """The cache's record of this build. `output`: the stat of the rules.json the rows' start/end
        describe; `current`: whether that rules.json is what these files build to."""
        used: dict[int, int] = {}
        table: list[list[str]] = []
        flat: list[Any] = []
        for row in self.rows:
            index = used.get(row[CATS])
            if index is None:
                index = used[row[CATS]] = len(table)
                table.append(self.categories[row[CATS]])
            flat.extend(row)
            flat[-len(FIELDS) + CATS] = index
        live = {row[CODE] for row in self.rows}
        return {"rows": flat, "categories": table, "problems": self.file_problems, "cross": self.cross,
                "js": {k: v for k, v in self.js.items() if k in live}, "output": output, "current": current,
                "publish_all": self.publish_all, "node": self.node}


def _apply_verdict(result: Compiled, verdict: list[list[Any]], fresh: dict[str, bytes | memoryview]) -> None:
    """A file's JavaScript problems, at its own lines; an error keeps it out of rules.json."""
    if not verdict:
        return
    assert result.code is not None
    base = result.code.line - 1
    result.info[PROBLEMS].extend([base + line, msg, sev] for line, msg, sev in verdict)
    if any(sev == "error" for _, _, sev in verdict):
        result.info[SUMMARY], result.info[PUBLISHED] = None, False
        fresh.pop(result.key, None)


def _node_identity() -> str:
    """Which Node would check the code: its real path (past symlinks, so a Homebrew or nvm upgrade shows),
    size and mtime; cheaper than running `node --version`. A version manager's shim script hides an upgrade
    behind it: delete .rulepress-cache/ after one."""
    found = shutil.which("node")
    if found is None:
        return ""
    node = os.path.realpath(found)
    try:
        st = os.stat(node)
    except OSError:
        return node
    return f"{node} {st.st_size} {st.st_mtime_ns}"


def _old_rows(old: dict[str, Any]) -> list[list[Any]]:
    flat = old.get("rows")
    if not isinstance(flat, list) or len(flat) % len(FIELDS):
        return []
    n = len(FIELDS)
    return [flat[i:i + n] for i in range(0, len(flat), n)]


def compile_catalogue(cfg: config.RepoConfig) -> Catalogue:
    """Every file's row (from the cache where its content is unchanged) and every problem."""
    checker = jscheck.Checker()
    try:
        return _compile_catalogue(cfg, checker)
    except BaseException:
        checker.close()  # Node may have been started early
        raise


def _compile_catalogue(cfg: config.RepoConfig, checker: jscheck.Checker) -> Catalogue:
    publish_all = cfg.publish == "all"
    cache = Cache(cfg.root)
    old = cache.snapshot()
    node = _node_identity()
    if old.get("publish_all") != publish_all or old.get("node") != node:
        # the snapshot holds what the publish setting and Node's verdicts made of each file: with another
        # setting, or another Node (an upgrade), nothing in it holds, and every file is compiled again
        old = {}
    old_rows = _old_rows(old)
    if not old_rows:  # a cold build checks code: Node starts up while the folder is read
        checker.start()
    entries, problems = _scan(cfg)
    by_path = {row[PATH]: row for row in old_rows}
    by_key = {row[KEY]: row for row in old_rows}
    categories: list[list[str]] = list(old.get("categories", []))
    category_index = {tuple(c): i for i, c in enumerate(categories)}
    file_problems: dict[str, list[list[Any]]] = dict(old.get("problems", {}))
    rows: list[list[Any]] = []
    todo: dict[str, list[Any]] = {}  # path -> its row, for the files to compile
    restamped = False  # some file's size or stamp is not what the last build saw
    for entry in entries if old_rows else ():
        rel = f"{cfg.rules_dir}/{entry.name}"
        try:
            st = entry.stat()
            size, stamp = st.st_size, _stamp(st)
            seen = by_path.get(rel)
            if seen is None or seen[SIZE] != size or seen[STAMP] != stamp:
                restamped = True
                # the content may still be known (a touched file); with nothing cached, the worker reads it
                seen = by_key.get(_key(rel, _read(entry.path), publish_all)) if by_key else None
        except OSError:  # gone or unreadable since the scan: compiling it says what is wrong
            size, stamp, seen, restamped = -1, [], None, True
        # an old row is this build's own list (the snapshot was just decoded): updated in place, not copied
        row = seen if seen is not None else [rel, 0, [], "", False, -1, 0, 0, "", "", ""]
        row[SIZE], row[STAMP] = size, stamp
        if seen is None:
            todo[rel] = row
        rows.append(row)
    if not old_rows:  # nothing to compare with: every file is compiled, and its worker takes its stat
        restamped = True
        for entry in entries:
            rel = f"{cfg.rules_dir}/{entry.name}"
            todo[rel] = row = [rel, -1, [], "", False, -1, 0, 0, "", "", ""]
            rows.append(row)
    old_js: dict[str, list[list[Any]]] = old.get("js", {})
    fresh: dict[str, bytes | memoryview] = {}
    # content key -> summary, for what was compiled now (made as results arrive, while the workers go on)
    summaries_now: dict[str, validate.Summary | None] = {}
    waiting: dict[str, list[Compiled]] = {}  # code key -> files waiting for Node's verdict on it

    def fill(result: Compiled) -> None:
        """The file's row, problems and summary from what it compiled to (again after a verdict)."""
        summary, cats, found, published, code_key = result.info
        index = category_index.get(tuple(cats))
        if index is None:
            index = category_index[tuple(cats)] = len(categories)
            categories.append(cats)
        row = todo[result.path]
        if result.stat is not None:  # taken before the worker read the file: what its content key goes with
            row[SIZE], row[STAMP] = result.stat
        if result.key.startswith(_UNREADABLE):
            row[SIZE], row[STAMP] = -1, []  # read it again next time, whatever its stat says
        row[KEY], row[PUBLISHED], row[CATS], row[START], row[END] = result.key, published, index, 0, 0
        row[DIGEST] = result.digest if published else ""
        row[CODE] = code_key or ""
        row[SUM] = result.summary_json if summary is not None else ""
        summaries_now[result.key] = None if summary is None else validate.Summary(*summary)
        if found:
            file_problems[result.key] = found
        else:
            file_problems.pop(result.key, None)

    with _gc_paused():
        # rows are filled as results arrive, while the workers go on; a file whose code Node finds broken
        # is filled again once the verdict is in
        for result in _compile_many(cfg.root, list(todo), publish_all):
            if result.fragment is not None:
                fresh[result.key] = result.fragment
            code_key = result.info[CODE_KEY]
            if result.code is not None and code_key is not None:
                if code_key in old_js:
                    _apply_verdict(result, old_js[code_key], fresh)
                elif code_key in waiting:
                    waiting[code_key].append(result)
                else:  # each distinct code is checked once, at line 1: its verdict serves every file with it
                    waiting[code_key] = [result]
                    checker.add(jscheck.Code(code_key, result.code.kind, result.code.text, 1), result.code_utf8)
            fill(result)
        verdicts: dict[str, list[list[Any]]] = {code_key: [] for code_key in waiting}
        for p in checker.finish():
            verdicts[p.path].append([p.line, p.message, p.severity])
        for code_key, verdict in verdicts.items():
            if verdict:
                for result in waiting[code_key]:
                    _apply_verdict(result, verdict, fresh)
                    fill(result)
        live = {row[KEY] for row in rows}
        file_problems = {k: v for k, v in file_problems.items() if k in live}
        if file_problems:
            for row in rows:
                found = file_problems.get(row[KEY])
                if found:
                    problems.extend(Problem(row[PATH], line, msg, sev) for line, msg, sev in found)
        digest = _digest("\n".join(row[SUM] for row in rows).encode())
        cross = old.get("cross")
        if not (isinstance(cross, list) and len(cross) == 2 and cross[0] == digest):
            summaries = [summaries_now.get(row[KEY]) or validate.Summary(*json.loads(row[SUM]))
                         for row in rows if row[SUM]]
            cross = [digest, [[p.path, p.line, p.message, p.severity] for p in validate.check_catalogue(summaries)]]
        problems.extend(Problem(*p) for p in cross[1])
    unchanged = not restamped and not todo and len(rows) == len(old_rows)  # so the same paths, in order
    return Catalogue(rows, categories, problems, file_problems, fresh, len(todo), unchanged,
                     {**old_js, **verdicts}, cross, cache, old, old_rows, publish_all, node)


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
    with _gc_paused():  # the build makes no cycles; a full collection over 10,000 rows would cost 20 ms
        return _build(root, check, strict)


def _build(root: Path, check: bool, strict: bool) -> BuildResult:
    cfg = config.load(root)
    c = compile_catalogue(cfg)
    old_output = c.old.get("output")
    try:
        warnings = _raise_if_broken(c.problems, strict or cfg.strict)
    except ProblemsError:
        c.cache.save(c.snapshot(old_output, False), c.fresh)  # keep the work; rules.json is as it was
        raise
    published = [row for row in c.rows if row[PUBLISHED]]
    output_stat = _stat(cfg.output_path)
    if c.unchanged and c.old.get("current") is True and output_stat is not None and output_stat == old_output:
        return BuildResult(len(c.rows), len(published), False, cfg.output_path, warnings, 0)
    with _Output(cfg.output_path, trusted=output_stat is not None and output_stat == old_output) as current:
        # rules.json as the last good build wrote it, and the old rows exactly what it holds: patch it
        patched = _patch(current, c, published) if current.trusted and c.old.get("current") is True else None
        if patched is not None:
            output, spans, same = patched
        else:
            output, spans, same = _assemble(cfg, c, current, published)
        written = False
        if not same:
            if check:
                c.cache.save(c.snapshot(old_output, False), c.fresh)
                state = "missing" if output_stat is None else "stale"
                raise UserError(f"{cfg.output} is {state}: it is not what the build writes from "
                                f"{cfg.rules_dir}/; run 'python build.py' and commit it")
            write_atomic(cfg.output_path, output)  # while the pieces taken from the old file are mapped
            written = True
    if written:
        output_stat = _stat(cfg.output_path)
    for row in c.rows:
        row[START] = row[END] = 0
    for row, (start, end) in zip(published, spans, strict=True):
        row[START], row[END] = start, end
    c.cache.save(c.snapshot(output_stat, True), None)
    return BuildResult(len(c.rows), len(published), written, cfg.output_path, warnings, c.parsed)


def _assemble(cfg: config.RepoConfig, c: Catalogue, current: _Output,
              published: list[list[Any]]) -> tuple[list[bytes | memoryview], list[tuple[int, int]], bool]:
    """rules.json from every published object: compiled now, or copied from the rules.json the cache
    describes, or kept in the cache beside it; any other (rules.json was changed by hand, say) is compiled
    again. Returns the bytes (in pieces), where each object first appears, and whether they are the current
    file's."""
    fragments: dict[str, bytes | memoryview] = dict(c.fresh)
    size = len(current.view)
    for row in published:
        if row[KEY] not in fragments and 0 <= row[START] < row[END] <= size:
            piece = current.view[row[START]:row[END]]
            # where the file is as the cache recorded it, its objects are as written; otherwise each one is
            # checked against its hash, and a changed one is compiled again
            if current.trusted or _digest(piece) == row[DIGEST]:
                fragments[row[KEY]] = piece
    fragments.update(c.cache.fragments(row[KEY] for row in published if row[KEY] not in fragments))
    missing = [row[PATH] for row in published if row[KEY] not in fragments]
    if missing:
        keys = {row[PATH]: row[KEY] for row in published}
        by_key = {row[KEY]: row for row in published}
        with _gc_paused():
            for result in _compile_many(cfg.root, missing, cfg.publish == "all"):
                if result.fragment is None or result.key != keys[result.path]:
                    c.cache.save({}, None)  # the cache no longer matches the files: start afresh
                    raise UserError(f"{result.path} changed while the build ran; run it again")
                fragments[result.key] = c.fresh[result.key] = result.fragment
                by_key[result.key][DIGEST] = result.digest
        c.parsed += len(missing)
    output, size, spans = assemble_pieces([(c.categories[row[CATS]], fragments[row[KEY]]) for row in published])
    return output, spans, current.equals(output, size)


def _patch(current: _Output, c: Catalogue, published: list[list[Any]]
           ) -> tuple[list[bytes | memoryview], list[tuple[int, int]], bool] | None:
    """The common rebuild, done without assembling: when the published files are the ones rules.json holds,
    in the same order and with the same categories, and each changed object appears once (one category)
    and was compiled now, rules.json is the current file with those objects replaced. None otherwise."""
    old_published = [row for row in c.old_rows if row[PUBLISHED]]
    if len(old_published) != len(published):
        return None
    size = len(current.view)
    changes: list[tuple[int, int, bytes]] = []  # (old start, old end, new object)
    for new, old in zip(published, old_published, strict=True):
        if new is old:
            continue  # an unchanged file: its object is where it was
        if (new[PATH] != old[PATH] or c.categories[new[CATS]] != c.categories[old[CATS]]
                or len(c.categories[new[CATS]]) != 1 or new[KEY] not in c.fresh
                or not 0 <= old[START] < old[END] <= size):
            return None
        changes.append((old[START], old[END], bytes(c.fresh[new[KEY]])))
    changes.sort()  # into rules.json's order: groups come in order of first appearance, not file order
    if any(a[1] > b[0] for a, b in itertools.pairwise(changes)):
        return None  # overlapping objects: cannot happen when the shapes match; checked anyway
    pieces: list[bytes | memoryview] = []
    same = True
    last = 0
    for start, end, data in changes:
        pieces += [current.view[last:start], data]
        same = same and len(data) == end - start and data.startswith(current.view[start:end])  # memcmp
        last = end
    pieces.append(current.view[last:])
    # every object after a change moves by what the changes before it added or took away
    shifts = [start for start, _, _ in changes]
    deltas = list(itertools.accumulate(len(data) - (end - start) for start, end, data in changes))
    spans: list[tuple[int, int]] = []
    for new, old in zip(published, old_published, strict=True):
        start = old[START]
        moved = bisect.bisect_left(shifts, start)
        offset = deltas[moved - 1] if moved else 0
        length = len(c.fresh[new[KEY]]) if new is not old else old[END] - old[START]
        spans.append((start + offset, start + offset + length))
    return pieces, spans, same


class _Output:
    """The rules.json on disk, mapped (not read) while the build copies objects out of it."""

    def __init__(self, path: Path, trusted: bool) -> None:
        self.path, self.trusted = path, trusted
        self.map: mmap.mmap | None = None
        self.view = memoryview(b"")
        self.exists = True

    def __enter__(self) -> _Output:
        try:
            with self.path.open("rb") as f:
                if os.fstat(f.fileno()).st_size:
                    self.map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                    self.view = memoryview(self.map)
        except FileNotFoundError:
            self.exists, self.trusted = False, False
        except OSError as exc:
            raise UserError(f"cannot read {self.path}: {exc.strerror or exc}") from None
        return self

    def equals(self, pieces: Sequence[bytes | memoryview], size: int) -> bool:
        # joined only when the sizes agree; bytes.startswith compares with memcmp (memoryview == bytes goes
        # item by item)
        return self.exists and len(self.view) == size and b"".join(pieces).startswith(self.view)

    def __exit__(self, *exc: object) -> None:
        self.view.release()
        if self.map is not None:
            try:
                self.map.close()
            except BufferError:
                pass  # a slice is still referenced; the map closes when it goes


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def write_atomic(path: Path, data: bytes | Sequence[bytes | memoryview]) -> None:
    """Write `data` (bytes, or pieces written back to back) to a temporary file beside `path`, flush it to
    disk and rename it over `path`: readers see the old file or the new one, never part of one."""
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
            if isinstance(data, bytes):
                f.write(data)
                f.flush()
            else:
                _write_pieces(f.fileno(), data)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_pieces(fd: int, pieces: Sequence[bytes | memoryview]) -> None:
    """Every piece, in order, a thousand to a writev call (fewer than the system's limit of 1024)."""
    for i in range(0, len(pieces), 1000):
        batch = [memoryview(p) for p in pieces[i:i + 1000]]
        first = 0
        while first < len(batch):
            written = os.writev(fd, batch[first:first + 1000])
            while first < len(batch) and written >= len(batch[first]):  # skip what was written whole
                written -= len(batch[first])
                first += 1
            if written:  # a short write ended inside this piece
                batch[first] = batch[first][written:]


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
