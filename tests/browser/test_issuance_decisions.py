"""Issue 12, temporary-ID decisions staff take on purpose, in chromium (ko on a 1280 px screen, en on a 390 px phone).

A registrar selects a returning student's application whose account staff had deactivated, runs "Re-activate the
deactivated account and issue (with a reason)" from the application list together with a first-time applicant's,
sees the account named as deactivated and the other left as it is, is refused without a reason, gives one and
confirms: the account is active, the application issued and the staff action log holds the decision with its
reason; the other application is untouched and named in a warning. Then an ID issued by mistake is revoked from the same list with a
reason, together with one already used to sign in: the unused account and ID are gone, that application is
approved again and its applicant's mail is queued; the used one is kept and named in a warning.
The database is checked after each form and axe-core runs on every page.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import TemporaryStudentId, User
from core.models import BulkAction, OutgoingMail
from creditexchange import services
from creditexchange.models import TemporaryIdApplication
from tests.browser.conftest import axe_check, log_in, submit

from ..factories import ApplicationFactory, TermFactory, TermWindowFactory, issued_student

CHANGELIST = "/admin/creditexchange/temporaryidapplication/"
Status = TemporaryIdApplication.Status
LANGUAGES = pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", True)], ids=["ko", "en-phone"])
WORDS = {
    "ko": {"deactivated": "직원이 비활성화함", "no account": "계정 없음"},
    "en": {"deactivated": "Deactivated by staff", "no account": "No account yet"},
}


def _run_action(page, base: str, application, action: str) -> None:
    page.goto(f"{base}{CHANGELIST}")
    page.check(f"input[name=_selected_action][value='{application.pk}']")
    page.select_option("select[name=action]", action)
    submit(page, "#changelist-form button[name=index]")


def _fits_the_phone(page, phone: bool) -> None:
    if phone:  # nothing pushes the page itself wider than the 390 px screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def returning(db, partner):
    """A student issued an ID for spring whose account staff deactivated; a new approved application for fall."""
    student = issued_student(TermFactory(year=2026, season="spring"), partner=partner)
    identity = student.temporary_id
    student.is_active = False
    student.save(update_fields=["is_active"])
    application = ApplicationFactory(
        term=TermFactory(year=2026, season="fall"), partner=partner, home_student_number=identity.home_student_number,
        date_of_birth=identity.applications.get().date_of_birth, status=Status.APPROVED,
        confirmed_at=timezone.now(), decided_at=timezone.now(),
    )
    newcomer = ApplicationFactory(  # selected with it by mistake: a first-time applicant, no account yet
        term=application.term, partner=partner, status=Status.APPROVED, confirmed_at=timezone.now(), decided_at=timezone.now(),
    )
    return {"student": student, "application": application, "newcomer": newcomer}


@pytest.mark.browser
@LANGUAGES
def test_the_registrar_reactivates_a_deactivated_account_and_issues(
    open_page, live_server, problems, shot, registrar, returning, language, phone
):
    from playwright.sync_api import expect

    student, application = returning["student"], returning["application"]
    base, name = live_server.url, f"reactivate-{language}{'-phone' if phone else ''}"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, registrar)

    newcomer = returning["newcomer"]
    page.goto(f"{base}{CHANGELIST}")
    for selected in (application, newcomer):
        page.check(f"input[name=_selected_action][value='{selected.pk}']")
    page.select_option("select[name=action]", "reactivate_and_issue")
    submit(page, "#changelist-form button[name=index]")
    expect(page.locator("html")).to_have_attribute("lang", language)
    rows = page.locator("#reactivate-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=student.username)).to_contain_text(WORDS[language]["deactivated"])
    expect(rows.filter(has_text=newcomer.home_student_number)).to_contain_text(WORDS[language]["no account"])
    axe_check(page, context="reactivate form")
    _fits_the_phone(page, phone)
    student.refresh_from_db()
    assert not student.is_active  # the page itself changes nothing

    # A blank reason passes the browser's "required" but not the server: nothing changes.
    page.fill("#id_reason", "   ")
    submit(page, "#content form [type=submit]")
    expect(page.locator(".errorlist")).to_have_count(1)
    axe_check(page, context="reactivate form, reason missing")
    student.refresh_from_db()
    assert not student.is_active and not BulkAction.objects.exists()

    reason = "가을 학기 복귀 확인 (전화) / Returns for the fall term, checked by phone"
    page.fill("#id_reason", reason)
    shot(page, f"{name}-form")
    submit(page, "#content form [type=submit]")
    expect(page).to_have_url(f"{base}{CHANGELIST}")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    expect(page.locator("ul.messagelist li.warning")).to_contain_text(newcomer.home_student_number)
    axe_check(page, context="applications after reactivating")
    student.refresh_from_db()
    application.refresh_from_db()
    assert student.is_active and application.status == Status.ISSUED
    assert application.temporary_id == student.temporary_id and application.returning
    action = BulkAction.objects.get(kind="creditexchange.account_reactivate")
    assert (action.actor, action.reason) == (registrar, reason)
    assert action.changes[0]["before"] == {"is_active": False}
    newcomer.refresh_from_db()
    assert newcomer.status == Status.APPROVED and newcomer.temporary_id is None  # left to the usual issuance
    assert BulkAction.objects.filter(kind="creditexchange.account_reactivate").count() == 1
    assert problems == []


@pytest.fixture
def issued(db, partner, registrar):
    """Two applications issued a moment ago: Mina's ID nobody used yet; Joon has already signed in with his."""
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind="application", starts_at=timezone.now() - timedelta(days=3),
                      ends_at=timezone.now() + timedelta(days=30))
    issued = {}
    for name in ("mina", "joon"):
        application = ApplicationFactory(
            term=term, partner=partner, status=Status.APPROVED, email=f"{name}@partner.example",
            confirmed_at=timezone.now(), decided_at=timezone.now(), decided_by=registrar,
        )
        issued[name] = services.temporary_id_issue(application_id=application.pk, actor=registrar)
    User.objects.filter(pk=issued["joon"].temporary_id.user_id).update(last_login=timezone.now())
    return issued


