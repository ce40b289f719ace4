"""The client's pacer against the tenant's own token bucket on one simulated clock: no 429 with a known plan,
and no slower than the limit itself (sequential requests; concurrency is measured in bench_deploy.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulepress.remote.pacing import Pacer
from rulepress.tenant.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def run(burst: int, rate: float, n: int, known: bool, latency: float) -> tuple[int, float]:
    clock = Clock()
    server = TokenBucket(burst, rate, clock)
    pacer = Pacer(clock=clock, wall=clock, sleep=clock.sleep, burst=burst if known else None,
                  rate=rate if known else None)
    started = clock.now
    throttled = 0
    done = 0
    while done < n:
        pacer.acquire()
        clock.now += latency
        decision = server.take()
        pacer.observe(decision.headers(), 200 if decision.allowed else 429)
        if decision.allowed:
            done += 1
        else:
            throttled += 1
            clock.sleep(pacer.wait_after_429(decision.headers()))
    return throttled, clock.now - started


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([(2, 2.0), (10, 2.5), (50, 16.0), (10, 2.0)]), st.integers(5, 150),
       st.floats(0.0, 0.02))
def test_a_known_plan_never_gets_429_and_keeps_up_with_the_limit(plan: tuple[int, float], n: int,
                                                                  latency: float) -> None:
    burst, rate = plan
    throttled, took = run(burst, rate, n, True, latency)
    assert throttled == 0
    floor = max(0.0, (n - burst) / rate)
    # the pacer keeps one token in reserve against answer jitter: a constant of one token's time
    assert took <= floor * 1.1 + 2.0 / rate + n * latency + 0.01


@pytest.mark.parametrize(("burst", "rate"), [(2, 2.0), (50, 16.0), (10, 2.5)])
def test_an_unknown_plan_is_learned_from_the_headers(burst: int, rate: float) -> None:
    n = 200
    throttled, took = run(burst, rate, n, False, 0.002)
    floor = (n - burst) / rate
    assert throttled <= 2
    assert took <= floor * 1.25 + 1.0
