"""A committee member publishes stage-1 results before the announced time, in chromium (ko, en; 1280 and 390 px).

From the round list the action opens the confirmation page: the announced time, the outcome per department, the
students to be mailed and the warning that it cannot be undone; the reason is required. Confirming publishes:
the database holds the publication time as the new announced time and the staff action log entry with the
reason, and the home page's timeline shows the new time. axe-core runs on the confirmation page.
"""

import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from accounts.roles import ensure_roles
from affiliation import services
from affiliation.models import AffiliationRound
from core import dates
from core.models import BulkAction, OutgoingMail
from tests.browser.conftest import axe_check, submit

from ..factories import UserFactory
from .test_committee_journey import PASSWORD, closed_round

SUCCESS = {"ko": "2", "en": "2 result mails queued"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.browser
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_committee_publishes_early_with_a_reason_and_the_home_page_shows_the_new_time(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    ensure_roles()
    member = UserFactory(username="committee", is_staff=True, language=language)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    round, applications = closed_round()
    services.selection_run_stage1(round_id=round.pk)
    round.refresh_from_db()
    announced = round.stage1_publish_at
    base = live_server.url
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))

    page.goto(f"{base}/admin/login/?next=/admin/affiliation/affiliationround/")
    page.fill("#id_username", "committee")
    page.fill("#id_password", PASSWORD)
    submit(page, "#login-form input[type=submit]")

    # The action opens the confirmation page; nothing is published yet.
    page.locator(f"#result_list input[name=_selected_action][value='{round.pk}']").check()
    page.select_option("select[name=action]", "publish_stage1")
    submit(page, "#changelist-form button[name=index]")
    with translation.override(language):
        expect(page.locator("#publish-announced")).to_contain_text(dates.when(announced))
    expect(page.locator("#publish-early")).to_be_visible()
    expect(page.locator("#publish-irreversible")).to_be_visible()
    expect(page.locator("#publish-departments tbody tr")).to_have_count(1)
    expect(page.locator("#publish-recipients tbody tr")).to_have_count(2)
    for application in applications:
        expect(page.locator(f"#publish-recipients tr[data-student='{application.record.student_number}']")).to_contain_text(
            application.record.user.email)
    axe_check(page, context="publication confirmation")
    shot(page, f"publication-{language}-{'phone' if phone else 'desktop'}-confirm")
    assert AffiliationRound.objects.get(pk=round.pk).stage1_published_at is None

    # Without a reason the page comes back with the error; with one, it publishes.
    submit(page, "#confirm-publish")
    expect(page.locator("#publish-error")).to_be_visible()
    axe_check(page, context="publication confirmation, reason missing")
    assert AffiliationRound.objects.get(pk=round.pk).stage1_published_at is None
    page.fill("#id_reason", "면접 일정이 앞당겨짐 / interviews moved forward")
    submit(page, "#confirm-publish")
    expect(page.locator(".messagelist .success")).to_contain_text(SUCCESS[language])

    round.refresh_from_db()
    assert round.stage1_published_at is not None and round.stage1_publish_at == round.stage1_published_at < announced
    action = BulkAction.objects.get(kind="affiliation.results_publish")
    assert action.actor == member and action.reason == "면접 일정이 앞당겨짐 / interviews moved forward"
    assert action.inputs["announced_before"] == announced.isoformat()
    assert action.inputs["announced_after"] == round.stage1_publish_at.isoformat()
    assert OutgoingMail.objects.filter(kind="affiliation_result").count() == 2
    page.context.close()

    # The public home page's timeline says when the results really came out.
    page = open_page(language=language, phone=phone)
    page.goto(f"{base}/")
    when = page.locator(f"tr[data-entry='affiliation-round-{round.pk}-stage1'] .timeline-when")
    with translation.override(language):
        expect(when).to_have_text(dates.when(round.stage1_publish_at, weekday=True))
    shot(page, f"publication-{language}-{'phone' if phone else 'desktop'}-home")
    assert problems == [], "\n".join(problems)
