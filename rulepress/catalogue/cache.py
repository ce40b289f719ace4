"""The build's cache, in .rulepress-cache/build.sqlite: what each file content compiled to, and when the
folder was last seen.

- `files`: content key → the file's compiled result (a small JSON record) and its rules.json object. The
  key is a SHA-256 of the salt (the tool's fingerprint, Node, the publish setting), the file's path and its
  bytes, so a stale answer would need a collision.
- `verdicts`: code key → the JavaScript problems Node found in that code (valid while the same Node is
  on PATH).
- `stats`: path → size, mtime, ctime and inode (what git's index keeps) and the content key: a file whose
  stat is unchanged is not read again.
- `state`: what the last build left: the output's stat and the digest of every (path, key) it wrote from,
  so an unchanged `--check` is answered from stats alone.

A cache that cannot be opened or read is deleted and rebuilt: it only ever costs time, never correctness.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from rulepress import __version__

CACHE_DIR = ".rulepress-cache"
_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "linkify-it-py", "uc-micro-py", "mdurl", "python-frontmatter",
              "PyYAML")
_SOURCES = ("build.py", "checks.py", "frontmatter.py", "jscheck.py", "markdown.py", "model.py",
            "rulesjson.py", "schema.py", "source.py", "template.py", "js/syntax_check.js")


def fingerprint() -> str:
    """What a compiled result depends on besides the file: our code and the libraries' versions."""
    h = hashlib.sha256(f"rulepress {__version__} python {sys.version}".encode())  # Unicode tables differ
    for name in _LIBRARIES:
        try:
            h.update(f"{name} {metadata.version(name)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name} -\0".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        h.update((here / name).read_bytes())
    return h.hexdigest()


def content_key(salt: str, rel: str, data: bytes) -> str:
    """The file's key in the cache; the salt holds what every result depends on (the publish setting too)."""
    h = hashlib.sha256(f"{salt}\0{rel}\0".encode())
    h.update(data)
    return h.hexdigest()


def stat_of(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


class Cache:
    def __init__(self, root: Path, salt: str) -> None:
        self.salt = salt
        self.db: sqlite3.Connection | None = None
        folder = root / CACHE_DIR
        path = folder / "build.sqlite"
        for attempt in range(2):
            try:
                folder.mkdir(exist_ok=True)
                if not (folder / ".gitignore").exists():
                    (folder / ".gitignore").write_text("*\n")
                self.db = self._open(path)
                return
            except (OSError, sqlite3.Error):
                if self.db is not None:
                    self.db.close()
                    self.db = None
                if attempt == 0:
                    for suffix in ("", "-journal", "-wal", "-shm"):
                        Path(f"{path}{suffix}").unlink(missing_ok=True)

    def _open(self, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path)
        db.execute("PRAGMA synchronous=OFF")
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS files (key TEXT PRIMARY KEY, info TEXT, object BLOB)")
            db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, problems TEXT)")
            db.execute("CREATE TABLE IF NOT EXISTS stats (path TEXT PRIMARY KEY, stat TEXT, key TEXT)")
            row = db.execute("SELECT value FROM state WHERE name = 'salt'").fetchone()
            if row is None or row[0] != self.salt:  # new, or written by another version of rulepress
                for table in ("state", "files", "verdicts", "stats"):
                    db.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
                db.execute("INSERT INTO state VALUES ('salt', ?)", (self.salt,))
        return db

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        if self.db is None:
            return []
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.Error:
            return []

    def state(self, name: str) -> Any:
        rows = self._query("SELECT value FROM state WHERE name = ?", (name,))
        return json.loads(rows[0][0]) if rows else None

    def stats(self) -> dict[str, tuple[list[int], str]]:
        return {path: (json.loads(stat), key) for path, stat, key in self._query("SELECT * FROM stats")}

    def infos(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = set(keys)
        return {k: json.loads(info) for k, info in self._query("SELECT key, info FROM files") if k in wanted}

    def objects(self, keys: Iterable[str]) -> dict[str, bytes]:
        wanted = set(keys)
        return {k: obj for k, obj in self._query("SELECT key, object FROM files WHERE object IS NOT NULL")
                if k in wanted}

    def verdicts(self) -> dict[str, list[list[Any]]]:
        return {k: json.loads(p) for k, p in self._query("SELECT key, problems FROM verdicts")}

    def save(self, *, files: Mapping[str, tuple[dict[str, Any], bytes | None]],
             verdicts: Mapping[str, list[list[Any]]], stats: Mapping[str, tuple[list[int], str]],
             live: set[str]) -> None:
        """Store what this build compiled, every live verdict and the files' stats; forget files whose
        content is gone (`live`: the keys in use). The state (set_state) is left as it is: its digest of
        every (path, key) says whether it still describes the files."""
        self._write(lambda db: (
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?)",
                           [(k, json.dumps(info), obj) for k, (info, obj) in files.items()]),
            db.executemany("DELETE FROM files WHERE key = ?",
                           [(k,) for (k,) in db.execute("SELECT key FROM files").fetchall() if k not in live]),
            db.execute("DELETE FROM verdicts"),
            db.executemany("INSERT INTO verdicts VALUES (?, ?)", [(k, json.dumps(p)) for k, p in verdicts.items()]),
            db.execute("DELETE FROM stats"),
            db.executemany("INSERT INTO stats VALUES (?, ?, ?)",
                           [(p, json.dumps(st), k) for p, (st, k) in stats.items()]),
        ))

    def set_state(self, name: str, value: Any) -> None:
        self._write(lambda db: db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", (name, json.dumps(value))))

    def _write(self, change: Callable[[sqlite3.Connection], object]) -> None:
        if self.db is None:
            return
        try:
            with self.db:
                change(self.db)
        except sqlite3.Error:
            pass  # a cache that cannot be written only costs time

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
