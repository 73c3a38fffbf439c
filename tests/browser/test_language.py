"""One English word, two meanings: each page shows the Korean of its own meaning (issue 11, Language).

The notice board's "Title" is a notice title (not a course title), the partner-list overview's "to" names the
recipients (not a status), an application's history shows status labels (not codes), and the affiliation admin's
English column is the English test.
"""

import re

import pytest

from creditexchange.models import ApplicationEvent, TemporaryIdApplication
from tests.browser.conftest import submit
from tests.creditexchange.partner_list_helpers import build_scene, send

from ..factories import AffiliationApplicationFactory, NoticeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
Status = TemporaryIdApplication.Status
WORDS = {
    "ko": {"title": "제목", "not_title": "교과목명", "to": "받는 사람:", "not_to": "변경 후 상태", "english": "영어 성적",
           "submitted": "신청 접수(이메일 미확인)", "confirmed": "신청 완료"},
    "en": {"title": "Title", "not_title": "Course title", "to": "to", "not_to": "Status after", "english": "English",
           "submitted": "Submitted (e-mail not confirmed)", "confirmed": "Confirmed"},
}


@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True)], ids=["ko", "en", "ko-phone"])
def test_it_shows_each_word_in_its_own_meaning(live_server, open_page, problems, shot, language, phone):
    from playwright.sync_api import expect

    words = WORDS[language]
    NoticeFactory(title_ko="수강신청 안내", title_en="Course registration")
    scene = build_scene()
    send(scene, scene.hanbit, "applicants")
    application = scene.applicant
    ApplicationEvent.objects.create(application=application, from_status=Status.SUBMITTED, to_status=Status.CONFIRMED)
    AffiliationApplicationFactory()
    UserFactory(username="root", is_staff=True, is_superuser=True, language=language)

    # The notice board: a notice's title, not a course title.
    page = open_page(language=language, phone=phone)
    page.goto(f"{live_server.url}/notices/")
    expect(page.locator("table thead th").nth(1)).to_have_text(words["title"])
    expect(page.locator("body")).not_to_contain_text(words["not_title"])
    shot(page, f"language-notices-{language}{'-phone' if phone else ''}")

    # The admin: sign in through the real form.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    submit(page, "#login-form input[type=submit]")

    # An application's history: the status labels, never the codes.
    page.goto(f"{live_server.url}/admin/creditexchange/temporaryidapplication/{application.pk}/change/")
    history = page.locator("td.field-from_status", has_text=words["submitted"])
    expect(history).to_have_count(1)
    expect(page.locator("td.field-to_status", has_text=words["confirmed"]).first).to_be_visible()
    cells = page.locator("td.field-from_status, td.field-to_status").all_inner_texts()
    assert not {c.strip() for c in cells} & {"submitted", "confirmed"}
    expect(page.locator("td.original p").first).to_have_text(f"{words['submitted']} → {words['confirmed']}")
    shot(page, f"language-application-history-{language}{'-phone' if phone else ''}")

    # The partner-list overview: "to" names the recipients.
    page.goto(f"{live_server.url}/admin/creditexchange/partnerlist/term/{scene.term.pk}/")
    cell = page.locator("#partner-list-overview td.cell-applicants", has_text="exchange@hanbit.example")
    expect(cell).to_have_count(1)
    assert re.search(rf"{re.escape(words['to'])}\s+exchange@hanbit\.example", cell.inner_text())
    expect(page.locator("#partner-list-overview")).not_to_contain_text(words["not_to"])
    shot(page, f"language-partner-overview-{language}{'-phone' if phone else ''}")

    # The affiliation admin: the English column is the English test.
    page.goto(f"{live_server.url}/admin/affiliation/affiliationapplication/")
    expect(page.locator("#result_list thead th.column-english")).to_have_text(re.compile(words["english"], re.I))

    assert problems == []
