"""The build: rules/ → checked templates → rules.json, written atomically, with a cache of unchanged files.

    scan the folder → read each file whose stat changed → compile what the cache has not seen
    (template.read_template, then its rules.json object) → check each distinct code text in one Node
    process → checks across files → report every problem → assemble rules.json and write it if it differs

Every step is plain: one process compiles (a stdlib process pool helps only for thousands of new files,
see POOL_FROM), one Node process checks code, and the cache (cache.py) answers an unchanged `--check`
from file stats alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from rulepress import config
from rulepress.catalogue import checks, jscheck, source
from rulepress.catalogue.cache import Cache, content_key, fingerprint, stat_of
from rulepress.catalogue.model import Kind, Template
from rulepress.catalogue.rulesjson import assemble, fragment
from rulepress.catalogue.schema import checkable
from rulepress.catalogue.template import as_draft, read_template
from rulepress.errors import Problem, ProblemsError, UserError
from rulepress.files import write_atomic

POOL_FROM = 1000  # new files to compile before worker processes pay for their start (benchmarks/bench_build.py)
CHUNK = 200


@dataclass(frozen=True)
class BuildResult:
    files: int
    published: int
    written: bool  # rules.json changed on disk
    output: Path
    warnings: list[Problem] = field(default_factory=list)
    parsed: int = 0  # files compiled this time (the rest came from the cache)


@dataclass(frozen=True)
class Compiled:
    """What one file's content compiled to. `info` is what the cache keeps (JSON); `code` is only for Node."""

    key: str
    info: dict[str, Any]
    object: bytes | None  # its rules.json object (UTF-8), when it can be published
    code: tuple[Kind, str] | None  # (kind, text)


def compile_file(rel: str, key: str, data: bytes, publish_all: bool) -> Compiled:
    """One file's bytes → its problems, summary for the checks across files, and rules.json object."""
    parsed = read_template(rel, data, publish_all=publish_all)
    t = parsed.template
    broken = any(p.severity == "error" for p in parsed.problems)
    info: dict[str, Any] = {
        "problems": [[p.line, p.message, p.severity] for p in parsed.problems],
        "draft": parsed.draft,
        "publishable": t is not None and t.gallery and not broken,
        "categories": list(t.categories) if t is not None else [],
        "summary": list(checks.summarize(t)) if t is not None and not broken else None,
        "code_key": code_key(t) if t is not None and checkable(t.code) else None,
        "code_line": t.code_line if t is not None else 0,
    }
    obj = fragment(t) if info["publishable"] and t is not None else None
    return Compiled(key, info, obj, (t.kind, t.code) if info["code_key"] is not None and t is not None else None)


def code_key(t: Template) -> str:
    """What a JavaScript verdict depends on: the kind and the code."""
    return hashlib.sha256(f"{t.kind}\0{t.code}".encode()).hexdigest()


def _compile_chunk(items: Sequence[tuple[str, str, bytes]], publish_all: bool) -> list[Compiled]:
    return [compile_file(rel, key, data, publish_all) for rel, key, data in items]


def _compile_all(items: list[tuple[str, str, bytes]], publish_all: bool) -> list[Compiled]:
    if len(items) < POOL_FROM or (os.cpu_count() or 1) < 2:
        return _compile_chunk(items, publish_all)
    return _compile_pooled(items, publish_all)


def _compile_pooled(items: list[tuple[str, str, bytes]], publish_all: bool) -> list[Compiled]:
    chunks = [items[i:i + CHUNK] for i in range(0, len(items), CHUNK)]
    with ProcessPoolExecutor(min(os.cpu_count() or 1, 4)) as pool:
        done = pool.map(_compile_chunk, chunks, [publish_all] * len(chunks))
        return [c for chunk in done for c in chunk]


def node_identity() -> str:
    """Which Node checks the code: its real path, size and mtime (a Node upgrade invalidates verdicts). A
    version manager's shim script hides an upgrade behind it: delete .rulepress-cache/ after one."""
    found = shutil.which("node")
    if found is None:
        return ""
    node = os.path.realpath(found)
    try:
        st = os.stat(node)
    except OSError:
        return node
    return f"{node} {st.st_size} {st.st_mtime_ns}"


