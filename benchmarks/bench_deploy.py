"""Deploy benchmark: 100 actions (10 triggers × 10) on the local tenant with its rate limit on.

Scenarios
  first deploy under the enterprise limit (burst 50, 16/s) and the free one (burst 2, 2/s), with the plan
  named in tenants.toml (`rate_limit`) and learned from the headers alone;
  no-op deploy of the same catalogue (reads only, zero writes).

Baseline, measured in the same run: the same number of rate-limited requests sent by a bare loop that
knows the limit exactly (a fresh tenant, same limit): the time the limit alone imposes. Also printed: the
theoretical (N - burst) / rate. Ratio = deploy time / baseline; the target is ≤ 1.2 with zero failed
requests.

Also (issue 15):
  a0deploy: auth0-deploy-cli 8.44 deploys the same actions to a tenant of its own in the same run (first
  deploy, no-op, one change): API calls, writes and wall time of both, and the ratios;
  fan-out: the starter catalogue to 20 local tenants with `--all` (each in a process of its own, answering
  after 50 ms as a tenant across the network does), on the free plan's limit against the slowest tenant's
  deploy alone (target <= 1.2x), and on enterprise against one tenant's deploy alone (target <= 1.5x).

    .venv/bin/python benchmarks/bench_deploy.py [--quick]      (--quick: enterprise only)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "deploy"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy_helpers import TRIGGERS, Deployer, Repo, action_md  # noqa: E402

from rulepress.catalogue.build import build  # noqa: E402
from rulepress.catalogue.model import Entry  # noqa: E402
from rulepress.catalogue.rulesjson import read_entries  # noqa: E402
from rulepress.deploy import environments  # noqa: E402
from rulepress.deploy.desired import secret_names  # noqa: E402
from rulepress.deploy.flow import Target, deploy, make_client  # noqa: E402
from rulepress.tenant import start_tenant  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

N_ACTIONS = 100


def make_repo(rate_limit: str | None) -> Repo:
    repo = Repo(Path(tempfile.mkdtemp(prefix="bench-deploy-")) / "repo")
    triggers = list(TRIGGERS)
    files = {f"a{i:03d}": action_md(f"Action {i:03d}", trigger=triggers[i % len(triggers)]) for i in range(N_ACTIONS)}
    tenants = "[env.bench]\n" + (f"rate_limit = {rate_limit}\n" if rate_limit else "")
    repo.write(files, tenants=tenants)
    return repo


def limited_requests(d: Deployer) -> list[dict[str, object]]:
    return [r for r in d.log() if str(r["path"]).startswith("/api/v2")]


def baseline(n: int, burst: int, rate: float) -> float:
    """Seconds for a bare loop to get `n` requests through a fresh tenant with this limit."""
    with start_tenant(burst=burst, rate=rate) as tenant:
        session = requests.Session()
        token = session.post(tenant.base_url + "/oauth/token", json={
            "grant_type": "client_credentials", "client_id": tenant.client_id,
            "client_secret": tenant.client_secret, "audience": tenant.base_url + "/api/v2/"}, timeout=10)
        session.headers["Authorization"] = "Bearer " + token.json()["access_token"]
        started = time.monotonic()
        done = 0
        while done < n:
            answer = session.get(tenant.base_url + "/api/v2/actions/triggers", timeout=10)
            if answer.status_code == 429:
                time.sleep(1.0 / rate / 4)
            else:
                done += 1
        return time.monotonic() - started


def scenario(label: str, burst: int, rate: float, rate_limit: str | None) -> None:
    repo = make_repo(rate_limit)
    with start_tenant(burst=burst, rate=rate, build_seconds=0.1) as tenant:
        d = Deployer(repo, tenant)
        started = time.monotonic()
        outcome = d.run(client={"deadline": 1800.0})
        seconds = time.monotonic() - started
        if outcome.error:
            print(f"{label}: FAILED: {outcome.error.splitlines()[0]}")
            return
        log = limited_requests(d)
        failed = [r for r in log if int(str(r["status"])) >= 400 or r["status"] == 0]
        for r in failed[:5]:
            print("  failed:", r["method"], r["path"], r["status"])
        n = len(log)
        theory = max(0.0, (n - burst) / rate)
        base = baseline(n, burst, rate)
        print(f"{label}: first deploy of {N_ACTIONS} actions: {outcome.stats.total} API calls "
              f"({outcome.stats.writes} writes, {n} rate-limited), {len(failed)} failed, {seconds:.2f}s; "
              f"limit alone: measured {base:.2f}s, theory {theory:.2f}s; ratio {seconds / max(base, 1e-9):.2f}")
        seq = d.last_seq()
        started = time.monotonic()
        noop = d.run()
        seconds = time.monotonic() - started
        writes = d.writes(seq)
        print(f"{label}: no-op deploy: {noop.stats.total} API calls ({noop.stats.calls}), {len(writes)} writes, "
              f"{seconds:.2f}s")


A0DEPLOY = Path(__file__).resolve().parents[1] / "node_modules" / ".bin" / "a0deploy"
N_A0 = 20


def a0deploy_run(tenant: Any, folder: Path) -> float:
    config = folder.parent / "a0.json"
    config.write_text(json.dumps({"AUTH0_DOMAIN": tenant.host_port, "AUTH0_CLIENT_ID": tenant.client_id,
                                  "AUTH0_CLIENT_SECRET": tenant.client_secret, "AUTH0_ALLOW_DELETE": False,
                                  "AUTH0_INCLUDED_ONLY": ["actions", "triggers"]}))
    started = time.monotonic()
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": str(tenant.ca_file)}  # a0deploy speaks https only
    done = subprocess.run([str(A0DEPLOY), "import", "--config_file", str(config), "--input_file", str(folder)],
                          capture_output=True, text=True, timeout=600, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"a0deploy failed: {(done.stdout + done.stderr)[-1500:]}")
    return time.monotonic() - started


def a0_folder(folder: Path, entries: list[Entry]) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "actions").mkdir(parents=True)
    bound: dict[str, list[dict[str, str]]] = {}
    for e in entries:
        assert e.action is not None
        (folder / "actions" / e.id).mkdir()
        (folder / "actions" / e.id / "code.js").write_text(e.code)
        (folder / "actions" / f"{e.id}.json").write_text(json.dumps({
            "name": e.name, "code": f"./actions/{e.id}/code.js", "runtime": e.action.runtime,
            "dependencies": [], "secrets": [], "status": "built", "deployed": True,
            "supported_triggers": [{"id": e.action.trigger, "version": e.action.trigger_version}]}))
        bound.setdefault(e.action.trigger, []).append({"action_name": e.name, "display_name": e.name})
    (folder / "triggers").mkdir()
    (folder / "triggers" / "triggers.json").write_text(json.dumps(bound))


def tenant_log(tenant: Any, since: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The tenant's request log from `since`, and the last sequence number (over TLS with its own CA)."""
    answer = requests.get(tenant.base_url + "/__rulepress/requests", params={"since": since}, timeout=10,
                          verify=str(tenant.ca_file) if tenant.ca_file else True).json()
    return list(answer["requests"]), int(answer["last"])


