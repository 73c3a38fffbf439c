"""`make run PORT=8101`: mailed links and the demo's printed addresses use that port (issue 11)."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def _base_url(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("PORT", "PORTAL_BASE_URL")}
    environ.update(DEBUG="true", DJANGO_SETTINGS_MODULE="ustportal.settings", **env)
    script = "import django; django.setup(); from django.conf import settings; print(settings.PORTAL_BASE_URL)"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environ, capture_output=True, text=True,
                          check=True, timeout=60).stdout.strip()


def test_it_takes_the_base_url_of_mailed_links_from_the_port_the_server_runs_on():
    assert _base_url(PORT="8101") == "http://127.0.0.1:8101"
    assert _base_url() == "http://127.0.0.1:8000"


def test_an_explicit_portal_base_url_still_wins_over_the_port():
    assert _base_url(PORT="8101", PORTAL_BASE_URL="https://portal.example.ac.kr/") == "https://portal.example.ac.kr"


def test_make_run_passes_the_port_to_the_demo_and_the_server():
    run = (ROOT / "Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert run.count("PORT=$(PORT)") >= 2 and "runserver 127.0.0.1:$(PORT)" in run


@pytest.mark.django_db
def test_load_demo_prints_the_addresses_of_the_configured_portal(settings):
    settings.DEBUG = True  # the demo loads only with DEBUG
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8101"
    out = StringIO()

    call_command("load_demo", stdout=out)

    text = out.getvalue()
    assert "http://127.0.0.1:8101/admin/" in text and "http://127.0.0.1:8101/dev/mailbox/" in text
    assert ":8000" not in text
