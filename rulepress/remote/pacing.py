"""Client-side token bucket that keeps requests inside the tenant's rate limit.

The server's bucket is mirrored locally: `acquire()` takes a token before each request and sleeps until
one has accrued. Each answer's `X-RateLimit-Limit` / `X-RateLimit-Remaining` correct the mirror (the
server is the truth; its count may lag by the requests still in flight). When the plan's sustained rate
is known (environment config) it is used as given; otherwise it is estimated from how `Remaining` grows
over a window that grows while the bucket is not full, biased low so that an estimate never causes a 429.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

_FLOOR_RATE = 2.0  # requests per second assumed before anything is learned: the slowest documented plan


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
        self.tokens = min(self.capacity, 1.0)  # the server's bucket may not be full: one request, then learn
        self.updated = clock()
        self.inflight = 0
        self.synced = False
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
                # keep one token in reserve: answers arrive with jitter, the server counts on arrival
                reserve = 1.0 if self.capacity >= 10 else 0.5 if self.capacity >= 2 else 0.0
                if self.tokens >= 1.0 + reserve:
                    self.tokens -= 1.0
                    self.inflight += 1
                    return
                wait = max((1.0 + reserve - self.tokens) / self.rate, 0.001)  # 1 ms: the clock must move
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
                self.capacity, self.capacity_known = float(limit), True
            if not self.synced:  # the first answer tells how full the server's bucket is
                self.synced = True
                self.tokens = min(float(remaining) - self.inflight, self.capacity)
                self._ref = None
            # The mirror already subtracts requests the server may not have counted yet, so it should sit
            # below the server's (truncated) count; it is corrected only downwards: answers arrive out of
            # order under concurrency, and an old answer's higher count would let a burst through.
            if status == 429:
                self.tokens = min(self.tokens, 0.0)
            elif self.tokens > remaining + 1.5:  # over: someone else spends from this bucket, or a slower rate
                self.tokens = remaining + 0.5  # the server truncates its count: the truth is in [R, R + 1)

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
        if elapsed < 0.5:
            return
        # tokens gained = change in remaining + tokens spent in between; -1 covers integer rounding.
        # The window keeps growing while the bucket is not full, so the estimate closes in from below.
        gained = remaining - r0 + (self.answers - n0) - 1
        if gained > 0:
            self.rate = max(_FLOOR_RATE, gained / elapsed)

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
