"""The few exception types a user can meet, and the exit code each one means.

Exit codes (decided in one place, `rulepress.cli.main`):
  0  success
  1  a user-facing error: bad rule file, bad config, deploy refused or failed (`UserError`)
  2  usage error (bad command line), or, for `plan`, "there are changes"
  3  a bug: the traceback is saved to a file the user can attach
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about an input file, reported as `path:line: message`."""

    path: str
    line: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}:{self.line}: {prefix}{self.message}"


class UserError(Exception):
    """Something the user can fix. Printed without a traceback; exit 1."""

    exit_code = 1


class UsageError(UserError):
    """The command line is wrong; exit 2."""

    exit_code = 2


class ProblemsError(UserError):
    """Input files have problems; every one of them is listed."""

    def __init__(self, problems: list[Problem], summary: str = "") -> None:
        self.problems = sorted(problems)
        errors = sum(1 for p in problems if p.severity == "error")
        warnings = len(problems) - errors
        self.summary = summary or f"{errors} error(s), {warnings} warning(s)"
        super().__init__("\n".join(str(p) for p in self.problems) + "\n" + self.summary)
