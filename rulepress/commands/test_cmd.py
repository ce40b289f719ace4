"""`rulepress test [ID ...]`: run the test cases of every (or the named) template in real Node."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from rulepress.catalogue.build import load_catalogue
from rulepress.errors import UsageError
from rulepress.testing import NodeOptions, run_tests
from rulepress.testing.report import as_json, as_text

DESCRIPTION = (
    "Run the test cases written in each template's ```test blocks, in real Node, offline. "
    "Exit 0 when every case passed, 1 otherwise. See docs/TESTING.md."
)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError("the timeout must be a number of seconds above 0")
    return value


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a count of at least 1: {text!r}")
    return int(text)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "test", help="run the templates' test cases in Node", description=DESCRIPTION
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="template ids (file names without .md); default: all")
    p.add_argument("--json", action="store_true", help="print a JSON report instead of text")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=None,
        metavar="SECONDS",
        help="time limit per case, unless the case sets its own (default: 20 s)",
    )
    p.add_argument(
        "--workers", type=_count, default=None, help="parallel Node worker threads (default: CPUs, max 4)"
    )
    p.add_argument("--node", default="node", help="the node executable (default: node on PATH)")
    p.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the repository folder (the one holding rules/); default: found upwards from here",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    templates = load_catalogue(args.root)
    if args.ids:
        known = {t.id for t in templates}
        unknown = [i for i in args.ids if i not in known]
        if unknown:
            raise UsageError("unknown template id(s): " + ", ".join(unknown))
        wanted = set(args.ids)
        templates = [t for t in templates if t.id in wanted]
    report = run_tests(templates, NodeOptions(node=args.node, workers=args.workers, timeout=args.timeout))
    out.write(as_json(report) if args.json else as_text(report))
    return 0 if report.failed == 0 else 1
