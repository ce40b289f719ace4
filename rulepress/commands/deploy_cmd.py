"""`rulepress deploy` (and `python scripts/deploy.py`): plan, show, confirm on a terminal, apply."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any, TextIO

from rulepress.commands.plan_cmd import add_common, report, run_deploy, with_json_errors
from rulepress.deploy.flow import confirm_on_terminal
from rulepress.errors import UsageError, UserError


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
    p.add_argument("--wait", type=float, default=180.0, metavar="SECONDS",
                   help="how long to wait for the tenant to build and deploy the actions before giving up and "
                        "saying which did not progress (default: 180)")


class Bar:
    """A progress bar per environment on a terminal (stderr), redrawn in place."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()

    def __call__(self, env: str, step: str, done: int, total: int) -> None:
        width = 24
        filled = width * done // max(total, 1)
        line = f"\r\033[K{env} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {step}"[:200]
        with self.lock:
            self.stream.write(line + ("\n" if done >= total else ""))
            self.stream.flush()


def run(args: argparse.Namespace) -> int:
    return with_json_errors(args, lambda: _deploy(args))


def refuse(_: str) -> bool:
    raise UsageError("the plan above has changes, and there is no terminal to confirm them (or --json is "
                     "set): run again with --yes to apply them; nothing was changed")


def _deploy(args: argparse.Namespace) -> int:
    say = (lambda line: print(line, file=sys.stderr)) if args.json else print
    # as Terraform's apply: asked on a terminal, refused without one unless --yes
    confirm = None if args.yes else (None if args.json else confirm_on_terminal()) or refuse
    bar = Bar(sys.stderr) if sys.stderr.isatty() and not args.json else None
    outcomes = run_deploy(args, confirm=confirm, say=say, progress=bar)
    if outcomes is None:
        return 0
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
