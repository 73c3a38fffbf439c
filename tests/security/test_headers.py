"""Finding 8: every page sends the security headers and a strict Content-Security-Policy, and no page
template holds inline script, inline style or an event-handler attribute (the policy would block it).

`manage.py check --deploy` is run in a subprocess with the production environment of deploy/env.example.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.utils import get_random_secret_key

from tests.factories import UserFactory

BASE_DIR = Path(settings.BASE_DIR)

PAGES = [  # (path, signed in as staff?): the login pages send a signed-in user on, so they are fetched anonymously
    ("/", False),
    ("/", True),
    ("/credit-exchange/apply/", False),
    ("/credit-exchange/courses/", False),
    ("/notices/", False),
    ("/accounts/login/", False),
    ("/admin/login/", False),
    ("/admin/", True),
    ("/staff/", True),
    ("/healthz", False),
]

EXPECTED_CSP = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "font-src": {"'self'"},
    "connect-src": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
    "base-uri": {"'self'"},
    "object-src": {"'none'"},
}


def _policy(header: str) -> dict[str, set[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = set(words[1:])
    return directives


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "as_staff"), PAGES)
def test_it_sends_the_security_headers_on_every_page(client, settings, path, as_staff):
    if as_staff:
        settings.OTP_REQUIRED_FOR_STAFF = False  # the staff pages themselves, not the second-factor step before them
        client.force_login(UserFactory(username="headers-staff", is_staff=True, is_superuser=True))

    response = client.get(path)

    assert response.status_code == 200, (path, response.status_code)
    assert _policy(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.mark.django_db
def test_it_configures_htmx_for_the_policy(client):
    html = client.get("/").content.decode()

    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false, ' \
        '"allowScriptTags": false}\'>' in html
    css = (BASE_DIR / "static" / "css" / "portal.css").read_text()
    assert ".htmx-indicator" in css and ".htmx-request .htmx-indicator" in css


@pytest.mark.django_db
def test_it_redirects_plain_http_but_not_the_load_balancers_health_probe(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/healthz").status_code == 200
    response = client.get("/notices/")
    assert response.status_code == 301 and response["Location"].startswith("https://")


@pytest.mark.django_db
def test_it_sends_hsts_on_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    response = client.get("/healthz", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# Inline code the policy blocks: <script> without src (JSON data blocks are not scripts), <style>,
# style="…" attributes, on…= handlers and javascript: URLs.
INLINE = [
    ("inline script", re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)),
    ("style element", re.compile(r"<style\b", re.I)),
    ("style attribute", re.compile(r"\sstyle\s*=", re.I)),
    ("event handler", re.compile(r"\son[a-z]+\s*=", re.I)),
    ("javascript: URL", re.compile(r"javascript:", re.I)),
]


def _page_templates():
    root = BASE_DIR / "templates"
    for path in sorted(root.rglob("*.html")):
        if "emails" not in path.relative_to(root).parts:  # mail is not under the CSP
            yield path


def test_it_finds_inline_code_in_a_template():
    sample = '<select onchange="this.form.submit()"><div style="width: 3%"></div><script>alert(1)</script>'

    assert {name for name, pattern in INLINE if pattern.search(sample)} == {
        "inline script", "style attribute", "event handler",
    }
    assert not any(pattern.search('<script src="/static/js/portal.js" defer></script>') for _, pattern in INLINE)


def test_no_page_template_holds_inline_script_style_or_handlers():
    found = []
    for path in _page_templates():
        text = path.read_text()
        for name, pattern in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(BASE_DIR)}:{line}: {name}")

    assert found == []


def _env_example() -> dict[str, str]:
    values = {}
    for line in (BASE_DIR / "deploy" / "env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
    return values


def test_the_deploy_check_is_clean_with_the_production_environment_of_env_example(tmp_path):
    env = {**os.environ, **_env_example()}
    env.update(
        SECRET_KEY=get_random_secret_key(),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        ENV_FILE=str(tmp_path / "no.env"),  # no developer's .env beside manage.py may leak in
    )
    assert env["DEBUG"] == "false"

    result = subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
