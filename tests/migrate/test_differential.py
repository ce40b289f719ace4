""""Complete" is proven by running the rule and the action side by side on generated cases: a conversion
that looks right but does not do the same is caught, named, and left as a draft."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

RULE = """---
kind: rule
configuration: [NOTIFY_URL]
---
# {title}

Tells a service about logins.

```js
{code}
```
"""


def _migrate(tmp_path: Path, code: str) -> tuple[int, str, str]:
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "r.md").write_text(RULE.format(title="R", code=code), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "rulepress", "migrate", "rules/r.md"], cwd=root,
                          capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr, (root / "rules" / "r-action.md").read_text("utf-8")


def test_a_nested_form_body_goes_out_as_request_sent_it(tmp_path: Path) -> None:
    code, out, text = _migrate(tmp_path, """function (user, context, callback) {
  if (context.clientID !== 'abc123') return callback(null, user, context);
  request({url: configuration.NOTIFY_URL, method: 'POST', form: {who: {email: user.email}, app: context.clientName}},
    function (err, response, body) {
      if (err) return callback(err);
      if (response.statusCode !== 200) return callback(new UnauthorizedError('not allowed: ' + body));
      callback(null, user, context);
    });
}""")
    assert code == 0, out
    assert "same as the rule on 8/8 generated cases" in out  # 2 of them (unreachable service) not written
    assert "qs.stringify(" in text and "dependencies: {axios: 1.21.1, qs: 6.4.3}" in text
    # the agreeing cases are in the file, with the request as the rule's request module sent it
    block = text.split("## Cases checked against the rule")[1].split("```test\n")[1].split("```")[0]
    cases = yaml.safe_load(block)
    assert [c["name"] for c in cases] == [
        "same as the rule: defaults", 'same as the rule: context.clientID = "abc123"',
        "same as the rule: defaults, the HTTP service answers text",
        'same as the rule: context.clientID = "abc123", the HTTP service answers text',
        "same as the rule: defaults, the HTTP service cannot be reached",  # (the other one reports a problem)
        "same as the rule: defaults, the HTTP service fails",
        'same as the rule: context.clientID = "abc123", the HTTP service fails']
    sent = cases[1]["expect"]["requests"][0]
    assert sent["body"] == "who%5Bemail%5D=jane.doe%40example.com&app=Example%20App"
    assert sent["headers"] == {"content-type": "application/x-www-form-urlencoded"}
    assert cases[6]["expect"]["calls"] == [{"api.access.deny": ["not allowed: upstream error"]}]
    assert cases[0]["expect"] == {"calls": []}  # another app: nothing happens, and nothing is sent


def test_a_difference_is_a_todo_naming_the_case_and_the_file_is_a_draft(tmp_path: Path) -> None:
    """A rule's user had `last_ip`; an action's event.user has not: the static mapping cannot see it, the
    run does (the rule denies this address, the action never does)."""
    code, out, text = _migrate(tmp_path, """function (user, context, callback) {
  if (user.last_ip === '203.0.113.10') return callback(new UnauthorizedError('blocked address'));
  callback(null, user, context);
}""")
    assert code == 4, out
    assert ("TODO(migrate) the rule and the action differ on the generated case 'defaults': outcome: the rule "
            'gives {"fails": "blocked address"}, the action "continues"') in out
    assert "deploy: false" in text and "gallery" not in text.split("---")[1]


def test_an_unbound_sandbox_global_would_fail_and_is_required_instead(tmp_path: Path) -> None:
    code, out, text = _migrate(tmp_path, """function (user, context, callback) {
  context.idToken['https://example.com/h'] = crypto.createHash('sha256').update(user.email).digest('hex');
  context.idToken['https://example.com/first'] = _.first(['a', 'b']);
  callback(null, user, context);
}""")
    assert code == 0, out
    assert "const crypto = require('crypto');" in text and "const _ = require('lodash');" in text
    block = text.split("```test\n")[1].split("```")[0]
    (case,) = yaml.safe_load(block)
    assert case["expect"]["calls"][1] == {"api.idToken.setCustomClaim": ["https://example.com/first", "a"]}


def test_saml_mappings_and_risk_assessment_convert_and_are_compared(tmp_path: Path) -> None:
    """`context.samlConfiguration` mappings become api.samlResponse.setAttribute with the profile value (a
    custom property the rule sets for a mapping is set on event.user), the other settings their setters;
    the side-by-side run compares the SAML response each side makes. Cases behind a gate
    (`clientID !== ...`) are reached by setting every condition at once."""
    code, out, text = _migrate(tmp_path, """function (user, context, callback) {
  if (context.clientID !== 'samlapp1') return callback(null, user, context);
  user.tier_label = user.email_verified ? 'verified' : 'unverified';
  context.samlConfiguration.mappings = {
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn': 'email',
    'http://schemas.example.com/plan': 'app_metadata.plan'
  };
  context.samlConfiguration.mappings['urn:tier'] = 'tier_label';
  context.samlConfiguration.lifetimeInSeconds = 3600;
  if (context.riskAssessment && context.riskAssessment.confidence === 'low') {
    return callback(new UnauthorizedError('risky login from ' + context.request.ip));
  }
  callback(null, user, context);
}""")
    # every generated case agrees; what is left is the one thing a run cannot see: the rule replaced the
    # add-on's mapping table, an action can only add to it
    assert code == 4, out
    assert text.startswith("---\nkind: action\nname: R\ntrigger: post-login\n")  # one key per line
    assert "same as the rule on 6/6 generated cases" in out
    assert ("TODO(migrate) context.samlConfiguration.mappings replaced as a whole: the action sets these "
            "attributes, and the SAML add-on's other mappings still apply") in out
    assert "  event.user.tier_label = event.user.email_verified ? 'verified' : 'unverified';\n" in text
    assert ("  api.samlResponse.setAttribute('http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', "
            "event.user.email);\n  api.samlResponse.setAttribute('http://schemas.example.com/plan', "
            "event.user.app_metadata?.plan);\n  api.samlResponse.setAttribute('urn:tier', event.user.tier_label);\n"
            "  api.samlResponse.setLifetimeInSeconds(3600);\n") in text
    assert "event.authentication.riskAssessment.confidence === 'low'" in text
    cases = {c["name"]: c for c in yaml.safe_load(text.split("```test\n")[1].split("```")[0])}
    gated = cases['same as the rule: context.clientID = "samlapp1"']["expect"]["calls"]
    assert gated == [
        {"api.samlResponse.setAttribute": ["http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
                                           "jane.doe@example.com"]},
        {"api.samlResponse.setAttribute": ["http://schemas.example.com/plan", None]},
        {"api.samlResponse.setAttribute": ["urn:tier", "verified"]},
        {"api.samlResponse.setLifetimeInSeconds": [3600]}]
    both = cases["same as the rule: every condition at its first value"]["expect"]["calls"]
    assert both[-1] == {"api.access.deny": ["risky login from 203.0.113.10"]}


REQUEST_SHAPES = {
    "fire and forget": ("""function (user, context, callback) {
  request.post({url: configuration.NOTIFY_URL, json: {who: user.email}});
  callback(null, user, context);
}""", "  await axios({\n    method: 'POST',\n    url: event.secrets.NOTIFY_URL,\n    data: {who: event.user.email},\n"
      "    validateStatus: () => true\n  }).catch(() => {});\n"),
    "URL, then options": ("""function (user, context, callback) {
  request.post(configuration.NOTIFY_URL, {form: {who: {email: user.email}}, timeout: 3000}, function (err, res) {
    if (err || res.statusCode !== 200) return callback(new UnauthorizedError('no'));
    callback(null, user, context);
  });
}""", "      method: 'POST',\n      url: event.secrets.NOTIFY_URL,\n"
      "      data: qs.stringify({who: {email: event.user.email}}),\n"),
    "options in a variable, a helper's parameter named event": ("""function (user, context, callback) {
  function notify(event) {
    var options = {url: configuration.NOTIFY_URL, method: 'POST', json: event};
    request(options, function (err, response) {
      if (err) return callback(err);
      callback(null, user, context);
    });
  }
  notify({type: 'login', user_id: user.user_id});
}""", "  async function notify(event2) {\n    var options = {\n      url: event.secrets.NOTIFY_URL,\n"
      "      method: 'POST',\n      data: event2,\n      validateStatus: () => true\n    };\n"),
    "in a helper, fire and forget; the context logged whole": ("""function (user, context, callback) {
  function track(what) {
    console.log('tracking', what, context);
    request({method: 'POST', url: configuration.NOTIFY_URL, body: JSON.stringify({what: what})});
  }
  if (context.stats.loginsCount > 1) track('login'); else track('signup');
  callback(null, user, context);
}""", "  async function track(what) {\n    console.log('tracking', what, event);\n    await axios({\n"),
}


@pytest.mark.parametrize("shape", list(REQUEST_SHAPES))
def test_request_call_shapes_convert_and_send_the_same_bytes(tmp_path: Path, shape: str) -> None:
    rule, expected = REQUEST_SHAPES[shape]
    code, out, text = _migrate(tmp_path, rule)
    assert code == 0, out
    assert expected in text, text
    cases = yaml.safe_load(text.split("```test\n")[1].split("```")[0])
    assert all(case["expect"]["requests"] for case in cases)  # the request went out, as the rule's did


def test_a_callback_whose_error_may_be_null_fails_only_when_it_is_set(tmp_path: Path) -> None:
    """`callback(err, user, context)`: the login fails when err is set, else continues; a helper answering
    through it becomes a plain await. Options built in a block (`const o = {...}` inside an else) are found."""
    code, out, text = _migrate(tmp_path, """function (user, context, callback) {
  function notify(done) {
    if (user.email_verified) {
      done(null);
    } else {
      const options = {url: configuration.NOTIFY_URL, method: 'POST', auth: {'user': 'me', 'pass': 'pw'}};
      request(options, function (err, response) {
        if (err || response.statusCode !== 200) return done(new Error('not notified'));
        done(null);
      });
    }
  }
  notify(function (e) {
    return callback(e, user, context);
  });
}""")
    assert code == 0, out
    assert "  await notify();\n" in text and "auth: { username: 'me', password: 'pw' }" in text
    cases = {c["name"]: c for c in yaml.safe_load(text.split("```test\n")[1].split("```")[0])}
    failing = cases["same as the rule: user.email_verified = false, the HTTP service fails"]["expect"]
    assert failing["error"] == "not notified"
    assert cases["same as the rule: defaults"]["expect"] == {"calls": []}


def test_front_matter_of_scalars_only_is_one_key_per_line(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "plain.md").write_text(
        "---\nkind: rule\n---\n# Plain\n\nDoes nothing.\n\n```js\n"
        "function (user, context, callback) {\n  callback(null, user, context);\n}\n```\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "rulepress", "migrate", "rules/plain.md"], cwd=root,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (root / "rules" / "plain-action.md").read_text("utf-8")
    assert text.startswith("---\nkind: action\nname: Plain\ntrigger: post-login\nmigrated_from: plain\n---\n")


def test_real_world_style_rules_measured(tmp_path: Path) -> None:
    """The 20 real-world-style rules: none crashes; every output builds (work left for a person as a draft);
    the complete ones pass the strict build and replay their generated cases under `rulepress test`."""
    source = Path(__file__).resolve().parent / "realworld"
    (tmp_path / "rules").mkdir()
    for path in source.glob("*.md"):
        shutil.copy(path, tmp_path / "rules" / path.name)
    proc = subprocess.run([sys.executable, "-m", "rulepress", "migrate", "--all"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 4, proc.stdout + proc.stderr  # some need a person; 3 would be a crash
    complete = sorted(line.split(" ")[0] for line in proc.stdout.splitlines() if ": complete;" in line)
    assert len(complete) == 7, proc.stdout
    assert subprocess.run([sys.executable, "-m", "rulepress", "build"], cwd=tmp_path, capture_output=True,
                          check=False).returncode == 0
    strict = tmp_path / "strict"
    (strict / "rules").mkdir(parents=True)
    for rel in complete:
        action = tmp_path / rel.replace(".md", "-action.md")
        assert "\ndeploy: false\n" not in action.read_text("utf-8")
        shutil.copy(action, strict / "rules" / action.name)
    built = subprocess.run([sys.executable, "-m", "rulepress", "build", "--strict"], cwd=strict,
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    tested = subprocess.run([sys.executable, "-m", "rulepress", "test"], cwd=strict, capture_output=True,
                            text=True, check=False)
    assert tested.returncode == 0, tested.stdout
    assert tested.stdout.splitlines()[-1].endswith(" passed, 0 failed")


def test_a_pinned_package_runs_for_real_when_rulepress_has_it_else_the_migration_is_unproven(tmp_path: Path) -> None:
    """`require('greet@1.0.0')`: with the package at that version in rulepress's packages folder both sides
    run it and agree; without it (never fetched in tests) both get a stand-in, and agreement proves little."""
    rule = """function (user, context, callback) {
  var greet = require('greet@1.0.0');
  context.idToken['https://example.com/hello'] = greet.hello(user.name);
  callback(null, user, context);
}"""
    code, out, _ = _migrate(tmp_path / "without", rule)
    assert code == 4, out
    assert ("not proven by running: the rule ran with stand-ins for greet (not at a version rulepress has)"
            in out)
    package = Path(os.environ["RULEPRESS_PACKAGES_DIR"]) / "greet@1.0.0" / "node_modules" / "greet"
    package.mkdir(parents=True)
    (package / "package.json").write_text('{"name": "greet", "version": "1.0.0", "main": "index.js"}')
    (package / "index.js").write_text("exports.hello = (name) => 'Hello, ' + name + '!';\n")
    code, out, text = _migrate(tmp_path / "with", rule)
    assert code == 0, out
    (case,) = yaml.safe_load(text.split("```test\n")[1].split("```")[0])
    assert case["expect"]["calls"] == [{"api.idToken.setCustomClaim": ["https://example.com/hello",
                                                                       "Hello, Jane Doe!"]}]


def test_allow_lists_through_callbacks_and_email_domains_are_probed_and_unreached_places_said(tmp_path: Path) -> None:
    code, out, text = _migrate(tmp_path, """function (user, context, callback) {
  const domains = ['corp.example', 'partner.example'];
  const allowed = domains.some(function (d) { return user.email.split('@')[1].toLowerCase() === d; });
  if (!allowed) return callback(new UnauthorizedError('not for you'));
  if (user.email.length > 40) {
    context.idToken['https://example.com/long'] = true;
  }
  callback(null, user, context);
}""")
    assert code == 0, out
    names = [c["name"] for c in yaml.safe_load(text.split("```test\n")[1].split("```")[0])]
    assert 'same as the rule: user.email = "someone@corp.example"' in names
    assert 'same as the rule: user.email = "someone@elsewhere.invalid"' in names
    # the claim sits behind a computed condition no generated case meets: said, not hidden
    assert ("note: 1 of 3 places where the rule acts never ran in a generated case (rule file lines 15): what "
            "the action does there was not compared") in out
