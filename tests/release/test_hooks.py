"""The pre-commit hook on ordinary commits, `rulepress hooks install`, and .pre-commit-hooks.yaml."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from release_helpers import git, make_catalogue, rule_md, run, write_rules

from rulepress.release.hooks import MARK

REPO = Path(__file__).resolve().parents[2]
RULES = {"add-country": rule_md("Add country"), "block-ip": rule_md("Block IP")}


def _published(repo: Path, rev: str) -> dict[str, str]:
    groups = json.loads(git(repo, "show", f"{rev}:rules.json"))
    return {t["id"]: t["code"] for g in groups for t in g["templates"]}


def test_commit_all_rebuilds_and_stages_a_stale_rules_json(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    write_rules(repo, {"add-country": rule_md("Add country", "user.country = 'NZ';")})
    done = run(repo, "git", "commit", "-q", "-am", "Country code")
    assert "rulepress: rules.json rebuilt and staged" in done.stderr
    assert "user.country = 'NZ';" in _published(repo, "HEAD")["add-country"]
    assert git(repo, "status", "--porcelain") == ""


def test_commit_with_an_invalid_template_is_refused_with_path_and_line(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    head = git(repo, "rev-parse", "HEAD")
    (repo / "rules" / "add-country.md").write_text("---\ngallery: true\n---\nNo heading here.\n\n```js\nx\n```\n")
    done = run(repo, "git", "commit", "-q", "-am", "Broken", check=False)
    assert done.returncode != 0
    assert "rules/add-country.md:" in done.stderr
    assert "commit refused: the catalogue does not build" in done.stderr
    assert git(repo, "rev-parse", "HEAD") == head


def test_partly_staged_catalogue_is_checked_as_staged(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    write_rules(repo, {"add-country": rule_md("Add country", "user.country = 'NZ';")})
    git(repo, "add", "rules/add-country.md")
    write_rules(repo, {"block-ip": rule_md("Block IP", "user.blocked = false;")})  # not staged
    done = run(repo, "git", "commit", "-q", "-m", "Country code", check=False)
    assert done.returncode != 0
    assert "commit refused (as staged): rules.json is stale" in done.stderr
    # building from the working tree would publish the unstaged edit: stage exactly the staged build instead
    (repo / "rules" / "block-ip.md").rename(tmp_path / "block-ip.md")
    git(repo, "checkout", "--", "rules/block-ip.md")
    run(repo, sys.executable, "-m", "rulepress", "build")
    git(repo, "add", "rules.json")
    (tmp_path / "block-ip.md").rename(repo / "rules" / "block-ip.md")
    done = run(repo, "git", "commit", "-q", "-m", "Country code")
    assert "rules.json is up to date (as staged)" in done.stderr
    assert "user.blocked" not in _published(repo, "HEAD")["block-ip"]
    assert git(repo, "status", "--porcelain").split() == ["M", "rules/block-ip.md"]


def test_commit_outside_the_catalogue_skips_the_build(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    (repo / "README.md").write_text("hello\n")
    git(repo, "add", "README.md")
    done = run(repo, "git", "commit", "-q", "-m", "Readme")
    assert "rulepress" not in done.stderr


def test_install_refuses_to_replace_a_foreign_hook(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES, hook=False)
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho mine\n")
    done = run(repo, sys.executable, "-m", "rulepress", "hooks", "install", check=False)
    assert done.returncode == 1
    assert done.stderr == ("error: .git/hooks/pre-commit exists and was not written by rulepress; "
                           "move it away or use --force\n")
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    run(repo, sys.executable, "-m", "rulepress", "hooks", "install", "--force")
    assert MARK in hook.read_text()
    again = run(repo, sys.executable, "-m", "rulepress", "hooks", "install")
    assert again.stdout == f"replaced {Path('.git/hooks/pre-commit')}\n"


def test_pre_commit_framework_hooks_run_the_build(tmp_path: Path) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hooks] == ["rulepress-build", "rulepress-check"]
    repo = make_catalogue(tmp_path / "repo", RULES, hook=False)
    write_rules(repo, {"add-country": rule_md("Add country", "user.country = 'NZ';")})
    by_id = {h["id"]: h for h in hooks}
    for hook in hooks:
        assert hook["language"] == "python" and hook["pass_filenames"] is False
    check = run(repo, *by_id["rulepress-check"]["entry"].split(), check=False)
    assert check.returncode == 1 and "rules.json is stale" in check.stderr
    run(repo, *by_id["rulepress-build"]["entry"].split())
    run(repo, *by_id["rulepress-check"]["entry"].split())


def test_a_hook_whose_python_is_gone_falls_back_to_python3_on_path(tmp_path: Path) -> None:
    from rulepress.release.hooks import install

    repo = make_catalogue(tmp_path / "repo", RULES, hook=False)
    install(repo, "pre-commit", python=str(tmp_path / "removed-venv" / "bin" / "python"))
    write_rules(repo, {"add-country": rule_md("Add country", "user.country = 'NZ';")})
    done = run(repo, "git", "commit", "-q", "-am", "Country code")  # python3 here: this venv's, first on PATH
    assert "rulepress: rules.json rebuilt and staged" in done.stderr


def test_install_follows_core_hooks_path(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES, hook=False)
    git(repo, "config", "core.hooksPath", ".githooks")
    done = run(repo, sys.executable, "-m", "rulepress", "hooks", "install")
    assert done.stdout == "installed .githooks/pre-commit\n"
    write_rules(repo, {"add-country": rule_md("Add country", "user.country = 'NZ';")})
    assert "rebuilt and staged" in run(repo, "git", "commit", "-q", "-am", "Country").stderr
