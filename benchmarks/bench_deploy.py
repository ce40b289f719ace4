"""Deploy benchmark: 100 actions (10 triggers × 10) on the local tenant with its rate limit on.

Scenarios
  first deploy under the enterprise limit (burst 50, 16/s) and the free one (burst 2, 2/s), with the plan
  named in tenants.toml (`rate_limit`) and learned from the headers alone;
  no-op deploy of the same catalogue (reads only, zero writes).

Baseline, measured in the same run: the same number of rate-limited requests sent by a bare loop that
knows the limit exactly (a fresh tenant, same limit): the time the limit alone imposes. Also printed: the
theoretical (N - burst) / rate. Ratio = deploy time / baseline; the target is ≤ 1.2 with zero failed
requests.

    .venv/bin/python benchmarks/bench_deploy.py [--quick]      (--quick: enterprise only)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "deploy"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy_helpers import TRIGGERS, Deployer, Repo, action_md  # noqa: E402

from rulepress.tenant import start_tenant  # noqa: E402

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


def main() -> None:
    quick = "--quick" in sys.argv
    scenario("enterprise (plan in tenants.toml)", 50, 16.0, '"enterprise"')
    scenario("enterprise (learned from headers)", 50, 16.0, None)
    if not quick:
        scenario("free (plan in tenants.toml)", 2, 2.0, '"free"')
        scenario("free (learned from headers)", 2, 2.0, None)


if __name__ == "__main__":
    main()
