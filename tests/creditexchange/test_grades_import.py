"""The grades import: preview, all-or-nothing rows, stale preview, undo (creditexchange/services/grades.py)."""

import io

import pytest
from django.utils.translation import override
from openpyxl import Workbook

from core.bulk import StalePreview
from core.errors import DomainError
from core.models import BulkAction
from creditexchange.models import CourseRegistration, Grade, GradeEvent
from creditexchange.services.grades import grade_set, grades_finalize, grades_import, grades_import_undo

from .grades_helpers import graded_term, registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def term():
    return graded_term()


@pytest.fixture
def two(term):
    """Two exchange students in CSE100-01; the first already has B0."""
    first = registered(term, code="CSE100")
    second = registered(term, offering=first.offering)
    return first, second


def _csv(*rows, header="term,code,section,student_id,grade", encoding="utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_preview_shows_every_change_before_and_after_and_saves_nothing(two, registrar):
    first, second = two
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    content = _csv(f"2026-fall,CSE100,01,{first.student.username},A0", f"2026-fall,cse100,1,{second.student.username},b+")

    report = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=True)

    assert report.ok and report.fingerprint and (report.created, report.updated) == (1, 1)
    assert [(c["label"], c["before"], c["after"]) for c in report.changes] == [
        (f"{first.student.username} · CSE100-01", {"value": "B0"}, {"value": "A0"}),
        (f"{second.student.username} · CSE100-01", None, {"value": "B+"}),
    ]
    assert Grade.objects.get().value == "B0" and GradeEvent.objects.count() == 1


def test_confirm_writes_the_grades_with_events_and_one_log_entry(two, registrar):
    first, second = two
    content = _csv(f"2026-fall,CSE100,01,{first.student.username},A0", f"2026-fall,CSE100,01,{second.student.username},P")
    preview = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=True)

    report = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=False,
                           expected_fingerprint=preview.fingerprint)

    assert dict(Grade.objects.values_list("registration_id", "value")) == {first.pk: "A0", second.pk: "P"}
    assert set(Grade.objects.values_list("source", flat=True)) == {"import"}
    assert GradeEvent.objects.filter(source="import", from_status="").count() == 2
    action = BulkAction.objects.get(pk=report.bulk_action_id)
    assert action.kind == "creditexchange.grades_import" and action.count == 2 and action.actor == registrar


def test_an_unchanged_grade_is_no_change(two, registrar):
    first, _second = two
    grade_set(actor=registrar, registration_id=first.pk, value="A0")
    report = grades_import(content=_csv(f"2026-fall,CSE100,01,{first.student.username},A0"), filename="g.csv",
                           actor=registrar, dry_run=False)
    assert report.ok and report.changes == [] and report.unchanged == 1 and report.bulk_action_id is None
    assert GradeEvent.objects.count() == 1


def test_xlsx_with_korean_headers_and_numbers_as_excel_stores_them(two, registrar):
    first, _second = two
    content = _xlsx([["학기", "과목코드", "분반", "임시학번", "성적"], ["2026 가을", "CSE100", 1, first.student.username, "A+"]])
    report = grades_import(content=content, filename="grades.xlsx", actor=registrar, dry_run=False)
    assert report.ok, report.errors
    assert Grade.objects.get().value == "A+"


def test_cp949_csv_from_korean_excel(two, registrar):
    first, _second = two
    content = _csv(f"2026-2학기,CSE100,01,{first.student.username},NP", header="학기,과목코드,분반,임시학번,성적", encoding="cp949")
    report = grades_import(content=content, filename="grades.csv", actor=registrar, dry_run=False)
    assert report.ok, report.errors
    assert Grade.objects.get().value == "NP"


def test_every_row_error_with_its_excel_row_and_nothing_saved(term, two, registrar):
    first, second = two
    dropped = registered(term, code="MAT200", status=CourseRegistration.Status.DROPPED)
    open_term = graded_term(year=2027, season="spring", closed=False)
    registered(open_term, code="ART100", student=first.student)
    u1, u2 = first.student.username, second.student.username
    content = _csv(
        f"2026-fall,CSE100,01,{u1},A+",              # 2: fine, but nothing is saved
        f"2026-fall,NOPE999,01,{u1},A+",             # 3: unknown course
        "2026-fall,CSE100,01,T2026NOBODY,A+",       # 4: unknown student
        f"2026-fall,MAT200,01,{dropped.student.username},A+",  # 5: not registered (dropped)
        f"2026-fall,CSE100,01,{u2},A",               # 6: bad grade
        f"2026-fall,CSE100,01,{u1},B0",              # 7: duplicate of row 2
        f"2027-spring,ART100,01,{u1},A+",            # 8: window not closed
        f"2031-fall,CSE100,01,{u1},A+",              # 9: unknown term
    )
    with override("en"):
        report = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=False)
    errors = dict(report.errors)
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9]
    assert "unknown course NOPE999 section 01 in 2026 Fall" in errors[3]
    assert "unknown student “T2026NOBODY”" in errors[4]
    assert f"{dropped.student.username} is not registered in MAT200-01" in errors[5]
    assert "“A” is not a grade" in errors[6]
    assert "appears twice (also row 2)" in errors[7]
    assert "once its course change window has closed" in errors[8]
    assert "unknown term “2031-fall”" in errors[9]
    assert not Grade.objects.exists() and not BulkAction.objects.exists()


