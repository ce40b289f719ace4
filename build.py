#!/usr/bin/env python3
"""Compile rules/ into rules.json: `python build.py [--check] [--strict]` (same as `rulepress build`)."""

import argparse
import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)


def _root() -> str:
    """--root from the command line, read before the imports (argparse reads it properly below)."""
    for i, arg in enumerate(sys.argv):
        if arg == "--root" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if arg.startswith("--root="):
            return arg.split("=", 1)[1]
    return ROOT


from rulepress import nodestart  # noqa: E402

nodestart.start(_root())  # a cold build's Node starts up while Python imports the rest

from rulepress.cli import run  # noqa: E402
from rulepress.commands import build_cmd  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="build.py", description=build_cmd.DESCRIPTION)
    build_cmd.add_arguments(parser, default_root=ROOT)
    parser.set_defaults(func=build_cmd.run)
    sys.exit(run(sys.argv[1:], parser, sys.stderr))
