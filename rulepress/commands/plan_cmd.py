"""`rulepress plan`: what a deploy would change, Exit 0: nothing to do, 2: changes, 1: error."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from rulepress.deploy import environments
from rulepress.deploy.flow import Outcome, Target, make_client
from rulepress.deploy.report import to_json
from rulepress.errors import UserError


def add_common(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--env", metavar="NAME", help="the environment in tenants.toml (default: its default)")
    which.add_argument("--all", action="store_true", help="every environment in tenants.toml")
    which.add_argument("--releases", action="store_true",
                       help="the environments with 'releases = true' in tenants.toml (what a v* tag deploys)")
    p.add_argument("--root", type=Path, default=None,
                   help="the repository folder (default: found upwards from here, as git does)")
    p.add_argument(
        "--secrets-file",
        type=Path,
        metavar="PATH",
        help="secret values as NAME=value lines or a JSON object (wins over environment variables)",
    )
    p.add_argument(
        "--prune",
        action="store_true",
        help="delete rules and actions rulepress created that left the catalogue",
    )
    p.add_argument(
        "--force", action="store_true", help="deploy over a newer catalogue, or from uncommitted changes"
    )
    p.add_argument("--json", action="store_true", help="print a machine-readable report")


def targets(args: argparse.Namespace, environ: Mapping[str, str]) -> list[Target]:
    envs = environments.load(args.root).select(args.env, args.all, args.releases)
    out = []
    for env in envs:
        creds = environments.credentials(env, environ)
        out.append(Target(env, creds, make_client(env, creds, patience=getattr(args, "wait", 180.0))))
    return out


def file_values(args: argparse.Namespace) -> dict[str, str]:
    return environments.read_secrets_file(args.secrets_file) if args.secrets_file else {}


def report(outcomes: list[Outcome]) -> str:
    items: list[dict[str, Any]] = []
    for o in outcomes:
        items.append(
            {
                "env": o.env,
                "plan": to_json(o.plan) if o.plan else None,
                "applied": o.applied.done if o.applied else [],
                "error": o.error,
                "api": o.stats.to_json(),
                "seconds": round(o.seconds, 3),
            }
        )
    return json.dumps({"environments": items}, indent=2, ensure_ascii=False)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="show what a deploy would change (exit 2 when there are changes)",
        description="Read each tenant once; show what a deploy would create, update, move, bind and delete. "
        "Exit 0: nothing to do; 2: changes; 1: error.",
    )
    add_common(p)
    p.set_defaults(func=run)


def run_deploy(args: argparse.Namespace, **options: Any) -> list[Outcome] | None:
    """`deploy()` on the environments the command line chose, with its common options; None when
    `--releases` chose none (said on stderr, and as JSON with --json)."""
    from rulepress.deploy.flow import deploy

    chosen = targets(args, os.environ)
    if not chosen:
        nowhere(args)
        return None
    return deploy(args.root, chosen, environ=os.environ, file_values=file_values(args), prune=args.prune,
                  force=args.force, **options)


def run(args: argparse.Namespace) -> int:
    def plan() -> int:
        outcomes = run_deploy(args, apply_changes=False, say=(lambda _: None) if args.json else print)
        if outcomes is None:
            return 0
        if args.json:
            print(report(outcomes), file=sys.stdout)
        return 2 if any(o.plan is not None and o.plan.has_changes for o in outcomes) else 0

    return with_json_errors(args, plan)


NOWHERE = ("no environment in tenants.toml takes releases (releases = true): nothing to publish; add it to "
           "the [env.NAME] tables a pushed tag should deploy to")


def nowhere(args: argparse.Namespace) -> None:
    """--releases and no environment takes them: a repository that publishes nowhere yet, said plainly."""
    print(NOWHERE, file=sys.stderr)
    if args.json:
        print(json.dumps({"environments": [], "note": NOWHERE}, indent=2))


def with_json_errors(args: argparse.Namespace, command: Callable[[], int]) -> int:
    """Run the command; with --json, an error is also one JSON document on stdout, so a script reading
    stdout always gets one (the message still goes to stderr, and the exit code is the error's)."""
    try:
        return command()
    except UserError as exc:
        if args.json:
            print(json.dumps({"error": str(exc), "exit_code": exc.exit_code, "environments": []}, indent=2,
                             ensure_ascii=False))
        raise