def counts(tenant: Any, since: int) -> tuple[int, int]:
    log = [r for r in tenant_log(tenant, since)[0] if r["path"] != "/oauth/token"]
    return len(log), sum(r["method"] != "GET" for r in log)


def compare_a0deploy() -> None:
    if not A0DEPLOY.exists():
        print("a0deploy: node_modules/auth0-deploy-cli is missing (scripts/bootstrap installs it); skipped")
        return
    repo = Repo(Path(tempfile.mkdtemp(prefix="bench-a0-")) / "repo")
    triggers = list(TRIGGERS)[:4]
    files = {f"a{i:03d}": action_md(f"Action {i:03d}", trigger=triggers[i % len(triggers)]) for i in range(N_A0)}
    repo.write(files, tenants='[env.bench]\nrate_limit = "enterprise"\n')
    folder = repo.root.parent / "a0"
    with start_tenant(burst=50, rate=16.0, build_seconds=0.1) as ours, \
            start_tenant(burst=50, rate=16.0, build_seconds=0.1, tls=True) as theirs:
        d = Deployer(repo, ours)
        rows = []
        for step in ("first deploy", "no-op", "one change"):
            if step == "one change":
                files["a000"] = action_md("Action 000", trigger=triggers[0],
                                          body="  api.idToken.setCustomClaim('v', 2);")
                repo.write(files)
            a0_folder(folder, read_entries(repo.root / "rules.json"))
            seq = tenant_log(ours, 10**9)[1]
            started = time.monotonic()
            assert d.run().error is None
            ours_s = time.monotonic() - started
            ours_calls, ours_writes = counts(ours, seq)
            seq = tenant_log(theirs, 10**9)[1]
            theirs_s = a0deploy_run(theirs, folder)
            their_calls, their_writes = counts(theirs, seq)
            rows.append((step, ours_calls, ours_writes, ours_s, their_calls, their_writes, theirs_s))
    print(f"\nrulepress vs a0deploy 8.44, {N_A0} actions on 4 triggers, same limits, same run (a0deploy over TLS, "
          f"which it requires; rulepress over plain HTTP on loopback):")
    for step, oc, ow, os_, tc, tw, ts in rows:
        print(f"  {step:12s} rulepress {oc:3d} calls {ow:3d} writes {os_:6.2f}s | a0deploy {tc:3d} calls {tw:3d} "
              f"writes {ts:6.2f}s | time ratio {os_ / ts:.2f}, writes {ow}/{tw}")


