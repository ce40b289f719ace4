"""The aiohttp application: token endpoint, /api/v2 routes with their checks, and introspection."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from rulepress.tenant.actions import ActionsApi
from rulepress.tenant.auth import Issuer, require_scope
from rulepress.tenant.bindings import BindingsApi
from rulepress.tenant.builder import SyntaxChecker
from rulepress.tenant.errors import ApiError, OAuthError, reason
from rulepress.tenant.lifecycle import Lifecycle
from rulepress.tenant.options import TenantOptions
from rulepress.tenant.ratelimit import TokenBucket, unlimited
from rulepress.tenant.routes import Handler, Route, json_response
from rulepress.tenant.rules import RulesApi
from rulepress.tenant.state import TenantState
from rulepress.tenant.store import Store

API = "/api/v2"
INTROSPECTION = "/__rulepress"
DEPRECATED_RULES = "Insufficient privileges to use this deprecated feature"
log = logging.getLogger("rulepress.tenant")


class Tenant:
    """One tenant: its state, its checks and the aiohttp application serving it."""

    def __init__(self, options: TenantOptions, clock: Callable[[], float] = time.time) -> None:
        self.options = options
        self.clock = clock
        self.state = TenantState(Store(options.state), clock)
        self.state.load()
        self.checker = SyntaxChecker(options.node)
        deploy_seconds = options.build_seconds if options.deploy_seconds is None else options.deploy_seconds
        self.lifecycle = Lifecycle(self.state, self.checker, options.build_seconds, deploy_seconds)
        self.issuer = Issuer(options.client_id, options.client_secret, options.scopes, clock,
                             options.token_lifetime)
        plan = options.resolved_plan()
        self.bucket = TokenBucket(plan.burst, plan.rate, clock) if plan else None
        self.faults = random.Random(options.fault_seed)
        self.requests: deque[dict[str, Any]] = deque(maxlen=options.log_limit)
        self.seq = 0
        self.rules = RulesApi(self.state, options.effective_rules_limit())
        self.actions = ActionsApi(self.state, self.lifecycle)
        self.bindings = BindingsApi(self.state, self.lifecycle)

    def make_app(self) -> web.Application:
        app = web.Application(
            client_max_size=self.options.max_body_bytes,
            middlewares=[self._log_middleware, self._api_middleware],
        )
        app.router.add_post("/oauth/token", self._token)
        for route in self.rules.routes() + self.actions.routes() + self.bindings.routes():
            app.router.add_route(route.method, API + route.path, self._guarded(route))
        app.router.add_get(INTROSPECTION + "/requests", self._introspect_requests)
        app.router.add_get(INTROSPECTION + "/state", self._introspect_state)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    # -- lifecycle of the server -------------------------------------------------------------------

    async def _on_startup(self, app: web.Application) -> None:
        """Resume what a restart interrupted: builds and deploys in progress."""
        self.lifecycle.resume()

    async def _on_cleanup(self, app: web.Application) -> None:
        await self.lifecycle.close()
        await self.checker.close()
        self.state.store.close()

    # -- middlewares -------------------------------------------------------------------------------

    @web.middleware
    async def _log_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(INTROSPECTION + "/"):
            return await handler(request)
        started = time.perf_counter()
        status = 0  # 0: the connection was dropped without an answer
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            self.seq += 1
            self.requests.append({
                "seq": self.seq,
                "method": request.method,
                "path": request.path,
                "query": request.query_string,
                "status": status,
                "time": self.clock(),
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            })

    @web.middleware
    async def _api_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        is_api = request.path == API or request.path.startswith(API + "/")
        if not (is_api or request.path == "/oauth/token"):
            return await self._answer(request, handler)
        if self.options.latency_ms:
            await asyncio.sleep(self.options.latency_ms / 1000)
        if self.options.drop_rate and self.faults.random() < self.options.drop_rate:
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        if self.options.fault_rate and self.faults.random() < self.options.fault_rate:
            status = self.faults.choice((500, 502, 503))
            return json_response(ApiError(status, "Injected fault").body(), status)
        if not is_api:
            return await self._answer(request, handler)
        decision = self.bucket.take() if self.bucket else unlimited(self.clock)
        if decision.allowed:
            response = await self._answer(request, handler)
        else:
            body = ApiError(429, "Global limit has been reached", "too_many_requests").body()
            response = json_response(body, 429)
        response.headers.update(decision.headers())
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Run the handler; turn every error into the real envelope; persist what changed."""
        try:
            return await handler(request)
        except ApiError as exc:
            return json_response(exc.body(), exc.status)
        except OAuthError as exc:
            return json_response(exc.body(), exc.status)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            message = "Not Found" if exc.status in (404, 405) else reason(exc.status)
            status = 404 if exc.status == 405 else exc.status
            return json_response(ApiError(status, message).body(), status)
        except (ConnectionResetError, BrokenPipeError, asyncio.CancelledError):
            # the client went away mid-request: its business, not a bug here
            log.info("client disconnected during %s %s", request.method, request.path)
            raise
        except Exception:
            log.exception("bug in the local tenant answering %s %s", request.method, request.path)
            return json_response(ApiError(500, "Internal Server Error").body(), 500)
        finally:
            self.state.store.flush()

    def _guarded(self, route: Route) -> Handler:
        async def handler(request: web.Request) -> web.StreamResponse:
            scopes = self.issuer.check(request.headers.get("Authorization"))
            if route.rules_feature and self.options.rules_deprecated:
                raise ApiError(403, DEPRECATED_RULES)
            require_scope(scopes, route.scope)
            return await route.handler(request)

        return handler

    # -- endpoints outside /api/v2 -----------------------------------------------------------------

    async def _token(self, request: web.Request) -> web.StreamResponse:
        ctype = request.content_type
        params: dict[str, Any]
        try:
            if ctype == "application/json":
                decoded = json.loads(await request.read())
                if not isinstance(decoded, dict):
                    raise ValueError("not an object")
                params = decoded
            elif ctype == "application/x-www-form-urlencoded":
                params = dict(await request.post())
            else:
                raise OAuthError(400, "invalid_request", f"Unsupported content type: {ctype or 'none'}")
        except (ValueError, UnicodeDecodeError):
            raise OAuthError(400, "invalid_request", "Invalid request body") from None
        except web.HTTPRequestEntityTooLarge:
            raise OAuthError(413, "invalid_request", "Request body too large") from None
        issuer = f"{request.scheme}://{request.host}/"
        port = request.url.port
        return json_response(self.issuer.grant(params, issuer, port))

    async def _introspect_requests(self, request: web.Request) -> web.StreamResponse:
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            since = 0
        items = [r for r in self.requests if r["seq"] > since]
        return json_response({"requests": items, "last": self.seq})

    async def _introspect_state(self, request: web.Request) -> web.StreamResponse:
        """The whole state, secret values left out (rules-config values and action secrets)."""
        s = self.state
        body = {
            "rules": sorted(s.rules.values(), key=lambda r: (r["order"], r["id"])),
            "rules_configs": [{"key": k} for k in sorted(s.rules_configs)],
            "actions": [self.lifecycle.action_view(a) for a in s.actions.values()],
            "versions": [self.lifecycle.version_view(v) for v in s.versions.values()],
            "bindings": {t: [{k: v for k, v in b.items()} for b in items]
                         for t, items in s.bindings.items()},
        }
        return json_response(body)
