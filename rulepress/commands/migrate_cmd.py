"""`rulepress migrate`: legacy rule templates -> post-login action templates (docs/MIGRATE.md)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from rulepress import config
from rulepress.catalogue.template import parse_template
from rulepress.errors import UsageError
from rulepress.files import write_atomic
from rulepress.migrate.migration import EXIT_MANUAL, Outcome, Source, migrate_sources, source_for
from rulepress.migrate.report import status, table
from rulepress.node_packages import node_modules as find_node_modules

DESCRIPTION = (
    "Migrate a legacy rule to a post-login action template, on the syntax tree. Writes rules/<id>-action.md "
    "(or --out). Exit 0 when nothing is left for a person, 4 when TODO(migrate) comments remain, the output "
    "is invalid, a converted test fails or the rule and the action differ on a generated case, 1 on bad "
    "input, 3 on a bug in rulepress. See docs/MIGRATE.md."
)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "migrate", help="migrate legacy rules to post-login actions", description=DESCRIPTION)
    p.add_argument("file", nargs="?", type=Path, help="the rule file, e.g. rules/my-rule.md")
    p.add_argument("--out", type=Path, help="where to write the action (default: rules/<id>-action.md)")
    p.add_argument("--all", action="store_true", help="every legacy rule in the rules folder")
    p.add_argument("--report", action="store_true",
                   help="print a table of the results; with --all nothing is written")
    p.add_argument("--no-test", action="store_true",
                   help="do not run the converted test cases nor the rule and the action side by side (faster; "
                        "the result is then never 'complete')")
    p.add_argument("--node", default=None, help="the node executable (default: node on PATH)")
    p.add_argument("--root", type=Path, default=None,
                   help="the repository folder (the one holding rules/); default: found upwards from here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, environ: Any = os.environ) -> int:
    root: Path = args.root
    if args.all == (args.file is not None):
        raise UsageError("give either a rule file or --all")
    if args.all and args.out is not None:
        raise UsageError("--out goes with a single rule file, not --all")
    node_modules = find_node_modules(environ)
    if args.all:
        sources = _legacy_sources(root)
        if not sources:
            print("no legacy rule (kind: rule) in the rules folder; nothing to migrate")
            return 0
    else:
        sources = [source_for(root, args.file, args.out)]
    outcomes = migrate_sources(sources, node_modules, run_tests=not args.no_test, node=args.node)
    write = not (args.all and args.report)
    for o in outcomes:
        if write and o.text is not None:
            o.source.out_path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(o.source.out_path, o.text.encode("utf-8"))
        if not args.report:
            _print_outcome(o, wrote=write and o.text is not None)
    if args.report:
        sys.stdout.write(table(outcomes))
    bugs = [o for o in outcomes if o.converted.bug]
    if bugs:  # the others were migrated; a crash is a bug (exit 3, traceback saved), never "bad input"
        raise MigrationBug("; ".join(f"{o.source.rel}: {o.converted.error}" for o in bugs))
    if any(o.text is None for o in outcomes):
        return 1  # some rule could not be migrated at all (its code does not parse)
    return 0 if all(o.complete for o in outcomes) else EXIT_MANUAL


class MigrationBug(Exception):
    """rulepress migrate failed on a rule through no fault of the rule."""


def _print_outcome(o: Outcome, *, wrote: bool) -> None:
    where = f" -> {o.source.out_rel}" if wrote else ""
    cases = o.cases
    tests = f"; tests {o.tests_passed}/{o.tests_total} pass" if o.tests_total else ""
    tests += f"; same as the rule on {o.checked - len(o.differences)}/{o.checked} generated cases" if o.checked else ""
    dropped = f"; {cases.dropped} test case(s) not convertible" if cases and cases.dropped else ""
    print(f"{o.source.rel}{where}: {status(o)}{tests}{dropped}")
    for line in o.todo_lines():
        print(f"  {line}")
    for n in cases.notes if cases else ():
        print(f"  note: {n}")
    if o.unreached:
        print(f"  note: {o.unreached}")


def _legacy_sources(root: Path) -> list[Source]:
    cfg = config.load(root)
    folder = cfg.rules_path
    if not folder.is_dir():
        raise UsageError(f"{cfg.rules_dir}/: no such folder under {root}")
    out = []
    for path in sorted(folder.glob("*.md"), key=lambda p: p.name.encode()):
        data = path.read_bytes()
        template, _ = parse_template(f"{cfg.rules_dir}/{path.name}", data, publish_all=True)
        if template is not None and template.kind == "rule":
            out.append(source_for(root, path.relative_to(root), None))
    return out