@pytest.mark.browser
@LANGUAGES
def test_the_registrar_revokes_an_id_issued_by_mistake(
    open_page, live_server, problems, shot, registrar, issued, language, phone
):
    from playwright.sync_api import expect

    mina, joon = issued["mina"], issued["joon"]
    student_id, user_id = mina.temporary_id.student_id, mina.temporary_id.user_id
    base, name = live_server.url, f"revoke-id-{language}{'-phone' if phone else ''}"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, registrar)

    page.goto(f"{base}{CHANGELIST}")
    for application in (mina, joon):
        page.check(f"input[name=_selected_action][value='{application.pk}']")
    page.select_option("select[name=action]", "revoke_ids")
    submit(page, "#changelist-form button[name=index]")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("#content")).to_contain_text(student_id)
    expect(page.locator("#content")).to_contain_text(joon.temporary_id.student_id)
    axe_check(page, context="revoke form")
    _fits_the_phone(page, phone)

    page.fill("#id_reason", " ")
    submit(page, "#content form [type=submit]")
    expect(page.locator(".errorlist")).to_have_count(1)
    assert TemporaryStudentId.objects.count() == 2

    # Mina's ID is revoked; Joon's, already used to sign in, is kept and named in a warning.
    reason = "협정 대학이 잘못 입력되었습니다 / The partner university was entered wrongly"
    page.fill("#id_reason", reason)
    shot(page, f"{name}-form")
    submit(page, "#content form [type=submit]")
    expect(page).to_have_url(f"{base}{CHANGELIST}")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    expect(page.locator("ul.messagelist li.warning")).to_have_count(1)
    expect(page.locator("ul.messagelist li.warning")).to_contain_text(joon.home_student_number)
    axe_check(page, context="applications after revoking")
    shot(page, f"{name}-done")
    mina.refresh_from_db()
    assert mina.status == Status.APPROVED and mina.temporary_id is None
    assert not TemporaryStudentId.objects.filter(student_id=student_id).exists()
    assert not User.objects.filter(pk=user_id).exists()
    assert mina.events.order_by("-pk").first().reason == reason
    revoke = BulkAction.objects.get(kind="creditexchange.temporary_id_revoke")
    assert (revoke.actor, revoke.reason, revoke.scope) == (registrar, reason, f"application:{mina.pk}")
    mail = OutgoingMail.objects.get(kind="application_id_revoked")
    assert (mail.to, mail.params["reason"]) == ("mina@partner.example", reason)
    joon.refresh_from_db()
    assert joon.status == Status.ISSUED and User.objects.filter(pk=joon.temporary_id.user_id, is_active=True).exists()
    assert problems == []
