"""Code under test that escapes its vm context still finds no environment: no credentials to read."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulepress.cli import main


def test_escaped_code_sees_an_empty_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AUTH0_CLIENT_SECRET", "must-not-be-seen")
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "escape.md").write_text(ESCAPE_MD, encoding="utf-8")
    assert main(["test", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "1 passed, 0 failed"
    assert "must-not-be-seen" not in out


ESCAPE_MD = """---
gallery: true
---
# Escape

Tries to leave the sandbox and count the environment variables of the real process.

```js
exports.onExecutePostLogin = async (event, api) => {
  let seen = -1;
  // a host function's constructor is the host's Function: 'return process' gives the real process
  for (const o of [require, api, api.access, api.idToken, event, console.log]) {
    try {
      const p = o.constructor.constructor('return process')();
      seen = Object.keys(p.env).length;
      break;
    } catch (e) { /* next */ }
  }
  api.idToken.setCustomClaim('env', seen);
};
```

```test
name: escaped code finds an empty environment
expect:
  calls:
    - api.idToken.setCustomClaim: [env, 0]
```
"""
