"""What the release workflow gives the deploy is enough: with exactly the variables its `env:` block sets
and a secrets file with every secret the release environments read, the plan step works on real tenants."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from rulepress.catalogue.rulesjson import read_entries
from rulepress.deploy import environments
from rulepress.deploy.desired import secret_names

REPO = Path(__file__).resolve().parents[2]


def test_the_workflow_environment_is_enough_to_plan_every_release_environment(tmp_path: Path,
                                                                              tenant_factory: Any) -> None:
    flow = yaml.safe_load((REPO / ".github" / "workflows" / "release.yml").read_text())
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(checkout)], check=True)
    envs = environments.load(checkout).select(None, False, releases=True)
    assert {e.name for e in envs} == {"staging", "prod"}
    environ = {"PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    for env in envs:
        running = tenant_factory()
        for variable, value in ((env.domain_env, running.base_url), (env.client_id_env, running.client_id),
                                (env.client_secret_env, running.client_secret)):
            assert variable in flow["env"], f"the workflow does not pass {variable}"
            environ[variable] = value
    entries = read_entries(checkout / "rules.json")
    lines = [f"{env.variable_for(name)}=value-of-{name}" for env in envs for name in secret_names(entries, env)]
    (tmp_path / "secrets.env").write_text("\n".join(sorted(set(lines))) + "\n")
    plan = subprocess.run([sys.executable, "-m", "rulepress", "plan", "--releases", "--root", str(checkout),
                           "--secrets-file", str(tmp_path / "secrets.env")],
                          capture_output=True, text=True, env=environ, check=False)
    assert plan.returncode == 2, plan.stdout + plan.stderr  # 2: changes to make, on both tenants
    assert "plan for environment 'staging'" in plan.stdout and "plan for environment 'prod'" in plan.stdout
    assert "value-of-" not in plan.stdout + plan.stderr
