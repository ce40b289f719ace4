"""Reading request bodies and query strings the way the Management API validates them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web

from rulepress.tenant.errors import ApiError, invalid_body, invalid_query

_TYPE_NAMES = {bool: "boolean", str: "string", int: "integer", float: "number", list: "array",
               dict: "object", type(None): "null"}


def type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), "unknown")


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object, or the real 400/413/415 answer."""
    if request.content_length == 0 or (not request.can_read_body):
        raise invalid_body("Expected type object but found type null")
    ctype = request.content_type
    if ctype != "application/json" and not ctype.endswith("+json"):
        raise ApiError(415, "Unsupported Media Type")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Payload content length greater than maximum allowed") from None
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Invalid request payload JSON format") from None
    if not isinstance(body, dict):
        raise invalid_body(f"Expected type object but found type {type_name(body)}")
    return body


def check_keys(body: Mapping[str, Any], allowed: Iterable[str], required: Iterable[str] = ()) -> None:
    allowed_set = set(allowed)
    extra = sorted(k for k in body if k not in allowed_set)
    if extra:
        raise invalid_body(f"Additional properties not allowed: {','.join(extra)}")
    for key in required:
        if key not in body:
            raise invalid_body(f"Missing required property: {key}")


def expect(body: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    """body[key] when it has the JSON type wanted (booleans are never numbers)."""
    value = body[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    if not ok:
        wanted = "/".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
        raise invalid_body(f"Expected type {wanted} but found type {type_name(value)}", key)
    return value


def query_bool(request: web.Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise invalid_query("Expected type boolean but found type string", name)


def query_int(request: web.Request, name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid_query("Expected type integer but found type string", name) from None
    if value < minimum:
        raise invalid_query(f"Too small: must be at least {minimum}", name)
    if maximum is not None and value > maximum:
        raise invalid_query(f"Too big: must be at most {maximum}", name)
    return value


def paged(
    request: web.Request, items: list[dict[str, Any]], key: str, default_per_page: int = 50
) -> dict[str, Any]:
    """`{key: [...], total, page, per_page}` with zero values left out, as the real API does."""
    page = query_int(request, "page", minimum=0) or 0
    per_page = query_int(request, "per_page", minimum=1, maximum=100) or default_per_page
    start = page * per_page
    out: dict[str, Any] = {key: items[start : start + per_page]}
    for name, value in (("total", len(items)), ("page", page), ("per_page", per_page)):
        if value:
            out[name] = value
    return out
