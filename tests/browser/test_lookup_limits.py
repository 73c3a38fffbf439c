"""In a real browser: the result look-up finds one's own application, says how long to wait after too many wrong
birth dates, and does not block another student behind the same proxy (NUM_PROXIES=1, another X-Forwarded-For)."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from academics.models import TermWindow
from creditexchange.models import TemporaryIdApplication
from tests.browser.conftest import submit

from ..factories import ApplicationFactory, InstitutionFactory, TermFactory, TermWindowFactory

CASES = [("ko", False), ("en", False), ("ko", True)]
IDS = ["ko", "en", "ko-phone"]
WORDS = {
    "ko": {"wait": "현재 접속한 네트워크에서 조회한 횟수가 너무 많습니다. 15분 후에 다시 시도해 주세요.",
           "none": "일치하는 신청이 없습니다", "confirmed": "신청 완료"},
    "en": {"wait": "Too many look-ups from your connection. Please try again in 15 minutes.",
           "none": "No application matches these details.", "confirmed": "Confirmed"},
}


@pytest.fixture(autouse=True)
def _behind_nginx(settings):
    settings.NUM_PROXIES = 1  # the live server stands for gunicorn behind one nginx that appends the client address
    settings.LOOKUP_RATE_LIMIT_PER_KEY_ADDRESS = 4  # the successful look-up counts too
    settings.LOOKUP_RATE_LIMIT = 100
    settings.LOOKUP_RATE_LIMIT_PER_KEY = 20


def _applications():
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.APPLICATION, starts_at=timezone.now() - timedelta(days=3),
                      ends_at=timezone.now() + timedelta(days=30))
    partner = InstitutionFactory(code="hanbit", name_ko="한빛대학교", name_en="Hanbit University")
    mine = ApplicationFactory(term=term, partner=partner, home_student_number="HB2024001", date_of_birth=date(2003, 3, 1),
                              status=TemporaryIdApplication.Status.CONFIRMED)
    classmate = ApplicationFactory(term=term, partner=partner, home_student_number="HB2024002",
                                   date_of_birth=date(2004, 5, 6), status=TemporaryIdApplication.Status.CONFIRMED)
    return mine, classmate


def _page(open_page, language, phone, forwarded_for):
    page = open_page(language=language, phone=phone)
    page.set_extra_http_headers({"Accept-Language": language, "X-Forwarded-For": forwarded_for})
    return page


def _look_up(page, base_url, application, birth_date: str) -> None:
    page.goto(f"{base_url}/credit-exchange/apply/result/")
    page.select_option("#id_partner", str(application.partner_id))
    page.fill("#id_home_student_number", application.home_student_number.lower())  # any case is the same number
    page.fill("#id_date_of_birth", birth_date)
    submit(page, "button[name=lookup]")


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), CASES, ids=IDS)
def test_the_lookup_answers_then_asks_to_wait_but_not_another_student_behind_the_proxy(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    mine, classmate = _applications()
    words, name = WORDS[language], IDS[CASES.index((language, phone))]
    page = _page(open_page, language, phone, "198.51.100.7")

    _look_up(page, live_server.url, mine, "2003-03-01")
    expect(page.locator("#result-status")).to_contain_text(words["confirmed"])
    shot(page, f"lookup_limits_found_{name}")

    for _ in range(3):
        _look_up(page, live_server.url, mine, "1999-12-31")
        expect(page.locator("main")).to_contain_text(words["none"])
    _look_up(page, live_server.url, mine, "2003-03-01")  # the right date, too late
    expect(page.locator("main")).to_contain_text(words["wait"])
    expect(page.locator("#result-status")).to_have_count(0)
    shot(page, f"lookup_limits_wait_{name}")

    neighbour = _page(open_page, language, phone, "forged-by-the-client, 198.51.100.8")
    _look_up(neighbour, live_server.url, classmate, "2004-05-06")
    expect(neighbour.locator("#result-status")).to_contain_text(words["confirmed"])

    assert set(TemporaryIdApplication.objects.values_list("home_student_number", "status")) == {
        ("HB2024001", "confirmed"), ("HB2024002", "confirmed"),
    }
    assert problems == [], problems
