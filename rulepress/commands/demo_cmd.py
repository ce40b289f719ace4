"""`rulepress demo`: the main job on the built-in local tenant, no Auth0 account needed.

Builds the catalogue, starts a local tenant on 127.0.0.1, plans and deploys every published template to
it, then plans again to show that a second run has nothing to do. Secret values are generated demo values
(the local tenant is the only place they go) and are never printed.
"""

from __future__ import annotations

import argparse
import secrets as random_secrets
import time
from pathlib import Path
from typing import Any

from rulepress.catalogue.build import build
from rulepress.catalogue.rulesjson import read_entries
from rulepress.deploy.desired import secret_names
from rulepress.deploy.environments import Environment
from rulepress.deploy.flow import deploy_to
from rulepress.errors import UserError
from rulepress.tenant import start_tenant


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo", help="deploy the catalogue to a built-in local tenant (no Auth0 account needed)",
        description=__doc__)
    p.add_argument("--root", type=Path, default=None,
                   help="the repository folder (default: found upwards from here, as git does)")
    p.add_argument("--keep-running", action="store_true",
                   help="keep the local tenant running after the deploy, until Ctrl-C")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    root: Path = args.root
    result = build(root)
    print(f"build: {result.output.name} {'written' if result.written else 'up to date'}, "
          f"{result.published} template(s) published")
    entries = read_entries(result.output)
    env = Environment("demo")
    values = {name: "demo-" + random_secrets.token_hex(8) for name in secret_names(entries, env)}
    with start_tenant() as tenant:
        print(f"local tenant: {tenant.base_url} (client id {tenant.client_id})")
        print(f"secrets: {len(values)} generated demo value(s) for the local tenant only (not shown)\n")
        started = time.monotonic()
        first = deploy_to(root, tenant.base_url, tenant.client_id, tenant.client_secret, env=env,
                          secrets=values)
        took = time.monotonic() - started
        print(f"\ndeployed in {took:.1f} s with {first.stats.total} API call(s) "
              f"({first.stats.writes} write(s))\n")
        print("planning again: a deploy of an unchanged catalogue must have nothing to do")
        second = deploy_to(root, tenant.base_url, tenant.client_id, tenant.client_secret, env=env,
                           secrets=values, apply_changes=False)
        if second.plan is None or second.plan.has_changes:
            raise UserError("the second plan is not empty: the deploy did not converge")
        print(f"second plan: nothing to do ({second.stats.total} API call(s), "
              f"{second.stats.writes} write(s))")
        if args.keep_running:
            print(f"\nthe tenant keeps running at {tenant.base_url}; use it with\n"
                  f"  AUTH0_DOMAIN={tenant.base_url} AUTH0_CLIENT_ID={tenant.client_id} "
                  f"AUTH0_CLIENT_SECRET={tenant.client_secret}  (a local demo credential)\nCtrl-C stops it.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass
    return 0
