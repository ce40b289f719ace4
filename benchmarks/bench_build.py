"""Build speed at a real catalogue's size (300 templates) and at a stress size (10,000), against a Node build
written like the original catalogue's, measured in the same run on the same files.

For each size: cold build, unchanged `--check`, rebuild after one edit (all whole processes, best of 3),
and the peak memory of the largest process. Also: whether the stdlib process pool pays (compiling 1,000
and 10,000 files in one process against the pool), and the starter catalogue's `--check`.

Targets (issue 12, 2-core machine): 300 cold <= 0.6 s and --check <= 0.25 s; 10,000 cold <= 10 s,
--check <= 0.6 s, peak <= 300 MB.

Run: .venv/bin/python benchmarks/bench_build.py [--sizes 300,10000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rulepress.catalogue.build import _compile_chunk, _compile_pooled  # noqa: E402

NODE_ORIGINAL = r"""
// The shape of the original catalogue build: for each .md file, split front matter, parse YAML,
// lex markdown, take the first heading and code block, render the rest, group by category.
const fs = require('fs'), path = require('path');
const dir = process.argv[2], out = process.argv[3];
function lex(body) {           // a small markdown block lexer: headings, fenced/indented code, paragraphs
  const lines = body.split('\n'); const blocks = []; let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    let m;
    if ((m = /^(`{3,}|~{3,})(.*)$/.exec(line))) {
      const fence = m[1]; const buf = []; i++;
      while (i < lines.length && !lines[i].startsWith(fence)) buf.push(lines[i++]);
      i++; blocks.push({ type: 'code', text: buf.join('\n') }); continue;
    }
    if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) { blocks.push({ type: 'heading', text: m[2] }); i++; continue; }
    if (line.trim() === '') { i++; continue; }
    const buf = [];
    while (i < lines.length && lines[i].trim() !== '' && !/^(#{1,6}\s|`{3}|~{3})/.test(lines[i])) buf.push(lines[i++]);
    blocks.push({ type: 'paragraph', text: buf.join('\n') });
  }
  return blocks;
}
function inline(t) {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/`([^`]+)`/g, '<code>$1</code>')
          .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/\*([^*]+)\*/g, '<em>$1</em>')
          .replace(/\[([^\]]+)\]\(([^)]+)\)/g, '<a href="$2">$1</a>');
}
function yaml(text) {           // the subset of YAML the catalogue uses: scalars and lists
  const o = {}; let key = null;
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^([\w-]+):\s*(.*)$/.exec(line))) {
      key = m[1]; const v = m[2].trim();
      if (v === '') o[key] = []; else if (v.startsWith('[')) o[key] = v.slice(1, -1).split(',').map(s => s.trim());
      else o[key] = v === 'true' ? true : v === 'false' ? false : v;
    } else if ((m = /^\s*-\s+(.*)$/.exec(line)) && key) { (o[key] = o[key] || []).push(m[1].trim()); }
  }
  return o;
}
const groups = new Map();
for (const file of fs.readdirSync(dir).sort()) {
  if (!file.endsWith('.md')) continue;
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  let meta = {}, body = text;
  if (text.startsWith('---\n')) { const end = text.indexOf('\n---\n', 4); meta = yaml(text.slice(4, end)); body = text.slice(end + 5); }
  if (!meta.gallery) continue;
  const blocks = lex(body);
  const heading = blocks.find(b => b.type === 'heading'); const code = blocks.find(b => b.type === 'code');
  const description = blocks.filter(b => b.type === 'paragraph').map(b => '<p>' + inline(b.text) + '</p>\n').join('');
  const t = { id: file.slice(0, -3), title: heading.text, categories: meta.categories || ['default'], description, code: code.text };
  for (const c of t.categories) { if (!groups.has(c)) groups.set(c, []); groups.get(c).push(t); }
}
fs.writeFileSync(out, JSON.stringify([...groups].map(([name, templates]) => ({ name, templates })), null, 2));
"""


def make_catalogue(root: Path, count: int, distinct_code: bool = False) -> None:
    """`count` copies of the starter catalogue under distinct names and titles. With distinct_code, each
    copy's code also differs (a comment line), so no two files share a JavaScript verdict."""
    sources = sorted((REPO / "rules").glob("*.md"))
    rules = root / "rules"
    rules.mkdir(parents=True)
    for n in range(count):
        src = sources[n % len(sources)]
        text = src.read_text(encoding="utf-8")
        text = re.sub(r"^order: .*\n", "", text, count=1, flags=re.MULTILINE)
        text = re.sub(r"^(name: .*)$", rf"\1 {n}", text, count=1, flags=re.MULTILINE)
        text = re.sub(r"^(#+ .*)$", rf"\1 {n}", text, count=1, flags=re.MULTILINE)
        if distinct_code:
            text = re.sub(r"^(```(?:js|javascript)\n)", rf"\1// copy {n}\n", text, count=1, flags=re.MULTILINE)
        (rules / f"{src.stem}-{n:05d}.md").write_text(text, encoding="utf-8")


