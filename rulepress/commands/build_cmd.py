"""`rulepress build` (and `python build.py`): compile rules/ into rules.json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rulepress.catalogue.build import build

DESCRIPTION = "Validate every file in rules/ and compile the catalogue into rules.json."

def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "build", help="validate rules/ and compile rules.json",
        description=DESCRIPTION)
    add_arguments(p)
    p.set_defaults(func=run)


def add_arguments(p: argparse.ArgumentParser, default_root: str | None = None) -> None:
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when rules.json is not what the build would write")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")
    p.add_argument("--root", type=Path, default=Path(default_root) if default_root else None,
                   help="the repository folder (the one holding rules/); default: found upwards from here")


def run(args: argparse.Namespace) -> int:
    result = build(args.root, check=args.check, strict=args.strict)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    out = result.output.name
    if args.check:
        print(f"{out} is up to date: {result.published} template(s) published from {result.files} file(s)")
    else:
        state = "written" if result.written else "unchanged"
        print(f"{out} {state}: {result.published} template(s) published from {result.files} file(s)"
              f" ({result.parsed} parsed, {result.files - result.parsed} from cache)")
    return 0
