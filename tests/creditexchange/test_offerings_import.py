"""Offerings import from CSV/XLSX (SPEC §3.2): all or nothing, rows numbered as Excel numbers them."""

import csv
import io
from datetime import time

import pytest
from django.db.models import F
from openpyxl import Workbook

from core.errors import DomainError
from creditexchange import services
from creditexchange.models import CourseOffering, TimeSlot
from creditexchange.services.offerings import COLUMNS

from ..factories import CourseOfferingFactory, DepartmentFactory, TermFactory, TimeSlotFactory, host_campus


@pytest.fixture
def term(db):
    return TermFactory(year=2027, season="spring")


@pytest.fixture
def campus(db):
    return host_campus("main")


@pytest.fixture
def department(campus):
    return DepartmentFactory(code="cse", campus=campus, name_en="Computer Science")


def _row(**overrides) -> dict:
    values = {
        "code": "CSE101", "section": "01", "title_ko": "자료구조", "title_en": "Data Structures", "credits": "3",
        "capacity": "40", "instructor": "Kim Minjun", "department": "cse", "campus": "main", "location": "Eng 301",
        "open_to_exchange": "yes", "slots": "Mon 09:00-10:30; Wed 09:00-10:30",
    }
    values.update(overrides)
    return values


def _csv(*rows: dict, columns=COLUMNS, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue().encode(encoding)


def _import_csv(term, *rows: dict, **kwargs):
    return services.offerings_import(term=term, content=_csv(*rows, **kwargs), filename="offerings.csv")


def _slots(offering) -> list[tuple[int, time, time]]:
    return list(TimeSlot.objects.filter(offering=offering).order_by("weekday", "starts_at").values_list("weekday", "starts_at", "ends_at"))


def _nothing_saved():
    assert CourseOffering.objects.count() == 0
    assert TimeSlot.objects.count() == 0


class TestValidFiles:
    def test_it_creates_offerings_and_their_slots_from_a_csv(self, term, campus, department):
        report = _import_csv(
            term,
            _row(),
            _row(code="MAT201", section="", title_en="", department="", credits="2", capacity="25",
                 open_to_exchange="no", slots="Tue 13:00-14:30"),
        )

        assert report.ok and report.errors == []
        assert (report.created, report.updated) == (2, 0)
        cse = CourseOffering.objects.get(term=term, code="CSE101", section="01")
        assert (cse.title_ko, cse.title_en, cse.credits, cse.capacity, cse.seats_taken) == ("자료구조", "Data Structures", 3, 40, 0)
        assert (cse.instructor, cse.department, cse.campus, cse.location) == ("Kim Minjun", department, campus, "Eng 301")
        assert cse.open_to_exchange and cse.published_at is None
        assert _slots(cse) == [(0, time(9), time(10, 30)), (2, time(9), time(10, 30))]
        mat = CourseOffering.objects.get(term=term, code="MAT201")
        assert mat.section == "01"  # a blank section means the first one
        assert mat.title_en == mat.title_ko  # a blank English title falls back to the Korean one
        assert mat.department is None and not mat.open_to_exchange
        assert _slots(mat) == [(1, time(13), time(14, 30))]

    def test_it_creates_offerings_from_an_xlsx_file(self, term, campus, department):
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(COLUMNS)
        sheet.append(["CSE101", "01", "자료구조", "Data Structures", 3, 40, "Kim", "cse", "main", "Eng 301", "yes",
                      "월 09:00-10:30; 수 09:00-10:30"])
        sheet.append(["CSE102", "02", "운영체제", "Operating Systems", 3, 35, "Lee", "", "main", "", True,
                      "Thu 15:00-16:30"])
        content = io.BytesIO()
        workbook.save(content)

        report = services.offerings_import(term=term, content=content.getvalue(), filename="OFFERINGS.XLSX")

        assert report.errors == []
        assert report.created == 2
        first = CourseOffering.objects.get(code="CSE101")
        assert (first.credits, first.capacity, first.department) == (3, 40, department)
        assert _slots(first) == [(0, time(9), time(10, 30)), (2, time(9), time(10, 30))]
        second = CourseOffering.objects.get(code="CSE102", section="02")
        assert second.open_to_exchange and second.capacity == 35
        assert _slots(second) == [(3, time(15), time(16, 30))]

    def test_it_reads_a_cp949_csv_with_korean_titles(self, term, campus):
        content = _csv(_row(title_ko="컴퓨터네트워크", title_en="", department="", slots="화 13:00-14:30"), encoding="cp949")
        with pytest.raises(UnicodeDecodeError):
            content.decode("utf-8")  # really CP949, as Excel on Korean Windows saves it

        report = services.offerings_import(term=term, content=content, filename="강좌.csv")

        assert report.errors == []
        offering = CourseOffering.objects.get()
        assert offering.title_ko == offering.title_en == "컴퓨터네트워크"
        assert _slots(offering) == [(1, time(13), time(14, 30))]

    def test_it_reads_a_utf8_csv_with_a_byte_order_mark(self, term, campus):
        content = "\ufeff".encode() + _csv(_row(department=""))

        report = services.offerings_import(term=term, content=content, filename="offerings.csv")

        assert report.errors == [] and CourseOffering.objects.get().code == "CSE101"

    def test_it_updates_an_offering_with_the_same_term_code_and_section(self, term, campus, department):
        _import_csv(term, _row())
        original = CourseOffering.objects.get()

        report = _import_csv(
            term,
            _row(title_en="Data Structures and Algorithms", capacity="60", slots="Fri 14:00-17:00"),
            _row(section="02", slots="Tue 09:00-10:30"),
        )

        assert (report.created, report.updated) == (1, 1)
        updated = CourseOffering.objects.get(code="CSE101", section="01")
        assert updated.pk == original.pk
        assert (updated.title_en, updated.capacity) == ("Data Structures and Algorithms", 60)
        assert _slots(updated) == [(4, time(14), time(17))]  # the old Mon/Wed slots are replaced
        assert CourseOffering.objects.filter(code="CSE101").count() == 2
        assert TimeSlot.objects.count() == 2

    def test_the_same_code_in_another_term_is_another_offering(self, term, campus, department):
        _import_csv(term, _row())
        fall = TermFactory(year=2027, season="fall")

        report = _import_csv(fall, _row())

        assert (report.created, report.updated) == (1, 0)
        assert set(CourseOffering.objects.values_list("term__season", flat=True)) == {"spring", "fall"}

    def test_an_update_keeps_the_seats_already_taken(self, term, campus, department):
        offering = CourseOfferingFactory(term=term, code="CSE101", section="01", capacity=40, campus=campus)
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=10)

        report = _import_csv(term, _row(capacity="10"))

        assert report.errors == [] and report.updated == 1
        offering.refresh_from_db()
        assert (offering.capacity, offering.seats_taken) == (10, 10)

    def test_seats_taken_while_the_file_is_checked_are_kept(self, term, campus, department):
        # Registrations go on during a (background) import: a seat taken between the check and
        # the save must not be overwritten by the count read before it.
        offering = CourseOfferingFactory(term=term, code="CSE101", section="01", capacity=40, campus=campus)
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=10)

        def a_student_registers(checked, total):
            CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=F("seats_taken") + 1)

        report = services.offerings_import(
            term=term, content=_csv(_row(capacity="30")), filename="offerings.csv", progress=a_student_registers
        )

        assert report.errors == [] and report.updated == 1
        offering.refresh_from_db()
        assert (offering.capacity, offering.seats_taken) == (30, 11)

    def test_a_capacity_below_the_seats_taken_during_the_check_is_refused(self, term, campus, department):
        offering = CourseOfferingFactory(term=term, code="CSE101", section="01", capacity=40, campus=campus)
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=10)

        def a_student_registers(checked, total):
            CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=F("seats_taken") + 1)

        report = services.offerings_import(
            term=term, content=_csv(_row(code="NEW001"), _row(capacity="10")), filename="offerings.csv",
            progress=a_student_registers,
        )

        assert report.errors == [(3, "capacity 10 is below the 12 students already registered")]
        offering.refresh_from_db()
        assert (offering.capacity, offering.seats_taken) == (40, 12)
        assert not CourseOffering.objects.filter(code="NEW001").exists()


