"""A rule test that compared a request's form body keeps comparing it after migration: the expected body is
the string qs 6.4 (request 2.81's encoder, and the action's) makes of it, never `$any`. The Python encoder that
writes those expectations is held to the real qs, in Node, on generated data."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from rulepress.cli import main
from rulepress.migrate.testcases import qs_stringify
from rulepress.node_packages import node_modules

RULE = """---
kind: rule
configuration: [HOOK]
---
# Post a nested form

Posts the login as a form.

```js
function (user, context, callback) {
  request.post({url: configuration.HOOK, form: {who: {email: user.email, tags: ['a b', 'ü']}, n: 1}},
    function (err, response, body) {
      if (err) return callback(err);
      callback(null, user, context);
    });
}
```

```test
- name: the form goes out
  globals:
    request:
      post: {$callback: [null, {statusCode: 200}, ok]}
  expect:
    module_calls:
      - request.post: [{url: test-HOOK, form: {who: {email: jane.doe@example.com, tags: [a b, ü]}, n: 1}}, $any]
```
"""


def test_a_compared_form_body_stays_compared(tmp_path: Path, capsys: object) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "form.md").write_text(RULE, encoding="utf-8")
    assert main(["migrate", "rules/form.md", "--root", str(tmp_path)]) == 0
    text = (tmp_path / "rules" / "form-action.md").read_text(encoding="utf-8")
    converted = text.split("```test\n")[1].split("```")[0]
    assert "$any" not in converted.split("module_calls")[1].split("data")[1].split("\n")[0]
    assert ("data: who%5Bemail%5D=jane.doe%40example.com&who%5Btags%5D%5B0%5D=a%20b&who%5Btags%5D%5B1%5D=%C3%BC&n=1"
            in converted)
    assert main(["test", "form-action", "--root", str(tmp_path)]) == 0


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=8))
DATA = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                    max_leaves=8)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.dictionaries(st.text(max_size=5), DATA, max_size=4), min_size=20, max_size=20))
def test_the_expected_body_is_what_qs_makes(batch: list[dict[str, object]]) -> None:
    script = ("const qs = require('qs'); const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(items.map((x) => qs.stringify(x))));")
    done = subprocess.run(["node", "-e", script], input=json.dumps(batch), capture_output=True, text=True,
                          check=True, env={"NODE_PATH": str(node_modules()), "PATH": "/usr/bin:/bin:/usr/local/bin"})
    assert [qs_stringify(x) for x in batch] == json.loads(done.stdout)
