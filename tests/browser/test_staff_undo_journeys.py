"""Issue 12, undo from the staff action log, in chromium (ko on a 1280 px screen, en on a 390 px phone).

Each journey starts where a member of staff finds a mistake: the staff action log ("업무 처리 기록") (the offerings import itself
goes through its page: upload, preview, confirmation). They open the
import's entry, follow "Undo this action…", read what the undo does and are refused without a reason. A change
made meanwhile (a registration, a corrected score, an edited record) makes the confirmation refuse, naming it,
with nothing undone; once it is put back the confirmation goes through: the database holds the values from before
the import and an undo entry (``undoes``) with the reason, and the log's entry links that undo instead of offering
another. Journeys: a registrar undoes an offerings import; a committee member undoes a scores import (stage 2
voided) and a records import (with and without putting back the addresses it wrote). axe-core runs on every page.
"""

from datetime import time
from decimal import Decimal

import pytest

from affiliation import services as affiliation_services
from affiliation.models import AffiliationRound, StudentRecord
from core.models import BulkAction
from creditexchange.models import CourseOffering, TimeSlot
from tests.browser.conftest import axe_check, log_in, submit

from ..affiliation.conftest import _media, committee, cse, fall_round, main_campus  # noqa: F401 - fixtures
from ..affiliation.test_records_import import _file as records_file
from ..affiliation.test_records_import import reference  # noqa: F401 - the fixture
from ..affiliation.test_scores_import import csv as scores_csv
from ..affiliation.test_scores_import import passes, scores  # noqa: F401 - the fixture
from ..creditexchange.test_offering_change import MON, timetable  # noqa: F401 - the fixture
from ..creditexchange.test_offerings_import_preview import _file as offerings_file
from ..creditexchange.test_offerings_import_preview import _row, _slots
from ..factories import CourseRegistrationFactory, host_campus

LOG = "/admin/core/bulkaction/"
LANGUAGES = pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", True)], ids=["ko", "en-phone"])
SLOTS = {"ko": "강의시간", "en": "time slots"}  # an offering's time slots, named as its form names them
WORDS = {
    "ko": {"log": "업무 처리 기록", "undo": "이 작업 되돌리기", "undone": "되돌림"},
    "en": {"log": "staff action log", "undo": "Undo this action", "undone": "undone by entry"},
}


