"""How resource modules describe their endpoints to the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # below /api/v2
    handler: Handler
    scope: str  # the scope a token needs
    rules_feature: bool = False  # answered 403 on a tenant where rules are deprecated


def json_response(body: object, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, content_type="application/json")


def no_content() -> web.Response:
    return web.Response(status=204)
