"""`rulepress hooks install|run`: the pre-commit hook (build check; release preparation under bump2version)
and the post-receive hook of a bare server repository (deploy pushed release tags). See docs/RELEASE.md."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from rulepress.errors import UserError

DESCRIPTION = ("Install or run rulepress's git hooks: pre-commit validates the catalogue (refusing an invalid "
               "one), rebuilds and stages a stale rules.json, and prepares bump2version's release commit; "
               "post-receive deploys release tags pushed to a bare repository.")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("hooks", help="install or run the git hooks",
                                                description=DESCRIPTION)
    hsub = p.add_subparsers(dest="hooks_command", metavar="SUBCOMMAND")
    hsub.required = True
    i = hsub.add_parser("install", help="install the pre-commit hook (or, with --post-receive, the server hook)",
                        description="Install the pre-commit hook in the repository at --repo; with "
                                    "--post-receive, install the post-receive hook in a bare repository.")
    i.add_argument("--repo", type=Path, default=Path("."), help="the repository folder (default: .)")
    i.add_argument("--post-receive", action="store_true",
                   help="install the post-receive hook (deploy pushed release tags) instead")
    i.add_argument("--force", action="store_true", help="replace a hook rulepress did not write")
    add_publisher_arguments(i)
    i.set_defaults(func=run_install)
    r = hsub.add_parser("run", help="run a hook (what the installed hooks call)")
    add_run_subcommands(r)


def add_publisher_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--env", action="append", dest="envs", metavar="NAME",
                   help="an environment of tenants.toml that takes releases (repeat for several; default: "
                        "the default environment)")
    p.add_argument("--env-file", type=Path, metavar="PATH",
                   help="NAME=value lines added to the deploy's environment (tenant credentials, secrets)")
    p.add_argument("--tags", default="v*", metavar="PATTERN", help="release tag names (default: v*)")
    p.add_argument("--history", type=Path, metavar="FILE",
                   help="the SQLite deploy history (default: rulepress-deploys/history.sqlite in the repository)")


def add_run_subcommands(p: argparse.ArgumentParser) -> None:
    rsub = p.add_subparsers(dest="hook", metavar="HOOK")
    rsub.required = True
    pc = rsub.add_parser("pre-commit", help="the build (release preparation under bump2version)")
    pc.set_defaults(func=run_pre_commit)
    pr = rsub.add_parser("post-receive", help="deploy the release tags named on stdin")
    add_publisher_arguments(pr)
    pr.set_defaults(func=run_post_receive)


def _publisher_args(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for env in args.envs or []:
        out += ["--env", env]
    if args.env_file:
        out += ["--env-file", str(args.env_file.resolve())]
    if args.tags != "v*":
        out += ["--tags", args.tags]
    if args.history:
        out += ["--history", str(args.history.resolve())]
    return out


def run_install(args: argparse.Namespace) -> int:
    from rulepress.release.hooks import install

    if args.post_receive:
        done = install(args.repo, "post-receive", _publisher_args(args), force=args.force)
    else:
        if args.envs or args.env_file or args.history:
            raise UserError("--env, --env-file and --history go with --post-receive")
        done = install(args.repo, "pre-commit", force=args.force)
    print(f"{'replaced' if done.replaced else 'installed'} {done.path}")
    return 0


def run_pre_commit(args: argparse.Namespace) -> int:
    from rulepress.release.precommit import run_pre_commit as pre_commit

    line = pre_commit(Path.cwd(), os.environ)
    if line:
        print(line, file=sys.stderr)
    return 0


def run_post_receive(args: argparse.Namespace) -> int:
    from rulepress.deploy.environments import read_secrets_file
    from rulepress.release.history import History
    from rulepress.release.postreceive import handle_push
    from rulepress.release.publish import DEFAULT_ENV, Publisher

    repo = Path(os.environ.get("GIT_DIR", ".")).resolve()
    environ = dict(os.environ)
    if args.env_file:
        environ.update(read_secrets_file(args.env_file))
    state_dir = repo / "rulepress-deploys"
    history = History(args.history or state_dir / "history.sqlite")
    publisher = Publisher(tuple(args.envs or [DEFAULT_ENV]), sys.executable, environ, state_dir, args.tags)
    try:
        bad = handle_push(sys.stdin.read().splitlines(), repo, history, publisher,
                          lambda line: print(line, flush=True))
    finally:
        history.close()
    return 1 if bad else 0
