"""Plan and deploy a repository's catalogue to one or more environments: the steps in order.

    read rules.json (refused when stale) → for each environment: read the tenant once → resolve secret
    values (all missing ones reported before any write, across every environment) → plan → show →
    (confirm) → apply, environments in parallel, each under its own rate limit.

`deploy()` is the Python entry point (the `demo` command uses it); the CLI commands are thin on top.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TextIO

import requests

from rulepress import config
from rulepress.catalogue.build import build
from rulepress.catalogue.model import Entry
from rulepress.catalogue.rulesjson import read_entries
from rulepress.deploy.apply import Applied, apply, steps
from rulepress.deploy.desired import Desired, desired_state, secret_names
from rulepress.deploy.environments import RULES_LIMITS, Credentials, Environment, secret_values
from rulepress.deploy.plan import Plan, make_plan
from rulepress.deploy.report import render
from rulepress.errors import UserError
from rulepress.gitrun import git, status_entries
from rulepress.remote.client import ODD_ANSWER, ApiError, Client, Stats
from rulepress.remote.read import read_snapshot
from rulepress.remote.records import Snapshot

Say = Callable[[str], None]
StepProgress = Callable[[str, str, int, int], None]  # (environment, step, steps done, steps planned)


@dataclass(frozen=True)
class Release:
    """What a deploy publishes: the catalogue's entries, its version, and the git commit it comes from."""

    entries: list[Entry]
    version: str | None
    sha: str | None
    dirty: bool


@dataclass
class Outcome:
    """One environment's result."""

    env: str
    plan: Plan | None = None
    applied: Applied | None = None
    stats: Stats = field(default_factory=Stats)
    seconds: float = 0.0
    error: str | None = None


def read_release(root: Path, *, check_stale: bool = True) -> Release:
    """rules.json entries (refused when stale against rules/), the catalogue version and git commit."""
    if check_stale:
        build(root, check=True)
    entries = read_entries(config.load(root).output_path)
    return Release(entries, config.catalogue_version(root), *_git(root))


def _git(root: Path) -> tuple[str | None, bool]:
    """The commit deployed and whether what it deploys has uncommitted changes (None: not a git checkout)."""
    try:
        sha = git(root, "rev-parse", "--verify", "--quiet", "HEAD").strip()
        cfg = config.load(root)
        changed = status_entries(root, [cfg.rules_dir, cfg.output, "tenants.toml"])
    except UserError:
        return None, False
    return sha or None, bool(changed)


@dataclass
class Target:
    env: Environment
    creds: Credentials
    client: Client


def make_client(
    env: Environment,
    creds: Credentials,
    *,
    session: requests.Session | None = None,
    deadline: float | None = 900.0,
    timeout: float = 30.0,
    patience: float = 180.0,
) -> Client:
    return Client(
        creds.domain,
        creds.client_id,
        creds.client_secret,
        session=session,
        burst=env.burst,
        rate=env.rate,
        deadline=deadline,
        timeout=timeout,
        patience=patience,
    )


def plan_target(
    release: Release,
    target: Target,
    environ: Mapping[str, str],
    file_values: Mapping[str, str],
    *,
    prune: bool,
    force: bool,
    plan_only: bool = False,
) -> tuple[Plan, dict[str, str]]:
    """Read the tenant, resolve secret values, plan. Raises UserError listing every missing secret, unless
    `plan_only`: a plan needs no value to show what would change, so missing ones are marked in it."""
    env = target.env
    taken = [e for e in release.entries if env.takes(e.id)]
    triggers = {e.action.trigger for e in taken if e.action is not None}
    names = {e.name for e in taken if e.action is not None}
    try:
        snap = read_snapshot(target.client, triggers=triggers, names=names)
    except ODD_ANSWER as exc:
        raise UserError(target.client.odd_answer(exc) + "; nothing was changed") from None
    needed = secret_names([e for e in taken if e.action is not None or snap.rules is not None], env)
    values, missing = secret_values(env, needed, environ, file_values)
    if missing and not plan_only:
        raise UserError(
            f"environment {env.name!r}: no value for secret(s) {', '.join(missing)} "
            "(set the environment variables or pass --secrets-file); nothing was changed"
        )
    desired = desired_state(release.entries, env, values, target.creds.client_secret)
    plan = make_plan(
        desired, snap, env=env.name, version=release.version, sha=release.sha, prune=prune, force=force
    )
    return replace(plan, unset=tuple(missing), limits=_over_limits(env, desired, snap, prune)), values


