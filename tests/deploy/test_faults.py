"""Faults at every step, then a rerun converges: 5xx, dropped connections, lost answers, 429s, slow and
failed builds, and a deploy process killed half-way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from deploy_helpers import SECRETS, Deployer, Repo, action_md, rule_md

REPO_ROOT = Path(__file__).resolve().parents[2]


def catalogue(repo: Repo, n: int = 6, **tenants: str) -> None:
    files = {f"act-{i}": action_md(f"Act {i}") for i in range(n)}
    files["rule-a"] = rule_md("Rule A", 1)
    files["rule-b"] = rule_md("Rule B", 2)
    repo.write(files, **tenants)


def converge(d: Deployer, runs: int = 4) -> None:
    """Deploy until it succeeds (at most `runs` times). Then the plan must be empty."""
    for _ in range(runs):
        if d.run().error is None:
            break
    else:
        pytest.fail("the deploy did not converge: " + "\n".join(d.lines[-3:]))
    final = d.plan(client={"timeout": 5})
    assert final.plan is not None and not final.plan.has_changes, d.lines[-1]


def no_duplicates(d: Deployer) -> None:
    state = d.state()
    names = [a["name"] for a in state["actions"]]
    assert len(names) == len(set(names))
    rule_names = [r["name"] for r in state["rules"]]
    assert len(rule_names) == len(set(rule_names))
    assert not [r for r in d.log() if r["status"] == 409]


def test_server_errors_and_dropped_connections_are_retried_safely(repo: Repo, make_deployer: Any) -> None:
    d = make_deployer(fault_rate=0.15, drop_rate=0.1, fault_seed=7)
    catalogue(repo)
    converge(d)
    no_duplicates(d)
    statuses = {r["status"] for r in d.log()}
    assert 0 in statuses and statuses & {500, 502, 503}  # faults really happened


def test_rate_limit_bursts_are_waited_out_and_a_known_plan_sends_no_429(repo: Repo, make_deployer: Any) -> None:
    d = make_deployer(burst=3, rate=8.0)
    catalogue(repo, 3, tenants="[env.dev]\nrate_limit = {burst = 3, per_second = 8}\n")
    converge(d, runs=1)
    assert [r for r in d.log() if r["status"] == 429] == []
    adaptive = make_deployer(burst=3, rate=8.0)
    repo.write({}, tenants="[env.dev]\n")
    converge(adaptive, runs=1)  # learned from the headers; any 429 is waited out, never a failure
    no_duplicates(adaptive)


def test_slow_builds_are_awaited_and_a_failed_build_reports_its_error(repo: Repo, make_deployer: Any) -> None:
    d = make_deployer(build_seconds=0.8)
    repo.write({"ok": action_md("Ok"),
                "bad": action_md("Bad", "  const value = '@@VALUE@@';")},
               tenants="[env.dev.keywords]\nVALUE = \"x'; (\"\n")
    outcome = d.run()
    message = outcome.error or ""
    assert message == (
        "deploy to 'dev' stopped: Bad: build failed: the code does not parse: Invalid or unexpected token\n"
        "applied (3): action 'Bad': create; action 'Ok': create; action 'Ok': deploy\n"
        "not applied (3): action 'Bad': deploy; bindings post-login; deploy record\n"
        "run the deploy again: it plans from what the tenant now holds and finishes the job")
    repo.write({}, tenants="[env.dev.keywords]\nVALUE = \"fine\"\n")
    converge(d, runs=1)
    no_duplicates(d)


class DropFirstAnswer:
    """A loopback TCP proxy that forwards each request and, once, swallows the answer to a request whose
    first line starts with `match`: the write happens, the client never hears of it."""

    def __init__(self, upstream_port: int, match: bytes) -> None:
        self.upstream, self.match, self.dropped = upstream_port, match, 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    @staticmethod
    def _read_message(sock: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body

    def _one(self, conn: socket.socket) -> None:
        try:
            self._forward(conn)
        except OSError:  # the tenant stopped first at teardown
            conn.close()

    def _forward(self, conn: socket.socket) -> None:
        with conn:
            while True:
                request = self._read_message(conn)
                if not request:
                    return
                with socket.create_connection(("127.0.0.1", self.upstream)) as up:
                    up.sendall(request.replace(b"keep-alive", b"close", 1))
                    answer = self._read_message(up)
                if request.startswith(self.match) and not self.dropped:
                    self.dropped += 1
                    return  # the write happened; the answer is lost
                conn.sendall(answer)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def proxy_factory() -> Iterator[Any]:
    made: list[DropFirstAnswer] = []

    def make(port: int, match: bytes) -> DropFirstAnswer:
        made.append(DropFirstAnswer(port, match))
        return made[-1]

    yield make
    for p in made:
        p.close()


@pytest.mark.parametrize("match", [b"POST /api/v2/actions/actions ", b"POST /api/v2/rules ",
                                   b"PATCH /api/v2/actions/triggers/post-login/bindings "])
def test_a_lost_answer_is_looked_up_before_any_resend(repo: Repo, tenant: Any, proxy_factory: Any,
                                                      match: bytes) -> None:
    proxy = proxy_factory(tenant.port, match)

    class Via:
        base_url = f"http://127.0.0.1:{proxy.port}"
        client_id, client_secret = tenant.client_id, tenant.client_secret

    d = Deployer(repo, Via())
    catalogue(repo, 2)
    outcome = d.run()
    assert outcome.error is None and proxy.dropped == 1
    d.tenant = tenant
    no_duplicates(d)
    writes = [w for w in d.writes() if w[0] == "POST" and w[1] in ("/api/v2/actions/actions", "/api/v2/rules")]
    assert len(writes) == 2 + 2 + 1  # two actions, two rules, the record: nothing sent twice
    final = d.plan()
    assert final.plan is not None and not final.plan.has_changes


def test_a_deploy_killed_half_way_converges_on_rerun(repo: Repo, make_deployer: Any) -> None:
    d = make_deployer(build_seconds=1.0)
    catalogue(repo, 8)
    env = {**os.environ, "AUTH0_DOMAIN": d.tenant.base_url, "AUTH0_CLIENT_ID": d.tenant.client_id,
           "AUTH0_CLIENT_SECRET": d.tenant.client_secret, **SECRETS}
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "scripts" / "deploy.py"), "--root", str(repo.root),
                             "--yes"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    creates: list[Any] = []
    while time.monotonic() < deadline and len(creates) < 3:
        creates = [r for r in d.log() if r["method"] == "POST" and r["path"] == "/api/v2/actions/actions"]
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert len(creates) >= 3, "the deploy was not killed half-way: it never got to its third create"
    half = d.state()
    # killed half-way: some actions exist, the builds (1 s each) are not all deployed, nothing is bound yet
    assert len(half["actions"]) >= 3 and not half["bindings"]
    converge(d, runs=1)
    no_duplicates(d)
    assert sorted(a["name"] for a in d.state()["actions"]) == sorted([f"Act {i}" for i in range(8)]
                                                                      + ["rulepress-state"])
