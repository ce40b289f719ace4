"""Running a tenant: in a background thread (tests, embedded use) or in the foreground (the CLI)."""

from __future__ import annotations

import asyncio
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from rulepress.tenant.app import Tenant
from rulepress.tenant.options import TenantOptions
from rulepress.tenant.tls import TlsFiles, make_certificates


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    port: int
    ca_file: Path | None


async def _start(tenant: Tenant) -> tuple[web.AppRunner, Endpoint]:
    options = tenant.options
    tls: TlsFiles | None = None
    if options.tls:
        folder = options.tls_dir or Path(tempfile.mkdtemp(prefix="rulepress-tenant-tls-"))
        tls = make_certificates(folder)
    runner = web.AppRunner(tenant.make_app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(
        runner, options.host, options.port,
        ssl_context=tls.server_context() if tls else None,
        reuse_address=True,
    )
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        raise OSError(f"cannot listen on {options.host}:{options.port}: {exc.strerror}") from None
    server = site._server
    assert isinstance(server, asyncio.base_events.Server)
    port = server.sockets[0].getsockname()[1]
    scheme = "https" if tls else "http"
    return runner, Endpoint(f"{scheme}://{options.host}:{port}", port, tls.ca_file if tls else None)


class RunningTenant:
    """A tenant served from a background thread. Use as a context manager, or call `stop()`."""

    def __init__(self, options: TenantOptions, clock: Callable[[], float] = time.time) -> None:
        self.options = options
        self.tenant = Tenant(options, clock)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stopped = asyncio.Event()
        self._error: BaseException | None = None
        self._endpoint: Endpoint | None = None
        self._thread = threading.Thread(target=self._run, name="rulepress-tenant", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        assert self._endpoint is not None
        self.base_url: str = self._endpoint.base_url
        self.domain: str = self.base_url  # same as base_url; `host_port` is what the SDKs call domain
        self.host_port: str = f"{options.host}:{self._endpoint.port}"
        self.port: int = self._endpoint.port
        self.ca_file: Path | None = self._endpoint.ca_file
        self.client_id: str = options.client_id
        self.client_secret: str = options.client_secret
        self.audience: str = f"{self.base_url}/api/v2/"
        self.api_url: str = f"{self.base_url}/api/v2"
        self.token_url: str = f"{self.base_url}/oauth/token"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())
        self._loop.close()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        try:
            runner, self._endpoint = await _start(self.tenant)
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        await self._stopped.wait()
        await runner.cleanup()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stopped.set)
            self._thread.join(timeout=30)

    def __enter__(self) -> RunningTenant:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:  # never shows the secret
        return f"RunningTenant({self.base_url!r}, client_id={self.client_id!r})"


def start_tenant(
    options: TenantOptions | None = None, *, clock: Callable[[], float] = time.time, **changes: Any
) -> RunningTenant:
    """Start a tenant on a free 127.0.0.1 port in a background thread.

    `start_tenant(tls=True, plan="free")` is `start_tenant(TenantOptions(tls=True, plan="free"))`.
    `clock` (epoch seconds) drives token expiry, the rate limit and timestamps.
    """
    opts = replace(options or TenantOptions(), **changes)
    problems = opts.validate()
    if problems:
        raise ValueError("; ".join(problems))
    return RunningTenant(opts, clock)


def serve_forever(options: TenantOptions, announce: Callable[[Endpoint], None]) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, then shut down cleanly."""

    async def main() -> None:
        tenant = Tenant(options)
        runner, endpoint = await _start(tenant)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        announce(endpoint)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(main())
