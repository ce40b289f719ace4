"""The entry point the installed git hooks run: `python -m rulepress.release.hook pre-commit|post-receive`.

Lean on purpose (a commit waits for it): it imports only the hook's own code, not every CLI command.
Exit codes come from rulepress.cli.run, as for every command.
"""

from __future__ import annotations

import argparse
import sys

from rulepress.cli import run
from rulepress.commands import hooks_cmd


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rulepress-hook", description="rulepress's git hooks")
    hooks_cmd.add_run_subcommands(parser)
    return parser


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:], make_parser(), sys.stderr))
