"""The transcript of records as a PDF (issue 15), in the partner's language.

Pure rendering over a transcript's snapshot (``transcript_snapshot``'s dict, the JSON stored in
``Transcript.rows``): the same snapshot always gives the same pages, whatever changes later.

The Hangul font: a TrueType font with glyf outlines is embedded (subset) so the PDF reads the same anywhere.
ReportLab cannot use CFF-flavoured OTF or .ttc collections reliably, so Noto CJK (what the browser tests
install) does not do. The font is looked up at ``TRANSCRIPT_FONT_PATH`` (a setting; empty by default), then
Debian's ``fonts-nanum`` (``.ci/run`` installs it). The only PyPI package found that ships a glyf Korean TTF
(koreanize-matplotlib, NanumGothic) requires matplotlib and numpy, too much for one font. Without any TTF the
PDF falls back to ReportLab's built-in CID font ``HYSMyeongJo-Medium`` (Adobe-Korea1, not embedded: the
reader's viewer supplies the glyphs; poppler and Acrobat do).
"""

import io
import os
from functools import lru_cache

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

FONT_CANDIDATES = (
    ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf", "/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf"),
)
CID_FALLBACK = "HYSMyeongJo-Medium"
# Latin letters the Hangul font lacks (Vietnamese ễ ă Đ, Polish Ż ć, Turkish Ş ğ …) are set in this font
# (review finding 5); ``TRANSCRIPT_FONT_FALLBACK_PATH`` (+ ``_BOLD_PATH``) first, then Debian's fonts-dejavu-core.
FALLBACK_CANDIDATES = (
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
# The CID font's coverage is not read from a file: these blocks are taken as missing from it.
_LATIN_EXTENDED = ((0x0100, 0x024F), (0x0300, 0x036F), (0x1E00, 0x1EFF))


def _font_files() -> tuple[str, str] | None:
    configured = getattr(settings, "TRANSCRIPT_FONT_PATH", "")
    if configured:
        if os.path.isfile(configured):
            bold = getattr(settings, "TRANSCRIPT_FONT_BOLD_PATH", "") or configured
            return configured, bold if os.path.isfile(bold) else configured
        return None  # a configured but missing font is not silently replaced by another TTF
    for regular, bold in FONT_CANDIDATES:
        if os.path.isfile(regular):
            return regular, bold if os.path.isfile(bold) else regular
    return None


@lru_cache(maxsize=4)
def _register(files: tuple[str, str] | None) -> tuple[str, str, bool]:
    """Register the fonts once per process; (regular name, bold name, embedded?).

    Per process: ReportLab's font registry, by file path; every worker host installs the same fonts
    (docs/process-state.md), so the PDF, rendered once and stored, does not depend on the node that issued it.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if files is not None:
        regular, bold = files
        pdfmetrics.registerFont(TTFont("TranscriptKR", regular))
        pdfmetrics.registerFont(TTFont("TranscriptKR-Bold", bold))
        return "TranscriptKR", "TranscriptKR-Bold", True
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FALLBACK))
    return CID_FALLBACK, CID_FALLBACK, False


def transcript_fonts() -> tuple[str, str, bool]:
    return _register(_font_files())


def _fallback_files() -> tuple[str, str] | None:
    configured = getattr(settings, "TRANSCRIPT_FONT_FALLBACK_PATH", "")
    candidates = ((configured, getattr(settings, "TRANSCRIPT_FONT_FALLBACK_BOLD_PATH", "") or configured),) if configured else ()
    for regular, bold in (*candidates, *FALLBACK_CANDIDATES):
        if os.path.isfile(regular):
            return regular, bold if os.path.isfile(bold) else regular
    return None


@lru_cache(maxsize=4)
def _register_fallback(main: tuple[str, str] | None, files: tuple[str, str] | None):
    """(main font's characters or None for the CID font, fallback's characters, regular name, bold name).

    Per process: as ``_register``, by file path.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if files is None:
        return None
    regular, bold = TTFont("TranscriptLatin", files[0]), TTFont("TranscriptLatin-Bold", files[1])
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    covered = frozenset(TTFont("TranscriptKR-cmap", main[0]).face.charToGlyph) if main is not None else None
    return covered, frozenset(regular.face.charToGlyph), "TranscriptLatin", "TranscriptLatin-Bold"


def font_segments(text: str, *, bold: bool) -> list[tuple[str, str | None]]:
    """``text`` cut into runs, each with the fallback font's name where the main font lacks its letters (else None)."""
    from itertools import groupby

    fallback = _register_fallback(_font_files(), _fallback_files())
    if fallback is None:
        return [(text, None)]
    covered, available, regular, bold_name = fallback

    def lacking(ch: str) -> bool:
        if covered is not None:
            missing = ord(ch) not in covered
        else:
            missing = any(low <= ord(ch) <= high for low, high in _LATIN_EXTENDED)
        return missing and ord(ch) in available

    return [
        ("".join(run), (bold_name if bold else regular) if missing else None)
        for missing, run in groupby(text, key=lacking)
    ]


def seal_text(language: str) -> str:
    texts = settings.TRANSCRIPT_SEAL_TEXT
    return texts.get(language) or texts.get("en") or ""


def group_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def course_title(line: dict, language: str) -> str:
    if language == "ko":
        return line.get("title_ko") or line.get("title_en") or ""
    return line.get("title_en") or line.get("title_ko") or ""


def grade_cell(line: dict) -> str:
    return line["grade"] or "—"


def credit_note(line: dict) -> str:
    """The mark on a course that earns nothing because the partner did not recommend the student."""
    return str(_("No credit (not recommended)")) if line.get("no_credit") else ""


def _width(segments: list[tuple[str, str | None]], font: str) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(run, run_font or font, 7.5) for run, run_font in segments)


