"""Student academic records from the student information system (SPEC §4.1): all or nothing."""

import pytest

from affiliation import services
from affiliation.models import SemesterRecord, StudentRecord
from ustportal.errors import DomainError

from ..factories import DepartmentFactory, affiliation_campus

HEADER = ("student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
          "liberal_arts_met,teacher_training,applied_before,semesters\n")


@pytest.fixture
def reference(db):
    sejong, seoul = affiliation_campus(main=False), affiliation_campus(main=True)
    DepartmentFactory(code="sj-cse", campus=sejong)
    DepartmentFactory(code="cse", campus=seoul)


def test_a_valid_file_creates_records_accounts_and_histories(reference):
    content = HEADER + (
        "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,55,18,4.21,yes,none,no,2025-1 enrolled; 2025-2 leave; 2026-1 재학\n"
        "S2024002,Lee Doyun,dy@sejong.example,en,sejong,sj-cse,52,15,3.75,o,enrolled,x,2024-spring:E; 2024-fall:L\n"
    )
    report = services.records_import(content=content.encode(), filename="records.csv")
    assert report.ok and report.created == 2
    record = StudentRecord.objects.get(student_number="S2024001")
    assert (record.earned_credits, record.in_progress_credits, str(record.gpa), record.liberal_arts_met) == (55, 18, "4.21", True)
    assert record.user.username == "S2024001" and not record.user.has_usable_password()
    assert list(record.semesters.values_list("term__season", "status")) == [
        ("spring", "enrolled"), ("fall", "on_leave"), ("spring", "enrolled")]
    assert StudentRecord.objects.get(student_number="S2024002").user.language == "en"


def test_a_reimport_updates_and_replaces_the_history(reference):
    row = "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,{credits},18,4.21,yes,none,no,{semesters}\n"
    services.records_import(content=(HEADER + row.format(credits=55, semesters="2025-1 E; 2025-2 E")).encode(), filename="a.csv")
    report = services.records_import(content=(HEADER + row.format(credits=61, semesters="2026-1 E")).encode(), filename="a.csv")
    assert report.updated == 1 and report.created == 0
    record = StudentRecord.objects.get()
    assert record.earned_credits == 61 and record.semesters.count() == 1


def test_row_errors_are_reported_by_row_number_and_nothing_is_imported(reference):
    content = HEADER + (
        "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,55,18,4.21,yes,none,no,2025-1 enrolled\n"
        "S2024002,이도윤,dy@sejong.example,ko,sejong,sj-cse,52,15,4.75,yes,none,no,\n"
        "\n"
        "S2024003,박지호,jh@sejong.example,ko,sejong,cse,52,15,3.00,yes,none,no,\n"
        "S2024004,최하은,he@sejong.example,ko,sejong,sj-cse,52,15,3.00,maybe,none,no,2025-3 enrolled\n"
        "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,55,18,4.21,yes,none,no,\n"
    )
    report = services.records_import(content=content.encode(), filename="records.csv")
    assert [row for row, _ in report.errors] == [3, 5, 6, 7]
    messages = dict(report.errors)
    assert "gpa" in messages[3] and "not on that campus" in messages[5] and "twice" in messages[7]
    assert not StudentRecord.objects.exists() and not SemesterRecord.objects.exists()


def test_a_file_without_the_expected_columns_is_refused(reference):
    with pytest.raises(DomainError) as excinfo:
        services.records_import(content=b"student_number,name\nS1,x\n", filename="records.csv")
    assert "semesters" in str(excinfo.value.message)


def test_cp949_csv_from_korean_excel_is_read(reference):
    content = HEADER + "S2024009,한시우,sw@sejong.example,ko,sejong,sj-cse,90,18,4.00,예,none,아니오,2025-1 재학\n"
    report = services.records_import(content=content.encode("cp949"), filename="records.csv")
    assert report.ok and StudentRecord.objects.get().name == "한시우"
