"""The deploy history of the publishers (webhook and post-receive hook) in SQLite.

Tables: `deliveries` (every delivery id seen, so a replay does nothing) and `deploys` (one row per
environment per release: queued → running → succeeded / failed / refused, with its log).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rulepress.release.versions import parse_version

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, source TEXT NOT NULL, received REAL NOT NULL);
CREATE TABLE IF NOT EXISTS deploys (
    id INTEGER PRIMARY KEY AUTOINCREMENT, delivery TEXT NOT NULL, env TEXT NOT NULL, ref TEXT NOT NULL,
    sha TEXT NOT NULL, version TEXT NOT NULL, state TEXT NOT NULL, queued REAL NOT NULL,
    started REAL, finished REAL, log TEXT NOT NULL DEFAULT '');
"""
STATES = ("queued", "running", "succeeded", "failed", "refused")


@dataclass(frozen=True)
class Deploy:
    id: int
    delivery: str
    env: str
    ref: str
    sha: str
    version: str
    state: str
    queued: float
    started: float | None
    finished: float | None
    log: str

    def to_json(self, with_log: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in
                               ("id", "delivery", "env", "ref", "sha", "version", "state", "queued", "started",
                                "finished")}
        if with_log:
            out["log"] = self.log
        return out


class History:
    """Thread-safe: the webhook's request handler and its deploy threads share one."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def new_delivery(self, delivery: str, source: str) -> bool:
        """Record a delivery id; False when it was seen before (a replay)."""
        with self._lock:
            cur = self._db.execute("INSERT OR IGNORE INTO deliveries VALUES (?, ?, ?)",
                                   (delivery, source, self.clock()))
            return cur.rowcount == 1

    def enqueue(self, delivery: str, env: str, ref: str, sha: str, version: str) -> int:
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO deploys (delivery, env, ref, sha, version, state, queued) VALUES (?,?,?,?,?,?,?)",
                (delivery, env, ref, sha, version, "queued", self.clock()))
            return int(cur.lastrowid or 0)

    def start(self, deploy_id: int) -> None:
        with self._lock:
            self._db.execute("UPDATE deploys SET state = 'running', started = ? WHERE id = ?",
                             (self.clock(), deploy_id))

    def finish(self, deploy_id: int, state: str, log: str) -> None:
        assert state in STATES
        with self._lock:
            self._db.execute("UPDATE deploys SET state = ?, finished = ?, log = ? WHERE id = ?",
                             (state, self.clock(), log, deploy_id))

    def unfinished(self) -> list[Deploy]:
        """After a restart: deploys a stopped receiver left running are marked failed (interrupted); the
        ones still queued are returned, oldest first, to be queued again (their delivery was acknowledged)."""
        with self._lock:
            self._db.execute("UPDATE deploys SET state = 'failed', finished = ?, log = log || ? "
                             "WHERE state = 'running'",
                             (self.clock(), "interrupted: the receiver stopped during this deploy"))
            rows = self._db.execute("SELECT * FROM deploys WHERE state = 'queued' ORDER BY id").fetchall()
        return [Deploy(*r) for r in rows]

    def deployed_version(self, env: str) -> str | None:
        """The highest version deployed successfully to env."""
        with self._lock:
            rows = self._db.execute("SELECT version FROM deploys WHERE env = ? AND state = 'succeeded'",
                                    (env,)).fetchall()
        versions = [v for (v,) in rows if parse_version(v) is not None]
        return max(versions, key=lambda v: parse_version(v) or (0, 0, 0)) if versions else None

    def get(self, deploy_id: int) -> Deploy | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM deploys WHERE id = ?", (deploy_id,)).fetchone()
        return Deploy(*row) if row else None

    def recent(self, limit: int = 20) -> list[Deploy]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM deploys ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [Deploy(*r) for r in rows]

    def environments(self) -> dict[str, str | None]:
        with self._lock:
            envs = [e for (e,) in self._db.execute("SELECT DISTINCT env FROM deploys ORDER BY env")]
        return {e: self.deployed_version(e) for e in envs}
