"""Client-side token bucket that keeps requests inside the tenant's rate limit.

The server's bucket is mirrored locally: `acquire()` takes a token before each request and sleeps until
one has accrued. Each answer's `X-RateLimit-Limit` / `X-RateLimit-Remaining` correct the mirror (the
server is the truth; its count may lag by the requests still in flight). When the plan's sustained rate
is known (environment config) it is used as given; otherwise it is estimated from how `Remaining` grows
between answers at least a second apart, biased low so that an estimate never causes a 429.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

_FLOOR_RATE = 1.0  # requests per second assumed before anything is learned


def _header_int(headers: Mapping[str, Any], name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


class Pacer:
    def __init__(
        self,
        *,
        clock: Callable[[], float],
        wall: Callable[[], float],
        sleep: Callable[[float], None],
        burst: int | None = None,
        rate: float | None = None,
    ) -> None:
        self.clock, self.wall, self.sleep = clock, wall, sleep
        self.rate_known = rate is not None
        self.rate = float(rate) if rate is not None else _FLOOR_RATE
        self.capacity = float(burst) if burst is not None else 1.0
        self.capacity_known = burst is not None
        self.tokens = self.capacity
        self.updated = clock()
        self.inflight = 0
        self.answers = 0
        self._ref: tuple[float, int, int] | None = None  # (time, remaining, answers) for rate estimates
        self._lock = threading.Lock()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def acquire(self) -> None:
        while True:
            with self._lock:
                if not self.capacity_known:  # nothing learned yet: the first answers will tell
                    self.inflight += 1
                    return
                self._refill(self.clock())
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    self.inflight += 1
                    return
                wait = (1.0 - self.tokens) / self.rate
            self.sleep(wait)

    def lost(self) -> None:
        """An attempt got no answer (its token stays spent: the server may have counted it)."""
        with self._lock:
            self.inflight = max(0, self.inflight - 1)

    def observe(self, headers: Mapping[str, Any], status: int) -> None:
        limit = _header_int(headers, "X-RateLimit-Limit")
        remaining = _header_int(headers, "X-RateLimit-Remaining")
        with self._lock:
            now = self.clock()
            self.inflight = max(0, self.inflight - 1)
            self.answers += 1
            if limit is None or remaining is None:
                return
            self._refill(now)
            if not self.capacity_known or limit != self.capacity:
                first = not self.capacity_known
                self.capacity, self.capacity_known = float(limit), True
                if first:
                    self.tokens = float(remaining) - self.inflight
                    self._ref = None
            server = float(remaining) - self.inflight
            if status == 429:
                self.tokens = min(self.tokens, 0.0)
            elif server < self.tokens - 1.0 or server > self.tokens + 1.0:
                # the mirror drifted by more than the server's rounding: trust the server
                self.tokens = min(server, self.capacity)
            if not self.rate_known:
                self._estimate(now, remaining, limit)

    def _estimate(self, now: float, remaining: int, limit: int) -> None:
        if remaining >= limit - 1:  # a full bucket says nothing about the refill rate
            self._ref = None
            return
        if self._ref is None:
            self._ref = (now, remaining, self.answers)
            return
        t0, r0, n0 = self._ref
        elapsed = now - t0
        if elapsed < 1.0:
            return
        # tokens gained = change in remaining + tokens spent in between; -1 covers integer rounding
        gained = remaining - r0 + (self.answers - n0) - 1
        if gained > 0:
            self.rate = max(_FLOOR_RATE, gained / elapsed)
        self._ref = (now, remaining, self.answers)

    def wait_after_429(self, headers: Mapping[str, Any]) -> float:
        """Seconds to wait after a 429: Retry-After if sent, else until X-RateLimit-Reset."""
        retry_after = _header_int(headers, "Retry-After")
        if retry_after is not None:
            return float(max(retry_after, 0))
        reset = _header_int(headers, "X-RateLimit-Reset")
        with self._lock:
            own = (1.0 - min(self.tokens, 0.0)) / self.rate
        if reset is None:
            return max(own, 1.0)
        # the reset is rounded up to a whole second; our own estimate is finer when the rate is known
        until_reset = max(reset - self.wall(), 0.0)
        return min(until_reset, own) if self.rate_known else until_reset
