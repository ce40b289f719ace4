"""End to end with real git and the local tenant: commit, `bump2version patch`, `git push --follow-tags` to
a bare origin whose post-receive hook deploys the tag; the tenant then holds exactly the tagged catalogue."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from release_helpers import git, make_catalogue, rule_md, run, tenant_env, tenant_rules, write_rules

RULES = {"add-country": rule_md("Add country", "user.country = 'FR';"), "block-ip": rule_md("Block IP", order=1)}


def _clone_with_origin(tmp_path: Path) -> tuple[Path, Path]:
    clone = make_catalogue(tmp_path / "work", RULES)
    bare = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(clone, "remote", "add", "origin", str(bare))
    run(tmp_path, sys.executable, "-m", "rulepress", "hooks", "install", "--post-receive", "--repo", str(bare))
    return clone, bare


def test_push_of_a_release_tag_deploys_it_and_a_branch_push_deploys_nothing(tmp_path: Path, tenant: Any) -> None:
    clone, bare = _clone_with_origin(tmp_path)
    env = tenant_env(tenant)
    git(clone, "push", "-q", "--set-upstream", "origin", "main", env=env)
    assert tenant_rules(tenant) == {}  # a branch push deploys nothing

    write_rules(clone, {"add-country": rule_md("Add country", "user.country = 'NZ';")})
    git(clone, "commit", "-q", "-am", "Country code")
    run(clone, "bump2version", "patch")
    pushed = run(clone, "git", "push", "--follow-tags", env=env)  # the user's command, literally
    assert "remote: rulepress: v0.1.1 to default: succeeded (deploy #1)" in pushed.stderr, pushed.stderr
    assert tenant.client_secret not in pushed.stderr
    deployed = tenant_rules(tenant)
    assert sorted(deployed) == ["Add country", "Block IP"]
    assert "user.country = 'NZ';" in deployed["Add country"]

    # a later commit on main is not a release: the tenant keeps exactly v0.1.1
    write_rules(clone, {"add-country": rule_md("Add country", "user.country = 'DE';")})
    git(clone, "commit", "-q", "-am", "Germany")
    pushed = run(clone, "git", "push", "origin", "main", env=env)
    assert "remote: rulepress: refs/heads/main is not a release tag (v*); nothing deployed" in pushed.stderr
    assert tenant_rules(tenant) == deployed


def test_an_older_tag_than_the_deployed_one_is_refused(tmp_path: Path, tenant: Any) -> None:
    clone, bare = _clone_with_origin(tmp_path)
    env = tenant_env(tenant)
    run(clone, "bump2version", "patch")  # v0.1.1
    old = git(clone, "rev-parse", "HEAD").strip()
    write_rules(clone, {"block-ip": rule_md("Block IP", "user.blocked = true;", order=1)})
    git(clone, "commit", "-q", "-am", "Block")
    run(clone, "bump2version", "minor")  # v0.2.0
    pushed = run(clone, "git", "push", "origin", "main", "v0.2.0", env=env)
    assert "v0.2.0 to default: succeeded" in pushed.stderr
    deployed = tenant_rules(tenant)
    assert "user.blocked = true;" in deployed["Block IP"]
    assert git(clone, "rev-parse", "v0.1.1^{commit}").strip() == old
    pushed = run(clone, "git", "push", "origin", "v0.1.1", env=env)
    assert "v0.1.1 is older than the one deployed to default (v0.2.0); nothing done" in pushed.stderr
    assert "v0.1.1 to default: refused" in pushed.stderr
    assert tenant_rules(tenant) == deployed
