"""Browser tests: Playwright for Python (sync API) driving Debian's chromium against pytest-django's
live server (which also serves the static files, ECharts included).

* Skipped, with the reason, where /usr/bin/chromium is missing; ``.ci/run`` installs it.
* On failure every page of the test is saved as a screenshot and its HTML under ``test-output/``.
* ``HUIKUAN_SCREENSHOTS=/some/dir`` saves a screenshot of every page of every test there, for
  looking at the pages by eye.
* Pages are in English unless a test asks for another language, so the tests read the English
  source strings whatever the translations say (the language test checks Chinese itself).
"""

import os
import re
from pathlib import Path

import pytest

from .helpers import Sales

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


_REPORTS = pytest.StashKey[dict]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test so the page fixture knows, at teardown, whether the
    # test failed and its pages should be saved.
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium); "
            ".ci/run installs it"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread, and Django refuses database calls
    # from a thread with a running loop; the live server and the test's own factories need them.
    # Only while the browser runs: the rest of the suite keeps Django's check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150]


@pytest.fixture
def open_page(browser, live_server, request):
    """``open_page(language="en", viewport=DESKTOP)`` -> a new page in a fresh browser context
    whose relative URLs go to the live server. ``language=None`` leaves the language to the app
    (the browser itself asks for English, as an office PC might)."""
    contexts = []

    def open_(language: str | None = "en", viewport: dict = DESKTOP):
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="en-US", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(15_000)
        if language:
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": live_server.url}]
            )
        contexts.append(context)
        return context.new_page()

    yield open_

    reports = request.node.stash.get(_REPORTS, {})
    failed = any(report.failed for report in reports.values())
    folders = []
    if failed:
        folders.append(Path(request.config.rootpath) / "test-output")
    if os.environ.get("HUIKUAN_SCREENSHOTS"):
        folders.append(Path(os.environ["HUIKUAN_SCREENSHOTS"]))
    pages = [page for context in contexts for page in context.pages]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for number, page in enumerate(pages, start=1):
            stem = folder / _safe(f"{request.node.name}-{number}")
            try:
                page.screenshot(path=f"{stem}.png", full_page=True)
                if folder.name == "test-output":
                    Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
            except Exception as error:  # a crashed page must not hide the test's own failure
                print(f"could not save {stem}: {error}")
    for context in contexts:
        context.close()


@pytest.fixture
def sales(flushable_db) -> Sales:
    return Sales()