def _footer_canvas(*, font: str, whose: str, code: str, language: str):
    """A canvas that prints on every page whose transcript it is, its code and "page n of N" (review finding 2):
    a loose second sheet must not be mistaken for another student's. Pages are kept until the count is known."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen.canvas import Canvas

    class FooterCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                with translation.override(language):
                    page = _("Page %(page)s of %(pages)s") % {"page": self._pageNumber, "pages": total}
                width, _height = self._pagesize
                self.setFont(font, 7.5)
                self.setFillGray(0.3)
                name, room = whose, width - 40 * mm - stringWidth(page, font, 7.5) - 6 * mm
                segments = font_segments(f"{name} · {code}", bold=False)
                while _width(segments, font) > room and len(name) > 1:  # a very long name is cut, the code kept
                    name = name[:-1]
                    segments = font_segments(f"{name}… · {code}", bold=False)
                text = self.beginText(20 * mm, 10 * mm)  # one line of text, the font switched inside it
                for run, run_font in segments:
                    text.setFont(run_font or font, 7.5)
                    text.textOut(run)
                self.drawText(text)
                self.drawRightString(width - 20 * mm, 10 * mm, page)
                super().showPage()
            super().save()

    return FooterCanvas


class _Page:
    """The fonts, styles and the one way text becomes a paragraph (escaped; letters the Hangul font lacks set in
    the fallback font) that every part of a transcript uses."""

    def __init__(self):
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.platypus import TableStyle

        self.regular, self.bold, _embedded = transcript_fonts()
        self.body = ParagraphStyle("body", fontName=self.regular, fontSize=9.5, leading=13)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=11, textColor=colors.HexColor("#444444"))
        self.heading = ParagraphStyle("heading", parent=self.body, fontName=self.bold, fontSize=16, leading=21, spaceAfter=2)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=8.5, leading=11)
        self.host = ParagraphStyle("host", parent=self.body, fontName=self.bold, fontSize=11)
        self.code = ParagraphStyle("code", parent=self.body, fontName=self.bold, fontSize=11, leading=15)
        self.grid = TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ])

    def p(self, text, style=None):
        from xml.sax.saxutils import escape

        from reportlab.platypus import Paragraph

        style = style or self.body
        markup = "".join(
            escape(run) if font is None else f'<font name="{font}">{escape(run)}</font>'
            for run, font in font_segments(str(text), bold=style.fontName == self.bold)
        )
        return Paragraph(markup, style)

    def table(self, rows, widths, *commands, repeat_rows=0):
        from reportlab.lib.units import mm
        from reportlab.platypus import Table, TableStyle

        table = Table(rows, colWidths=[w * mm for w in widths], repeatRows=repeat_rows)
        table.setStyle(TableStyle([*self.grid.getCommands(), *commands]))
        return table


def _identity(page: _Page, snapshot: dict, language: str):
    from reportlab.lib import colors

    student, term, p = snapshot["student"], snapshot["term"], page.p
    rows = [
        [p(_("Name (Korean)")), p(student["name_ko"] or "—"), p(_("Name (Latin letters)")), p(student["name_latin"] or "—")],
        [p(_("Temporary student ID")), p(student["student_id"]), p(_("Term")), p(term.get(language) or term["en"])],
        [p(_("Home university")), p(snapshot["partner"].get(language) or snapshot["partner"]["en"]),
         p(_("Home student number")), p(student["home_student_number"])],
    ]
    shade = colors.HexColor("#f0f0f0")
    return page.table(rows, [32, 53, 32, 53], ("BACKGROUND", (0, 0), (0, -1), shade), ("BACKGROUND", (2, 0), (2, -1), shade))


def _courses(page: _Page, snapshot: dict, language: str):
    from reportlab.lib import colors

    p, cell = page.p, page.cell
    rows = [[p(_("Course code"), cell), p(_("Course title"), cell), p(_("Credits"), cell), p(_("Grade"), cell),
             p(_("Points"), cell), p(_("Credit"), cell)]]
    for line in snapshot["lines"]:
        rows.append([
            p(f"{line['code']}-{line['section']}", cell), p(course_title(line, language), cell), p(line["credits"], cell),
            p(grade_cell(line), cell), p(line["points"] if line["points"] is not None else "—", cell),
            p(credit_note(line), cell),
        ])
    return page.table(rows, [28, 62, 14, 14, 14, 38], ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9f2")), repeat_rows=1)


def _totals_and_code(page: _Page, snapshot: dict) -> list:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    p = page.p
    totals = [[
        p(_("Credits attempted")), p(snapshot["credits_attempted"]), p(_("Credits earned")), p(snapshot["credits_earned"]),
        p(_("GPA (4.5 scale)")), p(snapshot["gpa"] or "—"),
    ]]
    story = [
        page.table(totals, [30, 22, 30, 22, 36, 30]), Spacer(1, 8 * mm),
        p(_("Issued on %(date)s (Asia/Seoul)") % {"date": snapshot["issued_on"]}),
        p(_("Verification code: %(code)s") % {"code": group_code(snapshot["code"])}, page.code),
        p(_("Anyone can check that this transcript was issued at %(url)s") % {"url": snapshot["verify_url"]}),
    ]
    if snapshot.get("version", 1) > 1:
        story.append(p(_("Corrected version %(version)s; it replaces the earlier ones.") % {"version": snapshot["version"]}))
    return story


def render_transcript_pdf(*, snapshot: dict, language: str) -> bytes:
    """One A4 page (more if the courses need them): header with seal text, the student, the courses, totals, code."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate, Spacer

    page, student = _Page(), snapshot["student"]
    with translation.override(language):
        host = snapshot["host"].get(language) or snapshot["host"].get("en") or ""
        story = [
            page.p(host, page.host), page.p(_("Transcript of records"), page.heading), page.p(seal_text(language), page.small),
            Spacer(1, 5 * mm), _identity(page, snapshot, language), Spacer(1, 5 * mm),
            _courses(page, snapshot, language), Spacer(1, 4 * mm), *_totals_and_code(page, snapshot),
        ]
        buffer = io.BytesIO()
        document = SimpleDocTemplate(
            buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
            title=str(_("Transcript of records")), author=host, creator="UST Portal",
            invariant=True,  # the same snapshot gives the same bytes (its sha256 is stored)
        )
        whose = " / ".join(part for part in (student["name_ko"], student["name_latin"]) if part) or student["student_id"]
        document.build(story, canvasmaker=_footer_canvas(
            font=page.regular, whose=whose, code=group_code(snapshot["code"]), language=language,
        ))
    return buffer.getvalue()
