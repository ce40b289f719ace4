"""`rulepress webhook serve`: deploy release tags pushed to GitHub or GitLab (see docs/RELEASE.md)."""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path
from typing import Any

from rulepress.commands.hooks_cmd import add_publisher_arguments
from rulepress.errors import UserError

DESCRIPTION = ("Receive push webhooks from GitHub (X-Hub-Signature-256) or GitLab (X-Gitlab-Token); deploy each "
               "pushed release tag to the release environments, one deploy at a time per environment. "
               "The secret is read from an environment variable, never from the command line.")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("webhook", help="deploy release tags on push webhooks",
                                                description=DESCRIPTION)
    wsub = p.add_subparsers(dest="webhook_command", metavar="SUBCOMMAND")
    wsub.required = True
    s = wsub.add_parser("serve", help="serve the webhook receiver until Ctrl-C", description=DESCRIPTION)
    s.add_argument("--repo", required=True, metavar="URL",
                   help="the repository to fetch pushed commits from (what the payload says is never fetched)")
    s.add_argument("--state-dir", type=Path, default=Path(".rulepress-webhook"),
                   help="mirror, deploy history and locks (default: .rulepress-webhook)")
    s.add_argument("--secret-env", default="RULEPRESS_WEBHOOK_SECRET", metavar="NAME",
                   help="the environment variable holding the shared secret (default: RULEPRESS_WEBHOOK_SECRET)")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    s.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0: a free one)")
    s.add_argument("--max-body", type=int, default=1024 * 1024, metavar="BYTES",
                   help="largest accepted request body (default: 1 MiB)")
    add_publisher_arguments(s)
    s.set_defaults(func=run)


def _log(line: str) -> None:
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    print(f"{stamp} {line}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from rulepress.deploy.environments import read_secrets_file
    from rulepress.release.publish import DEFAULT_ENV, Publisher
    from rulepress.release.webhook import WebhookOptions, serve_forever

    secret = os.environ.get(args.secret_env, "")
    if not secret:
        raise UserError(f"${args.secret_env} is empty: set the webhook secret there (refusing to start)")
    environ = {k: v for k, v in os.environ.items() if k != args.secret_env}  # deploys never see it
    if args.env_file:
        environ.update(read_secrets_file(args.env_file))
    state_dir = args.state_dir.resolve()
    publisher = Publisher(tuple(args.envs or [DEFAULT_ENV]), sys.executable, environ, state_dir / "locks",
                          args.tags)
    options = WebhookOptions(secret, args.repo, state_dir, publisher, args.host, args.port, args.max_body,
                             history=args.history)
    serve_forever(options, _log, lambda url: _log(f"listening on {url} (status: /status)"))
    return 0
