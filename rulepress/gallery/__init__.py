"""The gallery: the published catalogue as a static web site people browse (`rulepress gallery`).

rules.json (checked fresh against rules/) gives the templates; each one's test blocks come from its
markdown file. Jinja2 renders the pages (autoescaped), Pygments highlights code at build time, nh3 (the
Rust ammonia sanitizer) cleans the descriptions, which keep raw HTML in rules.json as the original format
does. Every page carries a Content-Security-Policy in a <meta> tag (it holds when opened from disk) that
allows only the site's own scripts; the search data ships as a script file, since pages opened from disk
cannot fetch. Links are relative, so the site works from disk or from any web server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import nh3
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import JavascriptLexer, YamlLexer

from rulepress import __version__, config
from rulepress.catalogue import source
from rulepress.catalogue.build import build
from rulepress.catalogue.model import Block, Entry
from rulepress.catalogue.rulesjson import read_entries
from rulepress.catalogue.template import read_template
from rulepress.errors import UserError
from rulepress.files import write_atomic

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; object-src 'none'")
MARKER = ".rulepress-gallery"  # the folder is ours to rewrite
_FORMATTER = HtmlFormatter(cssclass="hl")


@dataclass(frozen=True)
class Site:
    out: Path
    pages: int
    bytes: int


def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(str(resources.files("rulepress.gallery").joinpath("templates")))
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _tests(root: Path, rules_dir: str, entry: Entry, publish_all: bool) -> list[Block]:
    path = root / rules_dir / f"{entry.id}.md"
    data, _ = source.read(source.SourceFile(f"{rules_dir}/{entry.id}.md", path))
    if data is None:
        return []
    parsed = read_template(f"{rules_dir}/{entry.id}.md", data, publish_all=publish_all)
    return list(parsed.template.tests) if parsed.template is not None else []


def _card(e: Entry) -> dict[str, Any]:
    trigger = e.action.trigger if e.action else ""
    label = f"{e.action.trigger} {e.action.trigger_version}" if e.action else f"rule, {e.rule.stage if e.rule else ''}"
    return {"id": e.id, "title": e.title, "kind": e.kind, "trigger": trigger, "trigger_label": label,
            "overview": e.overview, "categories": e.categories}


def build_site(root: Path, out: Path, *, fresh: bool = True, live: bool = False) -> Site:
    """Write the site for the repository at `root` into `out`. With `fresh`, rules.json is rebuilt first
    (for --serve); otherwise it must already be what rules/ builds to (as for a deploy)."""
    cfg = config.load(root)
    if out.resolve().is_relative_to(cfg.rules_path.resolve()):
        raise UserError(f"--out {out} is inside {cfg.rules_dir}/: the site would become part of the catalogue "
                        f"(and --serve would rebuild forever); choose a folder outside it")
    build(root, check=not fresh)
    entries = read_entries(cfg.output_path)
    _claim(out)
    env = _environment()
    common = {"csp": CSP, "site_title": "Rules and actions", "count": len(entries),
              "rulepress_version": __version__, "version": config.catalogue_version(root) or "", "live": live}
    by_id = {e.id: e for e in entries}
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        for category in e.categories:
            groups.setdefault(category, []).append(_card(e))
    triggers = sorted({e.action.trigger for e in entries if e.action})
    written: set[Path] = set()

    def write(rel: str, text: str) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text.encode("utf-8"))
        written.add(path)

    search = []
    for e in entries:
        description = nh3.clean(e.description)
        tests = _tests(root, cfg.rules_dir, e, cfg.publish == "all")
        migrated = None
        if e.action is not None and e.action.migrated_from:
            origin = by_id.get(e.action.migrated_from)
            migrated = {"id": e.action.migrated_from, "published": origin is not None,
                        "title": origin.title if origin else ""}
        page = env.get_template("template.html").render(
            **common, base="../", t=e, description=description, migrated_from=migrated,
            code_html=highlight(e.code, JavascriptLexer(), _FORMATTER),
            tests=[highlight(b.text, YamlLexer(), _FORMATTER) for b in tests])
        write(f"t/{e.id}.html", page)
        names = (e.action.secrets if e.action else ()) + (e.rule.configuration if e.rule else ())
        search.append({"id": e.id, "text": " ".join([e.id, e.title, e.name, e.overview, _text(description),
                                                     " ".join(e.categories), " ".join(names)]).lower()})
    write("index.html", env.get_template("index.html").render(
        **common, base="", groups=[{"name": n, "templates": t} for n, t in groups.items()], triggers=triggers))
    write("search-data.js", "window.RULEPRESS_SEARCH = " + json.dumps(search) + ";\n")
    static = resources.files("rulepress.gallery").joinpath("static")
    css = static.joinpath("base.css").read_text(encoding="utf-8") + _FORMATTER.get_style_defs(".hl")
    write("static/style.css", css)
    for name in ("gallery.js", "live.js"):
        write(f"static/{name}", static.joinpath(name).read_text(encoding="utf-8"))
    for old in out.rglob("*"):  # pages of templates that left the catalogue
        if old.is_file() and old not in written and old.name != MARKER:
            old.unlink()
    return Site(out, len(entries) + 1, sum(p.stat().st_size for p in written))


def _claim(out: Path) -> None:
    """The output folder must be new, empty, or one this command wrote before."""
    if out.exists():
        if not out.is_dir():
            raise UserError(f"{out} is not a folder")
        if any(out.iterdir()) and not (out / MARKER).exists():
            raise UserError(f"{out} is not empty and was not written by rulepress gallery; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    (out / MARKER).write_text("written by rulepress gallery; its files are replaced on every build\n")

