"""`rulepress tenant serve`: the local tenant (an Auth0 Management API on loopback) in the foreground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rulepress.errors import UsageError, UserError
from rulepress.tenant import PLANS, TenantOptions, serve_forever
from rulepress.tenant.options import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from rulepress.tenant.server import Endpoint
from rulepress.tenant.store import StateFileError

DESCRIPTION = (
    "Serve a local tenant: the Auth0 Management API (rules, rules-configs, actions, triggers, bindings) "
    "and /oauth/token on 127.0.0.1. Stop it with Ctrl-C."
)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "tenant", help="a local Auth0 tenant for trying deploys", description=DESCRIPTION
    )
    tsub = p.add_subparsers(dest="tenant_command", metavar="SUBCOMMAND")
    tsub.required = True
    s = tsub.add_parser("serve", help="serve a local tenant until Ctrl-C", description=DESCRIPTION)
    s.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    s.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    s.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    s.add_argument("--tls", action="store_true",
                   help="serve HTTPS with a self-signed certificate; the CA file to trust is printed")
    s.add_argument("--tls-dir", type=Path, help="where to write the certificates (default: a temp dir)")
    s.add_argument("--state", type=Path, metavar="FILE",
                   help="keep the state in this SQLite file (default: in memory)")
    s.add_argument("--plan", choices=sorted(PLANS), help="apply that plan's rate limit and rules limit")
    s.add_argument("--rate", type=float, help="rate limit: requests per second (sustained)")
    s.add_argument("--burst", type=int, help="rate limit: bucket size")
    s.add_argument("--rules-deprecated", action="store_true",
                   help="answer the rules endpoints as a tenant created after 2023-10-16 does (403)")
    s.add_argument("--build-seconds", type=float, default=1.0,
                   help="how long an action build takes (default: 1.0)")
    s.add_argument("--fault-rate", type=float, default=0.0, help="fraction of API calls answered 5xx")
    s.add_argument("--fault-seed", type=int, default=0, help="seed of the fault injection")
    s.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every API call")
    s.add_argument("--drop-rate", type=float, default=0.0,
                   help="fraction of API calls whose connection is dropped without an answer")
    s.set_defaults(func=run)


def options_from(args: argparse.Namespace) -> TenantOptions:
    options = TenantOptions(
        port=args.port,
        client_id=args.client_id,
        client_secret=args.client_secret,
        tls=args.tls,
        tls_dir=args.tls_dir,
        state=args.state,
        plan=args.plan,
        rate=args.rate,
        burst=args.burst,
        rules_deprecated=args.rules_deprecated,
        build_seconds=args.build_seconds,
        fault_rate=args.fault_rate,
        fault_seed=args.fault_seed,
        latency_ms=args.latency_ms,
        drop_rate=args.drop_rate,
    )
    problems = options.validate()
    if problems:
        raise UsageError("; ".join(problems))
    return options


def announce(endpoint: Endpoint, options: TenantOptions) -> None:
    print(f"local tenant listening on {endpoint.base_url}")
    print(f"  domain:        {endpoint.base_url.split('://', 1)[1]}")
    print(f"  token url:     {endpoint.base_url}/oauth/token")
    print(f"  audience:      {endpoint.base_url}/api/v2/")
    print(f"  client id:     {options.client_id}")
    print(f"  client secret: {options.client_secret}")
    print("  use it with:   "
          f"AUTH0_DOMAIN={endpoint.base_url} AUTH0_CLIENT_ID={options.client_id} "
          f"AUTH0_CLIENT_SECRET={options.client_secret} rulepress plan")
    if endpoint.ca_file is not None:
        print(f"  CA file:       {endpoint.ca_file}  (e.g. NODE_EXTRA_CA_CERTS={endpoint.ca_file})")
    print(f"  state:         {options.state or 'in memory'}")
    print("press Ctrl-C to stop", flush=True)


def run(args: argparse.Namespace) -> int:
    options = options_from(args)
    try:
        serve_forever(options, lambda endpoint: announce(endpoint, options))
    except (OSError, StateFileError) as exc:
        raise UserError(str(exc)) from None
    print("local tenant stopped", file=sys.stderr)
    return 0
