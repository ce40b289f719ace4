"""`rulepress webhook serve` over real HTTP: signed deliveries deploy release tags from a real git origin to
the local tenant; everything else is refused or ignored, and logged."""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from release_helpers import git, make_catalogue, rule_md, run, tenant_env, tenant_rules, tool_env, write_rules

from rulepress.errors import UserError
from rulepress.release.history import History
from rulepress.release.publish import Publisher
from rulepress.release.webhook import RunningWebhook, WebhookOptions, github_signature

SECRET = "a-webhook-secret-of-some-length"
RULES = {"add-country": rule_md("Add country", "user.country = 'FR';")}


@dataclass
class Setup:
    clone: Path
    hook: RunningWebhook
    log: list[str]
    tenant: Any

    def release(self, part: str, line: str) -> str:
        """Edit, commit, bump, push: the tag's object name (what GitHub puts in `after`)."""
        write_rules(self.clone, {"add-country": rule_md("Add country", line)})
        git(self.clone, "commit", "-q", "-am", f"Country {line}")
        run(self.clone, "bump2version", part)
        git(self.clone, "push", "-q", "--follow-tags", "origin", "main")
        tag = git(self.clone, "describe", "--tags", "--abbrev=0").strip()
        return git(self.clone, "rev-parse", tag).strip()

    def deliver(self, ref: str, after: str, *, secret: str = SECRET, delivery: str | None = None,
                event: str = "push", signature: str | None = None, raw: bytes | None = None) -> requests.Response:
        body = raw if raw is not None else json.dumps(
            {"ref": ref, "before": "0" * 40, "after": after, "deleted": False}).encode()
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
                   "X-Hub-Signature-256": sig if signature is None else signature,
                   "Content-Type": "application/json"}
        if signature == "":
            del headers["X-Hub-Signature-256"]
        return requests.post(self.hook.url + "/webhook", data=body, headers=headers, timeout=10)

    def status(self) -> dict[str, Any]:
        return dict(requests.get(self.hook.url + "/status", timeout=10).json())


@pytest.fixture
def setup(tmp_path: Path, tenant: Any) -> Iterator[Setup]:
    clone = make_catalogue(tmp_path / "work", RULES)
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(clone, "remote", "add", "origin", str(bare))
    git(clone, "push", "-q", "origin", "main")
    log: list[str] = []
    publisher = Publisher(("default",), sys.executable, tool_env(tenant_env(tenant)), tmp_path / "locks")
    hook = RunningWebhook(WebhookOptions(SECRET, str(bare), tmp_path / "state", publisher, max_body=64 * 1024),
                          log.append)
    yield Setup(clone, hook, log, tenant)
    hook.stop()


def test_signature_matches_githubs_documented_example() -> None:
    # the example in GitHub's "Validating webhook deliveries" documentation
    assert github_signature("It's a Secret to Everybody", b"Hello, World!") == \
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_a_signed_tag_push_is_acknowledged_then_deployed(setup: Setup) -> None:
    after = setup.release("patch", "user.country = 'NZ';")
    answer = setup.deliver("refs/tags/v0.1.1", after)
    assert answer.status_code == 202
    assert answer.json() == {"status": "queued", "deploys": [1]}
    assert setup.hook.wait_idle()
    assert "user.country = 'NZ';" in tenant_rules(setup.tenant)["Add country"]
    status = setup.status()
    assert status["environments"] == {"default": "0.1.1"}
    assert [(d["id"], d["state"], d["ref"]) for d in status["deploys"]] == [(1, "succeeded", "refs/tags/v0.1.1")]
    one = requests.get(setup.hook.url + "/status/1", timeout=10).json()
    assert "default: deployed" in one["log"]
    assert setup.tenant.client_secret not in one["log"]


