"""bump2version with the pre-commit hook: the release commit carries a rebuilt rules.json, the CHANGELOG
section and setup.cfg with only its version lines changed; a dirty tree or an invalid catalogue is refused
with the tree left as it was."""

from __future__ import annotations

import json
from pathlib import Path

from release_helpers import SETUP_CFG, git, make_catalogue, rule_md, run, write_rules

RULES = {"add-country": rule_md("Add country"), "block-ip": rule_md("Block IP", order=1)}


def _state(repo: Path) -> tuple[str, str, str, str]:
    return (git(repo, "rev-parse", "HEAD"), git(repo, "tag"), git(repo, "status", "--porcelain"),
            (repo / "setup.cfg").read_text())


def test_bump_rebuilds_stale_catalogue_writes_changelog_and_tags(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    write_rules(repo, {"add-country": rule_md("Add country", "user.country = 'NZ';"),
                       "add-roles": rule_md("Add roles to tokens")})
    git(repo, "add", "rules")
    git(repo, "commit", "-q", "--no-verify", "-m", "Roles in tokens")  # rules.json left stale
    run(repo, "bump2version", "minor")

    assert git(repo, "tag", "--points-at", "HEAD").split() == ["v0.2.0"]
    assert git(repo, "log", "-1", "--format=%s").strip() == "Release v0.2.0"
    assert git(repo, "status", "--porcelain") == ""
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == ["CHANGELOG.md", "rules.json", "setup.cfg"]
    published = json.loads(git(repo, "show", "v0.2.0:rules.json"))
    ids = [t["id"] for g in published for t in g["templates"]]
    assert ids == ["add-country", "add-roles", "block-ip"]
    run(repo, "rulepress", "build", "--check")
    # setup.cfg: bump2version's ConfigParser rewrite is undone; only the two version lines changed
    assert git(repo, "show", "v0.2.0:setup.cfg") == SETUP_CFG.replace("version = 0.1.0", "version = 0.2.0")
    date = git(repo, "log", "-1", "--format=%cs").strip()
    assert (repo / "CHANGELOG.md").read_text() == (
        "# Changelog\n\n## Unreleased\n\n"
        f"## v0.2.0 ({date})\n\n"
        "### Templates\n"
        "- added `add-country`: Add country\n"
        "- added `add-roles`: Add roles to tokens\n"
        "- added `block-ip`: Block IP\n\n"
        "### Commits\n"
        "- Start the catalogue\n"
        "- Roles in tokens\n")


def test_second_release_lists_changes_since_previous_tag_and_keeps_notes(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    run(repo, "bump2version", "patch")
    write_rules(repo, {"add-country": rule_md("Add country", "user.country = 'NZ';", description="Country.")})
    (repo / "rules" / "block-ip.md").unlink()
    write_rules(repo, {"new-one": rule_md("New one")})
    changelog = (repo / "CHANGELOG.md").read_text().replace("## Unreleased\n", "## Unreleased\nBig news.\n")
    (repo / "CHANGELOG.md").write_text(changelog)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Country code, new rule, no IP block")  # the hook rebuilds rules.json
    run(repo, "bump2version", "minor")

    text = (repo / "CHANGELOG.md").read_text()
    date = git(repo, "log", "-1", "--format=%cs").strip()
    assert text.startswith(
        "# Changelog\n\n## Unreleased\n\n"
        f"## v0.2.0 ({date})\n\nBig news.\n\n"
        "### Templates\n"
        "- added `new-one`: New one\n"
        "- changed `add-country`: code, metadata (overview), description\n"
        "- removed `block-ip`\n\n"
        "### Commits\n"
        "- Country code, new rule, no IP block\n\n"
        f"## v0.1.1 ({date})\n")
    # regenerating from the tags gives the same file
    regenerated = run(repo, "rulepress", "changelog", "--write")
    assert regenerated.returncode == 0
    assert (repo / "CHANGELOG.md").read_text() == text


def test_bump_refuses_invalid_catalogue_and_leaves_everything_as_it_was(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    (repo / "rules" / "broken.md").write_text("---\ngallery: true\ncategores: [x]\n---\n# Broken\n\n```js\n"
                                              "function (user, context, callback) {\n```\n")
    git(repo, "add", "rules")
    git(repo, "commit", "-q", "--no-verify", "-m", "Broken rule")
    before = _state(repo)
    done = run(repo, "bump2version", "patch", check=False)
    assert done.returncode != 0
    assert "rules/broken.md:3: unknown key 'categores'" in done.stderr
    assert "release refused: the catalogue does not build" in done.stderr
    assert _state(repo) == before


def test_bump_refuses_untracked_rule_files(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    write_rules(repo, {"not-committed": rule_md("Not committed")})
    before = _state(repo)
    done = run(repo, "bump2version", "patch", check=False)
    assert done.returncode != 0
    assert "release refused: rules/ has files that are not committed (rules/not-committed.md)" in done.stderr
    assert _state(repo) == before


def test_bump_refuses_dirty_tree_before_touching_anything(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    write_rules(repo, {"add-country": rule_md("Add country", "user.edited = 1;")})
    edited = (repo / "rules" / "add-country.md").read_text()
    before = _state(repo)
    done = run(repo, "bump2version", "patch", check=False)
    assert done.returncode != 0
    assert "Git working directory is not clean" in done.stderr
    assert _state(repo) == before
    assert (repo / "rules" / "add-country.md").read_text() == edited


def test_changelog_command_previews_what_the_next_release_will_say(tmp_path: Path) -> None:
    repo = make_catalogue(tmp_path / "repo", RULES)
    run(repo, "bump2version", "patch")
    write_rules(repo, {"block-ip": rule_md("Block IP", "user.blocked = true;", order=1)})
    git(repo, "commit", "-q", "-am", "Block for real")
    before = (repo / "CHANGELOG.md").read_text()
    printed = run(repo, "rulepress", "changelog").stdout
    assert printed.startswith("# Changelog\n\n## Unreleased\n\n### Templates\n- changed `block-ip`: code\n\n"
                              "### Commits\n- Block for real\n\n## v0.1.1 (")
    assert (repo / "CHANGELOG.md").read_text() == before  # printing writes nothing