class TestBadRows:
    @pytest.mark.parametrize(
        ("bad", "expected"),
        [
            pytest.param({"campus": "busan"}, "unknown campus code “busan”", id="unknown-campus"),
            pytest.param({"department": "nope"}, "unknown department code “nope”", id="unknown-department"),
            pytest.param({"slots": "Monday 9-10:30"}, "is not like", id="slot-text"),
            pytest.param({"slots": "Xyz 09:00-10:30"}, "is not like", id="slot-weekday"),
            pytest.param({"slots": "Mon 10:30-09:00"}, "“Mon 10:30-09:00”", id="slot-backwards"),
            pytest.param({"credits": "0"}, "offering_credits_range", id="credits-0"),
            pytest.param({"credits": "7"}, "offering_credits_range", id="credits-7"),
            pytest.param({"credits": "three"}, "three", id="credits-text"),
            pytest.param({"capacity": ""}, "capacity", id="capacity-missing"),
            pytest.param({"title_ko": ""}, "title_ko", id="title-missing"),
            pytest.param({"open_to_exchange": "maybe"}, "open_to_exchange", id="exchange-flag"),
        ],
    )
    def test_it_reports_the_bad_row_by_its_excel_number_and_saves_nothing(self, term, campus, department, bad, expected):
        report = _import_csv(term, _row(code="GOOD01"), _row(code="GOOD02"), _row(code="BAD003", **bad))

        assert not report.ok
        assert [number for number, _message in report.errors] == [4]  # header is row 1
        assert expected in report.errors[0][1]
        assert (report.created, report.updated) == (0, 0)
        _nothing_saved()

    def test_it_reports_a_duplicate_code_and_section(self, term, campus, department):
        report = _import_csv(term, _row(), _row(code="OTHER1"), _row(section="01", title_en="Again"))

        assert report.errors == [(4, "course CSE101 section 01 appears twice")]
        _nothing_saved()

    def test_it_refuses_a_capacity_below_the_seats_taken(self, term, campus, department):
        offering = CourseOfferingFactory(term=term, code="CSE101", section="01", capacity=40, campus=campus)
        TimeSlotFactory(offering=offering, weekday=0)
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=12)

        report = _import_csv(term, _row(code="NEW001"), _row(capacity="11", slots="Fri 09:00-12:00"))

        assert len(report.errors) == 1
        number, message = report.errors[0]
        assert number == 3 and "capacity 11 is below the 12 students already registered" in message
        offering.refresh_from_db()
        assert (offering.capacity, offering.seats_taken) == (40, 12)
        assert _slots(offering) == [(0, time(9), time(10, 30))]
        assert not CourseOffering.objects.filter(code="NEW001").exists()

    def test_it_lists_every_bad_row(self, term, campus, department):
        report = _import_csv(term, _row(campus="x"), _row(code="OK0001"), _row(code="C3", credits="0"), _row(code="C4", slots="soon"))

        assert [number for number, _message in report.errors] == [2, 4, 5]
        _nothing_saved()

    def test_a_bad_row_in_a_reimport_leaves_existing_offerings_untouched(self, term, campus, department):
        _import_csv(term, _row())

        report = _import_csv(term, _row(title_en="Renamed", slots="Sat 09:00-12:00"), _row(code="BAD", campus="nowhere"))

        assert [number for number, _message in report.errors] == [3]
        offering = CourseOffering.objects.get()
        assert offering.title_en == "Data Structures"
        assert _slots(offering) == [(0, time(9), time(10, 30)), (2, time(9), time(10, 30))]

    def test_it_keeps_excel_row_numbers_after_a_blank_line(self, term, campus, department):
        content = _csv(_row(code="GOOD01")) + b",,,,,,,,,,,\r\n" + _csv(_row(code="BAD004", campus="x"))[len(_csv()):]

        report = services.offerings_import(term=term, content=content, filename="offerings.csv")

        assert [number for number, _message in report.errors] == [4]
        _nothing_saved()


class TestUnreadableFiles:
    def test_it_refuses_a_header_without_a_required_column(self, term, campus):
        columns = [c for c in COLUMNS if c != "slots"]

        with pytest.raises(DomainError, match="lacks these columns: slots"):
            _import_csv(term, _row(), columns=columns)
        _nothing_saved()

    def test_it_refuses_a_csv_that_is_neither_utf8_nor_cp949(self, term, campus):
        content = _csv(_row(department="")).decode().encode("utf-16")

        with pytest.raises(DomainError):
            services.offerings_import(term=term, content=content, filename="offerings.csv")
        _nothing_saved()

    def test_it_refuses_an_empty_file(self, term):
        with pytest.raises(DomainError, match="empty"):
            services.offerings_import(term=term, content=b"", filename="offerings.csv")

    def test_it_refuses_a_damaged_xlsx(self, term):
        with pytest.raises(DomainError, match="could not be read"):
            services.offerings_import(term=term, content=b"not a zip file", filename="offerings.xlsx")
