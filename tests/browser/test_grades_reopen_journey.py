"""Issue 15 in chromium (review h4): the registrar reopens a final term with a reason, corrects a grade and makes it
final again; two tabs of one sheet do not undo each other's grades (ko, en). The database is checked after every form."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ensure_roles
from creditexchange.models import Grade, GradeEvent, TermGrades, TermGradesEvent
from creditexchange.services.grades import grade_set, grades_finalize
from tests.browser.conftest import axe_check, log_in, submit

from ..creditexchange.grades_helpers import graded_term, registered
from ..factories import UserFactory

WORDS = {
    "ko": {"reopened": "성적을 다시 수정할 수 있습니다", "final_state": "성적이 확정되었습니다", "saved": "성적 1건을 저장했습니다.",
           "changed": "시트를 연 뒤에 변경되었습니다"},
    "en": {"reopened": "are open for changes again", "final_state": "The grades are final", "saved": "1 grade saved.",
           "changed": "changed since you opened the sheet"},
}


def _registrar(language):
    ensure_roles()
    user = UserFactory(username=f"registrar-{language}", is_staff=True, language=language)
    user.groups.add(Group.objects.get(name="registrar"))
    return user


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_registrar_reopens_a_final_term_with_a_reason_corrects_a_grade_and_makes_it_final_again(
    open_page, live_server, problems, shot, language
):
    from playwright.sync_api import expect

    registrar = _registrar(language)
    term = graded_term()
    first = registered(term, code="CSE100")
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    grades_finalize(term=term, actor=registrar)
    page = open_page(language=language)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, live_server, registrar)
    name = f"grades-reopen-{language}"

    page.goto(f"{live_server.url}/admin/creditexchange/grade/terms/{term.pk}/")
    expect(page.locator("#term-state")).to_contain_text(WORDS[language]["final_state"])
    # An empty reason: the browser keeps the form (the field is required) and nothing is reopened.
    page.locator("#reopen-grades").click()
    assert page.locator("#id_reason").evaluate("(el) => el.validity.valueMissing")
    assert TermGrades.objects.get(term=term).is_final
    page.fill("#id_reason", "Correction: CSE100 paper re-marked")
    axe_check(page, context=f"{name} term")
    submit(page, "#reopen-grades")
    expect(page.locator(".messagelist")).to_contain_text(WORDS[language]["reopened"])
    shot(page, f"{name}-reopened")
    lock = TermGrades.objects.get(term=term)
    assert not lock.is_final
    event = TermGradesEvent.objects.filter(term_grades=lock).latest("created_at")
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "final", "open", registrar, "Correction: CSE100 paper re-marked")

    # The sheet is editable again: the correction is saved with its reason.
    page.goto(f"{live_server.url}/admin/creditexchange/grade/sheet/{first.offering_id}/")
    page.select_option(f"#grade-{first.pk}", "A0")
    page.fill("#grade-reason", "re-marked")
    submit(page, "#save-grades")
    expect(page.locator(".messagelist")).to_contain_text(WORDS[language]["saved"])
    assert Grade.objects.get(registration=first).value == "A0"
    assert GradeEvent.objects.filter(grade__registration=first).latest("created_at").reason == "re-marked"

    # Final again.
    page.goto(f"{live_server.url}/admin/creditexchange/grade/terms/{term.pk}/")
    submit(page, "#finalize-grades")
    assert TermGrades.objects.get(term=term).is_final
    assert TermGradesEvent.objects.filter(term_grades=lock).count() == 3
    assert problems == []


@pytest.mark.browser
@pytest.mark.parametrize("language", ["ko", "en"])
def test_two_tabs_of_one_sheet_save_only_what_each_changed(open_page, live_server, problems, shot, language):
    from playwright.sync_api import expect

    registrar = _registrar(language)
    term = graded_term()
    first = registered(term, code="CSE100")
    second = registered(term, offering=first.offering)
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    page = open_page(language=language)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, live_server, registrar)
    sheet = f"{live_server.url}/admin/creditexchange/grade/sheet/{first.offering_id}/"
    page.goto(sheet)
    other = page.context.new_page()
    other.goto(sheet)

    # Tab 2 corrects the first student's grade; tab 1, opened before, enters the second student's only.
    other.select_option(f"#grade-{first.pk}", "A+")
    submit(other, "#save-grades")
    page.select_option(f"#grade-{second.pk}", "P")
    submit(page, "#save-grades")
    expect(page.locator(".messagelist")).to_contain_text(WORDS[language]["saved"])
    assert dict(Grade.objects.values_list("registration_id", "value")) == {first.pk: "A+", second.pk: "P"}

    # Tab 1 is reloaded, tab 2 (stale now) changes the second student's grade: refused, and the row says why.
    other.select_option(f"#grade-{second.pk}", "NP")
    submit(other, "#save-grades")
    expect(other.locator(f"#row-{second.pk} .errornote")).to_contain_text(WORDS[language]["changed"])
    shot(other, f"grades-two-tabs-{language}")
    assert Grade.objects.get(registration=second).value == "P"
    assert problems == []