def test_forged_missing_and_stale_signatures_are_refused_and_logged(setup: Setup) -> None:
    after = setup.release("patch", "user.country = 'NZ';")
    forged = setup.deliver("refs/tags/v0.1.1", after, secret="not-the-secret")
    missing = setup.deliver("refs/tags/v0.1.1", after, signature="")
    stale_body = json.dumps({"ref": "refs/heads/main", "after": after}).encode()
    stale = setup.deliver("refs/tags/v0.1.1", after,
                          signature="sha256=" + hmac.new(SECRET.encode(), stale_body, hashlib.sha256).hexdigest())
    assert [r.status_code for r in (forged, missing, stale)] == [401, 401, 401]
    assert forged.json() == {"error": "GitHub delivery with a wrong X-Hub-Signature-256"}
    assert missing.json() == {"error": "GitHub delivery without X-Hub-Signature-256"}
    assert setup.log == [
        "refused a delivery from 127.0.0.1: GitHub delivery with a wrong X-Hub-Signature-256",
        "refused a delivery from 127.0.0.1: GitHub delivery without X-Hub-Signature-256",
        "refused a delivery from 127.0.0.1: GitHub delivery with a wrong X-Hub-Signature-256",
    ]
    assert setup.status()["deploys"] == []
    assert tenant_rules(setup.tenant) == {}


def test_branch_pushes_other_events_and_replays_do_nothing(setup: Setup) -> None:
    after = setup.release("patch", "user.country = 'NZ';")
    head = git(setup.clone, "rev-parse", "HEAD").strip()
    branch = setup.deliver("refs/heads/main", head)
    assert (branch.status_code, branch.json()) == (202, {"status": "ignored",
                                                          "reason": "refs/heads/main is not a release tag"})
    other = setup.deliver("refs/tags/v0.1.1", after, event="issues")
    assert (other.status_code, other.json()["status"]) == (202, "ignored")
    ping = setup.deliver("refs/tags/v0.1.1", after, event="ping")
    assert (ping.status_code, ping.json()) == (200, {"status": "pong"})
    first = setup.deliver("refs/tags/v0.1.1", after, delivery="delivery-1")
    again = setup.deliver("refs/tags/v0.1.1", after, delivery="delivery-1")
    assert first.json()["status"] == "queued"
    assert (again.status_code, again.json()) == (202, {"status": "duplicate"})
    assert setup.hook.wait_idle()
    assert [d["id"] for d in setup.status()["deploys"]] == [1]


def test_two_quick_pushes_deploy_in_order_and_an_older_tag_is_refused(setup: Setup) -> None:
    first = setup.release("patch", "user.country = 'NZ';")
    second = setup.release("patch", "user.country = 'AU';")
    assert setup.deliver("refs/tags/v0.1.1", first).status_code == 202
    assert setup.deliver("refs/tags/v0.1.2", second).status_code == 202
    assert setup.hook.wait_idle()
    deploys = sorted(setup.status()["deploys"], key=lambda d: d["id"])
    assert [(d["version"], d["state"]) for d in deploys] == [("0.1.1", "succeeded"), ("0.1.2", "succeeded")]
    assert deploys[0]["finished"] <= deploys[1]["started"]
    assert "user.country = 'AU';" in tenant_rules(setup.tenant)["Add country"]

    assert setup.deliver("refs/tags/v0.1.1", first).status_code == 202  # a new delivery of the older tag
    assert setup.hook.wait_idle()
    last = requests.get(setup.hook.url + "/status/3", timeout=10).json()
    assert (last["state"], last["log"]) == ("refused", "v0.1.1 is older than the one deployed to default (v0.1.2); "
                                                       "nothing done")
    assert "user.country = 'AU';" in tenant_rules(setup.tenant)["Add country"]