def _raise_if_broken(problems: list[Problem], strict: bool) -> list[Problem]:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if errors:
        raise ProblemsError(problems, f"build failed: {len(errors)} error(s), {len(warnings)} warning(s)")
    if strict and warnings:
        raise ProblemsError(problems, f"build failed in strict mode: {len(warnings)} warning(s)")
    return warnings


def _output_stat(path: Path) -> list[int] | None:
    try:
        return stat_of(path.stat())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None


def build(root: Path, *, check: bool = False, strict: bool = False) -> BuildResult:
    """Compile root/rules into rules.json. With check, write nothing and fail if rules.json is stale."""
    cfg = config.load(root)
    # what every cached result depends on: our code, the libraries, Node, and what is published
    cache = Cache(root, f"{fingerprint()} {node_identity()} publish={cfg.publish}")
    try:
        return _build(cfg, cache, check, strict or cfg.strict)
    finally:
        cache.close()


RACY_NS = 2_000_000_000  # a file changed this close to a build may change again unseen within its timestamp


def _build(cfg: config.RepoConfig, cache: Cache, check: bool, strict: bool) -> BuildResult:
    publish_all = cfg.publish == "all"
    started = time.time_ns()
    files, problems = source.scan(cfg.root, cfg.rules_dir)
    # 1. each file's content key: from the cache where its stat is unchanged, else from its bytes
    old_stats = cache.stats()
    keys: dict[str, str] = {}
    stats: dict[str, tuple[list[int], str]] = {}
    data: dict[str, bytes] = {}
    for f in files:
        try:
            stat = stat_of(os.stat(f.path))
        except OSError:
            stat = []
        seen = old_stats.get(f.rel)
        if stat and seen is not None and seen[0] == stat:
            keys[f.rel] = seen[1]
        else:
            read, problem = source.read(f)
            if read is None:
                assert problem is not None
                problems.append(problem)
                continue
            data[f.rel] = read
            keys[f.rel] = content_key(cache.salt, f.rel, read)
        # as git does with its index ("racy git"): a stat taken while the file may still change within
        # the same timestamp is not kept, so the next build reads the file again
        stats[f.rel] = (stat if stat and stat[1] < started - RACY_NS else [], keys[f.rel])
    # 2. the unchanged case: the last build wrote rules.json from exactly these files, and it is untouched
    digest = hashlib.sha256(repr((sorted(keys.items()), publish_all, cfg.output)).encode()).hexdigest()
    output_stat = _output_stat(cfg.output_path)
    infos = cache.infos(keys.values())
    verdicts = cache.verdicts()
    # 3. compile what the cache does not know (or whose code verdict it lost)
    todo = [rel for rel, key in keys.items()
            if key not in infos or (infos[key]["code_key"] is not None and infos[key]["code_key"] not in verdicts)]
    items: list[tuple[str, str, bytes]] = []
    for rel in todo:
        if rel not in data:  # stat unchanged but the result is gone: read it again
            read, problem = source.read(source.SourceFile(rel, cfg.root / rel))
            if read is None:
                assert problem is not None
                problems.append(problem)
                del keys[rel], stats[rel]
                continue
            data[rel] = read
            keys[rel] = content_key(cache.salt, rel, read)
            stats[rel] = (stats[rel][0], keys[rel])
        items.append((rel, keys[rel], data[rel]))
    data.clear()  # memory: what is compiled is all that is needed of the files now
    compiled = _compile_all(items, publish_all)
    del items
    infos.update({c.key: c.info for c in compiled})
    # 4. JavaScript: each distinct code text not checked before, in one Node process
    new_codes = {c.info["code_key"]: c.code for c in compiled
                 if c.code is not None and c.info["code_key"] not in verdicts}
    compiled = [c if c.code is None else replace(c, code=None) for c in compiled]  # the texts go to Node
    if new_codes:
        found: dict[str, list[list[Any]]] = {k: [] for k in new_codes}
        for p in jscheck.check([jscheck.Code(k, kind, text, 1) for k, (kind, text) in new_codes.items()]):
            found[p.path].append([p.line, p.message, p.severity])
        verdicts.update(found)
        del new_codes
    # 5. every file's problems, what is published, and the checks across files
    published: list[tuple[list[str], str]] = []  # (categories, key) in file order
    summaries: list[checks.Summary] = []
    drafts: set[str] = set()
    for rel, key in keys.items():
        info = infos[key]
        verdict = verdicts.get(info["code_key"], []) if info["code_key"] else []
        base = info["code_line"] - 1
        found_here = [Problem(rel, line, msg, sev) for line, msg, sev in info["problems"]]
        found_here += [Problem(rel, base + line, msg, sev) for line, msg, sev in verdict]
        js_broken = any(sev == "error" for _, _, sev in verdict)
        if info["draft"]:
            drafts.add(rel)
            found_here = as_draft(found_here)
        problems.extend(found_here)
        if info["summary"] is not None and not js_broken:
            summaries.append(checks.Summary(*info["summary"]))
        if info["publishable"] and not js_broken:
            published.append((info["categories"], key))
    problems.extend(p if p.path not in drafts else as_draft([p])[0]
                    for p in checks.check_catalogue(summaries))
    live = set(keys.values())
    live_codes = {infos[k]["code_key"] for k in live if infos[k]["code_key"]}
    # what was learnt is kept whatever happens next: a failed build's work serves the fixed one
    cache.save(files={c.key: (c.info, c.object) for c in compiled},
               verdicts={k: v for k, v in verdicts.items() if k in live_codes}, stats=stats, live=live)
    warnings = _raise_if_broken(problems, strict)
    result = BuildResult(len(keys), len(published), False, cfg.output_path, warnings, len(compiled))
    if output_stat is not None and cache.state("output") == [output_stat, digest]:
        return result
    # 6. rules.json: assembled from the objects, written only when it differs
    objects = {c.key: c.object for c in compiled if c.object is not None}
    del compiled
    objects.update(cache.objects(key for _, key in published if key not in objects))
    if any(key not in objects for _, key in published):  # the cache lost an object (deleted meanwhile)
        cache.save(files={}, verdicts={}, stats={}, live=set())
        raise UserError("the build cache changed while the build ran; run it again")
    output = assemble([(categories, objects[key]) for categories, key in published])
    del objects
    try:  # the old file is read only when its size says it may be the same
        same = output_stat is not None and output_stat[0] == len(output) and cfg.output_path.read_bytes() == output
    except OSError as exc:
        raise UserError(f"cannot read {cfg.output}: {exc.strerror or exc}") from None
    if not same:
        if check:
            state = "missing" if output_stat is None else "stale"
            raise UserError(f"{cfg.output} is {state}: it is not what the build writes from "
                            f"{cfg.rules_dir}/; run 'python build.py' and commit it")
        try:
            write_atomic(cfg.output_path, output)
        except OSError as exc:
            raise UserError(f"cannot write {cfg.output}: {exc.strerror or exc}; nothing was changed") from None
        output_stat = _output_stat(cfg.output_path)
    cache.set_state("output", [output_stat, digest])
    return replace(result, written=not same)