def _over_limits(env: Environment, desired: Desired, snap: Snapshot, prune: bool) -> tuple[str, ...]:
    """What the environment's plan cannot hold: a deploy would stop half-way at the limit."""
    limit = RULES_LIMITS.get(env.plan) if env.plan else None
    if limit is None or snap.rules is None:
        return ()
    names, ids = {r.name for r in desired.rules}, {r.template_id for r in desired.rules}
    owned = set(snap.record.owned or ()) if snap.record else set()
    pruned = {r.id for r in snap.rules if prune and r.owner and r.id in owned}  # as plan_rules deletes them
    others = [r for r in snap.rules if r.name not in names and r.owner not in ids and r.id not in pruned]
    total = len(desired.rules) + len(others)
    if total <= limit:
        return ()
    return (f"the {env.plan} plan holds at most {limit} rules; this environment would hold {total} "
            f"({len(desired.rules)} from the catalogue, {len(others)} already on the tenant): choose fewer "
            f"templates (templates/exclude in tenants.toml) or a bigger plan",)


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret value (of 4 characters or more: shorter ones would hide ordinary words)
    replaced by ***, longest first."""
    forms = set()
    for value in (v for v in secrets if len(v) >= 4):  # as sent, and as a server echoes it in JSON
        forms |= {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


def _explain(exc: UserError, target: Target) -> str:
    """An error, with what to check when the tenant refused our credentials."""
    if isinstance(exc, ApiError) and exc.path == "/oauth/token" and exc.status in (400, 401, 403):
        env = target.env
        names = ", ".join(n for n in (env.client_id_env, env.client_secret_env) if n)
        where = f"{env.domain_env}={target.creds.domain}" if not env.domain else f"domain {env.domain}"
        return (f"environment {env.name!r}: the tenant at {target.client.base} refused the client credentials "
                f"({exc}); check {names} (and {where}), and that the application is authorized for the "
                f"Management API")
    return str(exc)


def deploy(
    root: Path,
    targets: Sequence[Target],
    *,
    environ: Mapping[str, str] = os.environ,
    file_values: Mapping[str, str] | None = None,
    apply_changes: bool = True,
    prune: bool = False,
    force: bool = False,
    confirm: Callable[[str], bool] | None = None,
    say: Say = print,
    check_stale: bool = True,
    progress: StepProgress | None = None,
) -> list[Outcome]:
    """Plan (and unless `apply_changes` is false, apply) the catalogue at `root` on every target.

    Every environment is read and planned before anything is written, so missing secrets and refusals
    stop the run with nothing changed. `confirm(summary)` is asked once before writing, when given.
    Each applied step goes to `progress(env, step, done, total)` when given, else to `say` as a line.
    Returns one Outcome per target; a failure in one environment does not stop the others.
    """
    release = read_release(root, check_stale=check_stale)
    if apply_changes and release.dirty and not force:
        raise UserError(
            "rules/, rules.json or tenants.toml has uncommitted changes; commit them first, or use --force"
        )
    outcomes = [Outcome(t.env.name) for t in targets]

    def plan_one(item: tuple[Target, Outcome]) -> dict[str, str] | None:
        """Read and plan one environment (in parallel: each is bound by its own tenant's rate limit)."""
        target, outcome = item
        started = time.monotonic()
        try:
            outcome.plan, values = plan_target(
                release, target, environ, file_values or {}, prune=prune, force=force,
                plan_only=not apply_changes,
            )
            return values
        except UserError as exc:
            outcome.error = redact(_explain(exc, target), [*(file_values or {}).values(), target.creds.client_secret])
            return None
        finally:
            outcome.seconds = time.monotonic() - started
            outcome.stats = target.client.stats

    with ThreadPoolExecutor(max_workers=max(1, min(len(targets), 32))) as pool:
        found = list(pool.map(plan_one, zip(targets, outcomes, strict=True)))
    planned: list[tuple[Target, Outcome, dict[str, str]]] = []
    problems: list[str] = []
    for target, outcome, values in zip(targets, outcomes, found, strict=True):  # reported in the given order
        if values is None or outcome.plan is None:
            problems.append(outcome.error or "")
            continue
        say(render(outcome.plan, where=target.client.base))
        planned.append((target, outcome, values))
    if problems:
        raise UserError("\n".join(problems))
    over = [f"environment {o.env!r}: {line}" for _, o, _ in planned if o.plan is not None for line in o.plan.limits]
    if apply_changes and over and not force:
        raise UserError("\n".join(over) + "\nnothing was changed (--force tries anyway)")
    changing = [(t, o, v) for t, o, v in planned if o.plan is not None and o.plan.has_changes]
    if not apply_changes or not changing:
        return outcomes
    if confirm is not None and not confirm(
        f"apply these changes to {', '.join(t.env.name for t, _, _ in changing)}?"
    ):
        raise UserError("deploy cancelled; nothing was changed")

    def run(item: tuple[Target, Outcome, dict[str, str]]) -> None:
        target, outcome, values = item
        started = time.monotonic()
        prefix = f"[{target.env.name}] " if len(targets) > 1 else ""
        assert outcome.plan is not None
        total = len(steps(outcome.plan))
        count = [0]

        def step(line: str) -> None:
            count[0] += 1
            if progress is not None:
                progress(target.env.name, line, count[0], total)
            else:
                say(prefix + line)

        try:
            outcome.applied = apply(outcome.plan, target.client, values, progress=step)
        except UserError as exc:  # a server may echo what it was sent: no secret value is ever printed
            outcome.error = redact(str(exc), [*values.values(), target.creds.client_secret])
        finally:
            outcome.seconds += time.monotonic() - started

    with ThreadPoolExecutor(max_workers=max(1, len(changing))) as pool:
        list(pool.map(run, changing))
    return outcomes


def confirm_on_terminal(
    stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> Callable[[str], bool] | None:
    """A yes/no prompt when both ends are a terminal; None (never wait for input) otherwise."""
    if not (stdin.isatty() and stdout.isatty()):
        return None

    def ask(question: str) -> bool:
        stdout.write(question + " [y/N] ")
        stdout.flush()
        return stdin.readline().strip().lower() in ("y", "yes")

    return ask


def deploy_to(
    root: Path,
    domain: str,
    client_id: str,
    client_secret: str,
    *,
    env: Environment | None = None,
    secrets: Mapping[str, str] | None = None,
    apply_changes: bool = True,
    say: Say = print,
    check_stale: bool = True,
) -> Outcome:
    """Deploy the catalogue at `root` to one tenant (the `demo` command's entry point): prints the plan
    through `say`, applies it, and returns the Outcome (plan, what was applied, API call counts, time).
    `env` defaults to one taking every published template; `secrets` maps secret names to values."""
    chosen = env or Environment("default")
    creds = Credentials(domain, client_id, client_secret)
    target = Target(chosen, creds, make_client(chosen, creds))
    outcome = deploy(
        root,
        [target],
        environ={},
        file_values=secrets or {},
        apply_changes=apply_changes,
        say=say,
        check_stale=check_stale,
        force=True,
    )[0]
    if outcome.error:
        raise UserError(outcome.error)
    return outcome
