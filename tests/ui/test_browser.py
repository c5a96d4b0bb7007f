"""End to end in Debian's Chromium driven by Playwright: ask, watch the answer stream in, follow a
footnote to its highlighted quote, upload an article and ask about it, upload bad files and see why.

Needs /usr/bin/chromium (`apt-get install -y chromium`); when it is missing and this runs as root,
the fixture installs it. Screenshots go to test-artifacts/ui/. Never run `playwright install`: it
downloads a browser build, which fails offline; Debian's Chromium is used instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rag import Assistant
from rag.settings import PROJECT_ROOT
from tests.ui.test_app import NEW_ARTICLE, copy_assistant, free_port
from ui.app import serve

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "ui"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 60_000


def ensure_chromium() -> str | None:
    """None when /usr/bin/chromium is there (installing it with apt-get as root if need be), else why not."""
    if CHROMIUM.exists():
        return None
    if not shutil.which("apt-get") or os.geteuid() != 0:
        return "/usr/bin/chromium is missing and apt-get cannot install it here (not root or no apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, capture_output=True, timeout=600)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "chromium"], env=env, check=True, capture_output=True, timeout=900
        )
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        return f"/usr/bin/chromium is missing and `apt-get install chromium` failed: {exc} {detail[-500:]!r}"
    return None if CHROMIUM.exists() else "apt-get installed chromium but /usr/bin/chromium is still missing"


@pytest.fixture(scope="module")
def browser() -> Browser:
    reason = ensure_chromium()
    if reason:
        pytest.skip(reason)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def app_url(assistant: Assistant, tmp_path_factory: pytest.TempPathFactory) -> str:
    copy = copy_assistant(assistant, tmp_path_factory.mktemp("ui-browser"))
    port = free_port()
    app = serve(copy, port=port, block=False, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    app.close()


@pytest.fixture
def page(browser: Browser, app_url: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url.rstrip("/"))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(app_url)
    page.wait_for_selector("#nr-question textarea")
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def ask(page: Page, question: str, answers_before: int) -> None:
    page.fill("#nr-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('.nr-answer:not(.nr-draft)').length > n", arg=answers_before)


def test_ask_stream_follow_footnote_to_highlighted_quote(page: Page) -> None:
    expect(page.locator(".nr-welcome")).to_contain_text("How far back does Israel want Hezbollah pushed?")
    shot(page, "01-first-load")
    page.evaluate(
        """() => { window.__sawDraft = false;
             new MutationObserver(() => { if (document.querySelector('.nr-draft')) window.__sawDraft = true; })
               .observe(document.body, {subtree: true, childList: true}); }"""
    )
    ask(page, "How far back does Israel want Hezbollah pushed?", 0)
    assert page.evaluate("window.__sawDraft"), "the answer should show as a draft while it streams"
    answer = page.locator(".nr-answer").last
    expect(answer).to_contain_text("Litani")
    footnote = answer.locator(".nr-fn a").first
    expect(footnote).to_have_text("[1]")
    shot(page, "02-answer")

    footnote.click()
    source = page.locator(".nr-source.nr-active")
    expect(source).to_have_count(1)
    expect(source).to_have_attribute("id", "nr-src-1-1")
    expect(source).to_be_in_viewport()
    quote = source.locator("mark.nr-quote")
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("Litani River")
    expect(source).to_contain_text("20 November 2024")
    background = quote.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "the quote is highlighted"
    shot(page, "03-footnote-followed")

    # copy the answer as Markdown
    answer.locator("button.nr-copy").click()
    expect(answer.locator("button.nr-copy")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("**Q:** How far back does Israel want Hezbollah pushed?") and "Sources:" in copied


def test_example_question_follow_up_and_abstention(page: Page) -> None:
    page.get_by_role("button", name="Who heads the Mossad?").click()
    page.wait_for_function("document.querySelectorAll('.nr-answer:not(.nr-draft)').length > 0")
    expect(page.locator(".nr-answer").last).to_contain_text("Barnea")

    ask(page, "What is the capital of France?", 1)
    abstained = page.locator(".nr-answer.nr-abstained")
    expect(abstained).to_be_visible()
    expect(abstained).to_contain_text("No answer in the indexed articles")
    expect(abstained.locator(".nr-related")).to_contain_text("Related reading")
    shot(page, "04-abstention")
    page.locator("#nr-clear").click()
    expect(page.locator(".nr-welcome")).to_be_visible()


def test_upload_an_article_then_ask_about_it(page: Page, tmp_path: Path) -> None:
    article = tmp_path / "zorblax-ceo.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    page.get_by_role("tab", name="Articles").click()
    page.locator("#nr-upload input[type=file]").set_input_files(str(article))
    expect(page.locator("#nr-upload a[href$='/zorblax-ceo.txt']")).to_have_count(1)  # uploaded
    page.locator("#nr-add").click()
    report = page.locator("#nr-upload-report")
    expect(report).to_contain_text("1 added (zorblax-ceo)")
    expect(page.locator("#nr-articles")).to_contain_text("zorblax-ceo")
    shot(page, "05-upload-ok", full_page=True)

    page.get_by_role("tab", name="Chat").click()
    ask(page, "Who is the chief executive of Zorblax Industries?", 0)
    answer = page.locator(".nr-answer").last
    expect(answer).to_contain_text("Mira Quandt")
    expect(answer.locator("mark.nr-quote").first).to_contain_text("Mira Quandt")
    shot(page, "06-answer-from-upload")


def test_bad_files_show_which_and_why(page: Page, tmp_path: Path) -> None:
    empty = tmp_path / "empty-notes.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "scan.txt"
    binary.write_bytes(b"\x00\x01\x02PDF-ish\x00" * 64)
    page.get_by_role("tab", name="Articles").click()
    stats_before = page.locator("#nr-stats").inner_text()
    page.locator("#nr-upload input[type=file]").set_input_files([str(empty), str(binary)])
    expect(page.locator("#nr-upload a[href$='/scan.txt']")).to_have_count(1)  # uploaded
    page.locator("#nr-add").click()
    report = page.locator("#nr-upload-report")
    expect(report).to_contain_text("Nothing was added")
    expect(report).to_contain_text("empty-notes.txt: empty file")
    expect(report).to_contain_text("scan.txt: binary file")
    assert page.locator("#nr-stats").inner_text() == stats_before
    shot(page, "07-upload-bad", full_page=True)
