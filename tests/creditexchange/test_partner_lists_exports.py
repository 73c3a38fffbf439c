"""Partner-list files: formula-injection escaping in XLSX and CSV, language, layout (no database)."""

import csv
import io

import pytest
from openpyxl import load_workbook

from creditexchange import exports

DANGEROUS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\tcmd", "\rcmd"]


def _row(**overrides) -> dict:
    row = {
        "application_id": 1, "home_student_number": "20240001", "name_ko": "김하늘", "name_latin": "KIM HANEUL",
        "home_department": "컴퓨터공학과", "degree_level": "bachelor", "student_id": "T202700001",
        "courses": [
            {"code": "CSE1000", "section": "01", "title_ko": "자료구조", "title_en": "Data Structures", "credits": 3},
            {"code": "MATH200", "section": "02", "title_ko": "선형대수", "title_en": "Linear Algebra", "credits": 2},
        ],
        "total_credits": 5, "recommendation": "not_recommended", "no_credit": True, "application_status": "issued",
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize("value", DANGEROUS)
def test_escape_cell_prefixes_every_formula_lead_with_an_apostrophe(value):
    assert exports.escape_cell(value) == "'" + value


# Issue 12, finding 9: what a spreadsheet still reads as a formula once it trims the lead (spaces, an ideographic or
# no-break space, control characters) or folds full-width signs (＝ ＋ － ＠) to their ASCII forms.
DISGUISED = ["   =1+2", " =x", "\x01=cmd", "\x1b+1", "＝1+2", "＋1+2", "－1+2", "＠SUM(A1)", "\u3000=1+2", "\u00a0=1+2",
             "\u200b=1+2", "\u3000 \t=1"]


@pytest.mark.parametrize("value", DISGUISED)
def test_escape_cell_sees_a_formula_as_the_spreadsheet_would(value):
    assert exports.escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", DISGUISED)
def test_both_files_neutralise_a_disguised_formula(value):
    table = exports.lines("final", [_row(name_latin=value)], "en")
    csv_cell = list(csv.reader(io.StringIO(exports.render_csv(table).decode("utf-8-sig"), newline="")))[1][3]
    sheet = load_workbook(io.BytesIO(exports.render_xlsx(table, title="t"))).active
    xlsx_cell = sheet.cell(row=2, column=4).value
    for cell in (csv_cell, xlsx_cell):
        assert cell.startswith("'"), repr(cell)
        assert sheet.cell(row=2, column=4).data_type == "s"


@pytest.mark.parametrize("value", ["KIM", "20240001", "김하늘", "", "a=b", "  KIM", "3 - 1"])
def test_escape_cell_leaves_safe_text_alone(value):
    assert exports.escape_cell(value) == value


def test_escape_cell_leaves_numbers_as_numbers():
    assert exports.escape_cell(-3) == -3
    assert exports.escape_cell(3) == 3


def _hostile_table(kind="final"):
    rows = [_row(name_latin=value, home_department=value, home_student_number=f"N{i}") for i, value in enumerate(DANGEROUS)]
    return exports.lines(kind, rows, "en")


def test_the_csv_escapes_every_dangerous_cell_and_keeps_the_rest():
    content = exports.render_csv(_hostile_table())

    assert content.startswith("\ufeff".encode())
    parsed = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    body = parsed[1:]
    assert len(body) == 2 * len(DANGEROUS)  # one line per course
    latin = [line[3] for line in body]
    assert latin == ["'" + v for v in DANGEROUS for _course in range(2)]
    assert all(not cell.startswith(exports.FORMULA_PREFIXES) for line in parsed for cell in line)
    assert body[0][1] == "N0" and body[0][2] == "김하늘"


def test_the_xlsx_escapes_every_dangerous_cell_and_stores_no_formula():
    content = exports.render_xlsx(_hostile_table(), title="Final registrations")

    sheet = load_workbook(io.BytesIO(content)).active
    cells = [cell for line in sheet.iter_rows() for cell in line if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c.value for c in cells if isinstance(c.value, str) and c.value.startswith(exports.FORMULA_PREFIXES)]
    latin = [sheet.cell(row=r, column=4).value for r in range(2, sheet.max_row + 1)]
    # XML stores a carriage return as a line feed; the apostrophe in front is what matters.
    assert latin == ["'" + v.replace("\r", "\n") for v in DANGEROUS for _course in range(2)]
    assert sheet.cell(row=2, column=2).value == "N0"
    assert sheet.cell(row=2, column=11).value == 3  # credits stay numbers


def test_headers_and_labels_follow_the_partner_language():
    english = exports.lines("final", [_row()], "en")
    korean = exports.lines("final", [_row()], "ko")

    assert english[0][:3] == ["No.", "Home student number", "Name (Korean)"]
    assert english[1][9] == "Data Structures" and korean[1][9] == "자료구조"
    assert english[1][-2:] == ["Not recommended", "No credit (not recommended)"]
    assert korean[0][1] != english[0][1] and korean[1][-1] != english[1][-1]


def test_an_applicants_list_has_one_line_per_student_and_no_courses():
    table = exports.lines("applicants", [_row(), _row(home_student_number="20240002")], "en")

    assert table[0][-1] == "Application status"
    assert "Course code" not in table[0]
    assert [line[0] for line in table[1:]] == [1, 2]
    assert table[1][-1] == "Issued"


def test_a_student_without_courses_still_gets_a_line():
    table = exports.lines("registrations", [_row(courses=[], total_credits=0)], "en")

    assert len(table) == 2
    assert table[1][table[0].index("Course title")] == "No courses"


def test_a_control_character_typed_by_an_applicant_neither_breaks_the_xlsx_nor_hides_a_formula():
    # Application forms accept any text; XML (and so XLSX) cannot hold most C0 control characters.
    rows = [_row(name_latin="KIM\x0bHANEUL", home_department="\x01=HYPERLINK(\"http://evil.example\")")]

    sheet = load_workbook(io.BytesIO(exports.render_xlsx(exports.lines("final", rows, "en"), title="Final"))).active

    assert sheet.cell(row=2, column=4).value == "KIMHANEUL"
    assert sheet.cell(row=2, column=5).value == "'=HYPERLINK(\"http://evil.example\")"
    assert not [c.coordinate for line in sheet.iter_rows() for c in line if c.data_type == "f"]
