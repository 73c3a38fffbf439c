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


AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_FAILING_IMPACTS = ("serious", "critical")


def axe_failures(page, *, context: str = "") -> str:
    """Run axe-core (installed from npm by ``make install``, never fetched at run time) on the page as it is
    now; return a listing of its serious and critical violations (rule, help link, nodes), "" if none.

    The script is handed over with ``page.evaluate`` (DevTools' Runtime.evaluate), which the page's
    Content-Security-Policy does not govern: no inline script tag is added, the policy stays untouched and
    no CSP violation reaches the console.
    """
    if not AXE_JS.exists():
        message = f"{AXE_JS} is missing: run `make install` (npm ci installs axe-core from package-lock.json)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    # Colours are judged as they settle: a button htmx has just swapped in under the pointer fades its hover in
    # over .15 s, and a check mid-fade would measure a colour nobody reads.
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    # preload: false — axe's CSSOM preload re-creates each @import (the Django admin's forms.css imports
    # widgets.css) as a new <style> element, which the strict style-src blocks and reports on the console; only
    # css-orientation-lock needs it, and no stylesheet of ours locks the orientation.
    result = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations'], preload: false})")
    failing = [v for v in result["violations"] if v.get("impact") in AXE_FAILING_IMPACTS]
    if not failing:
        return ""
    lines = [f"axe: {len(failing)} serious/critical violation(s) on {page.url} {context}".rstrip()]
    for v in failing:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {' '.join(map(str, node['target']))} :: {summary[:300]}")
    return "\n".join(lines)


def axe_check(page, *, context: str = "") -> None:
    """Fail the test on any serious or critical axe-core violation of the page as it is now, listing them."""
    failures = axe_failures(page, context=context)
    if failures:
        pytest.fail(failures)


def log_in(page, live_server, user) -> None:
    """The session of a forced login, handed to the browser (the log-in form itself is tested elsewhere)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])
