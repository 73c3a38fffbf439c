"""Screenshots of every main page, Korean and English, at 390 px (a phone) and 1280 px: `make screens`.

Loads the demo data into a throwaway SQLite database (var/screens/screens.sqlite3, recreated each run),
starts a development server on SCREENS_PORT (default 8199) and saves full-page PNGs named
``<page>-<language>-<width>.png`` into var/screens/ with Debian's chromium. See docs/screens.md.
"""

import os
import subprocess  # noqa: S404 - starts this project's own development server
import sys
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
OUT = BASE_DIR / "var" / "screens"
DB = OUT / "screens.sqlite3"
PORT = int(os.environ.get("SCREENS_PORT", "8199"))
BASE = f"http://127.0.0.1:{PORT}"
CHROMIUM = "/usr/bin/chromium"
WIDTHS = {390: 844, 1280: 900}
LANGUAGES = ("ko", "en")

ENV = {
    **os.environ,
    "DEBUG": "true",
    "DATABASE_URL": f"sqlite:///{DB}",
    "PORT": str(PORT),
    "PORTAL_BASE_URL": BASE,
    "OTP_REQUIRED_FOR_STAFF": "false",
    "DJANGO_SETTINGS_MODULE": "ustportal.settings",
    "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
}
ENV.pop("REDIS_URL", None)


def _prepare() -> dict[str, str]:
    """Fresh demo database; returns the logins and the partner verification path."""
    OUT.mkdir(parents=True, exist_ok=True)
    DB.unlink(missing_ok=True)
    os.environ.update(ENV)
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    from accounts.models import TemporaryStudentId
    from affiliation.demo import HOME_PASSWORD
    from creditexchange.models import PartnerList
    from creditexchange.services.recommendations import partner_list_token
    from ustportal.management.commands.load_demo import ADMIN_PASSWORD, STUDENT_PASSWORD

    returning = TemporaryStudentId.objects.get(partner__code="hanbit", home_student_number="20230001")
    partner_list = PartnerList.objects.order_by("pk").first()
    return {
        "student": returning.student_id, "student_password": STUDENT_PASSWORD,
        "home": "S2024101", "home_password": HOME_PASSWORD,
        "admin": "admin", "admin_password": ADMIN_PASSWORD,
        "verify": f"/credit-exchange/verify/{partner_list_token(partner_list)}/" if partner_list else "",
    }


def _serve() -> subprocess.Popen:
    server = subprocess.Popen(  # noqa: S603 - fixed argument list
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{PORT}"],
        cwd=BASE_DIR, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{BASE}/healthz", timeout=1)  # noqa: S310 - our own local server
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the development server on {BASE} did not start")


def _log_in(page, username: str, password: str) -> None:
    page.goto(f"{BASE}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()


PUBLIC = [
    ("home", "/"), ("apply", "/credit-exchange/apply/"), ("result", "/credit-exchange/apply/result/"),
    ("courses", "/credit-exchange/courses/"), ("notices", "/notices/"), ("login", "/accounts/login/"),
]


def main() -> None:
    logins = _prepare()
    from playwright.sync_api import sync_playwright

    server = _serve()
    saved = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            for language in LANGUAGES:
                for width, height in WIDTHS.items():
                    def context(language=language, width=width, height=height):
                        return browser.new_context(
                            locale="ko-KR" if language == "ko" else "en-US",
                            viewport={"width": width, "height": height},
                            extra_http_headers={"Accept-Language": language},
                        )

                    def save(page, name, path, language=language, width=width):
                        page.goto(f"{BASE}{path}")
                        page.wait_for_load_state("load")
                        target = OUT / f"{name}-{language}-{width}.png"
                        page.screenshot(path=str(target), full_page=True)
                        saved.append(target)

                    page = context().new_page()
                    for name, path in PUBLIC:
                        save(page, name, path)
                    if logins["verify"]:
                        save(page, "partner-verification", logins["verify"])
                    page = context().new_page()
                    _log_in(page, logins["student"], logins["student_password"])
                    save(page, "profile", "/accounts/profile/")
                    save(page, "my-registrations", "/credit-exchange/registrations/")
                    save(page, "courses-signed-in", "/credit-exchange/courses/")
                    page = context().new_page()
                    _log_in(page, logins["home"], logins["home_password"])
                    save(page, "affiliation-checklist", "/affiliation/")
                    page = context().new_page()
                    _log_in(page, logins["admin"], logins["admin_password"])
                    save(page, "admin-index", "/admin/")
                    save(page, "staff-dashboard", "/staff/")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{len(saved)} screenshots in {OUT.relative_to(BASE_DIR)}/")


if __name__ == "__main__":
    main()
