"""Review of the grades work (issue 15, helper h4): what an attacker or a registrar office would find."""

import pytest
from django.test import Client
from django.urls import reverse

from creditexchange.models import Grade, GradeEvent
from creditexchange.services.grades import grade_set

from ..factories import CourseOfferingFactory, UserFactory
from .grades_helpers import graded_term, registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def term():
    return graded_term()


def _sheet(offering):
    return reverse("admin:creditexchange_grade_sheet", args=[offering.pk])


# --- finding 1: a sheet opened before another registrar's change overwrites it -------------------------------------

def test_a_stale_sheet_does_not_overwrite_a_grade_another_registrar_changed_meanwhile(registrar_client, registrar, term):
    """Two tabs (or two registrars): both open the sheet while A has B0 and B has nothing; the other one sets A to
    A+; this tab then enters only B's grade. A keeps A+ (the tab never touched A's select), B gets its grade."""
    first = registered(term, code="CSE100")
    second = registered(term, offering=first.offering)
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    page = registrar_client.get(_sheet(first.offering)).content.decode()
    assert f'name="was-{first.pk}" value="B0"' in page  # the sheet carries what it showed

    colleague = UserFactory(is_staff=True)
    grade_set(actor=colleague, registration_id=first.pk, value="A+")
    # what the stale tab posts: every select as it was shown, plus the one the registrar changed
    response = registrar_client.post(_sheet(first.offering), {
        f"grade-{first.pk}": "B0", f"was-{first.pk}": "B0", f"grade-{second.pk}": "P", f"was-{second.pk}": "",
    })

    assert response.status_code == 302
    assert Grade.objects.get(registration=first).value == "A+"
    assert Grade.objects.get(registration=second).value == "P"
    assert GradeEvent.objects.filter(grade__registration=first).count() == 2


