"""Gallery build time and site size: the starter catalogue and 1,000 copies of it (target: <= 5 s for the
1,000), against the catalogue build of the same files measured in the same run (cold, no cache).

Run: .venv/bin/python benchmarks/bench_gallery.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_build import make_catalogue  # noqa: E402

from rulepress.catalogue.build import build  # noqa: E402
from rulepress.gallery import build_site  # noqa: E402


def measure(root: Path) -> None:
    start = time.perf_counter()
    build(root)
    catalogue = time.perf_counter() - start
    best = float("inf")
    for _ in range(3):
        shutil.rmtree(root / "site", ignore_errors=True)
        start = time.perf_counter()
        site = build_site(root, root / "site", fresh=False)
        best = min(best, time.perf_counter() - start)
    print(f"{site.pages - 1:,} templates: gallery {best:.2f} s (= {best / catalogue:.2f}x the cold catalogue "
          f"build, {catalogue:.2f} s); site {site.bytes / 1024 / 1024:.1f} MB in {site.pages + 4} files")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rulepress-bench-gallery-"))
    try:
        starter = work / "starter"
        shutil.copytree(REPO / "rules", starter / "rules")
        measure(starter)
        copies = work / "copies"
        make_catalogue(copies, 1_000)
        measure(copies)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
