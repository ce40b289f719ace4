"""Cases with `http` answers run the real HTTP clients (request for rules, axios for actions) over the
recording transport: no connection leaves the worker, every request is recorded and checked byte for byte
with `requests`, and a fixed clock and seeded randomness make two runs the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rulepress.cli import main

ACTION = """---
kind: action
trigger: post-login
secrets: [HOOK]
dependencies: {axios: 1.21.1, qs: 6.4.3, uuid: 2.0.3}
---
# Post a form

Posts the login to a hook.

```js
const axios = require('axios');
const qs = require('qs');
const uuid = require('uuid');
exports.onExecutePostLogin = async (event, api) => {
  const response = await axios({
    url: event.secrets.HOOK,
    method: 'POST',
    data: qs.stringify({login: {email: event.user.email, id: uuid.v4()}, at: new Date().toISOString()}),
    headers: {'content-type': 'application/x-www-form-urlencoded'},
    responseType: 'text',
    validateStatus: () => true,
  });
  if (response.status !== 201) return api.access.deny('hook said ' + response.status);
  api.idToken.setCustomClaim('https://example.com/hook', response.data);
};
```

```test
- name: the hook takes the form
  event: {secrets: {HOOK: "https://hooks.example.org/in"}}
  http: [{method: POST, url: "https://hooks.example.org/", status: 201, body: taken}]
  expect:
    calls: [{api.idToken.setCustomClaim: ["https://example.com/hook", taken]}]
    requests:
      - method: POST
        url: https://hooks.example.org/in
        headers: {content-type: application/x-www-form-urlencoded}
        body: "login%5Bemail%5D=jane.doe%40example.com&login%5Bid%5D=$UUID&at=2026-01-01T00%3A00%3A00.000Z"
- name: a refusing hook denies
  event: {secrets: {HOOK: "https://hooks.example.org/in"}}
  http: [{status: 500, json: {error: down}}]
  expect:
    calls: [{api.access.deny: ["hook said 500"]}]
- name: a request no answer matches is a failure, not a network call
  event: {secrets: {HOOK: "https://elsewhere.example.net/in"}}
  http: [{url: "https://hooks.example.org/", status: 201}]
  expect:
    calls: []
```
"""


def _report(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> dict[str, object]:
    (tmp_path / "rules").mkdir(exist_ok=True)
    (tmp_path / "rules" / "post-form.md").write_text(text, encoding="utf-8")
    main(["test", "--root", str(tmp_path), "--json"])
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def test_requests_are_recorded_answered_and_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _report(tmp_path, capsys, ACTION.replace("$UUID", "x"))
    cases = {c["name"]: c for c in first["cases"]}  # type: ignore[attr-defined]
    # the form body as qs encodes it; the uuid is seeded, so the same in every run: read it, then pin it
    failure = cases["the hook takes the form"]["failures"][0]
    assert failure["message"].startswith("requests: request 1 differs: expected ")
    body = failure["actual"][0]["body"]
    assert body.startswith("login%5Bemail%5D=jane.doe%40example.com&login%5Bid%5D=")
    uuid = body.split("login%5Bid%5D=")[1].split("&")[0]
    assert len(uuid) == 36
    again = _report(tmp_path, capsys, ACTION.replace("$UUID", uuid))
    cases = {c["name"]: c for c in again["cases"]}  # type: ignore[attr-defined]
    assert cases["the hook takes the form"]["passed"], cases["the hook takes the form"]
    assert cases["a refusing hook denies"]["passed"], cases["a refusing hook denies"]
    unmatched = cases["a request no answer matches is a failure, not a network call"]
    assert not unmatched["passed"]
    assert [f["message"] for f in unmatched["failures"]][0] == (
        "no HTTP answer in the case matches POST https://elsewhere.example.net/in")


def test_the_worker_cannot_open_a_connection_of_its_own(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Code that escapes its vm context and dials out itself finds the connect functions refused."""
    text = ACTION.split("```js")[0] + """```js
exports.onExecutePostLogin = async (event, api) => {
  const host = this.constructor.constructor('return process')().mainModule;
  const net = require('net');
  net.connect(443, '127.0.0.1');
};
```

```test
- name: dialing out
  http: []
  expect:
    calls: []
```
"""
    report = _report(tmp_path, capsys, text)
    (case,) = report["cases"]  # type: ignore[misc]
    assert not case["passed"]
    assert any("network access is blocked in tests" in f["message"] for f in case["failures"]), case


def test_requests_needs_http_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ACTION.split("```test")[0] + "```test\n- name: no answers\n  expect:\n    requests: []\n```\n"
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "post-form.md").write_text(text, encoding="utf-8")
    code = main(["test", "--root", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 1
    assert "'requests' needs 'http' answers in the case: without them no request is recorded" in out.out + out.err
