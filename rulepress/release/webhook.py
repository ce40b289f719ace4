"""`rulepress webhook serve`: push webhooks from GitHub and GitLab deploy release tags.

    POST /webhook     verify (GitHub: X-Hub-Signature-256 = sha256=HMAC-SHA256(secret, raw body);
                      GitLab: X-Gitlab-Token = secret; both compared in constant time), then answer 202 at once
                      and queue one deploy per release environment. Other events, branches, deleted refs and
                      replayed delivery ids are acknowledged and do nothing.
    GET  /status      deployed version per environment and the last 20 deploys
    GET  /status/ID   one deploy, with its log

A worker per environment takes jobs in order (one deploy at a time per tenant): it fetches the pushed
commit into a local mirror (GitPython), then `publish.run_release` checks the version against the history
and deploys exactly that commit.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from rulepress.errors import UserError
from rulepress.release.history import History
from rulepress.release.publish import ZERO_SHA, Publisher, Release, commit_of, release_version, run_release

Log = Callable[[str], None]
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
MAX_BODY = 1024 * 1024  # GitHub caps payloads at 25 MB; a push of tags is a few kB


@dataclass(frozen=True)
class WebhookOptions:
    secret: str
    source: str  # the repository to fetch from (URL or path); never taken from a payload
    state_dir: Path  # mirror.git, history.sqlite, locks
    publisher: Publisher
    host: str = "127.0.0.1"
    port: int = 0
    max_body: int = MAX_BODY
    path: str = "/webhook"
    history: Path | None = None  # default: state_dir/history.sqlite

    def validate(self) -> None:
        if not self.secret:
            raise UserError("the webhook secret is empty: refusing to start (anyone could trigger deploys)")
        if len(self.secret) < 16:
            raise UserError("the webhook secret is shorter than 16 characters: refusing to start")
        if self.max_body < 1024:
            raise UserError("--max-body must be at least 1024 bytes")


@dataclass(frozen=True)
class Job:
    deploy_id: int
    env: str
    ref: str
    pushed: str  # the sha in the payload (a commit or an annotated tag object)
    version: str


@dataclass(frozen=True)
class Delivery:
    source: str  # github / gitlab
    event: str  # push / ping / other
    delivery_id: str


def github_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(headers: Any, body: bytes, secret: str) -> tuple[Delivery | None, str]:
    """(the delivery, "") when authentic; (None, reason) otherwise."""
    if "X-GitHub-Event" in headers or "X-Hub-Signature-256" in headers:
        given = headers.get("X-Hub-Signature-256", "")
        if not given:
            return None, "GitHub delivery without X-Hub-Signature-256"
        if not hmac.compare_digest(given.encode("utf-8", "replace"), github_signature(secret, body).encode()):
            return None, "GitHub delivery with a wrong X-Hub-Signature-256"
        event = headers.get("X-GitHub-Event", "")
        delivery = headers.get("X-GitHub-Delivery", "") or "body:" + hashlib.sha256(body).hexdigest()
        return Delivery("github", event if event in ("push", "ping") else "other", delivery), ""
    if "X-Gitlab-Event" in headers or "X-Gitlab-Token" in headers:
        given = headers.get("X-Gitlab-Token", "")
        if not given:
            return None, "GitLab delivery without X-Gitlab-Token"
        if not hmac.compare_digest(given.encode("utf-8", "replace"), secret.encode("utf-8")):
            return None, "GitLab delivery with a wrong X-Gitlab-Token"
        event = headers.get("X-Gitlab-Event", "")
        delivery = (headers.get("X-Gitlab-Event-UUID", "") or headers.get("Idempotency-Key", "")
                    or "body:" + hashlib.sha256(body).hexdigest())
        return Delivery("gitlab", "push" if event in ("Push Hook", "Tag Push Hook") else "other", delivery), ""
    return None, "no GitHub or GitLab signature headers"


def update_mirror(source: str, mirror: Path) -> None:
    """Clone `source` as a mirror the first time, fetch (pruning) afterwards. GitPython."""
    import git

    if (mirror / "HEAD").exists():
        git.Repo(mirror).git.fetch("--prune", "--quiet", "origin")
    else:
        mirror.parent.mkdir(parents=True, exist_ok=True)
        git.Repo.clone_from(source, mirror, mirror=True)


@dataclass
class Receiver:
    options: WebhookOptions
    log: Log
    history: History = field(init=False)
    queues: dict[str, asyncio.Queue[Job]] = field(init=False, default_factory=dict)
    _mirror_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _busy: int = field(init=False, default=0)
    _workers: list[asyncio.Task[None]] = field(init=False, default_factory=list)
    idle: asyncio.Event | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.history = History(self.options.history or self.options.state_dir / "history.sqlite")

    @property
    def mirror(self) -> Path:
        return self.options.state_dir / "mirror.git"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=self.options.max_body)
        app.router.add_post(self.options.path, self.receive)
        app.router.add_get("/status", self.status)
        app.router.add_get("/status/{id:[0-9]+}", self.status_one)
        app.on_startup.append(self._start_workers)
        app.on_cleanup.append(self._stop_workers)
        return app

    async def _start_workers(self, app: web.Application) -> None:
        self.idle = asyncio.Event()
        self.idle.set()
        self.queues = {env: asyncio.Queue() for env in self.options.publisher.envs}
        for left in self.history.unfinished():
            if left.env in self.queues:
                self._queue(Job(left.id, left.env, left.ref, left.sha, left.version))
                self.log(f"deploy {left.id} (v{left.version} to {left.env}) queued again after a restart")
        self._workers = [asyncio.create_task(self._worker(q)) for q in self.queues.values()]

    async def _stop_workers(self, app: web.Application) -> None:
        for task in self._workers:
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
        self.history.close()

    def _refuse(self, request: web.Request, status: int, reason: str) -> web.Response:
        self.log(f"refused a delivery from {request.remote}: {reason}")
        return web.json_response({"error": reason}, status=status)

    async def receive(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > self.options.max_body:
            return self._refuse(request, 413, f"body larger than {self.options.max_body} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._refuse(request, 413, f"body larger than {self.options.max_body} bytes")
        delivery, reason = verify(request.headers, body, self.options.secret)
        if delivery is None:
            return self._refuse(request, 401, reason)
        if delivery.event == "ping":
            return web.json_response({"status": "pong"})
        if delivery.event != "push":
            return web.json_response({"status": "ignored", "reason": "not a push event"}, status=202)
        try:
            payload = json.loads(body)
            ref, pushed = str(payload["ref"]), str(payload.get("checkout_sha") or payload.get("after") or "")
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: nesting too deep
            return self._refuse(request, 400, "not a push payload (no ref)")
        if payload.get("deleted") or pushed in ("", ZERO_SHA):
            return web.json_response({"status": "ignored", "reason": "deleted ref"}, status=202)
        version = release_version(ref, self.options.publisher.tag_pattern)
        if version is None:
            return web.json_response({"status": "ignored", "reason": f"{ref} is not a release tag"}, status=202)
        if not _SHA.match(pushed):
            return self._refuse(request, 400, "the pushed sha is not a hex object name")
        if not self.history.new_delivery(delivery.delivery_id, delivery.source):
            self.log(f"delivery {delivery.delivery_id} was seen before; nothing done")
            return web.json_response({"status": "duplicate"}, status=202)
        ids = []
        for env in self.queues:
            deploy_id = self.history.enqueue(delivery.delivery_id, env, ref, pushed, version)
            self._queue(Job(deploy_id, env, ref, pushed, version))
            ids.append(deploy_id)
        self.log(f"{delivery.source} delivery {delivery.delivery_id}: v{version} queued as deploy(s) "
                 f"{', '.join(map(str, ids))}")
        return web.json_response({"status": "queued", "deploys": ids}, status=202)

    def _queue(self, job: Job) -> None:
        assert self.idle is not None
        self._busy += 1
        self.idle.clear()
        self.queues[job.env].put_nowait(job)

    async def _worker(self, queue: asyncio.Queue[Job]) -> None:
        while True:
            job = await queue.get()
            try:
                state, _ = await asyncio.to_thread(self._run, job)
                self.log(f"deploy {job.deploy_id}: v{job.version} to {job.env}: {state}")
            except Exception as exc:  # a bug: record it and keep this environment's worker alive
                self.log(f"deploy {job.deploy_id}: internal error {type(exc).__name__}: {exc}")
                self.history.finish(job.deploy_id, "failed", f"internal error: {type(exc).__name__}: {exc}")
            finally:
                self._busy -= 1
                if self._busy == 0 and self.idle is not None:
                    self.idle.set()

    def _run(self, job: Job) -> tuple[str, str]:
        try:
            with self._mirror_lock:
                update_mirror(self.options.source, self.mirror)
            environ = self.options.publisher.environ
            sha = commit_of(self.mirror, job.pushed, environ)
            tagged = commit_of(self.mirror, job.ref, environ)
        except Exception as exc:  # git/GitPython errors: record them, keep serving
            log = self.options.publisher.redact(f"cannot fetch {job.ref} from the repository: {exc}")
            self.history.finish(job.deploy_id, "failed", log)
            return "failed", log
        if sha != tagged:
            log = f"{job.ref} now points to {tagged[:12]}, not the pushed {sha[:12]}; nothing done"
            self.history.finish(job.deploy_id, "refused", log)
            return "refused", log
        release = Release(job.ref, sha, job.version)
        return run_release(self.history, job.deploy_id, release, job.env, self.mirror, self.options.publisher)

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response({"environments": self.history.environments(),
                                  "deploys": [d.to_json() for d in self.history.recent()]})

    async def status_one(self, request: web.Request) -> web.Response:
        found = self.history.get(int(request.match_info["id"]))
        if found is None:
            return web.json_response({"error": "no such deploy"}, status=404)
        return web.json_response(found.to_json(with_log=True))


class RunningWebhook:
    """The receiver on a loopback port in a background thread (tests, benchmarks)."""

    def __init__(self, options: WebhookOptions, log: Log) -> None:
        options.validate()
        self.receiver = Receiver(options, log)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.port = 0
        self._thread = threading.Thread(target=self._run, name="rulepress-webhook", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        self.url = f"http://{options.host}:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            runner, self.port = await start_site(self.receiver)
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stop.wait()
        await runner.cleanup()

    def wait_idle(self, timeout: float = 120.0) -> bool:
        """Block until every queued deploy has finished; False on timeout."""
        async def idle() -> None:
            assert self.receiver.idle is not None
            await self.receiver.idle.wait()

        future = asyncio.run_coroutine_threadsafe(asyncio.wait_for(idle(), timeout), self._loop)
        try:
            future.result(timeout + 5)
            return True
        except TimeoutError:
            return False

    def stop(self) -> None:
        if self._thread.is_alive() and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=60)


async def start_site(receiver: Receiver) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(receiver.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, receiver.options.host, receiver.options.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise UserError(f"cannot listen on {receiver.options.host}:{receiver.options.port}: {exc.strerror}") \
            from None
    return runner, int(runner.addresses[0][1])


def serve_forever(options: WebhookOptions, log: Log, announce: Callable[[str], None]) -> None:
    """Serve in the foreground until SIGINT/SIGTERM."""
    import signal

    options.validate()

    async def main() -> None:
        receiver = Receiver(options, log)
        runner, port = await start_site(receiver)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        announce(f"http://{options.host}:{port}{options.path}")
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
