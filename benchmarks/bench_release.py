"""Release speed: what the pre-commit hook adds to a commit on a 100-template catalogue, and how fast the
webhook receiver acknowledges a delivery.

Baselines measured in the same run:
  - pre-commit: the same commit with `git commit --no-verify` (no hook). Two hooked cases: rules.json
    already rebuilt by the author (the hook checks it), and a stale rules.json (the hook rebuilds and
    stages it). Target: the hook adds under 0.5 s.
  - webhook: a bare aiohttp handler answering 202 on the same machine, through the same HTTP client.
    Target: a signed tag push acknowledged in under 50 ms.

Run: .venv/bin/python benchmarks/bench_release.py [--commits 10] [--deliveries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp import web  # noqa: E402

from rulepress.catalogue.build import build  # noqa: E402
from rulepress.release.hooks import install  # noqa: E402
from rulepress.release.publish import Publisher  # noqa: E402
from rulepress.release.webhook import RunningWebhook, WebhookOptions  # noqa: E402

SECRET = "benchmark-secret-0123456789"
TEMPLATE = """---
gallery: true
categories: [{category}]
order: {order}
---
# Benchmark rule {n}

Adds attribute number {n} to the user.

```js
function (user, context, callback) {{
  user.attribute_{n} = {value};
  callback(null, user, context);
}}
```
"""


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def write_template(repo: Path, n: int, value: int) -> None:
    text = TEMPLATE.format(n=n, value=value, order=n, category=("access", "enrich", "webhook")[n % 3])
    (repo / "rules" / f"bench-{n:03d}.md").write_text(text)


def catalogue(root: Path, count: int) -> tuple[Path, dict[str, str]]:
    repo = root / "repo"
    (repo / "rules").mkdir(parents=True)
    (repo / ".gitignore").write_text(".rulepress-cache/\n")
    for n in range(count):
        write_template(repo, n, 0)
    env = dict(os.environ, GIT_AUTHOR_NAME="b", GIT_AUTHOR_EMAIL="b@example.invalid", GIT_COMMITTER_NAME="b",
               GIT_COMMITTER_EMAIL="b@example.invalid", GIT_CONFIG_NOSYSTEM="1")
    git(repo, "init", "-q", "-b", "main", env=env)
    build(repo)
    git(repo, "add", ".", env=env)
    git(repo, "commit", "-q", "-m", "start", "--no-verify", env=env)
    install(repo, "pre-commit")
    return repo, env


def timed_commits(repo: Path, env: dict[str, str], commits: int, start: int,
                  prepare: Callable[[int], None], verify: bool) -> list[float]:
    times = []
    for i in range(commits):
        prepare(start + i)
        t0 = time.perf_counter()
        git(repo, "commit", "-q", "-am", f"edit {start + i}", *([] if verify else ["--no-verify"]), env=env)
        times.append(time.perf_counter() - t0)
    return times


def bench_pre_commit(count: int, commits: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo, env = catalogue(Path(tmp), count)

        def edit_and_build(i: int) -> None:
            write_template(repo, i % count, i + 1)
            build(repo)

        def edit_only(i: int) -> None:
            write_template(repo, i % count, i + 1)

        bare = timed_commits(repo, env, commits, 0, edit_and_build, verify=False)
        checked = timed_commits(repo, env, commits, 1000, edit_and_build, verify=True)
        rebuilt = timed_commits(repo, env, commits, 2000, edit_only, verify=True)
    base = statistics.median(bare)
    print(f"pre-commit on {count} templates, median of {commits} commits:")
    print(f"  git commit --no-verify (baseline)     {base * 1000:7.1f} ms")
    for label, times in (("hook, rules.json up to date", checked), ("hook, rebuilds stale rules.json", rebuilt)):
        med = statistics.median(times)
        print(f"  {label:<37} {med * 1000:7.1f} ms   adds {(med - base) * 1000:6.1f} ms"
              f"   ratio {med / base:4.1f}x   (target: adds < 500 ms)")


class BareServer:
    """A bare aiohttp handler answering 202: the floor for any HTTP acknowledgement here."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.port = 0

        async def handler(request: web.Request) -> web.Response:
            await request.read()
            return web.json_response({"status": "queued"}, status=202)

        async def main() -> None:
            app = web.Application()
            app.router.add_post("/webhook", handler)
            self.runner = web.AppRunner(app, access_log=None)
            await self.runner.setup()
            await web.TCPSite(self.runner, "127.0.0.1", 0).start()
            self.port = self.runner.addresses[0][1]
            ready.set()

        threading.Thread(target=lambda: (self.loop.run_until_complete(main()), self.loop.run_forever()),
                         daemon=True).start()
        ready.wait()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


def post_many(url: str, deliveries: int, signed: bool) -> list[float]:
    session = requests.Session()
    times = []
    for i in range(deliveries):
        body = json.dumps({"ref": f"refs/tags/v1.0.{i}", "after": f"{i:040x}", "deleted": False}).encode()
        headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": f"d-{i}"}
        if signed:
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        t0 = time.perf_counter()
        answer = session.post(url, data=body, headers=headers, timeout=10)
        times.append(time.perf_counter() - t0)
        assert answer.status_code == 202, answer.text
    return times


def bench_webhook(deliveries: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bare = BareServer()
        # the source does not exist: each queued deploy fails at once in the background (not measured)
        publisher = Publisher(("default",), "/bin/false", {}, Path(tmp) / "locks")
        hook = RunningWebhook(WebhookOptions(SECRET, str(Path(tmp) / "missing.git"), Path(tmp) / "state",
                                             publisher), lambda line: None)
        try:
            post_many(f"http://127.0.0.1:{bare.port}/webhook", 20, signed=False)  # warm up
            base = post_many(f"http://127.0.0.1:{bare.port}/webhook", deliveries, signed=False)
            acks = post_many(hook.url + "/webhook", deliveries, signed=True)
            hook.wait_idle(60)
        finally:
            hook.stop()
            bare.stop()
    b50, a50 = statistics.median(base), statistics.median(acks)
    a95 = statistics.quantiles(acks, n=20)[18]
    print(f"webhook acknowledgement, {deliveries} signed tag pushes (verify, record, queue, answer 202):")
    print(f"  bare aiohttp 202 handler (baseline)   p50 {b50 * 1000:6.2f} ms")
    print(f"  rulepress webhook                     p50 {a50 * 1000:6.2f} ms   p95 {a95 * 1000:6.2f} ms"
          f"   ratio {a50 / b50:4.1f}x   (target: < 50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--templates", type=int, default=100)
    parser.add_argument("--commits", type=int, default=10)
    parser.add_argument("--deliveries", type=int, default=200)
    args = parser.parse_args()
    bench_pre_commit(args.templates, args.commits)
    bench_webhook(args.deliveries)


if __name__ == "__main__":
    main()
