"""`rulepress export --out DIR`: a tenant's actions and rules as markdown files (secrets as names only)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rulepress.deploy import environments
from rulepress.deploy.export import export
from rulepress.deploy.flow import make_client


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "export",
        help="write a tenant's actions and rules as markdown files",
        description="Onboarding: one markdown file per remote action or rule, in the rules/ format. Secret "
        "values are never exported. Writes only inside DIR, and the environments file only where --config "
        "names it (the order of each trigger's actions, so that a plan of the export has nothing to do).",
    )
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="the folder to write (e.g. rules/)")
    p.add_argument("--env", metavar="NAME", help="the environment in tenants.toml (default: its default)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="also write the tenant's action order as an environments file here (when there is none)")
    p.add_argument("--root", type=Path, default=None,
                   help="the repository folder (default: found upwards from here, as git does)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    env = environments.load(args.root).select(args.env, False)[0]
    creds = environments.credentials(env, os.environ)
    done = export(make_client(env, creds), args.out, config_path=args.config)
    for note in done.notes:
        print(f"note: {note}")
    print(
        f"exported {len(done.files)} file(s) into {args.out}"
        + (f"; wrote {done.config}" if done.config else "")
    )
    return 0