class ServedTenant:
    """A local tenant in a process of its own (`rulepress tenant serve`): 20 tenants in the benchmark's own
    process would share its interpreter lock with the 20 clients, and measure that instead."""

    def __init__(self, burst: int, rate: float, latency_ms: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "rulepress", "tenant", "serve", "--client-id", "bench", "--client-secret",
             "bench-secret", "--burst", str(burst), "--rate", str(rate), "--build-seconds", "0.1",
             "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()  # "local tenant listening on http://127.0.0.1:PORT"
        self.base_url = first.strip().rsplit(" ", 1)[-1]
        self.client_id, self.client_secret = "bench", "bench-secret"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def fan_out(label: str, burst: int, rate: float, n: int = 20, latency_ms: float = 50.0) -> None:
    """The starter catalogue to n tenants with --all, against one tenant's deploy alone. Each tenant answers
    after `latency_ms`, as a real tenant does across the network (a loopback tenant answers in well under a
    millisecond, and 21 of them on 2 cores would measure their own CPU, not the deploy's)."""
    root = Path(tempfile.mkdtemp(prefix="bench-fan-")) / "repo"
    shutil.copytree(REPO / "rules", root / "rules")
    shutil.copy(REPO / "setup.cfg", root / "setup.cfg")
    build(root)
    names = secret_names(read_entries(root / "rules.json"), environments.Environment("x"))
    values = {name: f"bench-{name.lower()}" for name in names}
    tenants = [ServedTenant(burst, rate, latency_ms) for _ in range(n + 1)]
    try:
        def targets(chosen: list[Any]) -> list[Target]:
            out = []
            for i, t in enumerate(chosen):
                env = environments.Environment(f"t{i}", burst=burst, rate=rate)
                creds = environments.Credentials(t.base_url, t.client_id, t.client_secret)
                out.append(Target(env, creds, make_client(env, creds, deadline=1800.0)))
            return out

        started = time.monotonic()
        [alone] = deploy(root, targets(tenants[:1]), environ={}, file_values=values, say=lambda _: None, force=True)
        one = time.monotonic() - started
        started = time.monotonic()
        outcomes = deploy(root, targets(tenants[1:]), environ={}, file_values=values, say=lambda _: None,
                          force=True)
        many = time.monotonic() - started
        failed = [o.env for o in outcomes if o.error]
        slowest = max(o.seconds for o in outcomes)
        print(f"\nfan-out, {label}, {latency_ms:.0f} ms per answer: one tenant alone {one:.2f}s "
              f"({alone.stats.total} calls); {n} tenants with --all {many:.2f}s (slowest tenant {slowest:.2f}s), "
              f"{len(failed)} failed; ratio {many / one:.2f}")
    finally:
        for t in tenants:
            t.stop()


def main() -> None:
    quick = "--quick" in sys.argv
    scenario("enterprise (plan in tenants.toml)", 50, 16.0, '"enterprise"')
    scenario("enterprise (learned from headers)", 50, 16.0, None)
    compare_a0deploy()
    fan_out("enterprise limits (burst 50, 16/s)", 50, 16.0)
    if not quick:
        fan_out("free-plan limits (burst 2, 2/s)", 2, 2.0)
        scenario("free (plan in tenants.toml)", 2, 2.0, '"free"')
        scenario("free (learned from headers)", 2, 2.0, None)


if __name__ == "__main__":
    main()
