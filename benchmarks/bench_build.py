"""Build speed on a 10,000-template catalogue (copies of the starter catalogue under distinct names).

Prints, for each scenario, the wall time, peak memory, and a ratio against baselines measured in the same
run on the same files:
  - `node-original`: a Node build written like the original catalogue's (read, split front matter, parse
    YAML, lex markdown, render, write) — the figure the issue compares against (about 0.8 s);
  - `read+json`: the floor for any build: read every file and write a rules.json of the same size.

Run: .venv/bin/python benchmarks/bench_build.py [--count 10000]
"""

from __future__ import annotations

import argparse
import json
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

from rulepress.catalogue.build import build  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    # bytecode for the package, as an installed one has (PYTHONDONTWRITEBYTECODE would otherwise make every
    # build process compile it again)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "rulepress")], check=True)
    work = Path(tempfile.mkdtemp(prefix="rulepress-bench-"))
    try:
        root = work / "repo"
        make_catalogue(root, args.count)
        files = list((root / "rules").glob("*.md"))
        size = sum(f.stat().st_size for f in files)
        print(f"catalogue: {len(files):,} files, {size / len(files) / 1024:.1f} KB each on average")

        node = shutil.which("node")
        node_script = work / "original-build.js"
        node_script.write_text(NODE_ORIGINAL)
        node_wall = min(run_process([node or "node", str(node_script), str(root / "rules"),
                                     str(work / "node-rules.json")])[0] for _ in range(3))

        def read_and_write() -> None:
            data = [f.read_bytes().decode() for f in sorted(files)]
            (work / "floor.json").write_text(json.dumps([{"t": d} for d in data], indent=2, ensure_ascii=False))
        floor = min(timed(read_and_write) for _ in range(3))

        py = sys.executable
        build_py = str(REPO / "build.py")
        distinct = work / "distinct"
        make_catalogue(distinct, args.count, distinct_code=True)
        os.sync()  # the files just written are flushed now, not while a build is timed

        def cold_process(repo: Path) -> tuple[float, int]:
            runs = []
            for _ in range(3):
                shutil.rmtree(repo / ".rulepress-cache", ignore_errors=True)
                (repo / "rules.json").unlink(missing_ok=True)
                runs.append(run_process([py, build_py, "--root", str(repo)]))
            return min(r[0] for r in runs), max(r[1] for r in runs)

        cold_wall, cold_peak = cold_process(root)
        cold_work = min(timed(lambda: (shutil.rmtree(root / ".rulepress-cache"), (root / "rules.json").unlink(),
                                       build(root))) for _ in range(3))
        check_wall, _ = run_process([py, build_py, "--root", str(root), "--check"])
        check_work = min(timed(lambda: build(root, check=True)) for _ in range(3))
        changed = root / "rules" / sorted(p.name for p in files)[len(files) // 2]

        def change_one() -> None:
            changed.write_text(changed.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
        rebuilds = []
        for _ in range(3):
            change_one()
            rebuilds.append(timed(lambda: build(root)))
        rebuild_work = min(rebuilds)
        rebuild_wall, rebuild_peak = (change_one(), run_process([py, build_py, "--root", str(root)]))[1]
        node_distinct = min(run_process([node or "node", str(node_script), str(distinct / "rules"),
                                         str(work / "node-distinct.json")])[0] for _ in range(3))
        distinct_wall, distinct_peak = cold_process(distinct)
        copied = work / "copied"
        shutil.copytree(root, copied)  # new stamps everywhere, same content: a CI cache restored into a clone
        os.sync()
        copied_wall, _ = run_process([py, build_py, "--root", str(copied)])
        starter = work / "starter"
        shutil.copytree(REPO / "rules", starter / "rules")
        run_process([py, build_py, "--root", str(starter)])
        starter_wall = min(run_process([py, build_py, "--root", str(starter), "--check"])[0] for _ in range(5))
        start_py = min(run_process([py, "-c", "pass"])[0] for _ in range(5))

        print(f"baseline node-original build: {node_wall:.2f} s; read+json floor: {floor:.2f} s")
        print(f"cold full build:    {cold_work:.2f} s work, {cold_wall:.2f} s process "
              f"= {cold_wall / node_wall:.2f}x node-original; peak {cold_peak} MB")
        print(f"cold, every code distinct: {distinct_wall:.2f} s process = {distinct_wall / node_distinct:.2f}x "
              f"node-original on the same files ({node_distinct:.2f} s); Node checks {args.count:,} codes; "
              f"peak {distinct_peak} MB")
        print(f"rebuild, 1 changed: {rebuild_work:.3f} s work, {rebuild_wall:.2f} s process "
              f"= {rebuild_wall / node_wall:.2f}x node-original; peak {rebuild_peak} MB")
        print(f"--check, unchanged: {check_work:.3f} s work, {check_wall:.2f} s process "
              f"= {check_wall / node_wall:.2f}x node-original")
        print(f"copied repository with its cache (every stamp new): {copied_wall:.2f} s process "
              f"= {copied_wall / node_wall:.2f}x node-original")
        print(f"starter catalogue `python build.py --check`: {starter_wall:.3f} s process "
              f"(python startup alone {start_py:.3f} s)")
        print(f"peak memory (largest process): {max(cold_peak, rebuild_peak, distinct_peak)} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
