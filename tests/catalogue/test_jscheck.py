"""The JavaScript check in real Node: a rule's verdict is its own, whatever other rules share its batch."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rulepress.catalogue.jscheck import Code, check

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")

GOOD = "function (user, context, callback) {\n  callback(null, user, context);\n}"


def verdicts(codes: list[str]) -> list[list[str]]:
    found = check([Code(f"r{n}.md", "rule", code, 1) for n, code in enumerate(codes)])
    return [[p.message for p in found if p.path == f"r{n}.md"] for n in range(len(codes))]


def test_code_that_closes_the_batch_early_gets_its_own_verdict() -> None:
    """Compiled alone, this is a comma expression whose value is 1: not a function. In a batch it must
    not shift the other rules' values (it once crashed the check)."""
    out = verdicts([GOOD, "function (user, context, callback) {}), (1", GOOD])
    assert out[0] == out[2] == []
    assert out[1] == ["a rule must be a function expression (function (user, context, callback) { ... }), not number"]


def test_a_rule_cannot_lean_on_a_global_another_rule_defined() -> None:
    alone = verdicts(["x"])[0]
    together = verdicts(["x = function (user, context, callback) {}", "x"])
    assert together[0] == []  # defining a global is allowed, evaluated on its own
    assert together[1] == alone
    assert alone and "x is not defined" in alone[0]


def test_many_rules_in_batches_keep_their_verdicts() -> None:
    codes = [GOOD if n % 7 else "function (user) {}" for n in range(450)]
    out = verdicts(codes)
    assert all(out[n] == [] for n in range(450) if n % 7)
    assert all(len(out[n]) == 1 and "takes 1" in out[n][0] for n in range(0, 450, 7))


# ---- names an action reads: declared, required, or a global of its Node runtime ------------------------

def action_problems(code: str) -> list[tuple[int, str, str]]:
    return [(p.line, p.severity, p.message) for p in check([Code("a.md", "action", code, 10)])]


def test_a_rules_sandbox_global_left_unbound_in_an_action_is_an_error_at_its_line() -> None:
    out = action_problems("exports.onExecutePostLogin = async (event, api) => {\n"
                          "  api.idToken.setCustomClaim('x', _.first([1]));\n"
                          "  api.idToken.setCustomClaim('y', crypto.randomUUID() + typeof later);\n"
                          "  const hash = require('crypto').createHash('sha256');\n"
                          "  helper(hash);\n"
                          "  function helper(h) { return h; }\n"
                          "};")
    assert out == [(11, "error", "'_' is neither declared, required nor a global of an action's Node runtime: "
                                 "reading it throws a ReferenceError on Auth0 (it was a global of the Rules "
                                 "sandbox: require its module and declare it in dependencies)")]


def test_every_unbound_name_is_reported_once_and_a_syntax_error_alone() -> None:
    out = action_problems("exports.onExecutePostLogin = async (event, api) => {\n"
                          "  if (mongo) mongo.db(conn);\n"
                          "  log(conn);\n"
                          "};")
    assert [(line, msg.split(" is neither")[0]) for line, _, msg in out] == [(11, "'mongo'"), (11, "'conn'"),
                                                                            (12, "'log'")]
    (only,) = action_problems("exports.onExecutePostLogin = async (event, api) => { x(;\n};")
    assert only[2].startswith("JavaScript syntax error")


def test_in_a_draft_an_unbound_name_is_a_warning(tmp_path: Path) -> None:
    from rulepress.catalogue.build import build
    from rulepress.errors import ProblemsError

    (tmp_path / "rules").mkdir()
    body = "# A\n\nAn action.\n\n```js\nexports.onExecutePostLogin = async (event, api) => { uuid.v4(); };\n```\n"
    (tmp_path / "rules" / "draft.md").write_text("---\nkind: action\ntrigger: post-login\ndeploy: false\n---\n"
                                                 + body)
    result = build(tmp_path)
    assert [str(p) for p in result.warnings] == [
        "rules/draft.md:11: warning: 'uuid' is neither declared, required nor a global of an action's Node "
        "runtime: reading it throws a ReferenceError on Auth0 (it was a global of the Rules sandbox: require "
        "its module and declare it in dependencies) (a draft: not published)"]
    (tmp_path / "rules" / "pub.md").write_text("---\nkind: action\ngallery: true\ntrigger: post-login\n---\n"
                                               + body.replace("An action", "Another"))
    with pytest.raises(ProblemsError) as failed:
        build(tmp_path)
    assert [p.path for p in failed.value.problems if p.severity == "error"] == ["rules/pub.md"]