def _fits_the_phone(page, phone: bool) -> None:
    if phone:  # nothing pushes the page itself wider than the 390 px screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _undo_from_the_log(page, base: str, action: BulkAction, language: str, phone: bool, name: str, shot) -> None:
    """The action log → the import's entry → its "Undo this action…" link, checking each page on the way."""
    from playwright.sync_api import expect

    page.goto(f"{base}{LOG}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".breadcrumbs")).to_contain_text(WORDS[language]["log"], ignore_case=True)
    axe_check(page, context="staff action log")
    _fits_the_phone(page, phone)
    with page.expect_navigation():
        page.locator(f"#result_list a[href$='/bulkaction/{action.pk}/change/']").click()
    axe_check(page, context="action log entry")
    _fits_the_phone(page, phone)
    link = page.locator(".field-undone a")
    expect(link).to_contain_text(WORDS[language]["undo"])
    shot(page, f"{name}-entry")
    with page.expect_navigation():
        link.click()


def _refused_without_a_reason(page, button: str) -> None:
    from playwright.sync_api import expect

    page.fill("#id_reason", "   ")  # passes the browser's "required", not the server
    submit(page, button)
    expect(page.locator(".errorlist")).to_have_count(1)


def _the_entry_links_its_undo(page, base: str, action: BulkAction, language: str) -> BulkAction:
    from playwright.sync_api import expect

    undo = BulkAction.objects.get(undoes=action)
    page.goto(f"{base}{LOG}{action.pk}/change/")
    expect(page.locator(".field-undone a")).to_contain_text(WORDS[language]["undone"])
    expect(page.locator(".field-undone a")).to_have_attribute("href", f"{LOG}{undo.pk}/change/")
    return undo


@pytest.mark.browser
@LANGUAGES
def test_the_registrar_undoes_an_offerings_import_from_the_action_log(
    open_page, live_server, problems, shot, registrar, timetable, language, phone  # noqa: F811
):
    from playwright.sync_api import expect

    host_campus("main")
    a, b = timetable["a"], timetable["b"]
    content = offerings_file(a, b, a_slots="Mon 13:00-14:30", extra=[_row(code="NEW101", department="")])
    base, name = live_server.url, f"undo-offerings-{language}{'-phone' if phone else ''}"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, registrar)

    # The import through its page: the preview names the changed fields in the page's language, then the confirmation.
    page.goto(f"{base}/admin/creditexchange/courseoffering/import/")
    page.select_option("#id_term", str(timetable["term"].pk))
    page.set_input_files("#id_file", files=[{"name": "offerings.csv", "mimeType": "text/csv", "buffer": content}])
    submit(page, "#content form [type=submit]")
    expect(page.locator("#job-preview-table")).to_contain_text("NEW101")
    expect(page.locator("#job-preview-table")).to_contain_text(SLOTS[language])
    expect(page.locator("#job-preview-table")).not_to_contain_text("time_slots")
    axe_check(page, context="offerings import preview")
    assert _slots(a) == [(MON, time(9), time(10, 30))]
    submit(page, "#job-confirm")
    expect(page.locator("#job-bulk-actions a", has_text="creditexchange.offerings_import")).to_have_count(1)
    assert _slots(a) == [(MON, time(13), time(14, 30))] and CourseOffering.objects.filter(code="NEW101").exists()
    action = BulkAction.objects.get(kind="creditexchange.offerings_import")
    assert action.actor == registrar

    _undo_from_the_log(page, base, action, language, phone, name, shot)
    expect(page).to_have_url(f"{base}/admin/creditexchange/courseoffering/import/undo/{action.pk}/")
    expect(page.locator("#undo-preview")).to_contain_text("NEW101-01")
    expect(page.locator("#undo-preview")).to_contain_text(f"{SLOTS[language]} = Mon 09:00-10:30")
    expect(page.locator("#undo-preview")).not_to_contain_text("time_slots")
    axe_check(page, context="offerings import undo")
    _fits_the_phone(page, phone)
    _refused_without_a_reason(page, "#confirm-undo")
    assert CourseOffering.objects.filter(code="NEW101").exists() and not BulkAction.objects.filter(undoes=action).exists()

    reason = "다른 학기 파일을 올렸습니다 / The file was for another term"
    # A student registers for the new offering while the page is open: refused, naming it; nothing undone.
    late = CourseRegistrationFactory(student=timetable["joon"], offering=CourseOffering.objects.get(code="NEW101"))
    page.fill("#id_reason", reason)
    submit(page, "#confirm-undo")
    expect(page.locator("#content .errornote")).to_contain_text("NEW101-01")
    refusal = page.locator("#content .errornote").inner_text().strip()
    assert page.locator("#content").inner_text().count(refusal) == 1  # said once, above the form
    axe_check(page, context="offerings import undo refused")
    assert _slots(a) == [(MON, time(13), time(14, 30))] and not BulkAction.objects.filter(undoes=action).exists()
    late.delete()  # the registration is withdrawn; the undo can go ahead

    page.fill("#id_reason", reason)
    shot(page, f"{name}-confirm")
    submit(page, "#confirm-undo")
    expect(page).to_have_url(f"{base}/admin/creditexchange/courseoffering/")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    axe_check(page, context="offerings after the undo")
    assert not CourseOffering.objects.filter(code="NEW101").exists()
    assert list(TimeSlot.objects.filter(offering=a).values_list("weekday", "starts_at", "ends_at")) == [
        (MON, time(9), time(10, 30))]
    undo = _the_entry_links_its_undo(page, base, action, language)
    assert (undo.kind, undo.actor, undo.reason) == (action.kind, registrar, reason)
    assert problems == []


