"""The exchange applicant becomes a student, in chromium: Korean and English, at 1280 px and on a 390 px phone.

Apply from the home page's quick links → confirm with the mailed link → (the registrar approves and issues; their
own journey is tests/browser/test_registrar_journey.py) → look the result up → set the password from the mailed
link → log out and in → register for a course and drop it in the catalogue (htmx, no reload) → My registrations →
change the phone number on the profile. axe-core runs on every page visited (no serious or critical violation)
and the database is checked after each form.

Mail: the locmem backend and eager Celery put every message of the live-server thread in ``mail.outbox``.
"""

import re
import time as clock
from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from academics.models import TermWindow
from accounts.models import TemporaryStudentId, User
from creditexchange import services
from creditexchange.models import CourseRegistration, TemporaryIdApplication
from tests.browser.conftest import TIMEOUT_MS, axe_check, submit

from ..factories import CourseOfferingFactory, TimeSlotFactory

PASSWORD = "Violet-Harbor-2931!"  # noqa: S105 - a test password
Status = TemporaryIdApplication.Status


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def _mail_link(page, *, to: str, pattern: str, after: int) -> str:
    deadline = clock.monotonic() + TIMEOUT_MS / 1000
    while True:
        for message in mail.outbox[after:]:
            if to in message.to and (match := re.search(pattern, message.body)):
                return match.group(0)
        if clock.monotonic() > deadline:
            raise AssertionError(f"no mail to {to} matching {pattern!r}: {[(m.to, m.subject) for m in mail.outbox]}")
        page.wait_for_timeout(100)


