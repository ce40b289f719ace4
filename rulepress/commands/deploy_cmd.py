"""`rulepress deploy` (and `python scripts/deploy.py`): plan, show, confirm on a terminal, apply."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from rulepress.commands.plan_cmd import add_common, file_values, report, targets
from rulepress.deploy import confirm_on_terminal, deploy
from rulepress.errors import UserError


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "deploy",
        help="plan and apply the catalogue to one or more tenants",
        description="Plan, show the plan, ask on a terminal (unless --yes), and apply. Without a terminal it "
        "never waits for input.",
    )
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p)
    p.add_argument("--yes", "-y", action="store_true", help="apply without asking")


def run(args: argparse.Namespace) -> int:
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    confirm = None if args.yes or args.json else confirm_on_terminal()
    outcomes = deploy(
        args.root,
        targets(args, os.environ),
        environ=os.environ,
        file_values=file_values(args),
        prune=args.prune,
        force=args.force,
        confirm=confirm,
        say=say,
    )
    if args.json:
        print(report(outcomes))
    failed = [o for o in outcomes if o.error]
    for o in outcomes:
        if not o.error and o.applied is not None:
            print(
                f"{o.env}: deployed ({len(o.applied.done)} change(s), {o.stats.total} API calls, "
                f"{o.seconds:.1f}s)",
                file=sys.stderr if args.json else sys.stdout,
            )
        elif not o.error:
            print(
                f"{o.env}: nothing to do ({o.stats.total} API calls)",
                file=sys.stderr if args.json else sys.stdout,
            )
    if failed:
        raise UserError("\n".join(o.error or "" for o in failed))
    return 0
