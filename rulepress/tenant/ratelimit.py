"""A token bucket per tenant, as the Management API rate limit works."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

# Headers sent when the rate limit is off: a generous bucket that never runs dry.
UNLIMITED = 1000


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # UTC epoch seconds when the bucket is full again (or the next token, when empty)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; each request takes one."""

    def __init__(self, burst: int, rate: float, clock: Callable[[], float]) -> None:
        self.burst = burst
        self.rate = rate
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> Decision:
        now = self.clock()
        self.tokens = min(float(self.burst), self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            full_in = (self.burst - self.tokens) / self.rate
            return Decision(True, self.burst, int(self.tokens), math.ceil(now + full_in))
        next_in = (1.0 - self.tokens) / self.rate
        return Decision(False, self.burst, 0, math.ceil(now + next_in))


def unlimited(clock: Callable[[], float]) -> Decision:
    return Decision(True, UNLIMITED, UNLIMITED, math.ceil(clock()))
