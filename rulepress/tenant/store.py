"""Tenant state: dictionaries in memory, written through to SQLite when a state file is given.

Each resource is one row `(kind, key, body JSON)`. Handlers change the dictionaries and record the
change here; `flush()` writes every change of one request in one transaction before the answer goes out,
so an acknowledged write is in the database (WAL, synchronous=NORMAL): it survives a kill -9 or a crash
of the process. (A power cut may lose the last transactions; synchronous=FULL would cost an fsync per
write, about a third of the throughput here - see docs/TENANT.md.)
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

KINDS = ("rule", "rules_config", "action", "version", "bindings", "meta")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, key)
) WITHOUT ROWID
"""


class StateFileError(Exception):
    """The state file cannot be opened or read."""


class Store:
    """Write-through persistence for the tenant's dictionaries; a no-op without a file."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._pending: dict[tuple[str, str], str | None] = {}
        self._conn: sqlite3.Connection | None = None
        if path is not None:
            try:
                # the state holds secret values: readable by its owner only, as is its WAL (created 0600
                # by SQLite after the main file's mode)
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
                os.chmod(path, 0o600)
            except OSError as exc:
                raise StateFileError(f"{path}: cannot create the state file: {exc.strerror or exc}") from None
            try:
                conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(_SCHEMA)
            except sqlite3.Error as exc:
                raise StateFileError(f"{path}: cannot use it as a state file: {exc}") from None
            self._conn = conn

    def load(self) -> Iterator[tuple[str, str, Any]]:
        """Every stored row as (kind, key, value)."""
        if self._conn is None:
            return
        try:
            rows = self._conn.execute("SELECT kind, key, body FROM docs ORDER BY kind, key").fetchall()
        except sqlite3.Error as exc:
            raise StateFileError(f"{self.path}: cannot read it: {exc}") from None
        for kind, key, body in rows:
            yield kind, key, json.loads(body)

    def put(self, kind: str, key: str, value: Any) -> None:
        if self._conn is not None:
            self._pending[(kind, key)] = json.dumps(value, separators=(",", ":"))

    def delete(self, kind: str, key: str) -> None:
        if self._conn is not None:
            self._pending[(kind, key)] = None

    def flush(self) -> None:
        """Write every recorded change in one transaction."""
        if self._conn is None or not self._pending:
            return
        pending, self._pending = self._pending, {}
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for (kind, key), body in pending.items():
                if body is None:
                    conn.execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, key))
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO docs (kind, key, body) VALUES (?, ?, ?)",
                        (kind, key, body),
                    )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        if self._conn is not None:
            self.flush()
            self._conn.close()
            self._conn = None
