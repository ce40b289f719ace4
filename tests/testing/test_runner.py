"""`rulepress test` end to end: real markdown files, the real parser, real Node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rulepress.catalogue.build import load_catalogue
from rulepress.cli import main
from rulepress.errors import ProblemsError
from rulepress.testing import NodeOptions, run_tests


def line_of(text: str, marker: str, nth: int = 1) -> int:
    """1-based line of the nth line of `text` containing `marker`."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(hits) >= nth, f"{marker!r} not in the text"
    return hits[nth - 1]


def action_md(code: str, tests: str, front: str = "trigger: post-login\n") -> str:
    return f"---\ngallery: true\n{front}---\n# An action\n\nDoes a thing.\n\n```js\n{code}```\n\n{tests}"


def rule_md(code: str, tests: str, front: str = "") -> str:
    return f"---\ngallery: true\n{front}---\n# A rule\n\nDoes a thing.\n\n```js\n{code}```\n\n{tests}"


def write(root: Path, files: dict[str, str]) -> Path:
    (root / "rules").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        text = text.replace("# An action\n", f"# Action {name}\n").replace("# A rule\n", f"# Rule {name}\n")
        (root / "rules" / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def cli(root: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["test", "--root", str(root), "--timeout", "5", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


DENY_CODE = """\
exports.onExecutePostLogin = async (event, api) => {
  if (!event.user.email_verified) {
    return api.access.deny('Please verify your email before logging in.');
  }
  api.idToken.setCustomClaim('https://example.com/country', event.request.geoip.countryCode);
};
"""

DENY_TESTS = """\
```test
- name: verified user gets the claim
  expect:
    calls:
      - api.idToken.setCustomClaim: ["https://example.com/country", "NL"]
- name: unverified user is refused
  event:
    user: {email_verified: false}
  expect:
    calls:
      - api.access.deny: ["Please verify your email"]
```
"""


def test_action_pass_and_fail_with_expected_actual_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    md = action_md(DENY_CODE, DENY_TESTS)
    root = write(tmp_path, {"deny": md})
    code, out, _ = cli(root, capsys)
    assert code == 1
    first, second = line_of(md, "- name: verified"), line_of(md, "- name: unverified")
    call_line = line_of(md, '- api.access.deny: ["Please verify your email"]')
    assert out == (
        f"ok   rules/deny.md:{first}: verified user gets the claim\n"
        f"FAIL rules/deny.md:{second}: unverified user is refused\n"
        f'    rules/deny.md:{call_line}: calls: call 1 differs: expected {{"api.access.deny": '
        f'["Please verify your email"]}}, got {{"api.access.deny": ["Please verify your email before '
        f'logging in."]}}\n'
        f'        expected: [{{"api.access.deny": ["Please verify your email"]}}]\n'
        f'        actual:   [{{"api.access.deny": ["Please verify your email before logging in."]}}]\n'
        "1 passed, 1 failed\n"
    )


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = action_md(DENY_CODE, DENY_TESTS.replace('"Please verify your email"]', '"$any"]'))
    root = write(tmp_path, {"deny": md})
    code, out, _ = cli(root, capsys, "--json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["passed"], doc["failed"], doc["untested"]) == (2, 0, [])
    assert [(c["template"], c["name"], c["passed"], c["line"]) for c in doc["cases"]] == [
        ("deny", "verified user gets the claim", True, line_of(md, "- name: verified")),
        ("deny", "unverified user is refused", True, line_of(md, "- name: unverified")),
    ]


def test_named_ids_and_unknown_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = action_md("exports.onExecutePostLogin = async () => {};\n", "")
    root = write(tmp_path, {"deny": action_md(DENY_CODE, DENY_TESTS), "other": other})
    code, out, _ = cli(root, capsys, "other")
    assert (code, out) == (0, "warning: rules/other.md: no test cases\n0 passed, 0 failed\n")
    code, out, err = cli(root, capsys, "nope", "other")
    assert (code, out, err) == (2, "", "error: unknown template id(s): nope\n")


RULE_CODE = """\
function (user, context, callback) {
  const allowed = configuration.ALLOWED_DOMAIN;
  if (!user.email.endsWith('@' + allowed)) {
    return callback(new UnauthorizedError('Access denied for ' + user.email));
  }
  context.idToken['https://example.com/domain'] = allowed;
  user.app_metadata.checked = true;
  auth0.users.updateAppMetadata(user.user_id, user.app_metadata)
    .then(() => callback(null, user, context))
    .catch(callback);
}
"""

RULE_TESTS = """\
```test
- name: allowed domain passes
  configuration: {ALLOWED_DOMAIN: example.com}
  expect:
    user: {app_metadata: {checked: true}, email: jane.doe@example.com}
    context: {idToken: {"https://example.com/domain": example.com}, clientName: Example App}
    calls:
      - auth0.users.updateAppMetadata: ["auth0|64f0c0ffee0000000000abcd", {checked: true}]
- name: other domain is refused
  user: {email: mallory@evil.test}
  configuration: {ALLOWED_DOMAIN: example.com}
  expect:
    error: {name: UnauthorizedError, message: "Access denied for mallory@evil.test"}
    calls: []
- name: metadata update failure is passed on
  configuration: {ALLOWED_DOMAIN: example.com}
  api_stubs:
    auth0.users.updateAppMetadata: {$rejects: "rate limited"}
  expect:
    error: rate limited
- name: wrong expectations
  configuration: {ALLOWED_DOMAIN: example.com}
  expect:
    user: {app_metadata: {checked: false}}
    context: {idToken: {"https://example.com/domain": $absent}}
```
"""


def test_rule_callback_error_user_and_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    md = rule_md(RULE_CODE, RULE_TESTS, "configuration: [ALLOWED_DOMAIN]\n")
    root = write(tmp_path, {"domain": md})
    code, out, _ = cli(root, capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[:3] == [
        f"ok   rules/domain.md:{line_of(md, '- name: allowed')}: allowed domain passes",
        f"ok   rules/domain.md:{line_of(md, '- name: other')}: other domain is refused",
        f"ok   rules/domain.md:{line_of(md, '- name: metadata')}: metadata update failure is passed on",
    ]
    assert lines[3:] == [
        f"FAIL rules/domain.md:{line_of(md, '- name: wrong')}: wrong expectations",
        f"    rules/domain.md:{line_of(md, 'checked: false')}: user: expected false at app_metadata.checked,"
        " got true",
        '        expected: {"app_metadata": {"checked": false}}',
        '        actual:   {"app_metadata": {"checked": true}}',
        f"    rules/domain.md:{line_of(md, '$absent')}: context: expected no value at "
        'idToken.https://example.com/domain, got "example.com"',
        '        expected: {"idToken": {"https://example.com/domain": "$absent"}}',
        '        actual:   {"idToken": {"https://example.com/domain": "example.com"}}',
        "3 passed, 1 failed",
    ]


def test_thrown_error_points_at_the_markdown_line_of_the_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code_text = """\
exports.onExecutePostLogin = async (event, api) => {
  const roles = event.authorization.roles;
  const first = roles[0].toUpperCase();
  api.idToken.setCustomClaim('role', first);
};
"""
    tests = """\
```test
- name: a user without roles
  expect:
    calls: []
- name: expects the crash
  expect:
    error: {name: TypeError, message: {$match: "toUpperCase"}}
```
"""
    md = action_md(code_text, tests)
    root = write(tmp_path, {"roles": md})
    code, out, _ = cli(root, capsys)
    assert code == 1
    assert out.splitlines()[:2] == [
        f"FAIL rules/roles.md:{line_of(md, '- name: a user')}: a user without roles",
        f"    rules/roles.md:{line_of(md, 'toUpperCase()')}: threw TypeError: Cannot read properties of "
        "undefined (reading 'toUpperCase')",
    ]
    assert out.splitlines()[2:] == [
        f"ok   rules/roles.md:{line_of(md, '- name: expects')}: expects the crash",
        "1 passed, 1 failed",
    ]


STUB_CODE = """\
const axios = require('axios');
const { ManagementClient } = require('auth0');
exports.onExecutePostLogin = async (event, api) => {
  const client = new ManagementClient({ domain: 'example.auth0.com', clientId: event.secrets.ID });
  const roles = await client.users.getRoles({ id: event.user.user_id });
  const { data } = await axios.post('https://crm.example.com/leads', { email: event.user.email });
  api.user.setAppMetadata('lead', data.id);
  api.accessToken.setCustomClaim('roles', roles.map((r) => r.name));
  return new Promise((resolve, reject) => {
    require('legacy-mailer').send(event.user.email, (err, info) => (err ? reject(err) : resolve(info)));
  });
};
"""

STUB_TESTS = """\
```test
- name: stubs answer
  modules:
    axios:
      post: {$resolves: {data: {id: lead-42}}}
    auth0:
      ManagementClient:
        $returns:
          users:
            getRoles: {$resolves: [{name: admin}, {name: ops}]}
    legacy-mailer:
      send: {$callback: [null, {queued: true}]}
  expect:
    calls:
      - api.user.setAppMetadata: [lead, lead-42]
      - api.accessToken.setCustomClaim: [roles, [admin, ops]]
    module_calls:
      - auth0.ManagementClient: [{domain: example.auth0.com, clientId: test-ID}]
      - auth0.ManagementClient().users.getRoles: [{id: $any}]
      - axios.post: ["https://crm.example.com/leads", {email: jane.doe@example.com}]
      - legacy-mailer.send: [jane.doe@example.com, $any]
- name: the CRM is down
  modules:
    axios: {post: {$rejects: {message: "Request failed with status code 503", status: 503}}}
    auth0: {ManagementClient: {$returns: {users: {getRoles: {$resolves: []}}}}}
  expect:
    error: {message: "Request failed with status code 503", status: 503}
    calls: []
    module_calls_include:
      - axios.post: ["https://crm.example.com/leads", $any]
- name: the mailer fails
  modules:
    axios: {post: {$resolves: {data: {id: x}}}}
    auth0: {ManagementClient: {$returns: {users: {getRoles: {$resolves: []}}}}}
    legacy-mailer: {send: {$callback: ["mail server said no"]}}
  expect:
    error: mail server said no
- name: an undeclared module
  modules:
    axios: {post: {$resolves: {data: {id: x}}}}
  expect:
    calls: []
```
"""


def test_module_stubs_and_undeclared_require(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    front = "trigger: post-login\nsecrets: [ID]\ndependencies: {axios: 1.7.9, auth0: 4.10.0, legacy-mailer: 1.0.0}\n"
    md = action_md(STUB_CODE, STUB_TESTS, front)
    root = write(tmp_path, {"crm": md})
    code, out, _ = cli(root, capsys)
    assert code == 1
    require_line = line_of(md, "require('auth0')")
    assert out.splitlines() == [
        f"ok   rules/crm.md:{line_of(md, '- name: stubs')}: stubs answer",
        f"ok   rules/crm.md:{line_of(md, '- name: the CRM')}: the CRM is down",
        f"ok   rules/crm.md:{line_of(md, '- name: the mailer')}: the mailer fails",
        f"FAIL rules/crm.md:{line_of(md, '- name: an undeclared')}: an undeclared module",
        f"    rules/crm.md:{require_line}: require('auth0'): module not stubbed in this test case; "
        "declare it under modules",
        f"    rules/crm.md:{require_line}: threw Error: require('auth0'): module not stubbed in this test "
        "case; declare it under modules",
        "3 passed, 1 failed",
    ]


def test_network_is_blocked_and_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_text = """\
exports.onExecutePostLogin = async (event, api) => {
  try { await fetch('https://example.com/hook'); } catch (e) { /* swallowed */ }
  try { require('https').get('https://example.com/x'); } catch (e) { /* swallowed */ }
  try { require('node:fs'); } catch (e) { /* swallowed */ }
  api.idToken.setCustomClaim('ok', 1);
};
"""
    tests = (
        "```test\nname: tries the network\nexpect:\n"
        "  calls: [{api.idToken.setCustomClaim: [ok, 1]}]\n```\n"
    )
    md = action_md(code_text, tests)
    root = write(tmp_path, {"net": md})
    code, out, _ = cli(root, capsys)
    assert code == 1
    assert out.splitlines() == [
        f"FAIL rules/net.md:{line_of(md, 'name: tries')}: tries the network",
        f"    rules/net.md:{line_of(md, 'fetch(')}: network access is blocked in tests: "
        'fetch("https://example.com/hook")',
        f"    rules/net.md:{line_of(md, '.get(')}: network access is blocked in tests: https.get()",
        f"    rules/net.md:{line_of(md, 'node:fs')}: require('node:fs'): the Node module 'fs' is not "
        "available in tests; stub it under modules",
        "0 passed, 1 failed",
    ]


def test_hanging_cases_are_stopped_and_the_run_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    action = """\
exports.onExecutePostLogin = async (event, api) => {
  if (event.user.app_metadata.mode === 'spin') { while (true) {} }
  if (event.user.app_metadata.mode === 'wait') { await new Promise(() => {}); }
  api.idToken.setCustomClaim('done', true);
};
"""
    tests = """\
```test
- name: spins
  timeout: 0.3
  event: {user: {app_metadata: {mode: spin}}}
  expect: {calls: []}
- name: waits forever
  timeout: 0.3
  event: {user: {app_metadata: {mode: wait}}}
  expect: {calls: []}
- name: finishes
  expect:
    calls: [{api.idToken.setCustomClaim: [done, true]}]
```
"""
    rule = (
        "function (user, context, callback) {\n"
        "  if (user.app_metadata.forget) return;\n"
        "  callback(null, user, context);\n}\n"
    )
    rule_tests = """\
```test
- name: never calls back
  user: {app_metadata: {forget: true}}
  expect: {user: {}}
- name: calls back
  expect: {user: {}}
```
"""
    a, r = action_md(action, tests), rule_md(rule, rule_tests)
    root = write(tmp_path, {"hang": a, "rulehang": r})
    code, out, _ = cli(root, capsys, "--timeout", "0.5", "--workers", "1")
    assert code == 1
    assert out.splitlines() == [
        f"FAIL rules/hang.md:{line_of(a, '- name: spins')}: spins",
        f"    rules/hang.md:{line_of(a, '- name: spins')}: timed out after 0.3 s: the handler did not finish",
        f"FAIL rules/hang.md:{line_of(a, '- name: waits')}: waits forever",
        f"    rules/hang.md:{line_of(a, '- name: waits')}: timed out after 0.3 s: the handler did not finish",
        f"ok   rules/hang.md:{line_of(a, '- name: finishes')}: finishes",
        f"FAIL rules/rulehang.md:{line_of(r, '- name: never')}: never calls back",
        f"    rules/rulehang.md:{line_of(r, '- name: never')}: timed out after 0.5 s: "
        "the callback was not called",
        f"ok   rules/rulehang.md:{line_of(r, '- name: calls back')}: calls back",
        "2 passed, 3 failed",
    ]


def test_uncaught_errors_and_rejections_are_reported_with_their_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code_text = """\
exports.onExecutePostLogin = async (event, api) => {
  setTimeout(() => { throw new Error('late failure'); }, 1);
  Promise.reject(new Error('nobody listens'));
  await new Promise((resolve) => setTimeout(resolve, 20));
  api.idToken.setCustomClaim('x', 1);
};
"""
    tests = "```test\nname: leaks errors\nexpect:\n  calls: [{api.idToken.setCustomClaim: [x, 1]}]\n```\n"
    md = action_md(code_text, tests)
    root = write(tmp_path, {"leak": md})
    code, out, _ = cli(root, capsys)
    assert code == 1
    assert out.splitlines() == [
        f"FAIL rules/leak.md:{line_of(md, 'name: leaks')}: leaks errors",
        f"    rules/leak.md:{line_of(md, 'nobody listens')}: unhandled promise rejection: "
        "Error: nobody listens",
        f"    rules/leak.md:{line_of(md, 'late failure')}: uncaught error: Error: late failure",
        # an error nothing caught ends the action, as Auth0's runtime would: the claim is never set
        f"    rules/leak.md:{line_of(md, 'late failure')}: threw Error: late failure",
        f"    rules/leak.md:{line_of(md, 'calls: [')}: calls: call 1 differs: expected "
        '{"api.idToken.setCustomClaim": ["x", 1]}, got nothing',
        '        expected: [{"api.idToken.setCustomClaim": ["x", 1]}]',
        "        actual:   []",
        "0 passed, 1 failed",
    ]


def test_cases_are_isolated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_text = """\
let calls = 0;
exports.onExecutePostLogin = async (event, api) => {
  calls += 1;
  globalThis.seen = (globalThis.seen || 0) + 1;
  event.user.app_metadata.touched = true;
  Object.prototype.polluted = true;
  api.idToken.setCustomClaim('counts', [calls, globalThis.seen, event.user.user_metadata.touched || null]);
};
"""
    one = "  expect: {calls: [{api.idToken.setCustomClaim: [counts, [1, 1, null]]}]}\n"
    tests = "```test\n" + "".join(f"- name: run {i}\n{one}" for i in range(6)) + "```\n"
    root = write(tmp_path, {"iso": action_md(code_text, tests)})
    code, out, _ = cli(root, capsys, "--workers", "2")
    assert (code, out.splitlines()[-1]) == (0, "6 passed, 0 failed")


def test_default_event_is_complete_and_merged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_text = """\
exports.onExecutePostLogin = async (event, api) => {
  const keys = ['user', 'request', 'client', 'connection', 'transaction', 'tenant', 'organization',
    'authentication', 'authorization', 'stats', 'resource_server', 'secrets', 'session'];
  api.idToken.setCustomClaim('missing', keys.filter((k) => event[k] === undefined));
  api.idToken.setCustomClaim('geo', [event.request.geoip.countryCode, event.request.ip]);
  api.idToken.setCustomClaim('secret', event.secrets.API_KEY);
  api.idToken.setCustomClaim('roles', event.authorization.roles);
};
"""
    tests = """\
```test
name: only the country differs
event:
  request: {geoip: {countryCode: FR}}
  authorization: {roles: [admin]}
expect:
  calls:
    - api.idToken.setCustomClaim: [missing, []]
    - api.idToken.setCustomClaim: [geo, [FR, 203.0.113.10]]
    - api.idToken.setCustomClaim: [secret, test-API_KEY]
    - api.idToken.setCustomClaim: [roles, [admin]]
```
"""
    root = write(tmp_path, {"ev": action_md(code_text, tests, "trigger: post-login\nsecrets: [API_KEY]\n")})
    code, out, _ = cli(root, capsys)
    assert (code, out.splitlines()[-1]) == (0, "1 passed, 0 failed"), out


def test_other_triggers_have_their_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pre = """\
exports.onExecutePreUserRegistration = async (event, api) => {
  if (event.user.email.endsWith('@spam.test')) {
    return api.validation.error('invalid_domain', 'Sign-ups from this domain are not allowed');
  }
  api.user.setUserMetadata('source', event.client.name);
  const hit = await api.cache.get('k');
  api.user.setAppMetadata('cached', hit ? hit.value : null);
};
"""
    tests = """\
```test
- name: spam is refused
  event: {user: {email: bot@spam.test}}
  expect:
    calls: [{api.validation.error: [invalid_domain, $any]}]
- name: others are tagged
  cache: {k: v1}
  expect:
    calls:
      - api.user.setUserMetadata: [source, Example App]
      - api.cache.get: [k]
      - api.user.setAppMetadata: [cached, v1]
- name: a wrong expectation shows both sides
  event: {user: {email: bot@spam.test}}
  expect:
    calls: [{api.access.deny: [$any]}]
```
"""
    md = action_md(pre, tests, "trigger: pre-user-registration\n")
    root = write(tmp_path, {"pre": md})
    code, out, _ = cli(root, capsys)
    assert code == 1
    assert out.splitlines()[2:] == [
        f"FAIL rules/pre.md:{line_of(md, '- name: a wrong')}: a wrong expectation shows both sides",
        f"    rules/pre.md:{line_of(md, 'api.access.deny')}"
        ': calls: call 1 differs: expected {"api.access.deny": ["$any"]}, got {"api.validation.error": '
        '["invalid_domain", "Sign-ups from this domain are not allowed"]}',
        '        expected: [{"api.access.deny": ["$any"]}]',
        '        actual:   [{"api.validation.error": ["invalid_domain", '
        '"Sign-ups from this domain are not allowed"]}]',
        "2 passed, 1 failed",
    ]


def test_handler_override_that_is_not_exported(tmp_path: Path) -> None:
    md = action_md(
        "exports.onExecutePostLogin = async () => {};\n",
        "```test\nname: continue after a redirect\nhandler: onContinuePostLogin\nexpect: {calls: []}\n```\n",
    )
    root = write(tmp_path, {"h": md})
    report = run_tests(load_catalogue(root), NodeOptions(timeout=2))
    [result] = report.results
    assert [(f.line, f.message) for f in result.failures] == [
        (line_of(md, "name: continue"), "the code does not export onContinuePostLogin (trigger post-login)"),
    ]


def test_broken_test_blocks_are_all_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tests = """\
```test
- name: typo in a key
  evnt: {user: {}}
  expect: {calls: []}
- name: rule keys on an action
  user: {}
  expect: {calls: [api.access.deny]}
- expect: {calls: []}
```

```test
name: [unclosed
```
"""
    md = action_md("exports.onExecutePostLogin = async () => {};\n", tests)
    root = write(tmp_path, {"broken": md})
    with pytest.raises(ProblemsError) as err:
        run_tests(load_catalogue(root))
    assert str(err.value) == "\n".join([
        f"rules/broken.md:{line_of(md, 'evnt')}: unknown test case key 'evnt' (did you mean 'event'?)",
        f"rules/broken.md:{line_of(md, '  user: {}')}: 'user' is for rules, and this template is an action",
        f"rules/broken.md:{line_of(md, 'calls: [api.access.deny]')}: 'calls' must be a list of calls, "
        "each written `- name: [arguments]`",
        f"rules/broken.md:{line_of(md, '- expect: {calls: []}')}: "
        "a test case needs a name (a non-empty string)",
        f"rules/broken.md:{line_of(md, 'name: [unclosed')}: test block is not valid YAML: "
        "expected ',' or ']', but got '<stream end>'",
        "5 problem(s) in test blocks; no test was run",
    ])
    code, out, err_text = cli(root, capsys)
    assert (code, out) == (1, "")
    assert err_text.startswith(f"rules/broken.md:{line_of(md, 'evnt')}: unknown test case key")
    assert err_text.endswith("\nerror: 5 problem(s) in test blocks; no test was run\n")


def test_callback_twice_and_stub_sequences(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rule = """\
function (user, context, callback) {
  const api = require('flaky');
  const first = api.check();
  const second = api.check();
  user.results = [first, second, api.check()];
  callback(null, user, context);
  if (user.app_metadata.twice) callback(null, user, context);
}
"""
    tests = """\
```test
- name: sequence of answers
  modules:
    flaky: {check: {$sequence: [{$returns: busy}, {$returns: ok}]}}
  expect:
    user: {results: [busy, ok, ok]}
    module_calls: [{flaky.check: []}, {flaky.check: []}, {flaky.check: []}]
- name: calls back twice
  modules:
    flaky: {check: {$returns: ok}}
  user: {app_metadata: {twice: true}}
  expect:
    user: {results: [ok, ok, ok]}
```
"""
    md = rule_md(rule, tests)
    root = write(tmp_path, {"seq": md})
    code, out, _ = cli(root, capsys)
    assert out.splitlines()[1:] == [
        f"FAIL rules/seq.md:{line_of(md, '- name: calls back')}: calls back twice",
        f"    rules/seq.md:{line_of(md, 'if (user.app_metadata.twice)')}: "
        "the callback was called more than once",
        "1 passed, 1 failed",
    ]
    assert code == 1


def test_api_stubs_must_name_a_real_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tests = """\
```test
- name: a typo in a stubbed method
  api_stubs:
    api.redirect.validatetoken: {$returns: {}}
  expect: {calls: []}
```
"""
    md = action_md("exports.onExecutePostLogin = async () => {};\n", tests)
    root = write(tmp_path, {"typo": md})
    code, out, _ = cli(root, capsys)
    assert (code, out.splitlines()) == (1, [
        f"FAIL rules/typo.md:{line_of(md, '- name: a typo')}: a typo in a stubbed method",
        f"    rules/typo.md:{line_of(md, '- name: a typo')}: api_stubs: 'api.redirect.validatetoken' is not a "
        "method of api here",
        "0 passed, 1 failed",
    ])


def test_a_stubbed_module_must_be_a_declared_dependency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code_text = "exports.onExecutePostLogin = async () => {\n  require('lodash/get');\n};\n"
    tests = "```test\nname: stubbed but not declared\nmodules: {lodash/get: {$returns: 1}}\nexpect: {calls: []}\n```\n"
    md = action_md(code_text, tests)
    root = write(tmp_path, {"dep": md})
    code, out, _ = cli(root, capsys)
    assert (code, out.splitlines()) == (1, [
        f"FAIL rules/dep.md:{line_of(md, 'name: stubbed')}: stubbed but not declared",
        f"    rules/dep.md:{line_of(md, 'lodash/get')}: require('lodash/get'): 'lodash' is not in the action's "
        "dependencies, so Auth0 would not find it",
        "0 passed, 1 failed",
    ])
    declared = md.replace("trigger: post-login\n", "trigger: post-login\ndependencies: {lodash: 4.17.21}\n")
    write(root, {"dep": declared})
    assert cli(root, capsys)[0] == 0
