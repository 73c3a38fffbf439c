"""Pages reached from a mailed link, in chromium (issue 10, findings 5 and 6, and the coordinator's CSRF failure).

The applicant's confirmation link shows a page with one button; only pressing it confirms. The
coordinator's verification link lets the browser post its answers: the page's Referrer-Policy is
"same-origin", so Chromium sends the real Origin (under "no-referrer" it sent `Origin: null` and
Django's CSRF check refused every save). After the deadline the link shows only that the list closed.
"""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from core.mail import mail_queue
from creditexchange import services
from creditexchange.models import PartnerList, TemporaryIdApplication
from tests.browser.conftest import submit
from tests.creditexchange.partner_list_helpers import build_scene, send
from tests.factories import ApplicationFactory, InstitutionFactory, TermFactory, TermWindowFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Status = TemporaryIdApplication.Status
VARIANTS = [("ko", False), ("en", False), ("ko", True)]
IDS = ["ko", "en", "ko-phone"]


def _mailed_link(to: str, pattern: str, *, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in mail.outbox:
            if to in message.to and (match := re.search(pattern, message.body)):
                return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no mail to {to} matching {pattern!r}: {[(m.to, m.subject) for m in mail.outbox]}")


def _posts(page) -> list[dict]:
    """The headers of every form POST the page sends (to check its Origin)."""
    posts: list[dict] = []
    page.on("request", lambda request: posts.append(request.headers) if request.method == "POST" else None)
    return posts


def _watch_favicon(page) -> list[str]:
    """The portal has no /favicon.ico: Chromium logs its 404 as a console error, which is none of these pages' doing."""
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.url.endswith("/favicon.ico") and r.status == 404 else None)
    return missing


def _real(problems: list[str], missing_favicons: list[str]) -> list[str]:
    left, allowance = [], len(missing_favicons)
    for problem in problems:
        if allowance and problem.startswith("console error") and "status of 404" in problem:
            allowance -= 1
            continue
        left.append(problem)
    return left


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=IDS)
def test_the_applicant_confirms_with_the_button_behind_the_mailed_link(
    open_page, problems, shot, live_server, language, phone
):
    from playwright.sync_api import expect

    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind="application", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5))
    partner = InstitutionFactory(code="hanbit", name_ko="한빛대학교", name_en="Hanbit University")
    application = ApplicationFactory(
        term=term, partner=partner, email="haneul@hanbit.example", language=language, confirmation_sent_at=now,
    )
    mail_queue(kind="application_confirmation", to=application.email, language=language,
               params={"application_id": application.pk})
    link = _mailed_link(application.email, re.escape(live_server.url) + r"/credit-exchange/apply/confirm/[^\s\"<>]+/")

    page = open_page(language=language, phone=phone)
    favicons = _watch_favicon(page)
    posts = _posts(page)
    response = page.goto(link)
    assert response.status == 200 and response.headers["referrer-policy"] == "same-origin"
    expect(page.locator("#confirm-button")).to_be_visible()
    expect(page.locator("#confirm-button")).to_have_text(_in(language, "Confirm my application"))
    shot(page, f"links-confirm-button-{language}{'-phone' if phone else ''}")
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED  # opening the link changed nothing

    submit(page, "#confirm-button")

    expect(page.locator("#confirm-done")).to_contain_text(str(term) if language == "en" else "2027")
    shot(page, f"links-confirm-done-{language}{'-phone' if phone else ''}")
    application.refresh_from_db()
    assert application.status == Status.CONFIRMED and application.confirmed_at is not None
    assert posts and posts[0].get("origin") == live_server.url

    page.goto(link)  # the second visit is friendly, not an error
    expect(page.locator("#confirm-already")).to_be_visible()
    expect(page.locator("#confirm-button")).to_have_count(0)
    assert application.events.count() == 1
    assert _real(problems, favicons) == []


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=IDS)
def test_the_coordinator_saves_answers_from_the_mailed_link(open_page, problems, shot, live_server, language, phone):
    from playwright.sync_api import expect

    scene = build_scene()
    mail.outbox.clear()
    partner_list = send(scene, scene.hanbit, PartnerList.Kind.APPLICANTS)
    link = _mailed_link("exchange@hanbit.example", re.escape(live_server.url) + r"/credit-exchange/verify/[^\s\"<>]+/")
    one = partner_list.recommendations.get(application__home_student_number="H001")
    two = partner_list.recommendations.get(application__home_student_number="H002")

    page = open_page(language=language, phone=phone)
    favicons = _watch_favicon(page)
    posts = _posts(page)
    response = page.goto(link)
    assert response.status == 200 and response.headers["referrer-policy"] == "same-origin"
    expect(page.locator("#verify-students")).to_contain_text("H001")
    page.locator(f"label[for=yes-{one.pk}]").click()
    page.locator(f"label[for=no-{two.pk}]").click()
    page.fill(f"textarea[name=comment-{two.pk}]", "휴학 중 / on leave")
    shot(page, f"links-verify-filled-{language}{'-phone' if phone else ''}")

    submit(page, "#verify-save")

    expect(page.locator("#verify-progress")).to_contain_text("2")
    assert posts and posts[0].get("origin") == live_server.url  # not "null"
    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.decision, two.decision, two.comment) == ("recommended", "not_recommended", "휴학 중 / on leave")
    assert two.source == "coordinator" and two.decided_ip == "127.0.0.1"
    expect(page.locator(f"#yes-{one.pk}")).to_be_checked()
    shot(page, f"links-verify-saved-{language}{'-phone' if phone else ''}")
    assert _real(problems, favicons) == []


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=IDS)
def test_after_the_deadline_the_mailed_link_shows_only_that_the_list_closed(
    open_page, problems, shot, live_server, language, phone
):
    from playwright.sync_api import expect

    scene = build_scene()
    mail.outbox.clear()
    partner_list = send(scene, scene.garam, PartnerList.Kind.FINAL, at=timezone.now() - timedelta(days=30))
    link = _mailed_link("intl@garam.example", re.escape(live_server.url) + r"/credit-exchange/verify/[^\s\"<>]+/")

    page = open_page(language=language, phone=phone)
    favicons = _watch_favicon(page)
    page.goto(link)

    expect(page.locator("#verify-closed")).to_contain_text(_in(language, "This list is closed."))
    expect(page.locator("#verify-contact")).to_be_visible()
    content = page.content()
    for row in partner_list.rows:
        for value in (row["home_student_number"], row["name_latin"], row["student_id"]):
            assert not value or value not in content
    expect(page.locator("#verify-save")).to_have_count(0)
    expect(page.locator("main input[type=radio], main textarea")).to_have_count(0)
    shot(page, f"links-verify-closed-{language}{'-phone' if phone else ''}")
    assert _real(problems, favicons) == []


def test_a_token_whose_own_expiry_passed_shows_the_closed_page(open_page, problems, live_server):
    from playwright.sync_api import expect

    scene = build_scene()
    partner_list = send(scene, scene.hanbit, PartnerList.Kind.APPLICANTS)
    token = services.partner_list_token(partner_list, expires_at=timezone.now() - timedelta(minutes=5))

    page = open_page(language="en")
    favicons = _watch_favicon(page)
    page.goto(f"{live_server.url}/credit-exchange/verify/{token}/")

    expect(page.locator("#verify-closed")).to_contain_text("This list is closed.")
    assert "H001" not in page.content()
    assert _real(problems, favicons) == []
