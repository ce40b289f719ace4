"""Argument parsing and dispatch only.

Each command lives in its own module and exposes `register(subparsers)`, which adds its sub-parser and
sets `func` (a callable taking the parsed `argparse.Namespace` and returning an exit code). Add a command
by adding one line to COMMANDS. Exceptions decide the exit code here, in one place (see errors.py).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from rulepress import __version__
from rulepress.config import find_root
from rulepress.errors import ProblemsError, UserError

# command name -> module that defines register(subparsers)
COMMANDS: dict[str, str] = {
    "init": "rulepress.commands.init_cmd",
    "build": "rulepress.commands.build_cmd",
    "demo": "rulepress.commands.demo_cmd",
    "plan": "rulepress.commands.plan_cmd",
    "deploy": "rulepress.commands.deploy_cmd",
    "export": "rulepress.commands.export_cmd",
    "gallery": "rulepress.commands.gallery_cmd",
    "test": "rulepress.commands.test_cmd",
    "tenant": "rulepress.commands.tenant_cmd",
    "migrate": "rulepress.commands.migrate_cmd",
    "changelog": "rulepress.commands.changelog_cmd",
    "hooks": "rulepress.commands.hooks_cmd",
    "webhook": "rulepress.commands.webhook_cmd",
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rulepress", description="Auth0 rules and actions kept as code."
    )
    parser.add_argument("--version", action="version", version=f"rulepress {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module_name in COMMANDS.values():
        importlib.import_module(module_name).register(sub)
    return parser


def _save_traceback() -> str:
    fd, path = tempfile.mkstemp(prefix="rulepress-crash-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(f"rulepress {__version__} {datetime.datetime.now(datetime.UTC).isoformat()}\n")
        f.write(f"argv: {sys.argv!r}\n\n")
        traceback.print_exc(file=f)
    return path


def run(argv: Sequence[str] | None, parser: argparse.ArgumentParser, stderr: TextIO) -> int:
    """Parse argv, dispatch, and turn exceptions into exit codes."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help / --version exit 0, bad usage exits 2
        return int(exc.code or 0)
    if getattr(args, "root", "") is None:  # commands work from any folder of the repository, as git does
        args.root = find_root(Path.cwd())
    try:
        return int(args.func(args))
    except ProblemsError as exc:
        for problem in exc.problems:
            print(problem, file=stderr)
        print(f"error: {exc.summary}", file=stderr)
        return exc.exit_code
    except UserError as exc:
        print(f"error: {exc}" if str(exc) else "error", file=stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=stderr)
        return 130
    except Exception as exc:  # a bug: keep the traceback for a report
        path = _save_traceback()
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            f"this is a bug in rulepress; the traceback is saved in {path}",
            file=stderr,
        )
        return 3


def missing_dependency(exc: ModuleNotFoundError) -> str:
    """One line for a user whose Python lacks a library rulepress needs (never a traceback)."""
    package = _PACKAGES.get(str(exc.name).split(".")[0], exc.name)
    return (f"error: rulepress needs the Python package {package!r}, which is not installed for {sys.executable}: "
            f"install rulepress with pip (its wheel brings what it needs), or in this project run scripts/bootstrap "
            f"and use .venv/bin/python (or activate .venv)")


# import name -> the package to install, where they differ
_PACKAGES = {"frontmatter": "python-frontmatter", "yaml": "PyYAML", "markdown_it": "markdown-it-py",
             "mdit_py_plugins": "mdit-py-plugins", "linkify_it": "linkify-it-py", "git": "GitPython",
             "jinja2": "Jinja2", "pygments": "Pygments"}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        parser = make_parser()
    except ModuleNotFoundError as exc:
        print(missing_dependency(exc), file=sys.stderr)
        return 1
    return run(argv, parser, sys.stderr)