@pytest.fixture
def term_with_courses(open_term):
    """The application window is open; registration is over and the change window open (add and drop allowed)."""
    now = timezone.now()
    for kind, start, end in ((TermWindow.Kind.REGISTRATION, -9, -2), (TermWindow.Kind.CHANGE, -1, 5)):
        TermWindow.objects.create(term=open_term, kind=kind, starts_at=now + timedelta(days=start),
                                  ends_at=now + timedelta(days=end))
    course = CourseOfferingFactory(term=open_term, code="CSE101", title_ko="자료구조", title_en="Data Structures", capacity=30)
    TimeSlotFactory(offering=course, weekday=2, starts_at=time(10), ends_at=time(11, 30))
    return open_term, course


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_an_applicant_becomes_a_student_registers_drops_and_edits_the_profile(
    open_page, live_server, problems, shot, settings, term_with_courses, partner, registrar, language, phone
):
    from playwright.sync_api import expect

    term, course = term_with_courses
    base, prefix = live_server.url, re.escape(live_server.url)
    email = f"haneul.{language}@hanbit.example"
    mail.outbox.clear()
    width = "phone" if phone else "desktop"
    page = open_page(language=language, phone=phone)

    # 1. From the home page's quick links to the application form; apply.
    page.goto(f"{base}/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    axe_check(page, context="home")
    page.locator(".quick-links a[href='/credit-exchange/apply/']").click()
    expect(page).to_have_url(f"{base}/credit-exchange/apply/")
    axe_check(page, context="application form")
    page.select_option("#id_term", str(term.pk))
    page.select_option("#id_partner", str(partner.pk))
    page.fill("#id_home_student_number", "20241234")
    page.fill("#id_date_of_birth", date(2004, 4, 4).isoformat())
    page.fill("#id_name_ko", "김하늘")
    page.fill("#id_name_latin", "KIM HANEUL")
    page.fill("#id_email", email)
    page.fill("#id_phone", "010-2222-3333")
    page.fill("#id_home_department", "컴퓨터공학과")
    page.select_option("#id_degree_level", "bachelor")
    page.check("#id_consent")
    submit(page, "main form[novalidate] button[type=submit]")
    expect(page).to_have_url(f"{base}/credit-exchange/apply/sent/")
    expect(page.locator("main h1")).to_have_text(_in(language, "Check your e-mail"))
    axe_check(page, context="application sent")
    application = TemporaryIdApplication.objects.get()
    assert (application.status, application.language, application.email) == (Status.SUBMITTED, language, email)

    # 2. The mailed link opens a page whose one button confirms.
    link = _mail_link(page, to=email, after=0, pattern=prefix + r"/credit-exchange/apply/confirm/[^\s\"<>]+/")
    page.goto(link)
    axe_check(page, context="confirm page")
    submit(page, "#confirm-form button[type=submit]")
    expect(page.locator("main .alert-success[role=status]")).to_be_visible()
    application.refresh_from_db()
    assert application.status == Status.CONFIRMED

    # 3. The registrar approves and the daily batch issues the ID.
    services.application_approve(application_id=application.pk, actor=registrar)
    services.temporary_id_issue(application_id=application.pk, actor=registrar)
    student_id = TemporaryStudentId.objects.get().student_id
    seen = len(mail.outbox)

    # 4. The result page shows the ID and mails the set-password link.
    page.goto(f"{base}/credit-exchange/apply/result/")
    axe_check(page, context="lookup form")
    page.select_option("#id_partner", str(partner.pk))
    page.fill("#id_home_student_number", "20241234")
    page.fill("#id_date_of_birth", date(2004, 4, 4).isoformat())
    submit(page, "main form button[name=lookup]")
    expect(page.locator("#result-student-id")).to_have_text(re.compile(rf"^\s*{student_id}\s*$"))
    axe_check(page, context="lookup result")
    link = _mail_link(page, to=email, after=seen, pattern=prefix + r"/accounts/set-password/[^\s\"<>/]+/[^\s\"<>/]+/")

    # 5. Set the password; the profile opens.
    page.goto(link)
    axe_check(page, context="set password")
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    submit(page, "main form button[type=submit]")
    expect(page).to_have_url(f"{base}/accounts/profile/")
    user = User.objects.get(username=student_id)
    assert user.check_password(PASSWORD) and user.kind == User.Kind.EXCHANGE

    # 6. Log out and in again with the ID (the menu's button on a phone is behind the toggler).
    page.goto(f"{base}/accounts/login/")
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/")
    axe_check(page, context="login")
    page.fill("#id_username", student_id)
    page.fill("#id_password", PASSWORD)
    submit(page, "main form button[type=submit]")
    expect(page).to_have_url(f"{base}/accounts/profile/")
    expect(page.locator("#profile-username")).to_have_text(student_id)

    # 7. Register in the catalogue (the row updates in place), see it in My registrations, drop it.
    page.goto(f"{base}/credit-exchange/courses/")
    axe_check(page, context="catalogue")
    row = page.locator(f"#offering-{course.pk}")
    page.evaluate("window.__sameDocument = true")
    row.get_by_role("button", name=_in(language, "Register")).click()
    expect(row.locator("[role=status]")).to_contain_text("CSE101")
    expect(row.get_by_role("button", name=_in(language, "Drop"))).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True
    axe_check(page, context="catalogue after register")
    assert CourseRegistration.objects.filter(student=user, offering=course, status="registered").count() == 1
    page.goto(f"{base}/credit-exchange/registrations/")
    expect(page.locator("main")).to_contain_text("자료구조" if language == "ko" else "Data Structures")
    axe_check(page, context="my registrations")
    shot(page, f"exchange-journey-{language}-{width}-registrations")
    page.goto(f"{base}/credit-exchange/courses/")
    row.get_by_role("button", name=_in(language, "Drop")).click()
    expect(row.get_by_role("button", name=_in(language, "Register"))).to_be_visible()
    assert not CourseRegistration.objects.filter(student=user, status="registered").exists()

    # 8. Change the phone number on the profile: saved, and the page keeps its language.
    page.goto(f"{base}/accounts/profile/")
    axe_check(page, context="profile")
    page.fill("#id_phone", "010-7777-8888")
    submit(page, "main form button[name=save_profile]")
    expect(page.locator("#profile-phone")).to_have_text("010-7777-8888")
    expect(page.locator("html")).to_have_attribute("lang", language)
    axe_check(page, context="profile after save")
    shot(page, f"exchange-journey-{language}-{width}-profile")
    user.refresh_from_db()
    assert user.phone == "010-7777-8888"
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the profile scrolls sideways"

    assert problems == [], "\n".join(problems)
