"""The winter-session conditions check in chromium (issue 12, finding 1), in Korean and English and on a 390 px phone.

A committee member opens the check from the round list: the preview lists every admitted student with their
credits against the minimum, the liberal-arts flag and the import time, and who would be cancelled and why; a
confirmation cancels exactly those and mails them. The member then reinstates one pass with a reason on its page.
Before the records are refreshed the page refuses and names the students. The database is checked after each step
and axe-core runs on every page.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import ensure_roles
from affiliation.models import AffiliationApplication, StudentRecord
from core.models import BulkAction, OutgoingMail
from tests.browser.conftest import axe_check, log_in, submit

from ..factories import (
    AffiliationApplicationFactory,
    AffiliationRoundFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    StudentRecordFactory,
    UserFactory,
    affiliation_campus,
)

Status = AffiliationApplication.Status
REFUSED = {"ko": "겨울", "en": "not imported after the winter session"}


def published_round():
    now = timezone.now()
    round = AffiliationRoundFactory(
        opens_at=now - timedelta(days=100), closes_at=now - timedelta(days=90),
        stage1_publish_at=now - timedelta(days=80), final_publish_at=now - timedelta(days=60),
        conditions_check_at=now - timedelta(hours=1), winter_session_ends_on=timezone.localdate() - timedelta(days=3),
    )
    round.stage1_published_at, round.final_published_at = round.stage1_publish_at, round.final_publish_at
    round.stage1_run_at = round.stage2_run_at = now - timedelta(days=70)
    round.save()
    cse = DepartmentFactory(campus=affiliation_campus(main=True), code="cse", name_ko="컴퓨터학과", name_en="Computer Science")
    DepartmentQuotaFactory(round=round, department=cse, general_transfer_number=3)
    passes = {}
    for number, credits, liberal in (("S2024001", 70, True), ("S2024002", 61, True), ("S2024003", 80, False)):
        user = UserFactory(username=number, email=f"{number.lower()}@sejong.example", kind="home")
        record = StudentRecordFactory(user=user, student_number=number, earned_credits=credits,
                                      liberal_arts_met=liberal, imported_at=now - timedelta(days=40))
        passes[number] = AffiliationApplicationFactory(
            round=round, record=record, target_department=cse, status=Status.ADMITTED, submitted_at=round.opens_at)
    return round, passes


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_committee_previews_confirms_and_reinstates(open_page, live_server, problems, shot, language, phone):
    from playwright.sync_api import expect

    ensure_roles()
    member = UserFactory(username="committee", is_staff=True, language=language)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    round, passes = published_round()
    base = live_server.url
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    log_in(page, live_server, member)

    # 1. From the round list: the action opens the preview, which refuses while the records are from the application.
    page.goto(f"{base}/admin/affiliation/affiliationround/")
    page.locator(f"#result_list input[name=_selected_action][value='{round.pk}']").check()
    page.select_option("select[name=action]", "check_conditions")
    submit(page, "#changelist-form button[name=index]")
    expect(page).to_have_url(f"{base}/admin/affiliation/affiliationround/{round.pk}/conditions/")
    expect(page.locator("#conditions-refusal")).to_contain_text(REFUSED[language])
    expect(page.locator("#conditions-refusal")).to_contain_text("S2024002")
    expect(page.locator("#conditions-confirm")).to_have_count(0)
    axe_check(page, context="conditions refused")
    shot(page, f"winter-check-refused-{language}{'-phone' if phone else ''}")

    # 2. The records are imported after the winter session: the preview shows values and who would be cancelled.
    StudentRecord.objects.update(imported_at=timezone.now())
    page.reload()
    expect(page.locator("tr[data-student=S2024001]")).to_contain_text("70 / 67")
    expect(page.locator("tr[data-student=S2024002].would-cancel")).to_contain_text("61 / 67")
    expect(page.locator("tr[data-student=S2024003].would-cancel")).to_have_count(1)
    expect(page.locator("tr.would-keep")).to_have_count(1)
    axe_check(page, context="conditions preview")
    if phone:  # the table scrolls inside its region; the page itself stays 390 px wide
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, f"winter-check-preview-{language}{'-phone' if phone else ''}")
    assert set(AffiliationApplication.objects.values_list("status", flat=True)) == {Status.ADMITTED}

    # 3. Confirm: exactly the two are cancelled, mailed and recorded once.
    submit(page, "#confirm-conditions")
    expect(page.locator(".messagelist .success")).to_have_count(1)
    expect(page.locator("#conditions-done")).to_have_count(1)
    axe_check(page, context="conditions done")
    statuses = dict(AffiliationApplication.objects.values_list("record__student_number", "status"))
    assert statuses == {"S2024001": Status.ADMITTED, "S2024002": Status.CANCELLED, "S2024003": Status.CANCELLED}
    assert sorted(OutgoingMail.objects.filter(kind="affiliation_cancelled").values_list("to", flat=True)) == [
        "s2024002@sejong.example", "s2024003@sejong.example"]
    action = BulkAction.objects.get(kind="affiliation.conditions_check")
    assert action.actor == member and action.count == 2

    # 4. Reinstate S2024002 with a reason: a blank reason is refused on the page, then it is admitted again.
    short = passes["S2024002"]
    submit(page, f"#reinstate-{short.pk}")
    expect(page.locator("#reinstate-warning")).to_have_count(1)
    axe_check(page, context="reinstate form")
    page.fill("#id_reason", "   ")  # passes the browser's "required", not the server
    submit(page, "#reinstate-pass")
    expect(page.locator(".errorlist")).to_have_count(1)
    assert AffiliationApplication.objects.get(pk=short.pk).status == Status.CANCELLED
    page.fill("#id_reason", "성적 정정 반영 / Grade correction from the college")
    shot(page, f"winter-check-reinstate-{language}{'-phone' if phone else ''}")
    submit(page, "#reinstate-pass")
    expect(page.locator(".messagelist .success")).to_have_count(1)
    short.refresh_from_db()
    assert short.status == Status.ADMITTED and not short.cancel_reason
    assert short.events.last().reason == "성적 정정 반영 / Grade correction from the college"
    assert OutgoingMail.objects.get(kind="affiliation_reinstated").to == "s2024002@sejong.example"
    assert BulkAction.objects.get(kind="affiliation.application_reinstate").actor == member
    expect(page.locator(f"#reinstate-{short.pk}")).to_have_count(0)
    assert problems == []