@pytest.mark.browser
@LANGUAGES
def test_the_committee_undoes_a_scores_import_from_the_action_log(
    open_page, live_server, problems, shot, committee, fall_round, passes, language, phone  # noqa: F811
):
    from playwright.sync_api import expect

    affiliation_services.application_scores_set(application_id=passes[0].pk, document_score=60, interview_score=60)
    affiliation_services.scores_import(round=fall_round, content=scores_csv([(a.record.student_number, 90, 90) for a in passes]),
                                       filename="scores.csv", actor=committee)
    affiliation_services.selection_run_stage2(round_id=fall_round.pk)
    action = BulkAction.objects.get(kind="affiliation.scores_import")
    base, name = live_server.url, f"undo-scores-{language}{'-phone' if phone else ''}"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, committee)

    _undo_from_the_log(page, base, action, language, phone, name, shot)
    expect(page).to_have_url(f"{base}/admin/affiliation/affiliationapplication/import-scores/undo/{action.pk}/")
    first = passes[0].record.student_number
    expect(page.locator(f"#undo-preview tr[data-student='{first}']")).to_contain_text("60")
    expect(page.locator("#undo-preview tbody tr")).to_have_count(4)
    expect(page.locator("#undo-stage2")).to_have_count(1)
    axe_check(page, context="scores import undo")
    _fits_the_phone(page, phone)
    _refused_without_a_reason(page, "#undo-scores")
    assert scores(passes) == [(Decimal(90), Decimal(90))] * 4

    reason = "작년 점수 파일이었습니다 / Last year's score file"
    # A score is corrected while the page is open: refused, naming the student; nothing undone.
    third = passes[2].record.student_number
    affiliation_services.application_scores_set(application_id=passes[2].pk, interview_score=50)
    page.fill("#id_reason", reason)
    submit(page, "#undo-scores")
    expect(page.locator("#content .errornote").last).to_contain_text(third)
    expect(page.locator("#undo-moved")).to_contain_text(third)
    axe_check(page, context="scores import undo refused")
    assert scores(passes)[0] == (Decimal(90), Decimal(90)) and not BulkAction.objects.filter(undoes=action).exists()
    affiliation_services.application_scores_set(application_id=passes[2].pk, interview_score=90)  # put back

    page.fill("#id_reason", reason)
    shot(page, f"{name}-confirm")
    submit(page, "#undo-scores")
    expect(page).to_have_url(f"{base}/admin/affiliation/affiliationapplication/")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    axe_check(page, context="applications after the undo")
    assert scores(passes) == [(Decimal(60), Decimal(60))] + [(None, None)] * 3
    assert AffiliationRound.objects.get(pk=fall_round.pk).stage2_run_at is None  # stage 2 must run again
    undo = _the_entry_links_its_undo(page, base, action, language)
    assert (undo.actor, undo.reason) == (committee, reason)
    assert problems == []


@pytest.mark.browser
@LANGUAGES
def test_the_committee_undoes_a_records_import_from_the_action_log(
    open_page, live_server, problems, shot, committee, reference, language, phone  # noqa: F811
):
    from playwright.sync_api import expect

    assert affiliation_services.records_import(content=records_file(), filename="first.csv").ok
    record = StudentRecord.objects.select_related("user").get(student_number="S2024001")
    stamp = record.imported_at
    record.user.email = "own@example.org"  # changed at the student's request; the import below takes the file's
    record.user.save()
    assert affiliation_services.records_import(content=records_file(email="sis@sejong.example", credits=61, semesters="2026-1 E"),
                                               filename="second.csv", actor=committee, email_conflicts="take").ok
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    base, name = live_server.url, f"undo-records-{language}{'-phone' if phone else ''}"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, committee)

    _undo_from_the_log(page, base, action, language, phone, name, shot)
    expect(page).to_have_url(f"{base}/admin/affiliation/studentrecord/import/undo/{action.pk}/")
    expect(page.locator("#undo-preview")).to_contain_text("S2024001")
    expect(page.locator("#undo-preview")).to_contain_text("sis@sejong.example")
    expect(page.locator("#undo-preview")).to_contain_text("own@example.org")
    axe_check(page, context="records import undo")
    _fits_the_phone(page, phone)
    _refused_without_a_reason(page, "#undo-import")
    assert StudentRecord.objects.get(pk=record.pk).earned_credits == 61

    reason = "학사 시스템 추출 오류 / A faulty export from the student information system"
    # The record is edited while the page is open: refused, naming the student; nothing undone.
    StudentRecord.objects.filter(pk=record.pk).update(earned_credits=63)
    page.fill("#id_reason", reason)
    submit(page, "#undo-import")
    expect(page.locator("#content .errornote").last).to_contain_text("S2024001")
    expect(page.locator("#undo-moved")).to_contain_text("S2024001")
    axe_check(page, context="records import undo refused")
    assert not BulkAction.objects.filter(undoes=action).exists()
    StudentRecord.objects.filter(pk=record.pk).update(earned_credits=61)  # put back

    page.fill("#id_reason", reason)
    restore = language == "ko"  # the address decision: ticked in Korean, left unticked in English
    if restore:
        page.check("#id_restore_emails")
    shot(page, f"{name}-confirm")
    submit(page, "#undo-import")
    expect(page).to_have_url(f"{base}/admin/affiliation/studentrecord/")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    axe_check(page, context="records after the undo")
    record.refresh_from_db()
    assert (record.earned_credits, record.imported_at) == (55, stamp)
    assert sorted(record.semesters.values_list("term__year", "term__season")) == [(2025, "fall"), (2025, "spring")]
    record.user.refresh_from_db()
    assert record.user.email == ("own@example.org" if restore else "sis@sejong.example")
    undo = _the_entry_links_its_undo(page, base, action, language)
    assert (undo.actor, undo.reason) == (committee, reason)
    assert undo.inputs["emails_kept"] == ([] if restore else ["S2024001"])
    assert problems == []
