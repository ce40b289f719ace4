"""A Management API that answers badly: wrong shapes, truncated JSON, HTML pages, wrong content types,
huge bodies, bodies that echo what they were sent. rulepress must stop with a clear error naming the call
(never exit 3), and no secret value may appear in any message, whatever the server echoes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from deploy_helpers import Repo, action_md, rule_md

from rulepress.deploy import environments
from rulepress.deploy.flow import Target, deploy
from rulepress.errors import UserError
from rulepress.remote.client import Client

SECRET = "LEAK-value-of-the-secret-0123456789"
EMPTY = {"/api/v2/rules": [], "/api/v2/rules-configs": [], "/api/v2/actions/actions": {"actions": []},
         "/api/v2/actions/triggers": {"triggers": []}}
HOSTILE: dict[str, tuple[int, str, bytes]] = {
    "a string": (200, "application/json", b'"hello"'),
    "a list of strings": (200, "application/json", b'["a", "b"]'),
    "truncated JSON": (200, "application/json", b'{"rules": [{"id": "rul_1", "na'),
    "an HTML page": (200, "text/html", b"<html><body><h1>Welcome to nginx!</h1></body></html>"),
    "an HTML error page": (502, "text/html", b"<html><body>Bad Gateway</body></html>"),
    "wrong types inside": (200, "application/json",
                           b'{"actions": [{"id": 1, "name": null, "supported_triggers": "x", "code": 5}],'
                           b' "rules": [{"id": [], "name": {}, "order": "first", "script": null}], "total": "many"}'),
    "numbers everywhere": (200, "application/json", b"12345"),
    "JSON as text/plain": (200, "text/plain", b'{"rules": []}'),
    "a huge body": (200, "application/json", b'{"rules": ["' + b"x" * 5_000_000 + b'"]}'),
    "an empty 200": (200, "application/json", b""),
    "a body cut off": (200, "application/json", b'{"rules": [{"id": "rul_'),  # Content-Length says more
}


class Hostile(BaseHTTPRequestHandler):
    mode = ""

    def _answer(self, status: int, kind: str, body: bytes, cut: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) + (500 if cut else 0)))
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        sent = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0]
        if path == "/oauth/token":
            return self._answer(200, "application/json", b'{"access_token": "t", "expires_in": 3600}')
        if self.mode == "echo":  # an empty tenant that echoes every write in a 400
            if self.command == "GET":
                bindings = {"bindings": []} if path.endswith("/bindings") else EMPTY.get(path, {})
                return self._answer(200, "application/json", json.dumps(bindings).encode())
            return self._answer(400, "application/json", json.dumps(
                {"statusCode": 400, "error": "Bad Request",
                 "message": "Payload validation error: " + sent.decode("utf-8", "replace")}).encode())
        cut = self.mode == "a body cut off"
        self._answer(*HOSTILE[self.mode], cut=cut)
        self.close_connection = cut

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _route  # noqa: N815 (http.server's names)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def hostile() -> Iterator[Any]:
    servers = []

    def start(mode: str) -> str:
        handler = type("H", (Hostile,), {"mode": mode})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def target(url: str) -> Target:
    env = environments.Environment("default")
    creds = environments.Credentials(url, "client", "client-secret-value")
    return Target(env, creds, Client(url, "client", "client-secret-value", sleep=lambda _: None, deadline=60))


@pytest.mark.parametrize("mode", list(HOSTILE))
def test_no_answer_ends_a_deploy_with_a_bug(repo: Repo, hostile: Any, mode: str) -> None:
    repo.write({"a": action_md("A"), "r": rule_md("R", 1)})
    with pytest.raises(UserError) as failed:  # anything else (AttributeError, …) fails this test: exit 3
        outcomes = deploy(repo.root, [target(hostile(mode))], environ={}, file_values={}, say=lambda _: None,
                          force=True)
        assert outcomes[0].error, f"{mode}: an odd answer was taken as a success"
        raise UserError(outcomes[0].error)
    message = str(failed.value)
    assert "GET /" in message or "POST /" in message or "GET http" in message, message  # it names the call
    assert len(message) < 2000


def test_secret_values_are_redacted_whatever_the_server_echoes(repo: Repo, hostile: Any) -> None:
    repo.write({"r": rule_md("R", 1, extra="configuration: [API_KEY]", body="user.k = configuration.API_KEY;"),
                "a": action_md("A", extra="secrets: [TOKEN]", body="  api.x(event.secrets.TOKEN);")})
    lines: list[str] = []
    quoted = 'pa"ss-wörd-\\-1234'  # a server echoes it JSON-escaped
    outcomes = deploy(repo.root, [target(hostile("echo"))], environ={},
                      file_values={"API_KEY": SECRET, "TOKEN": quoted}, say=lines.append, force=True)
    error = outcomes[0].error or ""
    assert "HTTP 400: Payload validation error" in error  # the echo reached the message…
    assert SECRET not in error and "***" in error  # …without the values, in any form
    for form in (quoted, json.dumps(quoted)[1:-1], json.dumps(quoted, ensure_ascii=False)[1:-1], "ss-w"):
        assert form not in error, form
    assert "client-secret-value" not in error
    assert SECRET not in "\n".join(lines)
