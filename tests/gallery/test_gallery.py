"""The gallery in a real browser: headless Chromium (Debian's `chromium`) driven by Playwright, on the site
opened from disk and served by `rulepress gallery --serve`. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rulepress.catalogue.build import build
from rulepress.catalogue.rulesjson import read_entries
from rulepress.commands.gallery_cmd import GalleryServer
from rulepress.errors import UserError
from rulepress.gallery import build_site

REPO = Path(__file__).resolve().parent.parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = """---
gallery: true
categories: [debugging]
---
# Hostile description

Text <script>window.__pwned = 'script';</script> and <img src="x" onerror="window.__pwned = 'onerror'">
and <a href="javascript:window.__pwned='link'">a link</a>.

```js
function hostile(user, context, callback) {
  callback(null, user, context);
}
```
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium: .ci/run installs Debian's `chromium` package before the tests")
        pytest.skip("no Chromium: install Debian's `chromium` package (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gallery") / "repo"
    shutil.copytree(REPO / "rules", root / "rules")
    shutil.copy(REPO / "setup.cfg", root / "setup.cfg")
    (root / "rules" / "hostile-description.md").write_text(HOSTILE)
    build(root)
    return root


@pytest.fixture(scope="module")
def site(repo: Path) -> Path:
    out = repo / "site"
    build_site(repo, out, fresh=False)
    return out


def open_page(browser: Any, url: str) -> tuple[Any, list[str]]:
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.goto(url)
    return page, problems


