"""Files of a list to a partner (SPEC §3.3): XLSX and CSV in the partner's language, no formula injection.

Pure functions over the list's snapshot rows (no ORM), so the same rows always give the same cells.
Every text cell that a spreadsheet could read as a formula (it begins with ``= + - @``, a tab or a
carriage return, also once leading spaces, control characters and full-width forms are seen through)
gets a leading apostrophe, as OWASP advises for CSV injection, in both formats.
"""

import csv
import io
import unicodedata

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from core.language import bilingual

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"

STUDENT_COLUMNS = [
    ("no", _("No.")),
    ("home_student_number", _("Home student number")),
    ("name_ko", _("Name (Korean)")),
    ("name_latin", _("Name (Latin letters)")),
    ("home_department", _("Home department")),
    ("degree_level", _("Degree level")),
    ("student_id", _("Temporary student ID")),
]
COURSE_COLUMNS = [
    ("course_code", _("Course code")),
    ("section", _("Section")),
    ("course_title", _("Course title")),
    ("credits", _("Credits")),
    ("total_credits", _("Total credits")),
]
KIND_COLUMNS = {
    "applicants": [("application_status", _("Application status"))],
    "registrations": COURSE_COLUMNS,
    "final": [*COURSE_COLUMNS, ("recommendation", _("Partner recommendation")), ("credit", _("Credit"))],
}


def _as_a_spreadsheet_reads(text: str) -> str:
    """The text's start as a spreadsheet judges it: full-width signs folded (``＝`` is ``=``, NFKC) and the
    lead trimmed of whitespace (ideographic and no-break spaces too), control and format characters."""
    text = unicodedata.normalize("NFKC", text)
    start = 0
    while start < len(text) and (text[start].isspace() or unicodedata.category(text[start]) in ("Cc", "Cf")):
        start += 1
    return text[start:]


def escape_cell(value):
    """Neutralise a would-be formula: ``=1+1`` becomes ``'=1+1``, and so do disguised ones (``'   =1+2'``,
    ``'\x01=cmd'``, ``'＝1+2'``, an ideographic space before ``=``); numbers and safe text are unchanged."""
    if isinstance(value, str) and (
        value.startswith(FORMULA_PREFIXES) or _as_a_spreadsheet_reads(value).startswith(FORMULA_PREFIXES[:4])
    ):
        return "'" + value
    return value


def _xlsx_cell(value):
    # XML cannot hold most C0 control characters (openpyxl refuses the whole workbook), and applicants may
    # type them; drop them before escaping, so "\x01=cmd" cannot turn into an unescaped "=cmd".
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return escape_cell(value)


def columns(kind: str) -> list[tuple[str, str]]:
    return [*STUDENT_COLUMNS, *KIND_COLUMNS[kind]]


def _labels(kind: str) -> list[str]:
    return [str(label) for _key, label in columns(kind)]


def _code_label(choices, code: str) -> str:
    try:
        return str(choices(code).label)
    except ValueError:
        return code


def _student_values(number: int, row: dict) -> dict:
    from .models import TemporaryIdApplication

    return {
        "no": number,
        "home_student_number": row["home_student_number"],
        "name_ko": row["name_ko"],
        "name_latin": row["name_latin"],
        "home_department": row["home_department"],
        "degree_level": _code_label(TemporaryIdApplication.DegreeLevel, row["degree_level"]),
        "student_id": row.get("student_id") or "",
    }


def lines(kind: str, rows: list[dict], language: str) -> list[list]:
    """Header plus one line per student, or per registered course of a student (student columns repeated)."""
    from .models import PartnerList, Recommendation, TemporaryIdApplication

    with translation.override(language):
        result = [_labels(kind)]
        keys = [key for key, _label in columns(kind)]
        for number, row in enumerate(rows, start=1):
            base = _student_values(number, row)
            if kind == PartnerList.Kind.APPLICANTS:
                base["application_status"] = _code_label(TemporaryIdApplication.Status, row["application_status"])
                result.append([base[k] for k in keys])
                continue
            base["total_credits"] = row["total_credits"]
            if kind == PartnerList.Kind.FINAL:
                base["recommendation"] = _code_label(Recommendation.Decision, row["recommendation"])
                base["credit"] = str(_("No credit (not recommended)")) if row["no_credit"] else ""
            for course in row["courses"] or [None]:
                values = dict(base)
                if course is None:
                    values.update(course_code="", section="", course_title=str(_("No courses")), credits="")
                else:
                    title = bilingual(course["title_ko"], course["title_en"])
                    values.update(
                        course_code=course["code"], section=course["section"], course_title=title, credits=course["credits"]
                    )
                result.append([values[k] for k in keys])
    return result


def render_csv(table: list[list]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on Korean Windows opens Hangul correctly; CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in table:
        writer.writerow(["" if value is None else escape_cell(value) for value in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def render_xlsx(table: list[list], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31] or "List"
    for line in table:
        sheet.append([_xlsx_cell(value) for value in line])
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # belt and braces: a text cell is never stored as a formula
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(table[0], start=1):
        width = max(len(str(line[index - 1] or "")) for line in table)
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(max(width, len(str(header))) + 4, 50)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