def test_a_stale_sheet_that_changes_the_same_grade_is_refused_and_says_so(registrar_client, registrar, term):
    first = registered(term, code="CSE100")
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    colleague = UserFactory(is_staff=True, username="colleague")
    grade_set(actor=colleague, registration_id=first.pk, value="A+")

    response = registrar_client.post(_sheet(first.offering), {f"grade-{first.pk}": "C0", f"was-{first.pk}": "B0"},
                                     HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "changed since you opened the sheet" in response.content.decode()
    assert Grade.objects.get(registration=first).value == "A+"
    ko = Client()
    ko.force_login(registrar)
    page = ko.post(_sheet(first.offering), {f"grade-{first.pk}": "C0", f"was-{first.pk}": "B0"},
                   HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "시트를 연 뒤" in page


# --- finding 2: undo after an edit-and-back deletes a grade's trail ------------------------------------------------

def test_undo_refuses_a_grade_changed_and_changed_back_since_the_import_and_keeps_its_trail(registrar, term):
    """Sheet A0 → C0 → A0 after the import: the value is the imported one again, but the grade has a history since
    then; undoing would delete that history (a first entry is deleted with its events) or hide it."""
    from django.utils.translation import override

    from core.errors import DomainError
    from core.models import BulkAction
    from creditexchange.services.grades import grades_import, grades_import_undo

    first = registered(term, code="CSE100")
    content = f"term,code,section,student_id,grade\n2026-fall,CSE100,01,{first.student.username},A0\n".encode()
    report = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=False)
    grade_set(actor=registrar, registration_id=first.pk, value="C0", reason="typo")
    grade_set(actor=registrar, registration_id=first.pk, value="A0", reason="typo fixed")

    with override("en"), pytest.raises(DomainError, match="changed since the import"):
        grades_import_undo(action=BulkAction.objects.get(pk=report.bulk_action_id), actor=registrar, reason="wrong file")

    assert Grade.objects.get(registration=first).value == "A0"
    assert GradeEvent.objects.filter(grade__registration=first).count() == 3


# --- finding 3: the student's grade page runs queries per term (N+1) ----------------------------------------------

def _student_with_terms(registrar, count, first_year):
    """One exchange student with a graded course in ``count`` terms, a not-recommended answer in every other one."""
    from creditexchange.models import Recommendation, TemporaryIdApplication

    from ..factories import ApplicationFactory, RecommendationFactory

    student = None
    for index in range(count):
        term = graded_term(year=first_year + index, season="fall")
        if student is None:
            registration = registered(term)
            student = registration.student
        else:
            ApplicationFactory(term=term, partner=student.temporary_id.partner,
                               home_student_number=student.temporary_id.home_student_number,
                               status=TemporaryIdApplication.Status.ISSUED, temporary_id=student.temporary_id)
            registration = registered(term, student=student)
        registered(term, student=student)  # a second course, no grade yet
        grade_set(actor=registrar, registration_id=registration.pk, value="A0")
        if index % 2:
            application = TemporaryIdApplication.objects.get(temporary_id__user=student, term=term)
            RecommendationFactory(application=application, decision=Recommendation.Decision.NOT_RECOMMENDED)
    return student


def _page_queries(student):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(student)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("creditexchange:my_grades"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    return len(queries), page.content.decode()


def test_the_student_grade_page_needs_the_same_queries_for_two_terms_as_for_eight(registrar):
    few, _page = _page_queries(_student_with_terms(registrar, 2, 2000))
    many, page = _page_queries(_student_with_terms(registrar, 8, 2010))
    assert page.count('class="mb-4 grade-term"') == 8
    assert page.count("did not recommend you for credit exchange this term") == 4
    assert many == few and many <= 15


# --- findings 4-6: the import's file: a huge cell, a huge file, duplicate columns ------------------------------

def _upload(client, content, name="g.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("admin:creditexchange_grade_import"), {"file": SimpleUploadedFile(name, content)},
                       HTTP_ACCEPT_LANGUAGE="en")


def test_a_cell_larger_than_the_csv_field_limit_is_a_message_not_a_500(registrar_client, term):
    content = b"term,code,section,student_id,grade\n2026-fall,CSE100,01,s1," + b"A" * 200_000 + b"\n"
    response = _upload(registrar_client, content)
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()
    assert not Grade.objects.exists()


def test_a_file_with_more_rows_than_a_term_has_grades_is_refused_before_any_row_is_checked(registrar_client, term):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from creditexchange.services.grades import MAX_ROWS

    rows = "".join(f"2026-fall,CSE{n % 900:03d},01,s{n},A0\n" for n in range(MAX_ROWS + 1))
    content = ("term,code,section,student_id,grade\n" + rows).encode()
    with CaptureQueriesContext(connection) as queries:
        response = _upload(registrar_client, content)
    assert response.status_code == 200
    assert f"at most {MAX_ROWS:,}".replace(",", "") in response.content.decode().replace(",", "")
    assert len(queries) < 40  # no query per row
    assert not Grade.objects.exists()


def test_an_xlsx_bomb_of_a_million_rows_stops_reading_at_the_cap(monkeypatch):
    """1.5 MB of XLSX holds far more than a million rows: the reader stops after the cap + 1 instead of loading all."""
    import openpyxl

    from core.errors import DomainError
    from core.imports import read_rows

    class Sheet:
        read = 0

        def iter_rows(self, values_only=True):
            yield ("term", "code", "section", "student_id", "grade")
            for n in range(10**6):
                Sheet.read += 1
                yield ("2026-fall", "CSE100", "01", f"s{n}", "A0")

    class Book:
        active = Sheet()

    monkeypatch.setattr(openpyxl, "load_workbook", lambda *args, **kwargs: Book())
    with pytest.raises(DomainError, match="at most 100 rows"):
        read_rows(content=b"PK", filename="bomb.xlsx", columns=["term"], max_rows=100)
    assert Sheet.read <= 101
    assert len(read_rows(content=b"a,b\n1,2\n", filename="x.csv", columns=["a"], max_rows=1)) == 1


def test_a_column_given_twice_is_refused_not_silently_the_last_one(registrar_client, term):
    first = registered(term, code="CSE100")
    content = (f"term,code,section,student_id,grade,성적\n2026-fall,CSE100,01,{first.student.username},A0,F\n").encode()
    response = _upload(registrar_client, content)
    assert "more than once" in response.content.decode() and "grade" in response.content.decode()
    assert not Grade.objects.exists()


# --- finding 7 (fix outside the grades files): a staff drop after the grades are final changes the transcript -----

def test_staff_cannot_drop_a_graded_registration_once_the_term_is_final(registrar, term):
    from core.errors import DomainError
    from creditexchange.models import CourseOffering, CourseRegistration
    from creditexchange.selectors_grades import transcript_lines
    from creditexchange.services import registration_drop
    from creditexchange.services.grades import grades_finalize

    first = registered(term, code="CSE100")
    CourseOffering.objects.filter(pk=first.offering_id).update(seats_taken=1)  # the factory does not count the seat
    grade_set(actor=registrar, registration_id=first.pk, value="A+")
    grades_finalize(term=term, actor=registrar)
    before = transcript_lines(student=first.student, term=term)

    with pytest.raises(DomainError):
        registration_drop(student=first.student, registration_id=first.pk, actor=registrar, reason="late drop")

    assert CourseRegistration.objects.get(pk=first.pk).status == CourseRegistration.Status.REGISTERED
    assert transcript_lines(student=first.student, term=term) == before


def test_a_graded_registration_is_not_dropped_even_before_the_grades_are_final(registrar, term):
    from core.errors import InvalidTransition
    from creditexchange.models import CourseRegistration
    from creditexchange.services import registration_drop

    first = registered(term, code="CSE100")
    grade_set(actor=registrar, registration_id=first.pk, value="B0")

    with pytest.raises(InvalidTransition) as refused:
        registration_drop(student=first.student, registration_id=first.pk, actor=registrar, reason="late drop")

    assert "W" in refused.value.message
    assert CourseRegistration.objects.get(pk=first.pk).status == CourseRegistration.Status.REGISTERED


def test_staff_cannot_register_a_student_once_the_grades_are_final(registrar, term):
    from core.errors import InvalidTransition
    from creditexchange.models import CourseRegistration
    from creditexchange.services import registration_submit
    from creditexchange.services.grades import grades_finalize

    first = registered(term, code="CSE100")
    grade_set(actor=registrar, registration_id=first.pk, value="A+")
    grades_finalize(term=term, actor=registrar)
    other = CourseOfferingFactory(term=term, code="MAT200")

    with pytest.raises(InvalidTransition) as refused:
        registration_submit(student=first.student, offering_id=other.pk, actor=registrar, reason="late add")

    assert "final" in refused.value.message
    assert not CourseRegistration.objects.filter(offering=other).exists()


# --- finding 8: the import checks each row with its own queries (10,000 rows: 20,000+ queries, twice) -------------

def _import_queries(registrar, term, count, code):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from creditexchange.services.grades import grades_import

    first = registered(term, code=code)
    rows = [first] + [registered(term, offering=first.offering) for _ in range(count - 1)]
    content = "term,code,section,student_id,grade\n" + "".join(
        f"2026-fall,{code},01,{r.student.username},A0\n" for r in rows) + "2026-fall,NOPE1,01,nobody,A0\n"
    with CaptureQueriesContext(connection) as queries:
        report = grades_import(content=content.encode(), filename="g.csv", actor=registrar, dry_run=True)
    assert len(report.errors) == 1  # the unknown course, and only it
    return len(queries)


def test_the_import_checks_its_rows_in_a_fixed_number_of_queries(registrar, term):
    few = _import_queries(registrar, term, 3, "CSE100")
    many = _import_queries(registrar, term, 30, "CSE200")
    assert many == few and many <= 12


# --- finding 9: a confirmation the form refuses (damaged, too long a name) says nothing ---------------------------

def test_a_damaged_confirmation_says_so_instead_of_showing_the_upload_form_silently(registrar_client, term):
    url = reverse("admin:creditexchange_grade_import")
    response = registrar_client.post(url, {"confirm": "1", "content": "%%%not-base64", "filename": "g.csv",
                                           "fingerprint": "x" * 64}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "The preview is damaged; upload the file again." in response.content.decode()
    assert not Grade.objects.exists()


def test_a_file_with_a_long_name_can_be_previewed_and_confirmed(registrar_client, term):
    import re

    first = registered(term, code="CSE100")
    name = "성적" * 110 + ".csv"  # 224 characters: a long Korean name the upload takes
    content = f"term,code,section,student_id,grade\n2026-fall,CSE100,01,{first.student.username},A0\n".encode()
    preview = _upload(registrar_client, content, name=name).content.decode()
    fields = dict(re.findall(r'name="(content|filename|fingerprint)" value="([^"]*)"', preview))
    assert set(fields) == {"content", "filename", "fingerprint"}
    response = registrar_client.post(reverse("admin:creditexchange_grade_import"), {"confirm": "1", **fields})
    assert response.status_code == 302
    assert Grade.objects.get(registration=first).value == "A0"


# --- crafted ids on every grade page: 404, never a 500 -----------------------------------------------------------

@pytest.mark.parametrize("number", ["99999999999999999999", "9223372036854775808", "2147483648", "0"])
def test_huge_and_zero_ids_on_every_grade_page_are_404(registrar_client, number):
    for name in ("sheet", "term", "finalize", "reopen", "import_undo"):
        url = reverse(f"admin:creditexchange_grade_{name}", args=[1]).replace("/1/", f"/{number}/")
        assert registrar_client.get(url).status_code in (404, 302), url
        assert registrar_client.post(url, {"reason": "x"}).status_code in (404, 302), url


# --- finding 10: terms as a Korean registrar writes them ---------------------------------------------------------

@pytest.mark.parametrize("text", ["2026년 2학기", "2026년 가을", "2026년 2학기 ", "2026 2학기", "2026-2", "2026 Fall"])
def test_the_import_reads_the_term_as_a_korean_registrar_writes_it(term, text):
    from creditexchange.services.grades import term_parse

    assert term_parse(text) == term


# --- finding 11: a stale sheet posted after the term was made final saves nothing and says nothing ------------------

def test_a_sheet_posted_after_the_term_was_made_final_says_nothing_was_saved(registrar_client, registrar, term):
    from creditexchange.services.grades import grades_finalize

    first = registered(term, code="CSE100")
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    grades_finalize(term=term, actor=registrar)
    response = registrar_client.post(_sheet(first.offering), {f"grade-{first.pk}": "A+", f"was-{first.pk}": "B0"},
                                     HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "nothing was saved" in response.content.decode().lower()
    assert Grade.objects.get(registration=first).value == "B0"


def test_an_xlsx_formatted_down_to_excels_last_row_is_read_and_blank_rows_do_not_count():
    """Excel sheets often carry formatting down to row 1,048,576: those empty rows are neither data nor the cap."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    from core.imports import read_rows

    book = Workbook()
    book.active.append(["term", "code", "section", "student_id", "grade"])
    book.active.append(["2026-fall", "CSE100", "01", "s1", "A0"])
    book.active.cell(row=40, column=1, value="2026-fall")
    book.active.cell(row=1_048_576, column=1).font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    rows = read_rows(content=out.getvalue(), filename="g.xlsx", columns=["term", "grade"], max_rows=10)
    assert [number for number, _row in rows] == [2, 40]


# --- finding 13: the term's page does not show who made the grades final or reopened them, and why ---------------

def test_the_term_page_shows_the_lock_history_with_who_when_and_why(registrar_client, registrar, term):
    from creditexchange.services.grades import grades_finalize, grades_reopen

    first = registered(term, code="CSE100")
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    grades_finalize(term=term, actor=registrar)
    grades_reopen(term=term, actor=registrar, reason="CSE100 paper re-marked")
    page = registrar_client.get(reverse("admin:creditexchange_grade_term", args=[term.pk]),
                                HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="lock-history"' in page
    assert "CSE100 paper re-marked" in page and page.count("registrar") >= 2


# --- finding 14: grade_set with an id that is no registration raises DoesNotExist (a 500 for any caller) -----------

@pytest.mark.parametrize("registration_id", [0, -1, 10**12])
def test_grade_set_refuses_an_unknown_registration_with_a_message(registrar, registration_id):
    from django.utils.translation import override

    from creditexchange.services.grades import GradeRefused

    with override("en"), pytest.raises(GradeRefused, match="no such registration"):
        grade_set(actor=registrar, registration_id=registration_id, value="A0")
    assert not Grade.objects.exists()