def wait_text(page: Any, selector: str, text: str, seconds: float = 15.0) -> None:
    """Wait until the element shows `text` (polled from here: the pages' CSP forbids the eval that
    Playwright's wait_for_function uses)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if page.locator(selector).text_content(timeout=1000) == text:
                return
        except Exception:  # noqa: BLE001 (a page that is reloading has no element for a moment)
            pass
        time.sleep(0.05)
    raise AssertionError(f"{selector} never showed {text!r}")


def visible_ids(page: Any) -> list[str]:
    return list(page.eval_on_selector_all(".card:not([hidden])", "cards => cards.map(c => c.dataset.id)"))


def test_every_published_template_is_reachable_and_no_page_logs_an_error(browser: Any, repo: Path,
                                                                         site: Path) -> None:
    ids = [e.id for e in read_entries(repo / "rules.json")]
    page, problems = open_page(browser, (site / "index.html").as_uri())
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gallery-index.png"), full_page=True)
    hrefs = page.eval_on_selector_all(".card h3 a", "links => links.map(a => a.href)")
    assert sorted({h.rsplit("/", 1)[1].removesuffix(".html") for h in hrefs}) == sorted(ids)
    for href in dict.fromkeys(hrefs):
        other, found = open_page(browser, href)
        assert other.locator("h1").text_content(), href
        assert other.locator(".hl").count() >= 1  # the code, highlighted at build time
        if not href.endswith("/hostile-description.html"):  # its <img src="x"> is missing on purpose
            problems += found
        other.close()
    assert problems == []
    page.close()


def test_a_template_page_shows_what_a_user_needs(browser: Any, site: Path) -> None:
    page, problems = open_page(browser, (site / "t" / "notify-signup-slack.html").as_uri())
    text = page.locator("main").inner_text()
    for expected in ("Notify new sign-ups in Slack", "post-user-registration v2", "node22", "SLACK_WEBHOOK_URL",
                     "Test cases", "Copy the code"):
        assert expected in text, expected
    page.screenshot(path=str(ARTIFACTS / "gallery-template.png"), full_page=True)
    assert problems == []
    page.close()


def test_search_and_each_filter_narrow_the_list(browser: Any, repo: Path, site: Path) -> None:
    entries = read_entries(repo / "rules.json")
    page, problems = open_page(browser, (site / "index.html").as_uri())
    assert sorted(set(visible_ids(page))) == sorted(e.id for e in entries)
    data = json.loads((site / "search-data.js").read_text().removeprefix("window.RULEPRESS_SEARCH = ").rstrip(";\n"))
    texts = {item["id"]: item["text"] for item in data}
    page.fill("#q", "Slack message")  # every word must match, in any case
    expected = sorted(i for i, text in texts.items() if "slack" in text and "message" in text)
    assert sorted(set(visible_ids(page))) == expected and "notify-signup-slack" in expected
    assert len(expected) < len(entries)
    assert page.locator("#status").text_content() == f"{len(expected)} template(s)"
    page.fill("#q", "no such words anywhere")
    assert visible_ids(page) == [] and page.locator("#empty").is_visible()
    page.fill("#q", "")
    page.select_option("#kind", "rule")
    assert sorted(set(visible_ids(page))) == sorted(e.id for e in entries if e.kind == "rule")
    page.select_option("#kind", "")
    page.select_option("#trigger", "post-user-registration")
    assert sorted(set(visible_ids(page))) == sorted(
        e.id for e in entries if e.action and e.action.trigger == "post-user-registration")
    page.select_option("#trigger", "")
    page.select_option("#category", "webhook")
    assert sorted(set(visible_ids(page))) == sorted(e.id for e in entries if "webhook" in e.categories)
    assert page.locator(".group:not([hidden]) h2").all_text_contents() == ["webhook"]
    assert problems == []
    page.close()


def test_a_description_with_script_or_event_handlers_runs_nothing(browser: Any, site: Path) -> None:
    page, problems = open_page(browser, (site / "t" / "hostile-description.html").as_uri())
    page.wait_for_timeout(300)
    problems = [p for p in problems if "ERR_FILE_NOT_FOUND" not in p]  # its <img src="x">
    assert page.evaluate("window.__pwned === undefined")
    description = page.locator(".description").inner_html()
    assert "<script" not in description and "onerror" not in description and "javascript:" not in description
    page.click("text=a link")
    assert page.evaluate("window.__pwned === undefined")
    assert problems == []
    page.close()


def test_keyboard_reaches_the_search_and_opens_a_template(browser: Any, site: Path) -> None:
    page, problems = open_page(browser, (site / "index.html").as_uri())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.tagName"))
    assert order[:5] == ["A", "q", "kind", "trigger", "category"]  # the home link, then the form, in order
    page.keyboard.press("Tab")  # past the first card link: the second one
    focused = page.evaluate("document.activeElement.href")
    page.keyboard.press("Enter")
    page.wait_for_url(focused)
    assert page.locator("h1").is_visible()
    assert problems == []
    page.close()


def test_copy_and_live_rebuild_when_served(browser: Any, repo: Path, tmp_path: Path) -> None:
    server = GalleryServer(repo, tmp_path / "served", 0, poll=0.1).start()
    try:
        context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(server.url + "t/block-unverified-email.html")
        page.click("button.copy")
        wait_text(page, ".copied", "Copied.")
        code = [e for e in read_entries(repo / "rules.json") if e.id == "block-unverified-email"][0].code
        assert page.evaluate("navigator.clipboard.readText()") == code
        md = repo / "rules" / "block-unverified-email.md"
        md.write_text(md.read_text().replace("# Block unverified email addresses", "# Block unverified addresses"))
        wait_text(page, "h1", "Block unverified addresses")  # live.js reloads the page after the rebuild
        assert problems == []
        context.close()
    finally:
        server.stop()


def test_the_output_folder_must_be_the_gallerys_own(repo: Path, tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="is not empty and was not written by rulepress gallery"):
        build_site(repo, taken)
    assert (taken / "notes.txt").read_text() == "mine"


def test_the_site_cannot_go_inside_the_catalogue(repo: Path) -> None:
    with pytest.raises(UserError, match=r"is inside rules/: the site would become part of the catalogue"):
        build_site(repo, repo / "rules" / "site")
