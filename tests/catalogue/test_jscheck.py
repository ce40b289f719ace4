"""The JavaScript check in real Node: a rule's verdict is its own, whatever other rules share its batch."""

from __future__ import annotations

import shutil

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
