"""The staff grade pages (sheet, import, lock) and the student's grade page: permissions, attacks, rendering."""

import base64

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from core.models import BulkAction
from creditexchange.models import CourseRegistration, Grade, GradeEvent, TermGrades
from creditexchange.services.grades import grade_set, grades_finalize

from ..factories import CourseOfferingFactory, UserFactory
from .grades_helpers import graded_term, registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def term():
    return graded_term()


@pytest.fixture
def registration(term):
    return registered(term, code="CSE100")


def _sheet(offering):
    return reverse("admin:creditexchange_grade_sheet", args=[offering.pk])


def _staff(*perms):
    user = UserFactory(is_staff=True)
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="creditexchange"))
    return user


def test_the_sheet_lists_the_registered_students_and_saves_a_grade(registrar_client, registrar, term, registration):
    dropped = registered(term, offering=registration.offering, status=CourseRegistration.Status.DROPPED)
    page = registrar_client.get(_sheet(registration.offering), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert registration.student.username in page.content.decode() and dropped.student.username not in page.content.decode()
    assert registration.student.temporary_id.partner.name_en in page.content.decode()

    response = registrar_client.post(_sheet(registration.offering), {f"grade-{registration.pk}": "A+", "reason": ""})

    assert response.status_code == 302
    grade = Grade.objects.get(registration=registration)
    assert grade.value == "A+" and grade.entered_by == registrar
    assert "A+" in registrar_client.get(_sheet(registration.offering)).content.decode()


def test_the_sheet_ignores_crafted_rows_of_other_offerings_and_dropped_registrations(registrar_client, term, registration):
    other = registered(term, code="MAT200")
    dropped = registered(term, offering=registration.offering, status=CourseRegistration.Status.DROPPED)
    registrar_client.post(_sheet(registration.offering), {f"grade-{other.pk}": "A+", f"grade-{dropped.pk}": "A+",
                                                          "grade-999999": "A+", "grade-x": "A+"})
    assert not Grade.objects.exists()


def test_the_sheet_shows_a_bad_value_as_a_row_error(registrar_client, registration):
    response = registrar_client.post(_sheet(registration.offering), {f"grade-{registration.pk}": "Z"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "is not a grade" in response.content.decode()
    assert not Grade.objects.exists()


def test_the_sheet_is_read_only_once_final_and_a_post_changes_nothing(registrar_client, registrar, term, registration):
    grade_set(actor=registrar, registration_id=registration.pk, value="B0")
    grades_finalize(term=term, actor=registrar)
    page = registrar_client.get(_sheet(registration.offering), HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="sheet-final"' in page.content.decode() and "<select" not in page.content.decode()
    registrar_client.post(_sheet(registration.offering), {f"grade-{registration.pk}": "A+"})
    assert Grade.objects.get().value == "B0"


def test_the_sheet_says_when_the_change_window_is_still_open(registrar_client):
    term = graded_term(year=2027, season="spring", closed=False)
    registration = registered(term)
    page = registrar_client.get(_sheet(registration.offering), HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="sheet-closed"' in page.content.decode()
    registrar_client.post(_sheet(registration.offering), {f"grade-{registration.pk}": "A+"})
    assert not Grade.objects.exists()


@pytest.mark.parametrize("perms", [(), ("view_grade",), ("add_grade",), ("change_grade",)])
def test_staff_without_add_and_change_grade_get_403_on_sheet_and_import(client, registration, perms):
    client.force_login(_staff(*perms))
    assert client.get(_sheet(registration.offering)).status_code == 403
    assert client.post(_sheet(registration.offering), {f"grade-{registration.pk}": "A+"}).status_code == 403
    assert client.get(reverse("admin:creditexchange_grade_import")).status_code == 403
    assert not Grade.objects.exists()


def test_a_student_cannot_open_the_sheet(client, registration):
    client.force_login(registration.student)
    response = client.get(_sheet(registration.offering))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_crafted_ids_are_404(registrar_client):
    assert registrar_client.get(reverse("admin:creditexchange_grade_sheet", args=[987654])).status_code == 404
    assert registrar_client.get(reverse("admin:creditexchange_grade_term", args=[987654])).status_code == 404
    assert registrar_client.post(reverse("admin:creditexchange_grade_finalize", args=[987654])).status_code == 404
    assert registrar_client.get(reverse("admin:creditexchange_grade_import_undo", args=[987654])).status_code == 404


def test_the_offering_list_links_to_the_sheet(registrar_client, registration):
    page = registrar_client.get(reverse("admin:creditexchange_courseoffering_changelist"))
    assert _sheet(registration.offering) in page.content.decode()


def _csv(*rows):
    return ("term,code,section,student_id,grade\n" + "\n".join(rows) + "\n").encode()


def test_import_preview_then_confirm(registrar_client, registration):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:creditexchange_grade_import")
    content = _csv(f"2026-fall,CSE100,01,{registration.student.username},A0")
    preview = registrar_client.post(url, {"file": SimpleUploadedFile("g.csv", content)}, HTTP_ACCEPT_LANGUAGE="en")
    assert preview.status_code == 200 and 'id="import-preview"' in preview.content.decode()
    assert not Grade.objects.exists()
    fingerprint = preview.context["report"].fingerprint

    done = registrar_client.post(url, {"confirm": "1", "content": base64.b64encode(content).decode(), "filename": "g.csv",
                                      "fingerprint": fingerprint})
    assert done.status_code == 302
    assert Grade.objects.get().value == "A0"
    action = BulkAction.objects.get(kind="creditexchange.grades_import")
    undo = reverse("admin:creditexchange_grade_import_undo", args=[action.pk])
    assert registrar_client.get(undo).status_code == 200
    assert registrar_client.post(undo, {"reason": "wrong file"}).status_code == 302
    assert not Grade.objects.exists()


def test_import_confirm_with_an_edited_file_is_stale_and_changes_nothing(registrar_client, registration):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("admin:creditexchange_grade_import")
    content = _csv(f"2026-fall,CSE100,01,{registration.student.username},A0")
    preview = registrar_client.post(url, {"file": SimpleUploadedFile("g.csv", content)})
    edited = _csv(f"2026-fall,CSE100,01,{registration.student.username},F")
    response = registrar_client.post(url, {"confirm": "1", "content": base64.b64encode(edited).decode(), "filename": "g.csv",
                                           "fingerprint": preview.context["report"].fingerprint}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and not Grade.objects.exists()
    assert "changed since the preview" in response.content.decode()


@pytest.mark.parametrize("data", [
    {"confirm": "1", "content": "!!notbase64", "filename": "g.csv", "fingerprint": "x"},
    {"confirm": "1", "content": "", "filename": "", "fingerprint": ""},
    {"confirm": "1", "content": base64.b64encode(b"x").decode(), "filename": "evil.exe", "fingerprint": "x"},
    {"confirm": "1", "content": base64.b64encode(b"\x00\xff garbage").decode(), "filename": "g.xlsx", "fingerprint": "x"},
])
def test_import_crafted_confirm_posts_are_refused_without_a_500(registrar_client, registration, data):
    response = registrar_client.post(reverse("admin:creditexchange_grade_import"), data)
    assert response.status_code == 200 and not Grade.objects.exists()


def test_finalize_and_reopen_pages_need_the_permission(client, registrar, term, registration):
    grade_set(actor=registrar, registration_id=registration.pk, value="A0")
    client.force_login(_staff("add_grade", "change_grade"))
    assert client.post(reverse("admin:creditexchange_grade_finalize", args=[term.pk])).status_code == 403
    assert client.post(reverse("admin:creditexchange_grade_reopen", args=[term.pk]), {"reason": "x"}).status_code == 403
    assert not TermGrades.objects.filter(status="final").exists()
    client.force_login(_staff("view_grade"))
    assert client.get(reverse("admin:creditexchange_grade_term", args=[term.pk])).status_code == 403


def test_finalize_refused_with_missing_grades_then_final_then_reopen_with_reason(registrar_client, registrar, term, registration):
    finalize = reverse("admin:creditexchange_grade_finalize", args=[term.pk])
    page = registrar_client.post(finalize, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "have no grade yet" in page.content.decode() or "has no grade yet" in page.content.decode()
    assert not TermGrades.objects.filter(status="final").exists()
    grade_set(actor=registrar, registration_id=registration.pk, value="A0")
    registrar_client.post(finalize)
    assert TermGrades.objects.get(term=term).is_final
    reopen = reverse("admin:creditexchange_grade_reopen", args=[term.pk])
    assert registrar_client.post(reopen, {"reason": ""}).status_code == 200
    assert TermGrades.objects.get(term=term).is_final
    registrar_client.post(reopen, {"reason": "typo in CSE100"})
    assert not TermGrades.objects.get(term=term).is_final


def test_the_term_page_shows_progress_per_offering(registrar_client, term, registration):
    page = registrar_client.get(reverse("admin:creditexchange_grade_term", args=[term.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "CSE100-01" in page.content.decode() and 'id="finalize-grades"' in page.content.decode()
    assert registrar_client.get(reverse("admin:creditexchange_grade_terms")).status_code == 200


# --- the student's page -------------------------------------------------------------------------------------------

def test_the_student_sees_own_grades_per_term_with_credits_and_gpa(client, registrar, term, registration):
    other_course = registered(term, student=registration.student, code="MAT200")
    grade_set(actor=registrar, registration_id=registration.pk, value="A+")
    grade_set(actor=registrar, registration_id=other_course.pk, value="F")
    stranger = registered(term, offering=registration.offering)
    grade_set(actor=registrar, registration_id=stranger.pk, value="D0")
    client.force_login(registration.student)

    page = client.get(reverse("creditexchange:my_grades"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "CSE100-01" in page and "MAT200-01" in page and "A+" in page and "4.5" in page
    assert "Credits attempted: 6 · earned: 3" in page and "2.25" in page
    assert "D0" not in page and "Not final yet" in page


def test_a_term_without_grades_says_so_and_final_terms_say_final(client, registrar, term, registration):
    client.force_login(registration.student)
    page = client.get(reverse("creditexchange:my_grades"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No grades have been entered for this term yet." in page
    grade_set(actor=registrar, registration_id=registration.pk, value="P")
    grades_finalize(term=term, actor=registrar)
    page = client.get(reverse("creditexchange:my_grades"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Not final yet" not in page and "Final" in page


def test_the_grade_page_needs_a_log_in_and_the_nav_links_it_for_exchange_students(client, registration):
    assert client.get(reverse("creditexchange:my_grades")).status_code == 302
    client.force_login(registration.student)
    assert 'id="nav-grades"' in client.get(reverse("creditexchange:my_grades")).content.decode()


def test_a_dropped_course_is_not_on_the_grade_page(client, term, registration):
    registered(term, student=registration.student, offering=CourseOfferingFactory(term=term, code="ZZZ900"),
               status=CourseRegistration.Status.DROPPED)
    client.force_login(registration.student)
    assert "ZZZ900" not in client.get(reverse("creditexchange:my_grades")).content.decode()
    assert GradeEvent.objects.count() == 0


def test_not_recommended_shows_the_no_credit_mark_and_the_same_words_as_my_registrations(client, registrar, term, registration):
    from creditexchange.models import Recommendation, TemporaryIdApplication

    from ..factories import RecommendationFactory

    grade_set(actor=registrar, registration_id=registration.pk, value="A0")
    application = TemporaryIdApplication.objects.get(temporary_id__user=registration.student, term=term)
    RecommendationFactory(application=application, decision=Recommendation.Decision.NOT_RECOMMENDED)
    client.force_login(registration.student)
    page = client.get(reverse("creditexchange:my_grades"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "no-credit-mark" in page and "did not recommend you for credit exchange this term" in page
    assert "Credits attempted: 3 · earned: 0" in page


def test_the_term_grades_actions_lead_to_the_term_page_and_the_offering_column_needs_the_permission(
    client, registrar_client, registrar, term, registration
):
    grade_set(actor=registrar, registration_id=registration.pk, value="A0")
    lock = TermGrades.objects.get(term=term)
    response = registrar_client.post(reverse("admin:creditexchange_termgrades_changelist"),
                                     {"action": "make_final", "_selected_action": [lock.pk]})
    assert response.status_code == 302 and response["Location"] == reverse("admin:creditexchange_grade_term", args=[term.pk])
    assert not TermGrades.objects.get(term=term).is_final  # the page confirms; the action alone changes nothing
    viewer = _staff("view_courseoffering", "view_termgrades")
    client.force_login(viewer)
    assert _sheet(registration.offering) not in client.get(reverse("admin:creditexchange_courseoffering_changelist")).content.decode()
    response = client.post(reverse("admin:creditexchange_termgrades_changelist"), {"action": "make_final", "_selected_action": [lock.pk]})
    assert not TermGrades.objects.get(term=term).is_final and response.status_code in (200, 302)


def test_import_refuses_a_file_too_large_to_confirm_and_a_file_of_another_type(registrar_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from creditexchange.admin_grades import MAX_UPLOAD

    url = reverse("admin:creditexchange_grade_import")
    big = registrar_client.post(url, {"file": SimpleUploadedFile("g.csv", b"x" * (MAX_UPLOAD + 1))}, HTTP_ACCEPT_LANGUAGE="en")
    assert "at most 1.5 MB" in big.content.decode()
    other = registrar_client.post(url, {"file": SimpleUploadedFile("g.pdf", b"%PDF")}, HTTP_ACCEPT_LANGUAGE="en")
    assert "Upload a .csv or .xlsx file." in other.content.decode()
    assert not Grade.objects.exists()
    # The largest file the form takes still fits in a confirmation post (base64 under Django's 2.5 MB cap).
    assert len(base64.b64encode(b"x" * MAX_UPLOAD)) < 2.5 * 1024 * 1024
