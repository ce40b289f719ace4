#!/usr/bin/env python3
"""Compile rules/ into rules.json: `python build.py [--check] [--strict]` (same as `rulepress build`)."""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)

from rulepress.cli import missing_dependency, run  # noqa: E402

try:
    from rulepress.commands import build_cmd
except ModuleNotFoundError as exc:  # a Python without rulepress's libraries: one line, not a traceback
    sys.exit(print(missing_dependency(exc), file=sys.stderr) or 1)

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="build.py", description=build_cmd.DESCRIPTION)
    build_cmd.add_arguments(parser, default_root=ROOT)
    parser.set_defaults(func=build_cmd.run)
    sys.exit(run(sys.argv[1:], parser, sys.stderr))
