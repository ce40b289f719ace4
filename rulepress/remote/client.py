"""The only module that speaks HTTP: token, pacing, retries, timeouts, deadline, paging.

Retry policy:
- 429: any request is sent again after the wait (the server did not act on it).
- 5xx and dropped connections: GET, PUT, DELETE and our set-style PATCHes are sent again; a POST is
  never re-sent blindly: its `lookup` callable is asked whether the first attempt took effect, and the
  request is sent again only when it did not.
- Everything waits on one overall deadline; a request has its own timeout.
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from rulepress.errors import UserError
from rulepress.remote.pacing import Pacer

Json = Any
Lookup = Callable[[], Json]
_IDEMPOTENT = {"GET", "PUT", "DELETE", "PATCH", "HEAD"}
_NOT_FOUND = object()


class ApiError(UserError):
    """The Management API refused a request. The message never holds request bodies."""

    def __init__(self, method: str, path: str, status: int, body: Json) -> None:
        self.method, self.path, self.status = method, path, status
        self.body = body if isinstance(body, dict) else {}
        self.error_code = str(self.body.get("errorCode") or self.body.get("error") or "")
        detail = (
            self.body.get("message") or self.body.get("error_description") or self.body.get("error") or ""
        )
        super().__init__(f"{method} {path}: HTTP {status}" + (f": {detail}" if detail else ""))

    @property
    def message(self) -> str:
        return str(self.body.get("message") or self.body.get("error_description") or "")


# what reading an answer of an unexpected shape raises (a string where an object was expected, ...)
ODD_ANSWER = (AttributeError, TypeError, KeyError, ValueError, IndexError)


class DeadlineExceeded(UserError):
    """The overall deadline passed before the work was done."""


def base_url(domain: str) -> str:
    """AUTH0_DOMAIN → base URL. A bare domain means https; plain http only for loopback addresses."""
    value = domain.strip().rstrip("/")
    if not value:
        raise UserError("AUTH0_DOMAIN is empty")
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"AUTH0_DOMAIN {domain!r} is not a domain or an http(s) URL")
    if parts.path not in ("", "/"):
        raise UserError(f"AUTH0_DOMAIN {domain!r} must not have a path")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise UserError(f"AUTH0_DOMAIN {domain!r}: plain http is allowed only for loopback addresses")
    return f"{parts.scheme}://{parts.netloc}"


def _reason(exc: Exception) -> str:
    """The innermost cause of a requests error, in a few words ("[Errno 111] Connection refused")."""
    text = str(exc)
    for pattern in (r"\[SSL: [^\]]+\][^'\")(]*", r"\[Errno -?\d+\] [^'\")(]*", r"[Rr]ead timed out", r"timed out"):
        found = re.search(pattern, text)
        if found:
            return found.group(0).strip()
    return type(exc).__name__


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Stats:
    """What the client did: counts by method, retries, 429s, failures (every 4xx/5xx answer)."""

    calls: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    throttled: int = 0
    failed: int = 0
    waited: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    @property
    def writes(self) -> int:
        return sum(n for m, n in self.calls.items() if m not in ("GET", "TOKEN"))

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(sorted(self.calls.items())),
            "total": self.total,
            "writes": self.writes,
            "retries": self.retries,
            "throttled": self.throttled,
            "failed": self.failed,
            "waited_seconds": round(self.waited, 3),
        }


class Client:
    """A Management API client for one tenant. Thread-safe: share one between worker threads."""

    def __init__(
        self,
        domain: str,
        client_id: str,
        client_secret: str,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = 30.0,
        deadline: float | None = 900.0,
        max_attempts: int = 8,
        burst: int | None = None,
        rate: float | None = None,
        patience: float = 180.0,
    ) -> None:
        self.base = base_url(domain)
        self._client_id, self._client_secret = client_id, client_secret
        self._session = session or requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self.clock, self.wall, self.sleep = clock, wall, sleep
        self.timeout = timeout
        self.deadline = None if deadline is None else clock() + deadline
        self.max_attempts = max_attempts
        self.pacer = Pacer(clock=clock, wall=wall, sleep=self.pause, burst=burst, rate=rate)
        self.stats = Stats()
        self._answered = False  # has anything answered at this address yet?
        self.patience = patience  # seconds to wait for the tenant to build or deploy a version
        self.last_call = ""  # "METHOD /path" of the latest request, to name it when its answer is odd
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires = 0.0

    # -- waiting ---------------------------------------------------------------------------------

    def pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.deadline is not None and self.clock() + seconds > self.deadline:
            raise DeadlineExceeded("the deploy deadline passed while waiting for the tenant")
        with self._lock:
            self.stats.waited += seconds
        self.sleep(seconds)

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats.calls[key] = self.stats.calls.get(key, 0) + 1

    def odd_answer(self, exc: Exception) -> str:
        """What to say when an answer could not be read as the API documents it."""
        return (f"{self.last_call}: the tenant answered in a shape rulepress does not know "
                f"({type(exc).__name__}: {str(exc)[:200]})")

    # -- token -----------------------------------------------------------------------------------

    def token(self) -> str:
        with self._lock:
            if self._token and self.clock() < self._token_expires:
                return self._token
        body = {
            "grant_type": "client_credentials",
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "audience": self.base + "/api/v2/",
        }
        data = self._send("POST", "/oauth/token", None, body, token_request=True, lookup=None)
        if not isinstance(data, dict) or not data.get("access_token"):
            raise UserError(f"{self.base}/oauth/token answered without an access token")
        lifetime = float(data.get("expires_in") or 3600)
        with self._lock:
            self._token = str(data["access_token"])
            self._token_expires = self.clock() + max(lifetime - min(300.0, lifetime / 10), 1.0)
            return self._token

    # -- requests --------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, Any] | None = None) -> Json:
        return self.request("GET", path, params=params)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Json = None,
        lookup: Lookup | None = None,
    ) -> Json:
        """One API call under /api/v2; returns the decoded JSON (None for 204).

        `lookup` (POST only): called after an attempt whose answer was lost; it returns the created
        object if the first attempt took effect, or None to send the request again.
        """
        return self._send(method, "/api/v2" + path, params, body, token_request=False, lookup=lookup)

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None,
        body: Json,
        *,
        token_request: bool,
        lookup: Lookup | None,
    ) -> Json:
        retry_unsafe = method in _IDEMPOTENT or token_request  # a token request changes nothing
        self.last_call = f"{method} {path.removeprefix('/api/v2')}"
        refreshed = False
        for attempt in range(1, self.max_attempts + 1):
            if self.deadline is not None and self.clock() > self.deadline:
                raise DeadlineExceeded(f"the deploy deadline passed before {method} {path}")
            headers = {"Accept": "application/json"}
            if body is not None:
                headers["Content-Type"] = "application/json"
            if not token_request:
                headers["Authorization"] = "Bearer " + self.token()
            self.pacer.acquire()
            self._count("TOKEN" if token_request else method)
            try:
                resp = self._session.request(
                    method,
                    self.base + path,
                    params=params,
                    headers=headers,
                    data=None if body is None else json.dumps(body),
                    timeout=self.timeout,
                )
            except requests.exceptions.SSLError as exc:  # a certificate or protocol mismatch: not passing
                hint = (" (a local tenant without --tls needs AUTH0_DOMAIN=http://HOST:PORT)"
                        if _is_loopback(self.base.split("://", 1)[1].split(":")[0].strip("[]")) else "")
                raise UserError(f"{method} {self.base}{path}: TLS failed: {_reason(exc)}{hint}") from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:  # an answer cut off is lost too
                if not self._answered and _never_connected(exc):
                    # refused, unknown host, unreachable: a wrong address or a tenant that is not running,
                    # which no retry mends; later in a deploy the same error is a blip, and retried
                    raise UserError(f"{method} {self.base}{path}: cannot connect ({_reason(exc)}); nothing "
                                    f"has answered at this address: check the domain and that the tenant "
                                    f"is reachable") from None
                self.pacer.lost()
                sent = not isinstance(exc, requests.ConnectTimeout)
                outcome = self._after_loss(method, path, sent, retry_unsafe, lookup, attempt, exc)
                if outcome is not _NOT_FOUND:
                    return outcome
                continue
            self._answered = True
            self.pacer.observe(resp.headers, resp.status_code)
            data = _decode(resp)
            if resp.status_code < 400:
                return data
            with self._lock:
                self.stats.failed += 1
            if resp.status_code == 429:
                with self._lock:
                    self.stats.throttled += 1
                self.pause(self.pacer.wait_after_429(resp.headers))
                continue
            if resp.status_code == 401 and not token_request and not refreshed:
                refreshed = True
                with self._lock:
                    self._token = None
                continue
            if resp.status_code >= 500 and attempt < self.max_attempts:
                outcome = self._after_loss(method, path, True, retry_unsafe, lookup, attempt, None)
                if outcome is not _NOT_FOUND:
                    return outcome
                continue
            raise ApiError(method, path.removeprefix("/api/v2"), resp.status_code, data)
        raise UserError(
            f"{method} {path.removeprefix('/api/v2')}: gave up after {self.max_attempts} attempts"
        )

    def _after_loss(
        self,
        method: str,
        path: str,
        sent: bool,
        retry_unsafe: bool,
        lookup: Lookup | None,
        attempt: int,
        exc: Exception | None,
    ) -> Json:
        """An attempt got no usable answer. Returns a result, or _NOT_FOUND to send again (after a pause)."""
        short = path.removeprefix("/api/v2")
        if attempt >= self.max_attempts:
            why = f"connection failed ({_reason(exc)})" if exc else "the server kept failing"
            raise UserError(f"{method} {self.base}{path}: {why} after {attempt} attempts")
        if sent and not retry_unsafe:
            if lookup is None:
                raise UserError(
                    f"{method} {short}: the answer was lost and the request is not safe to repeat"
                )
            found = lookup()
            if found is not None:
                return found
        with self._lock:
            self.stats.retries += 1
        self.pause(min(0.05 * 2 ** (attempt - 1), 2.0))
        return _NOT_FOUND

    # -- paging ----------------------------------------------------------------------------------

    def pages(
        self, path: str, key: str, params: dict[str, Any] | None = None, per_page: int = 100
    ) -> list[Json]:
        """Every item of a paged list. Zero-valued `page`/`total` may be omitted: read them as 0."""
        items: list[Json] = []
        page = 0
        while True:
            query = {**(params or {}), "page": page, "per_page": per_page}
            if key == "rules":
                query["include_totals"] = "true"
            data = self.get(path, query)
            if isinstance(data, list):
                chunk = data
                total = None
            elif isinstance(data, dict):
                chunk = data.get(key) or []
                total = data.get("total")
            else:
                raise UserError(f"GET {path}: unexpected answer shape")
            items.extend(chunk)
            if len(chunk) < per_page or (isinstance(total, int) and len(items) >= total):
                return items
            page += 1


def _never_connected(exc: Exception) -> bool:
    """The connection itself failed (refused, unknown host, unreachable), as opposed to one that was made
    and then lost: urllib3 says so with NewConnectionError (NameResolutionError is one)."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError) or isinstance(
        exc.__context__, urllib3.exceptions.NewConnectionError)


def _decode(resp: requests.Response) -> Json:
    if resp.status_code == 204 or not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        # not cut short here: a cut inside an echoed secret would keep its start out of reach of the
        # redaction, which sees the whole message; pages past this size are not messages anyway
        return {"message": resp.text[:4000]}