def test_gitlab_token_and_body_limit(setup: Setup) -> None:
    after = setup.release("patch", "user.country = 'NZ';")
    body = json.dumps({"object_kind": "tag_push", "ref": "refs/tags/v0.1.1", "after": after,
                       "checkout_sha": git(setup.clone, "rev-parse", "v0.1.1^{commit}").strip()})
    url = setup.hook.url + "/webhook"
    wrong = requests.post(url, data=body, timeout=10,
                          headers={"X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": "wrong-token"})
    assert (wrong.status_code, wrong.json()) == (401, {"error": "GitLab delivery with a wrong X-Gitlab-Token"})
    right = requests.post(url, data=body, timeout=10,
                          headers={"X-Gitlab-Event": "Tag Push Hook", "X-Gitlab-Token": SECRET,
                                   "X-Gitlab-Event-UUID": "gl-1"})
    assert (right.status_code, right.json()) == (202, {"status": "queued", "deploys": [1]})
    assert setup.hook.wait_idle()
    assert setup.status()["environments"] == {"default": "0.1.1"}
    huge = requests.post(url, data=b"x" * (65 * 1024), timeout=10, headers={"X-GitHub-Event": "push"})
    assert huge.status_code == 413
    assert setup.log[-1] == "refused a delivery from 127.0.0.1: body larger than 65536 bytes"


def test_an_empty_or_short_secret_refuses_to_start(tmp_path: Path) -> None:
    for secret, message in (("", "the webhook secret is empty: refusing to start (anyone could trigger deploys)"),
                            ("short", "the webhook secret is shorter than 16 characters: refusing to start")):
        with pytest.raises(UserError) as caught:
            RunningWebhook(WebhookOptions(secret, "unused", tmp_path, Publisher()), print)
        assert str(caught.value) == message
    done = run(tmp_path, sys.executable, "-m", "rulepress", "webhook", "serve", "--repo", "x",
               env={"RULEPRESS_WEBHOOK_SECRET": ""}, check=False)
    assert (done.returncode, done.stderr) == (
        1, "error: $RULEPRESS_WEBHOOK_SECRET is empty: set the webhook secret there (refusing to start)\n")


def test_a_restart_runs_what_was_queued_and_marks_an_interrupted_deploy_failed(setup: Setup) -> None:
    after = setup.release("patch", "user.country = 'NZ';")
    options = setup.hook.receiver.options
    setup.hook.stop()
    history = History(options.state_dir / "history.sqlite")
    running = history.enqueue("d-1", "default", "refs/tags/v0.1.0", "0" * 40, "0.1.0")
    history.start(running)
    queued = history.enqueue("d-2", "default", "refs/tags/v0.1.1", after, "0.1.1")
    history.close()
    setup.hook = RunningWebhook(options, setup.log.append)
    assert setup.hook.wait_idle()
    assert setup.log[0] == f"deploy {queued} (v0.1.1 to default) queued again after a restart"
    states = {d["id"]: d["state"] for d in setup.status()["deploys"]}
    assert states == {running: "failed", queued: "succeeded"}
    assert "user.country = 'NZ';" in tenant_rules(setup.tenant)["Add country"]


def test_the_serve_command_listens_on_loopback_and_stops_on_sigterm(tmp_path: Path) -> None:
    import signal
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-m", "rulepress", "webhook", "serve", "--repo", str(tmp_path / "none.git"),
         "--port", "0", "--state-dir", str(tmp_path / "state")],
        env=tool_env({"RULEPRESS_WEBHOOK_SECRET": SECRET}), stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        assert " listening on http://127.0.0.1:" in line and line.endswith("/webhook (status: /status)\n")
        url = line.split("listening on ")[1].split(" ")[0]
        body = b"{}"
        ping = requests.post(url, data=body, timeout=10, headers={
            "X-GitHub-Event": "ping", "X-Hub-Signature-256": github_signature(SECRET, body)})
        assert (ping.status_code, ping.json()) == (200, {"status": "pong"})
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


@pytest.mark.parametrize("raw", [b"[" * 60_000, b'{"ref": ' * 7_000, b'"just a string"', b"[1, 2]", b"\xff\xfe"],
                         ids=["deep-list", "deep-object", "string", "list", "not-utf8"])
def test_a_signed_body_that_is_not_a_push_is_refused_with_400(setup: Setup, raw: bytes) -> None:
    answer = setup.deliver("refs/tags/v0.1.1", "0" * 40, raw=raw)
    assert (answer.status_code, answer.json()) == (400, {"error": "not a push payload (no ref)"})
    assert setup.status()["deploys"] == []
