"""Shared Playwright fixtures: Debian's chromium, a page per language and width, problems collected.

Every page opened through ``open_page`` records JS errors, console errors (a Content-Security-Policy
violation is one) and HTTP answers of 400 or more; ``problems`` lists them and a test ends with
``assert problems == []`` unless it expects one. ``shot(page, name)`` keeps a PNG under
``var/screenshots/`` for a person to look at.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 10_000
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.fixture
def browser(live_server, monkeypatch, settings):
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing (apt-get install chromium); browser tests cannot run"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    # Playwright's sync API keeps an asyncio loop in this thread; the ORM would refuse to run here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.PORTAL_BASE_URL = live_server.url
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def problems() -> list[str]:
    return []


@pytest.fixture
def open_page(browser, problems):
    """``open_page(language="ko", phone=False)`` → a new page in its own context (own cookies)."""

    def _open(language: str = "ko", phone: bool = False, ignore_status: tuple[int, ...] = ()):
        context = browser.new_context(
            locale="ko-KR" if language == "ko" else "en-US",
            viewport=PHONE if phone else DESKTOP,
            extra_http_headers={"Accept-Language": "ko" if language == "ko" else "en"},
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("pageerror", lambda exc: problems.append(f"JS error on {page.url}: {exc}"))
        page.on(
            "console",
            lambda msg: problems.append(f"console {msg.type} on {page.url}: {msg.text}") if msg.type == "error" else None,
        )
        page.on(
            "response",
            lambda response: problems.append(f"HTTP {response.status} for {response.url}")
            if response.status >= 400 and response.status not in ignore_status
            and not response.url.endswith("/favicon.ico") else None,
        )
        return page

    return _open


@pytest.fixture
def shot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def submit(page, selector: str) -> None:
    """Click a submit button and wait for the answer (or its redirect target) to load."""
    with page.expect_navigation():
        page.locator(selector).click()
