"""Speed of `rulepress test`: the starter catalogue's cases and 1,000 cases, against a baseline.

Figures (wall time, this machine, this run):
  - starter: every case of rules/ through `rulepress test` as a user runs it (a fresh Python process:
    start-up, parse of the catalogue, one Node process with a worker pool, checks, report);
  - starter-in-process: the same through `run_tests()` (no Python start-up);
  - 1000 cases: the starter catalogue's real cases repeated to 1,000, in one harness run;
  - baseline: one Node process per case (the obvious design), measured on a sample of the same cases in the
    same run, and extrapolated per case.

Run: .venv/bin/python benchmarks/bench_runner.py [--cases 1000] [--baseline-sample 60]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rulepress.catalogue.build import load_catalogue  # noqa: E402
from rulepress.testing import collect_cases, run_tests  # noqa: E402
from rulepress.testing.check import evaluate  # noqa: E402
from rulepress.testing.node import NodeOptions, make_job, run_job  # noqa: E402


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--baseline-sample", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the pooled runs")
    args = parser.parse_args()

    templates = load_catalogue(REPO)
    cases = collect_cases(templates)
    options = NodeOptions()

    def cli() -> None:
        proc = subprocess.run([sys.executable, "-m", "rulepress", "test", "--root", str(REPO)],
                              capture_output=True, text=True, check=False)
        last = proc.stdout.strip().splitlines()[-1]
        if proc.returncode != 0:
            raise SystemExit(f"rulepress test failed: {last}")

    starter_cli = min(timed(cli) for _ in range(args.repeat))
    starter_api = min(timed(lambda: run_tests(templates, options)) for _ in range(args.repeat))

    many = [cases[i % len(cases)] for i in range(args.cases)]
    job = make_job(templates, many, options)

    def pooled() -> None:
        results = run_job(job, options.node)
        failed = sum(1 for c, r in zip(many, results, strict=True) if evaluate(c, r))
        if failed:
            raise SystemExit(f"{failed} of the repeated cases failed")

    pooled_time = min(timed(pooled) for _ in range(args.repeat))

    sample = many[: args.baseline_sample]
    per_case = [timed(lambda c=c: run_job(make_job(templates, [c], NodeOptions(workers=1)), options.node))
                for c in sample]
    baseline_per_case = statistics.mean(per_case)
    baseline_many = baseline_per_case * args.cases
    baseline_starter = baseline_per_case * len(cases)

    print(f"machine: {subprocess.run(['node', '--version'], capture_output=True, text=True).stdout.strip()}, "
          f"workers {job['workers']}")
    print(f"starter catalogue: {len(templates)} templates, {len(cases)} cases")
    print(f"  rulepress test (CLI, fresh process)   {starter_cli:7.3f} s   (target < 3 s)")
    print(f"  run_tests() in process                {starter_api:7.3f} s")
    print(f"  baseline, one node per case           {baseline_starter:7.3f} s   "
          f"ratio {baseline_starter / starter_api:5.1f}x")
    print(f"{args.cases} cases (the starter cases repeated), one harness run:")
    print(f"  pooled                                {pooled_time:7.3f} s   (target < 10 s)"
          f"   {pooled_time / args.cases * 1000:.2f} ms/case")
    print(f"  baseline, one node per case           {baseline_many:7.3f} s   "
          f"({baseline_per_case * 1000:.1f} ms/case, mean of {len(sample)} measured)"
          f"   ratio {baseline_many / pooled_time:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