def timed(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "t = time.perf_counter() - t\n"
    "sys.stderr.write(p.stderr[-2000:])\n"
    "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, p.returncode)\n"
)


def run_process(args: list[str]) -> tuple[float, int]:
    """Wall seconds of a whole process, and the peak RSS (MB) of the largest process in its tree
    (measured in a fresh wrapper, so other runs of this benchmark do not count)."""
    proc = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, check=False)
    wall, peak, code = proc.stdout.split()
    if code != "0":
        raise SystemExit(f"{args} failed: {proc.stderr}")
    return float(wall), int(peak) // 1024


def pool_pays(root: Path, count: int) -> tuple[float, float]:
    """Seconds to compile `count` files in one process, and with the build's process pool."""
    files = sorted((root / "rules").glob("*.md"))[:count]
    items = [(f"rules/{f.name}", str(n), f.read_bytes()) for n, f in enumerate(files)]
    one = timed(lambda: _compile_chunk(items, False))
    pooled = timed(lambda: _compile_pooled(items, False))
    return one, pooled


def measure(work: Path, count: int, node_script: Path) -> None:
    py, build_py, node = sys.executable, str(REPO / "build.py"), shutil.which("node") or "node"
    root = work / f"repo-{count}"
    make_catalogue(root, count)
    files = sorted((root / "rules").glob("*.md"))
    os.sync()
    node_wall = min(run_process([node, str(node_script), str(root / "rules"), str(work / "node.json")])[0]
                    for _ in range(3))
    runs = []
    for _ in range(3):
        shutil.rmtree(root / ".rulepress-cache", ignore_errors=True)
        (root / "rules.json").unlink(missing_ok=True)
        runs.append(run_process([py, build_py, "--root", str(root)]))
    cold, cold_peak = min(r[0] for r in runs), max(r[1] for r in runs)
    checks = [run_process([py, build_py, "--root", str(root), "--check"]) for _ in range(3)]
    check, check_peak = min(r[0] for r in checks), max(r[1] for r in checks)
    changed = files[len(files) // 2]
    rebuilds = []
    for n in range(3):
        changed.write_text(changed.read_text(encoding="utf-8") + f"\nOne more line {n}.\n", encoding="utf-8")
        rebuilds.append(run_process([py, build_py, "--root", str(root)]))
    rebuild, rebuild_peak = min(r[0] for r in rebuilds), max(r[1] for r in rebuilds)
    size = sum(f.stat().st_size for f in files) / len(files) / 1024
    print(f"\n{count:,} templates ({size:.1f} KB each); node-original build {node_wall:.2f} s")
    print(f"  cold build:          {cold:6.2f} s = {cold / node_wall:5.2f}x node-original; peak {cold_peak} MB")
    print(f"  --check, unchanged:  {check:6.2f} s = {check / node_wall:5.2f}x; peak {check_peak} MB")
    print(f"  rebuild, 1 edited:   {rebuild:6.2f} s = {rebuild / node_wall:5.2f}x; peak {rebuild_peak} MB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="300,10000")
    args = parser.parse_args()
    # bytecode for the package, as an installed one has (PYTHONDONTWRITEBYTECODE would otherwise make every
    # build process compile it again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "rulepress")], check=True)
    work = Path(tempfile.mkdtemp(prefix="rulepress-bench-"))
    try:
        node_script = work / "original-build.js"
        node_script.write_text(NODE_ORIGINAL)
        for count in (int(c) for c in args.sizes.split(",")):
            measure(work, count, node_script)
        pool_root = work / "pool"
        make_catalogue(pool_root, 10_000)
        for count in (1_000, 10_000):
            one, pooled = pool_pays(pool_root, count)
            print(f"\ncompile {count:,} files: one process {one:.2f} s, process pool {pooled:.2f} s "
                  f"(pool/one = {pooled / one:.2f}x)")
        py, build_py = sys.executable, str(REPO / "build.py")
        starter = work / "starter"
        shutil.copytree(REPO / "rules", starter / "rules")
        run_process([py, build_py, "--root", str(starter)])
        starter_wall = min(run_process([py, build_py, "--root", str(starter), "--check"])[0] for _ in range(5))
        start_py = min(run_process([py, "-c", "pass"])[0] for _ in range(5))
        print(f"\nstarter catalogue `python build.py --check`: {starter_wall:.3f} s process "
              f"(python startup alone {start_py:.3f} s)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
