"""`rulepress init [DIR]`: start a rules repository (or complete one), then build it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rulepress.catalogue.build import build
from rulepress.errors import UserError
from rulepress.init import init
from rulepress.release.hooks import install

DESCRIPTION = ("Write what a rules repository needs into DIR (default: the current folder), a git repository "
               "(created when it is not one): rules/ with an example action and rule with test cases, "
               "setup.cfg (settings and the bump2version release flow), tenants.toml (the local tenant), "
               ".gitignore, CHANGELOG.md, a GitHub Actions workflow and .pre-commit-config.yaml; then "
               "install the pre-commit hook and build rules.json. Existing files are kept unless --force.")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("init", help="start a rules repository here or in DIR",
                                                description=DESCRIPTION)
    p.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR")
    p.add_argument("--force", action="store_true", help="overwrite files that exist")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    target: Path = args.dir
    done = init(target, force=args.force)
    if done.git_created:
        print(f"created a git repository in {target}")
    for rel in done.written:
        print(f"wrote {rel}")
    for rel in done.kept:
        print(f"kept {rel} (it exists; --force replaces it)")
    for line in done.completed:
        print(line)
    try:
        hook = install(target, "pre-commit", force=args.force)
        print(f"{'updated' if hook.replaced else 'installed'} the pre-commit hook ({hook.path})")
    except UserError as exc:  # a hook of someone else's (the pre-commit framework's, say): kept
        print(f"kept your pre-commit hook ({exc}); to keep rules.json built on every commit, add "
              f"`rulepress build` to it, or use .pre-commit-config.yaml")
    result = build(target)
    print(f"built {result.output.name}: {result.published} template(s) published")
    print("next: rulepress test; rulepress demo; git add -A && git commit -m 'Start the catalogue'; "
          "bump2version patch; git push --follow-tags")
    return 0
