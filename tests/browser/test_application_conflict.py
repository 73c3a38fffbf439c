"""Finding 3 in a real browser: someone applies first with a student's number; the student applies in another
browser and is told plainly that the application is kept and checked; the registrar resolves the conflict in the
admin (choose, preview, confirm) and the database holds exactly that outcome."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone

from academics.models import TermWindow
from accounts.roles import ensure_roles
from creditexchange.models import ApplicationConflict, TemporaryIdApplication
from tests.browser.conftest import submit

from ..factories import InstitutionFactory, TermFactory, TermWindowFactory, UserFactory

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
Status = TemporaryIdApplication.Status
CASES = [("ko", False), ("en", False), ("ko", True), ("en", True)]
IDS = ["ko", "en", "ko-phone", "en-phone"]
WORDS = {
    "ko": {"kept": "신청을 접수했습니다.", "checks": "학사지원팀이 두 신청을 모두 확인한 뒤 결과를 이메일로 알려 드립니다.",
           "no_id": "그때까지 이 학번으로는 임시학번을 발급할 수 없습니다.", "sent": "확인 메일을 보냈습니다",
           "resolved": "충돌을 해결했습니다", "version": "개인정보 처리 안내 버전"},
    "en": {"kept": "We kept your application.",
           "checks": "The registrar's office checks both applications and will tell you the result by e-mail.",
           "no_id": "No temporary student ID can be issued for this student number until then.",
           "sent": "We sent a confirmation mail", "resolved": "The conflict is resolved", "version": "Privacy notice version"},
}
SQUATTER = {"number": "hb-2024-77", "name": "MALLORY", "birth": "1999-09-09", "email": "mallory@evil.example"}
STUDENT = {"number": " HB-2024-77 ", "name": "KIM HANEUL", "birth": "2004-04-04", "email": "haneul@hanbit.example"}


def _scene():
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.APPLICATION, starts_at=timezone.now() - timedelta(days=3),
                      ends_at=timezone.now() + timedelta(days=30))
    partner = InstitutionFactory(code="hanbit", name_ko="한빛대학교", name_en="Hanbit University")
    ensure_roles()
    registrar = UserFactory(username="registrar", is_staff=True, email="registrar@ust.example")
    registrar.groups.add(Group.objects.get(name="registrar"))
    return term, partner, registrar


def _apply(page, base_url, partner, person, words, shot=None) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/credit-exchange/apply/")
    expect(page.locator("#privacy-notice-version")).to_contain_text(words["version"])
    page.select_option("#id_partner", str(partner.pk))
    page.fill("#id_home_student_number", person["number"])
    page.fill("#id_date_of_birth", person["birth"])
    page.fill("#id_name_latin", person["name"])
    page.fill("#id_email", person["email"])
    page.fill("#id_phone", "010-2222-3333")
    page.fill("#id_home_department", "Computer Science")
    page.select_option("#id_degree_level", "bachelor")
    page.check("#id_consent")
    if shot is not None:
        shot(page)
    submit(page, "#application-submit")


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), CASES, ids=IDS)
def test_a_squatted_number_is_kept_explained_and_resolved_by_staff_in_the_admin(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    term, partner, registrar = _scene()
    words, name = WORDS[language], f"application-conflict-{IDS[CASES.index((language, phone))]}"

    # 1. Someone who knows the number applies first, in their own browser: a normal application.
    squatter_page = open_page(language=language, phone=phone)
    _apply(squatter_page, live_server.url, partner, SQUATTER, words)
    expect(squatter_page.locator("main")).to_contain_text(words["sent"])
    expect(squatter_page.locator("#conflict-next-steps")).to_have_count(0)

    # 2. The real student applies in another browser, the number typed with other case and spaces.
    student_page = open_page(language=language, phone=phone)
    _apply(student_page, live_server.url, partner, STUDENT, words, shot=lambda page: shot(page, f"{name}-form"))
    notice = student_page.locator("#conflict-next-steps")
    expect(notice).to_contain_text(words["kept"])
    expect(notice).to_contain_text(words["checks"])
    expect(notice).to_contain_text(words["no_id"])
    shot(student_page, f"{name}-next-steps")

    squatter = TemporaryIdApplication.objects.get(email=SQUATTER["email"])
    student = TemporaryIdApplication.objects.get(email=STUDENT["email"])
    assert student.home_student_number == "HB-2024-77" and student.number_key == squatter.number_key == "HB-2024-77"
    conflict = ApplicationConflict.objects.get()
    assert conflict.is_open and set(conflict.applications.all()) == {squatter, student}
    assert student.consent_version and student.consent_at
    assert {m.to[0] for m in mail.outbox} >= {SQUATTER["email"], STUDENT["email"]}

    # 3. The registrar signs in to the admin, finds both flagged, and resolves the conflict: choose, preview, confirm.
    staff = open_page(language=language, phone=False)
    staff.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    staff.goto(f"{live_server.url}/admin/login/?next=/admin/creditexchange/temporaryidapplication/%3Fconflict%3Dopen")
    staff.fill("#id_username", "registrar")
    staff.fill("#id_password", PASSWORD)
    submit(staff, "#login-form input[type=submit]")
    expect(staff.locator("#result_list tbody tr")).to_have_count(2)
    staff.goto(f"{live_server.url}/admin/creditexchange/applicationconflict/{conflict.pk}/change/")
    with staff.expect_navigation():
        staff.locator("#resolve-conflict").click()
    staff.check(f"input[name=keep][value='{student.pk}']")
    staff.fill("#id_reason", "The partner confirmed the student's address.")
    submit(staff, "#preview-resolution")
    expect(staff.locator("#resolution-preview")).to_contain_text(SQUATTER["email"])
    shot(staff, f"{name}-preview")
    assert ApplicationConflict.objects.get().is_open  # the preview changed nothing
    submit(staff, "#confirm-resolution")
    expect(staff.locator(".messagelist")).to_contain_text(words["resolved"])

    conflict.refresh_from_db()
    squatter.refresh_from_db()
    student.refresh_from_db()
    assert not conflict.is_open and conflict.kept == student and conflict.resolved_by == registrar
    assert squatter.status == Status.REJECTED and squatter.rejection_reason == "The partner confirmed the student's address."
    assert student.status == Status.SUBMITTED
    assert mail.outbox[-1].to == [SQUATTER["email"]]
    assert problems == []