def test_a_row_error_in_korean(two, registrar):
    first, _second = two
    with override("ko"):
        report = grades_import(content=_csv(f"2026-fall,CSE100,01,{first.student.username},Q"), filename="g.csv",
                               actor=registrar, dry_run=True)
    assert report.errors == [(2, "“Q”은(는) 성적이 아닙니다. A+, A0, B+, B0, C+, C0, D+, D0, F, P, NP, W 중 하나를 쓰세요.")]


def test_a_final_term_refuses_every_row(term, two, registrar):
    first, second = two
    grade_set(actor=registrar, registration_id=first.pk, value="A0")
    grade_set(actor=registrar, registration_id=second.pk, value="A0")
    grades_finalize(term=term, actor=registrar)
    with override("en"):
        report = grades_import(content=_csv(f"2026-fall,CSE100,01,{first.student.username},F"), filename="g.csv",
                               actor=registrar, dry_run=True)
    assert report.errors == [(2, "The grades of 2026 Fall are final; reopen the term (with a reason) to change them.")]


def test_a_missing_column_is_refused(registrar, term):
    with override("en"), pytest.raises(DomainError, match="lacks these columns: grade"):
        grades_import(content=b"term,code,section,student_id\n2026-fall,A,01,x\n", filename="g.csv", actor=registrar,
                      dry_run=True)


def test_confirm_refuses_a_stale_preview_and_changes_nothing(two, registrar):
    first, _second = two
    content = _csv(f"2026-fall,CSE100,01,{first.student.username},A0")
    preview = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=True)
    grade_set(actor=registrar, registration_id=first.pk, value="C0")  # someone saves in between

    with pytest.raises(StalePreview):
        grades_import(content=content, filename="g.csv", actor=registrar, dry_run=False, expected_fingerprint=preview.fingerprint)
    assert Grade.objects.get().value == "C0"


def test_confirm_refuses_another_file_under_the_same_fingerprint(two, registrar):
    first, _second = two
    preview = grades_import(content=_csv(f"2026-fall,CSE100,01,{first.student.username},A0"), filename="g.csv",
                            actor=registrar, dry_run=True)
    with pytest.raises(StalePreview):
        grades_import(content=_csv(f"2026-fall,CSE100,01,{first.student.username},F"), filename="g.csv",
                      actor=registrar, dry_run=False, expected_fingerprint=preview.fingerprint)
    assert not Grade.objects.exists()


def test_confirm_refuses_a_registration_dropped_since_the_preview(two, registrar):
    first, _second = two
    content = _csv(f"2026-fall,CSE100,01,{first.student.username},A0")
    preview = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=True)
    CourseRegistration.objects.filter(pk=first.pk).update(status="dropped")
    report = grades_import(content=content, filename="g.csv", actor=registrar, dry_run=False,
                           expected_fingerprint=preview.fingerprint)
    assert not report.ok and not Grade.objects.exists()


def test_undo_restores_the_before_values_with_events_and_removes_first_entries(two, registrar):
    first, second = two
    grade_set(actor=registrar, registration_id=first.pk, value="B0")
    report = grades_import(
        content=_csv(f"2026-fall,CSE100,01,{first.student.username},A0", f"2026-fall,CSE100,01,{second.student.username},P"),
        filename="g.csv", actor=registrar, dry_run=False,
    )
    action = BulkAction.objects.get(pk=report.bulk_action_id)
    with pytest.raises(DomainError):
        grades_import_undo(action=action, actor=registrar, reason=" ")

    undo = grades_import_undo(action=action, actor=registrar, reason="wrong file")

    assert dict(Grade.objects.values_list("registration_id", "value")) == {first.pk: "B0"}
    assert list(GradeEvent.objects.filter(grade__registration=first).values_list("from_status", "to_status", "reason")) == [
        ("", "B0", ""), ("B0", "A0", "Import of g.csv"), ("A0", "B0", "wrong file"),
    ]
    assert undo.undoes == action and undo.reason == "wrong file"
    with pytest.raises(DomainError, match="already undone"):
        grades_import_undo(action=action, actor=registrar, reason="again")


def test_undo_refuses_when_a_grade_changed_since_or_the_term_is_final(term, two, registrar):
    first, second = two
    report = grades_import(
        content=_csv(f"2026-fall,CSE100,01,{first.student.username},A0", f"2026-fall,CSE100,01,{second.student.username},P"),
        filename="g.csv", actor=registrar, dry_run=False,
    )
    action = BulkAction.objects.get(pk=report.bulk_action_id)
    grade_set(actor=registrar, registration_id=first.pk, value="C0")
    with override("en"), pytest.raises(DomainError, match="changed since the import"):
        grades_import_undo(action=action, actor=registrar, reason="wrong file")
    grade_set(actor=registrar, registration_id=first.pk, value="A0")
    grades_finalize(term=term, actor=registrar)
    with override("en"), pytest.raises(DomainError, match="are final"):
        grades_import_undo(action=action, actor=registrar, reason="wrong file")
    assert Grade.objects.count() == 2


def test_the_staff_action_log_links_the_undo_page_of_a_grades_import(two, registrar):
    from core.bulk import undo_page

    first, _second = two
    report = grades_import(content=_csv(f"2026-fall,CSE100,01,{first.student.username},A0"), filename="g.csv",
                           actor=registrar, dry_run=False)
    action = BulkAction.objects.get(pk=report.bulk_action_id)
    assert undo_page(action) == f"/admin/creditexchange/grade/import/undo/{action.pk}/"
    grades_import_undo(action=action, actor=registrar, reason="wrong file")
    assert undo_page(action) == ""
