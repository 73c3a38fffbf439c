"""Staff uploads (course offerings, student records, scores): CSV in UTF-8 or CP949, or XLSX.

Rows are numbered as Excel shows them, so an error message points at the line a person sees;
every importer checks all rows first and saves nothing if any is wrong (ImportReport).
"""

import csv
import io
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .errors import DomainError

# Yes/no cells as staff type them in Korean and English spreadsheets.
TRUE = {"1", "true", "yes", "y", "o", "예"}
FALSE = {"0", "false", "no", "n", "x", "아니오", ""}


@dataclass
class ImportReport:
    """What an import did or, with ``dry_run``, would do (``core.bulk``).

    ``changes`` lists one ``core.bulk.change(...)`` entry per object created or changed (the preview and the
    staff action log show them; ``bulk_undo`` restores them); ``fingerprint`` covers the file and the current values
    of every object it touches, so a confirmation refuses when either changed since the preview.
    """

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    fingerprint: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors


def _numbered(rows, *, max_rows: int | None) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """(the header, the non-blank data rows with the row number Excel shows), read lazily: past ``max_rows`` data
    rows it stops and refuses (a small zipped file can hold millions). Blank rows are skipped, not counted: Excel
    sheets formatted down to row 1,048,576 yield that many empty rows."""
    header, data = None, []
    for number, row in enumerate(rows, start=1):
        cells = ["" if v is None else str(v) for v in row]
        if header is None:
            header = cells
        elif any(c.strip() for c in cells):
            data.append((number, cells))
            if max_rows is not None and len(data) > max_rows:
                raise DomainError(_too_many(max_rows))
    return header, data


def _too_many(max_rows: int) -> str:
    return _("The file has more than %(count)s rows; a file may have at most %(count)s rows. Split it and upload "
             "the parts one after another.") % {"count": max_rows}


def read_rows(
    *, content: bytes, filename: str, columns: list[str], aliases: dict[str, str] | None = None,
    max_rows: int | None = None,
) -> list[tuple[int, dict]]:
    """The data rows with the row number Excel shows (the header is row 1; blank rows keep their numbers).

    ``aliases`` maps other header names (a Korean spreadsheet's "성적") to the column they stand for ("grade").
    A column named twice (also through an alias) is refused rather than read from one of the two; ``max_rows``
    refuses a file with more data rows before anything is checked.
    """
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise DomainError(_("The XLSX file could not be read: %(error)s") % {"error": exc}) from exc
        header, data = _numbered(sheet.iter_rows(values_only=True), max_rows=max_rows)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            try:
                text = content.decode("cp949", errors="strict")  # Excel on Korean Windows saves CSV as CP949
            except UnicodeDecodeError as exc:
                raise DomainError(
                    _("The CSV file is neither UTF-8 nor CP949 (EUC-KR) text. Save it as “CSV UTF-8” and upload it again.")
                ) from exc
        reader = csv.reader(io.StringIO(text))
        try:
            header, data = _numbered(reader, max_rows=max_rows)
        except csv.Error as exc:  # a cell over the field limit (128 KB), a stray quote in strict files
            raise DomainError(_("The CSV file could not be read (line %(line)s): %(error)s")
                              % {"line": reader.line_num, "error": exc}) from exc
    if header is None:
        raise DomainError(_("The file is empty."))
    header = [h.strip().lower() for h in header]
    if aliases:
        header = [aliases.get(h, h) for h in header]
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise DomainError(_("The header row names these columns more than once: %(columns)s")
                          % {"columns": ", ".join(twice)})
    missing = [c for c in columns if c not in header]
    if missing:
        raise DomainError(_("The header row lacks these columns: %(columns)s") % {"columns": ", ".join(missing)})
    return [(number, dict(zip(header, (cell.strip() for cell in row), strict=False))) for number, row in data]
