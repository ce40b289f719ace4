"""The build's pool of forked workers (rulepress/forkpool.py), with real processes: order, errors, a worker
that dies, and a caller that stops early must all end with every worker gone."""

from __future__ import annotations

import os
import signal
import time

import pytest

from rulepress.forkpool import WorkerError, map_chunks


def slow_square(n: int) -> tuple[int, int]:
    time.sleep((n * 7 % 5) / 1000)  # finish out of order
    return n * n, os.getpid()


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three is not allowed")
    return n


def die_on_two(n: int) -> int:
    if n == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def children() -> set[int]:
    """Processes whose parent is this one (from /proc), zombies included."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry))
    return found


pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads /proc to find workers")


def test_results_come_in_chunk_order_from_several_workers() -> None:
    before = children()
    out = list(map_chunks(slow_square, list(range(40)), 3))
    assert [square for square, _ in out] == [n * n for n in range(40)]
    assert len({pid for _, pid in out}) > 1  # the work was shared
    assert os.getpid() not in {pid for _, pid in out}
    assert children() == before


def test_an_exception_in_a_worker_is_raised_with_its_traceback() -> None:
    before = children()
    with pytest.raises(WorkerError, match="three is not allowed") as caught:
        list(map_chunks(fail_on_three, list(range(8)), 2))
    assert "ValueError" in str(caught.value)
    assert children() == before


def test_a_worker_that_dies_is_reported_and_the_others_are_stopped() -> None:
    before = children()
    with pytest.raises(WorkerError, match="stopped before finishing"):
        list(map_chunks(die_on_two, list(range(6)), 1))
    assert children() == before


def test_a_caller_that_stops_early_leaves_no_worker_behind() -> None:
    before = children()
    results = map_chunks(slow_square, list(range(200)), 2)
    assert next(results)[0] == 0
    results.close()
    assert children() == before


def first_or_forever(n: int) -> int:
    if n:
        time.sleep(3600)
    return n


def test_stopping_early_stops_workers_in_the_middle_of_a_chunk() -> None:
    """Workers busy with a chunk are killed, not waited for (an alarm fails the test if close() waits)."""
    def too_slow(signum: int, frame: object) -> None:
        raise AssertionError("close() waited for a busy worker")

    before = children()
    old = signal.signal(signal.SIGALRM, too_slow)
    signal.alarm(30)
    try:
        results = map_chunks(first_or_forever, [0, 1, 2, 3], 3)
        assert next(results) == 0
        results.close()
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert children() == before


def test_a_fork_that_fails_leaves_no_descriptor_or_worker_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    """The system may refuse a fork (EAGAIN); os.fork is made to refuse the second one."""
    real_fork, forks = os.fork, []

    def refuse_second() -> int:
        forks.append(1)
        if len(forks) == 2:
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    before, fds = children(), set(os.listdir("/proc/self/fd"))
    monkeypatch.setattr(os, "fork", refuse_second)
    with pytest.raises(BlockingIOError):
        list(map_chunks(slow_square, list(range(10)), 3))
    assert children() == before
    assert set(os.listdir("/proc/self/fd")) == fds
