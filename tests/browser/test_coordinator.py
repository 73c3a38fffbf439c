"""The partner coordinator in chromium (issue 11): language switch keeps the signed link, "Recommend all" then the
exceptions, the saved tally, a revision, and a final list pre-filled from the answers given on the applicants list."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from creditexchange import services
from creditexchange.models import PartnerList
from tests.browser.conftest import axe_check, submit
from tests.creditexchange.partner_list_helpers import build_scene, send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VARIANTS = [("ko", False), ("en", False), ("ko", True), ("en", True)]
IDS = ["ko", "en", "ko-phone", "en-phone"]


def _link(live_server, partner_list: PartnerList) -> str:
    return f"{live_server.url}/credit-exchange/verify/{services.partner_list_token(partner_list)}/"


def _in(language: str, message: str, **params) -> str:
    with translation.override(language):
        return translation.gettext(message) % params if params else translation.gettext(message)


def _real(problems: list[str]) -> list[str]:
    return [p for p in problems if "favicon" not in p and not ("console error" in p and "status of 404" in p)]


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("language", ["ko", "en"])
def test_it_switches_the_language_and_keeps_the_link(open_page, problems, live_server, language):
    from playwright.sync_api import expect

    scene = build_scene()
    partner_list = send(scene, scene.hanbit, PartnerList.Kind.APPLICANTS)
    link = _link(live_server, partner_list)
    other = "en" if language == "ko" else "ko"
    page = open_page(language=language)
    page.goto(link)
    expect(page.locator("html")).to_have_attribute("lang", language)

    with page.expect_navigation():
        page.locator("#language-form select").select_option(other)

    expect(page.locator("html")).to_have_attribute("lang", other)
    assert page.url == link
    expect(page.locator("#verify-save")).to_have_text(_in(other, "Save answers"))
    expect(page.locator("#verify-students")).to_contain_text("H001")
    assert _real(problems) == []


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=IDS)
def test_it_recommends_all_then_the_exception_and_revises(open_page, problems, shot, live_server, language, phone):
    from playwright.sync_api import expect

    scene = build_scene()
    partner_list = send(scene, scene.hanbit, PartnerList.Kind.APPLICANTS)
    one, two, three = (partner_list.recommendations.get(application__home_student_number=n) for n in ("H001", "H002", "H003"))
    page = open_page(language=language, phone=phone)
    page.goto(_link(live_server, partner_list))
    expect(page.locator("#verify-unanswered")).to_have_text(_in(language, "%(left)s still unanswered", left=3))
    axe_check(page, context="coordinator page")
    if phone:
        _fits(page)

    page.locator("#verify-recommend-all").click()  # the script marks the page; nothing is sent yet
    expect(page.locator(f"#yes-{three.pk}")).to_be_checked()
    expect(page.locator("#verify-unanswered")).to_have_text(_in(language, "%(left)s still unanswered", left=0))
    assert not partner_list.recommendations.exclude(decision="pending").exists()
    page.locator(f"label[for=no-{two.pk}]").click()
    page.fill(f"textarea[name=comment-{two.pk}]", "휴학 중 / on leave")
    shot(page, f"coordinator-recommend-all-{language}{'-phone' if phone else ''}")
    submit(page, "#verify-save")

    saved = _in(language, "Saved: %(recommended)s recommended, %(not_recommended)s not recommended, "
                "%(unanswered)s unanswered. You can revise your answers until the deadline.",
                recommended=2, not_recommended=1, unanswered=0)
    expect(page.locator("main .alert-success")).to_have_text(saved)
    axe_check(page, context="coordinator page after save")
    decisions = {r.pk: (r.decision, r.comment) for r in partner_list.recommendations.all()}
    assert decisions == {one.pk: ("recommended", ""), two.pk: ("not_recommended", "휴학 중 / on leave"),
                         three.pk: ("recommended", "")}
    if phone:
        _fits(page)
    shot(page, f"coordinator-saved-{language}{'-phone' if phone else ''}")

    page.locator(f"label[for=yes-{two.pk}]").click()  # the revision
    page.fill(f"textarea[name=comment-{two.pk}]", "")
    submit(page, "#verify-save")
    two.refresh_from_db()
    assert (two.decision, two.comment) == ("recommended", "")
    assert two.events.count() == 2
    assert _real(problems) == []


@pytest.mark.parametrize(("language", "phone"), VARIANTS, ids=IDS)
def test_it_prefills_the_final_list_from_the_applicants_list(open_page, problems, shot, live_server, language, phone):
    from playwright.sync_api import expect

    scene = build_scene()
    applicants = send(scene, scene.hanbit, PartnerList.Kind.APPLICANTS, at=timezone.now() - timedelta(days=1))
    first = {r.application.home_student_number: r for r in applicants.recommendations.select_related("application")}
    services.recommendations_submit(
        partner_list_id=applicants.pk, ip="198.51.100.7", deadline=applicants.deadline,
        decisions={first["H001"].pk: ("recommended", ""), first["H002"].pk: ("not_recommended", "Left")},
    )
    final = send(scene, scene.hanbit, PartnerList.Kind.FINAL)
    one, two = (final.recommendations.get(application__home_student_number=n) for n in ("H001", "H002"))
    page = open_page(language=language, phone=phone)
    page.goto(_link(live_server, final))

    expect(page.locator(f"#yes-{one.pk}")).to_be_checked()
    expect(page.locator(f"#no-{two.pk}")).to_be_checked()
    expect(page.locator(f"#carried-{one.pk}")).to_be_visible()
    expect(page.locator("#verify-unanswered")).to_have_text(_in(language, "%(left)s still unanswered", left=0))
    axe_check(page, context="final list pre-filled")
    if phone:
        _fits(page)
    shot(page, f"coordinator-final-prefilled-{language}{'-phone' if phone else ''}")
    submit(page, "#verify-save")

    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.decision, two.decision, two.comment) == ("recommended", "not_recommended", "Left")
    assert _real(problems) == []
