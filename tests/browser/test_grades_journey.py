"""Issue 15 in chromium: the registrar fills a grade sheet and saves it, imports a grades file through its preview and
confirms it, makes the term final; the exchange student reads the grades on "My grades" (ko, en, a 390 px phone).
Every page is checked with axe-core; the database is checked after every form."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ensure_roles
from creditexchange.models import Grade, GradeEvent, TermGrades
from creditexchange.services.grades import grade_set
from tests.browser.conftest import axe_check, log_in, submit

from ..creditexchange.grades_helpers import graded_term, registered
from ..factories import UserFactory

WORDS = {
    "ko": {"saved": "성적 1건을 저장했습니다.", "imported": "성적을 가져왔습니다", "final": "확정되었습니다",
           "not_final": "아직 확정되지 않음", "earned": "신청 학점: 6 · 취득 학점: 3", "none": "아직 입력된 성적이 없습니다"},
    "en": {"saved": "1 grade saved.", "imported": "Grades imported", "final": "are final",
           "not_final": "Not final yet", "earned": "Credits attempted: 6 · earned: 3", "none": "No grades have been entered"},
}


def _registrar(language):
    ensure_roles()
    user = UserFactory(username=f"registrar-{language}", is_staff=True, language=language)
    user.groups.add(Group.objects.get(name="registrar"))
    return user


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_registrar_fills_a_sheet_imports_a_file_and_makes_the_term_final(open_page, live_server, problems, shot, language):
    from playwright.sync_api import expect

    registrar = _registrar(language)
    term = graded_term()
    first = registered(term, code="CSE100")
    second = registered(term, offering=first.offering)
    page = open_page(language=language)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, live_server, registrar)
    name = f"grades-registrar-{language}"

    # 1. From the offering list to the sheet; one grade chosen and saved.
    page.goto(f"{live_server.url}/admin/creditexchange/courseoffering/")
    with page.expect_navigation():
        page.locator(f'a[href$="/grade/sheet/{first.offering_id}/"]').click()
    page.select_option(f"#grade-{first.pk}", "A0")
    axe_check(page, context=f"{name} sheet")
    submit(page, "#save-grades")
    expect(page.locator(".messagelist")).to_contain_text(WORDS[language]["saved"])
    shot(page, f"{name}-sheet")
    assert Grade.objects.get(registration=first).value == "A0"

    # 2. A file with both students: previewed (nothing saved), confirmed.
    page.goto(f"{live_server.url}/admin/creditexchange/grade/import/")
    content = (f"학기,과목코드,분반,임시학번,성적\n2026-fall,CSE100,01,{first.student.username},A+\n"
               f"2026-fall,CSE100,01,{second.student.username},B+\n").encode()
    page.set_input_files("#id_file", files=[{"name": "grades.csv", "mimeType": "text/csv", "buffer": content}])
    submit(page, "#preview-import")
    expect(page.locator("#import-preview")).to_contain_text(second.student.username)
    expect(page.locator("#import-preview")).to_contain_text("A0")
    axe_check(page, context=f"{name} preview")
    shot(page, f"{name}-preview")
    assert Grade.objects.get(registration=first).value == "A0" and not Grade.objects.filter(registration=second).exists()
    submit(page, "#confirm-import")
    expect(page.locator(".messagelist")).to_contain_text(WORDS[language]["imported"])
    assert dict(Grade.objects.values_list("registration_id", "value")) == {first.pk: "A+", second.pk: "B+"}
    assert GradeEvent.objects.filter(source="import").count() == 2

    # 3. The term's page: make final; the sheet is then read-only.
    page.goto(f"{live_server.url}/admin/creditexchange/grade/terms/{term.pk}/")
    axe_check(page, context=f"{name} term")
    submit(page, "#finalize-grades")
    expect(page.locator(".messagelist")).to_contain_text(WORDS[language]["final"])
    assert TermGrades.objects.get(term=term).is_final
    shot(page, f"{name}-final")
    page.goto(f"{live_server.url}/admin/creditexchange/grade/sheet/{first.offering_id}/")
    expect(page.locator("#sheet-final")).to_be_visible()
    assert page.locator("select").count() == 0
    assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True), ("en", True)],
                         ids=["ko", "en", "ko-phone", "en-phone"])
def test_the_student_reads_the_grades_per_term(open_page, live_server, problems, shot, language, phone):
    from playwright.sync_api import expect

    registrar = UserFactory(username="registrar", is_staff=True)
    term = graded_term()
    first = registered(term, code="CSE100")
    student = first.student
    other = registered(term, student=student, code="MAT200")
    grade_set(actor=registrar, registration_id=first.pk, value="A+")
    grade_set(actor=registrar, registration_id=other.pk, value="F")
    later = graded_term(year=2027, season="spring", closed=False)
    registered(later, student=student, code="ART100")
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, live_server, student)
    name = f"grades-student-{language}{'-phone' if phone else ''}"

    page.goto(f"{live_server.url}/")
    if phone:
        page.locator(".navbar-toggler").click()
    with page.expect_navigation():
        page.locator("#nav-grades").click()
    sections = page.locator("section.grade-term")
    expect(sections).to_have_count(2)
    expect(sections.nth(0)).to_contain_text("ART100")  # the newest term first
    expect(sections.nth(0)).to_contain_text(WORDS[language]["none"])
    expect(sections.nth(1)).to_contain_text(WORDS[language]["not_final"])
    expect(sections.nth(1)).to_contain_text(WORDS[language]["earned"])
    expect(sections.nth(1).locator(".gpa")).to_have_text("2.25")
    expect(sections.nth(1)).to_contain_text("A+")
    if phone:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    axe_check(page, context=name)
    shot(page, name)
    assert problems == []