def load_catalogue(root: Path, *, strict: bool = False, published_only: bool = False) -> list[Template]:
    """Every template in root/rules with its test blocks, fully checked (JavaScript included), without the
    cache; raises ProblemsError listing every problem. Drafts are included unless `published_only`."""
    cfg = config.load(root)
    files, problems = source.scan(cfg.root, cfg.rules_dir)
    parsed: dict[str, tuple[Template, list[Problem]]] = {}
    drafts: set[str] = set()
    for f in files:
        data, problem = source.read(f)
        if data is None:
            assert problem is not None
            problems.append(problem)
            continue
        one = read_template(f.rel, data, publish_all=cfg.publish == "all")
        if one.draft:
            drafts.add(f.rel)
        if one.template is None:
            problems.extend(as_draft(one.problems) if one.draft else one.problems)
        else:
            parsed[f.rel] = (one.template, list(one.problems))
    codes = [jscheck.Code(rel, t.kind, t.code, t.code_line) for rel, (t, _) in parsed.items() if checkable(t.code)]
    for p in jscheck.check(codes):
        parsed[p.path][1].append(p)
    templates = [t for t, found in parsed.values() if not any(p.severity == "error" for p in found)]
    for rel, (_, found) in parsed.items():
        problems.extend(as_draft(found) if rel in drafts else found)
    problems.extend(p if p.path not in drafts else as_draft([p])[0]
                    for p in checks.check_catalogue([checks.summarize(t) for t in templates]))
    _raise_if_broken(problems, strict or cfg.strict)
    return [t for t in templates if t.gallery or not published_only]
