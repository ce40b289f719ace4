"""`rulepress changelog`: print CHANGELOG.md as regenerated from the release tags, or write it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "changelog", help="print or regenerate CHANGELOG.md from the release tags",
        description="Regenerate CHANGELOG.md from the release tags (vX.Y.Z): per release, the templates "
                    "added, changed and removed between the catalogues at two tags, and the commit subjects. "
                    "Hand-written notes in a section are kept. Without --write, print it, with an "
                    "'Unreleased' section previewing what changed since the last tag.")
    p.add_argument("--root", type=Path, default=None,
                   help="the repository folder (default: found upwards from here, as git does)")
    p.add_argument("--write", action="store_true", help="write CHANGELOG.md instead of printing")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rulepress.files import write_atomic
    from rulepress.release.changelog import read_changelog, regenerate

    path = args.root / "CHANGELOG.md"
    text = regenerate(args.root, read_changelog(path), preview=not args.write)
    if args.write:
        write_atomic(path, text.encode("utf-8"))
        print(f"wrote {path}")
    else:
        print(text, end="")
    return 0
