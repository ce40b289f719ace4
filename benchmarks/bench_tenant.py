"""Local tenant speed and durability.

1. Throughput and latency: `rulepress tenant serve` in its own process (rate limit off), driven by a
   concurrent aiohttp client on loopback with a mix of reads and writes (about 70/30). The baseline,
   measured in the same run the same way, is a bare aiohttp server answering a fixed JSON body: the
   ceiling of the stack on this machine. Prints req/s, p50/p99 latency and the ratio to the baseline.
   Targets: at least 1,500 req/s, p99 under 20 ms.
2. The same load with `--state FILE` (SQLite, every write committed before it is acknowledged).
3. kill -9 in the middle of a write load with `--state`: every acknowledged write must be in the file,
   the file must open, and a restarted tenant must serve it.

Run: .venv/bin/python benchmarks/bench_tenant.py [--seconds 5] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

REPO = Path(__file__).resolve().parent.parent
ID = "bench-client"
SECRET = "bench-secret"

BASELINE_SERVER = r"""
import sys
from aiohttp import web
async def ok(request):
    if request.method != "GET":
        await request.read()
    return web.json_response({"id": "rul_0000000000000000", "name": "x", "enabled": True})
app = web.Application()
app.router.add_route("*", "/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None,
            print=lambda *a: print("ready", flush=True))
"""


def start_tenant(*extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rulepress", "tenant", "serve", "--client-id", ID, "--client-secret",
         SECRET, "--build-seconds", "0.05", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    if not found:
        proc.kill()
        raise SystemExit(f"tenant did not start: {line}{proc.stderr.read() if proc.stderr else ''}")
    return proc, found.group(1)


def start_baseline() -> tuple[subprocess.Popen[str], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", BASELINE_SERVER, str(port)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None
    proc.stdout.readline()
    return proc, f"http://127.0.0.1:{port}"


async def token(session: aiohttp.ClientSession, base: str) -> str:
    async with session.post(base + "/oauth/token", data={
        "grant_type": "client_credentials", "client_id": ID, "client_secret": SECRET,
        "audience": base + "/api/v2/"}) as answer:
        return str((await answer.json())["access_token"])


async def load(base: str, seconds: float, concurrency: int, tenant: bool) -> dict[str, Any]:
    """A mixed load; returns the request count, rate and latency percentiles."""
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        headers = {"Authorization": f"Bearer {await token(session, base)}"} if tenant else {}
        api = base + "/api/v2"
        rule_ids: list[str] = []
        for i in range(50):  # something to read
            async with session.post(api + "/rules", headers=headers,
                                    json={"name": f"seed-{i}", "script": "x"}) as answer:
                if tenant:
                    rule_ids.append((await answer.json())["id"])
        rule_ids = rule_ids or ["rul_0000000000000000"]
        deadline = time.perf_counter() + seconds

        async def worker(w: int) -> None:
            nonlocal errors
            rng = random.Random(w)
            while time.perf_counter() < deadline:
                n = next(counter)
                pick = rng.random()
                if pick < 0.40:
                    method, url, body = "GET", f"{api}/rules/{rng.choice(rule_ids)}", None
                elif pick < 0.60:
                    page = rng.randrange(5)
                    url = f"{api}/rules?page={page}&per_page=10&include_totals=true"
                    method, body = "GET", None
                elif pick < 0.70:
                    method, url, body = "GET", f"{api}/rules-configs", None
                elif pick < 0.85:
                    method, url, body = "PUT", f"{api}/rules-configs/key-{n % 200}", {"value": f"v{n}"}
                elif pick < 0.95:
                    rule = rng.choice(rule_ids)
                    method, url, body = "PATCH", f"{api}/rules/{rule}", {"enabled": bool(n % 2)}
                else:
                    method, url, body = "POST", f"{api}/rules", {"name": f"load-{n}", "script": "x"}
                started = time.perf_counter()
                async with session.request(method, url, json=body, headers=headers) as answer:
                    await answer.read()
                    if answer.status >= 400:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
    }


async def write_until_killed(base: str, proc: subprocess.Popen[str], kill_after: float) -> list[str]:
    """Concurrent rules-config writes; kill -9 the server mid-load. Returns the acknowledged keys."""
    acknowledged: list[str] = []
    counter = itertools.count()
    async with aiohttp.ClientSession() as session:
        headers = {"Authorization": f"Bearer {await token(session, base)}"}

        async def worker() -> None:
            while True:
                key = f"k{next(counter)}"
                try:
                    async with session.put(f"{base}/api/v2/rules-configs/{key}", json={"value": key},
                                           headers=headers) as answer:
                        if answer.status == 200:
                            acknowledged.append(key)
                except aiohttp.ClientError:
                    return

        tasks = [asyncio.create_task(worker()) for _ in range(16)]
        await asyncio.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
        await asyncio.gather(*tasks)
    return acknowledged


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=20)


def report(name: str, result: dict[str, Any], baseline: dict[str, Any] | None) -> None:
    ratio = f"  {result['rps'] / baseline['rps']:.2f}x of baseline" if baseline else ""
    print(f"{name:<28} {result['rps']:8.0f} req/s  p50 {result['p50_ms']:5.2f} ms  "
          f"p99 {result['p99_ms']:5.2f} ms  ({result['requests']} requests, {result['errors']} errors)"
          f"{ratio}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()

    proc, base = start_baseline()
    try:
        baseline = asyncio.run(load(base, args.seconds, args.concurrency, tenant=False))
    finally:
        proc.terminate()
        proc.wait()
    report("baseline (bare aiohttp)", baseline, None)

    proc, base = start_tenant()
    try:
        memory = asyncio.run(load(base, args.seconds, args.concurrency, tenant=True))
    finally:
        stop(proc)
    report("tenant, in memory", memory, baseline)

    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "tenant.db"
        proc, base = start_tenant("--state", str(state))
        try:
            durable = asyncio.run(load(base, args.seconds, args.concurrency, tenant=True))
        finally:
            stop(proc)
        report("tenant, --state (SQLite)", durable, baseline)

        state = Path(tmp) / "killed.db"
        proc, base = start_tenant("--state", str(state))
        acknowledged = asyncio.run(write_until_killed(base, proc, kill_after=2.0))
        proc.wait()
        with sqlite3.connect(state) as conn:
            stored = {k for (k,) in conn.execute("SELECT key FROM docs WHERE kind = 'rules_config'")}
            check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        lost = [k for k in acknowledged if k not in stored]
        proc, base = start_tenant("--state", str(state))
        try:
            async def keys_after_restart() -> int:
                async with aiohttp.ClientSession() as session:
                    headers = {"Authorization": f"Bearer {await token(session, base)}"}
                    async with session.get(base + "/api/v2/rules-configs", headers=headers) as answer:
                        return len(await answer.json())
            served = asyncio.run(keys_after_restart())
        finally:
            stop(proc)
        print(f"kill -9 under write load:   {len(acknowledged)} acknowledged writes, {len(lost)} lost, "
              f"{len(stored)} in the file, integrity_check={check}, {served} keys served after restart")
    ok = (memory["rps"] >= 1500 and memory["p99_ms"] < 20 and not lost and check == "ok"
          and served == len(stored))
    print("targets met" if ok else "TARGETS NOT MET")
    print(json.dumps({"baseline": baseline, "memory": memory, "state": durable, "lost": len(lost)}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
