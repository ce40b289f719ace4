"""`rulepress migrate --all` on 60 legacy rules (target: under 30 s), against the static conversion alone
(`--no-test`: no converted tests, no side-by-side run) measured in the same run, so the ratio is what
proving "complete" by execution costs.

The 60 rules: this repository's starter rules, migrate fixtures and real-world-style rules (41 files), and
copies of the real-world-style ones under other ids to make 60. A corpus of other people's public rules is
measured the same way by passing its folder: `bench_migrate.py /path/to/rules` (its .md files are used as
they are; nothing from it is kept in this repository).

Run: .venv/bin/python benchmarks/bench_migrate.py [RULES_FOLDER]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 30.0
COUNT = 60


def corpus(into: Path, source: Path | None) -> int:
    rules = into / "rules"
    rules.mkdir(parents=True)
    if source is not None:
        for path in sorted(source.glob("*.md")):
            shutil.copy(path, rules / path.name)
        return len(list(rules.glob("*.md")))
    found = [p for folder in ("rules", "tests/migrate/rules", "tests/migrate/realworld")
             for p in sorted((REPO / folder).glob("*.md")) if "\nkind: rule\n" in p.read_text("utf-8")]
    for path in found:
        shutil.copy(path, rules / path.name)
    extra = sorted((REPO / "tests/migrate/realworld").glob("*.md"))
    i = 0
    while len(list(rules.glob("*.md"))) < COUNT:
        path = extra[i % len(extra)]
        shutil.copy(path, rules / f"copy{i}-{path.name}")
        i += 1
    return COUNT


def run(root: Path, *extra: str) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "rulepress", "migrate", "--all", "--report", *extra],
                          cwd=root, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if proc.returncode not in (0, 4):
        raise SystemExit(f"rulepress migrate failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return took, proc.stdout.splitlines()[-1]


def main() -> None:
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    work = Path(tempfile.mkdtemp(prefix="rulepress-bench-migrate-"))
    try:
        count = corpus(work, source)
        run(work, "--no-test")  # warm: the Node packages installed, the OS caches filled
        static, _ = run(work, "--no-test")
        full, summary = run(work)
        print(f"{count} rules: migrate --all {full:.1f} s (target < {TARGET:.0f} s), = {full / static:.2f}x "
              f"the static conversion alone ({static:.1f} s)")
        print(f"  {summary}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
