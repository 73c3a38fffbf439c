"""Issue 12, finding 4 in chromium (ko, en; 1280 px and a 390 px phone): a registrar moves an offering's time slot
under registered students in the admin change form, sees the students whose timetables break and what breaks,
confirms, and the database holds the new slot, the staff action log entry and the students' mails."""

from datetime import time

import pytest

from core.models import BulkAction, OutgoingMail
from creditexchange.models import TimeSlot
from tests.browser.conftest import axe_check, log_in, submit

from ..creditexchange.test_offering_change import MON, TUE, timetable  # noqa: F401 - the fixture


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_registrar_moves_a_slot_under_registered_students(
    open_page, live_server, problems, shot, registrar, timetable, language, phone  # noqa: F811
):
    from playwright.sync_api import expect

    a = timetable["a"]
    base, name = live_server.url, f"offering-change-{language}-{'phone' if phone else 'desktop'}"
    page = open_page(language=language, phone=phone)
    log_in(page, live_server, registrar)
    page.goto(f"{base}/admin/creditexchange/courseoffering/{a.pk}/change/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    axe_check(page, context="offering change form")

    page.select_option("select[name=slots-0-weekday]", str(TUE))
    page.fill("input[name=slots-0-starts_at]", "09:30")
    page.fill("input[name=slots-0-ends_at]", "11:00")
    submit(page, "input[name=_save]")

    # The confirmation page: the change, Mina and her clash; nothing saved yet.
    preview = page.locator("#offering-change-affected")
    expect(preview).to_contain_text(str(timetable["mina"]))
    expect(preview).to_contain_text("MAT201-01")
    expect(preview).not_to_contain_text(str(timetable["joon"]))
    expect(page.locator("#offering-change-preview")).to_contain_text("09:30")
    assert list(TimeSlot.objects.filter(offering=a).values_list("weekday", "starts_at")) == [(MON, time(9))]
    axe_check(page, context="offering change confirmation")
    shot(page, f"{name}-confirm")

    submit(page, "#confirm-offering-change")
    expect(page.locator("ul.messagelist li.success")).to_have_count(1)
    assert list(TimeSlot.objects.filter(offering=a).values_list("weekday", "starts_at", "ends_at")) == [
        (TUE, time(9, 30), time(11))
    ]
    action = BulkAction.objects.get(kind="creditexchange.offering_change")
    assert action.actor == registrar and [row[0] for row in action.inputs["affected"]] == [timetable["mina"].pk]
    assert sorted(OutgoingMail.objects.filter(kind="offering_changed").values_list("to", flat=True)) == [
        "joon@partner.example", "mina@partner.example",
    ]
    axe_check(page, context="offerings after the change")
    assert problems == []
