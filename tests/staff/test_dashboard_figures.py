"""The dashboard's figures equal the data they count: selectors, the HTML tables, the charts and the CSV/XLSX files."""

import csv
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from staffdesk import selectors

from ..factories import ApplicationFactory, CourseOfferingFactory, CourseRegistrationFactory, InstitutionFactory

FIGURES = [
    "applications_by_status", "applications_by_partner", "registrations_by_offering", "recommendations_by_partner",
    "affiliation_by_department",
]
COMPUTE = {
    "applications_by_status": selectors.application_figures, "applications_by_partner": selectors.application_figures,
    "registrations_by_offering": selectors.registration_figures, "recommendations_by_partner": selectors.recommendation_figures,
    "affiliation_by_department": selectors.affiliation_figures,
}


class Tables(HTMLParser):
    """Collects the body rows of every ``<table id="table-…">`` and the bars of every chart, per figure."""

    def __init__(self):
        super().__init__()
        self.tables, self.bars, self.figure, self.table, self.row, self.cell = {}, {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("id", "").startswith("figure-"):
            self.figure = attrs["id"].removeprefix("figure-")
        elif tag == "table" and attrs.get("id", "").startswith("table-"):
            self.table = self.tables.setdefault(attrs["id"].removeprefix("table-"), [])
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag == "td" and self.row is not None:
            self.cell = ""
        elif tag == "rect" and attrs.get("class") == "bar":
            self.bars[self.figure] = self.bars.get(self.figure, 0) + 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.row:
                self.table.append(self.row)
            self.row = None
        elif tag == "table":
            self.table = None


def _shown(value) -> str:
    return "—" if value is None else str(value)


def _page(client, user, scene, **params):
    client.force_login(user)
    response = client.get("/staff/", {"term": scene.term.pk, **params})
    assert response.status_code == 200
    parser = Tables()
    parser.feed(response.content.decode())
    return response, parser


@pytest.mark.parametrize("key", FIGURES)
def test_each_figure_set_equals_the_data(scene, key):
    figure = next(f for f in COMPUTE[key](scene.term) if f.key == key)

    assert figure.rows == scene.expected[key]
    assert len(figure.bars) == len(figure.rows)


def test_the_page_shows_every_figure_in_its_table_with_one_bar_per_row(client, superuser, scene):
    _response, page = _page(client, superuser, scene)

    for key in FIGURES:
        assert page.tables[key] == [[_shown(v) for v in row] for row in scene.expected[key]], key
        assert page.bars[key] == len(scene.expected[key]), key


def test_the_notes_add_up_the_rows(client, superuser, scene):
    response, _page_tables = _page(client, superuser, scene)
    text = response.content.decode()

    assert "11 applications in all." in text
    assert "6 registrations for 14 seats in 4 offerings." in text
    assert "9 applicants for 5 places." in text


@pytest.mark.parametrize("key", FIGURES)
def test_the_csv_download_holds_the_same_figures(client, superuser, scene, key):
    client.force_login(superuser)
    response = client.get("/staff/", {"term": scene.term.pk, "figure": key, "format": "csv"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f'filename="2026-fall_{key}.csv"' in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    figure = selectors.dashboard_figure(term=scene.term, key=key)
    assert lines[0] == figure.header
    assert lines[1:] == [["" if v is None else str(v) for v in row] for row in scene.expected[key]]


@pytest.mark.parametrize("key", FIGURES)
def test_the_xlsx_download_holds_the_same_figures(client, superuser, scene, key):
    client.force_login(superuser)
    response = client.get("/staff/", {"term": scene.term.pk, "figure": key, "format": "xlsx"})

    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[1:] == [
        [float(v) if isinstance(v, Decimal) else v for v in row] for row in scene.expected[key]
    ]


def test_downloads_escape_cells_that_a_spreadsheet_would_run_as_formulas(client, superuser, scene):
    evil = InstitutionFactory(code="evil", name_ko="=HYPERLINK(\"http://x\")", name_en="=HYPERLINK(\"http://x\")")
    ApplicationFactory(term=scene.term, partner=evil)
    client.force_login(superuser)

    content = client.get("/staff/", {"term": scene.term.pk, "figure": "applications_by_partner", "format": "csv"}).content
    assert "'=HYPERLINK" in content.decode("utf-8-sig")
    workbook = client.get("/staff/", {"term": scene.term.pk, "figure": "applications_by_partner", "format": "xlsx"}).content
    names = [row[0] for row in load_workbook(io.BytesIO(workbook)).active.iter_rows(values_only=True)]
    assert "'=HYPERLINK(\"http://x\")" in names


def test_labels_follow_the_active_language(client, superuser, scene):
    client.force_login(superuser)

    korean = client.get("/staff/", {"term": scene.term.pk}, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    english = client.get("/staff/", {"term": scene.term.pk}).content.decode()

    assert "한빛대학교" in korean and "Hanbit University" not in korean
    assert "Hanbit University" in english and "한빛대학교" not in english
    assert "컴퓨터학과" in korean and "Computer Science" in english


def test_the_current_term_is_shown_by_default(client, superuser, scene):
    client.force_login(superuser)

    response = client.get("/staff/")

    assert response.context["term"] == scene.term
    assert [t.pk for t in response.context["terms"]][:1] == [scene.other_term.pk]  # newest first


def test_each_role_defaults_to_the_term_its_own_schedule_is_in(client, registrar, committee, superuser):
    from datetime import timedelta

    from django.utils import timezone

    from ..factories import AffiliationRoundFactory, TermFactory, TermWindowFactory

    fall = AffiliationRoundFactory().term  # 2026 fall: the round's window is open, no credit-exchange window
    winter = TermFactory(year=2026, season="winter")
    TermWindowFactory(term=winter, kind="registration", starts_at=timezone.now() - timedelta(days=1))
    TermFactory(year=2027, season="spring")  # nothing scheduled

    for user, expected in [(registrar, winter), (committee, fall), (superuser, fall)]:
        client.force_login(user)
        assert client.get("/staff/").context["term"] == expected, user


def test_a_term_without_data_shows_empty_figures(client, superuser, scene):
    client.force_login(superuser)
    response = client.get("/staff/", {"term": scene.other_term.pk, "figure": "affiliation_by_department", "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(lines) == 1  # the header only: 2027 spring has no round

    page_response = client.get("/staff/", {"term": scene.other_term.pk})
    assert "This term has no change-of-affiliation round." in page_response.content.decode()


class TestQueryCounts:
    def test_each_figure_set_costs_a_fixed_number_of_queries(self, scene, django_assert_num_queries):
        with django_assert_num_queries(1):
            selectors.application_figures(scene.term)
        with django_assert_num_queries(1):
            selectors.registration_figures(scene.term)
        with django_assert_num_queries(1):
            selectors.recommendation_figures(scene.term)
        with django_assert_num_queries(3):
            selectors.affiliation_figures(scene.term)
        with django_assert_num_queries(1):
            selectors.dashboard_terms()
        with django_assert_num_queries(4):  # no batch yet: the mail count is skipped
            selectors.grade_figures(scene.term)

    def test_the_page_costs_the_same_with_more_data(self, client, superuser, scene):
        client.force_login(superuser)
        client.get("/staff/", {"term": scene.term.pk})  # warm the session

        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as before:
            client.get("/staff/", {"term": scene.term.pk})
        for number in range(5):
            offering = CourseOfferingFactory(term=scene.term, code=f"NEW{number}")
            CourseRegistrationFactory.create_batch(2, offering=offering)
            ApplicationFactory(term=scene.term, partner=InstitutionFactory())
        with CaptureQueriesContext(connection) as after:
            client.get("/staff/", {"term": scene.term.pk})

        assert len(after) == len(before)
        assert len(before) <= 16  # 12, and the grades and transcripts section's four (issue 15)


def test_it_does_not_show_an_excluded_college_as_open(scene):
    from django.utils.translation import override

    from affiliation.models import DepartmentQuota

    DepartmentQuota.objects.filter(department__code="med").update(general_transfer_number=4)
    with override("en"):
        figure = selectors.affiliation_figures(scene.term)[0]
    assert [row[0] for row in figure.rows] == ["Computer Science", "Electrical Engineering"]
    assert "5 places" in figure.note
