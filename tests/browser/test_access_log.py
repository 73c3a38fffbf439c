"""A superuser opens an application in the admin, then finds that visit in the personal-data access log (PIPA)."""

import pytest
from django.utils import translation

from core.models import PersonalDataAccess
from creditexchange.models import TemporaryIdApplication
from tests.browser.conftest import submit
from tests.factories import ApplicationFactory, InstitutionFactory, TermFactory, UserFactory

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_access_log_shows_the_superusers_visit_to_an_application(live_server, open_page, problems, shot, language):
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    application = ApplicationFactory(
        term=TermFactory(year=2027, season="spring"), partner=InstitutionFactory(code="hanbit"),
        home_student_number="H2027001",
    )
    page = open_page(language=language)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", PASSWORD)
    submit(page, "input[type=submit]")
    page.goto(f"{live_server.url}/admin/creditexchange/temporaryidapplication/{application.pk}/change/")
    assert page.locator("#id_home_student_number, .field-home_student_number").first.is_visible()

    page.goto(f"{live_server.url}/admin/core/personaldataaccess/")
    with translation.override(language):
        subject = str(TemporaryIdApplication._meta.verbose_name_plural)
    row = page.locator("#result_list tbody tr", has_text=subject).first
    assert row.is_visible()
    assert "boss" in row.inner_text() and str(application.pk) in row.inner_text()
    assert ("조회" if language == "ko" else "Viewed") in row.inner_text()
    assert ("개인정보 접속기록" if language == "ko" else "personal-data access") in page.title()
    shot(page, f"access_log_{language}")

    entry = PersonalDataAccess.objects.get(action="view", model="creditexchange.temporaryidapplication")
    assert entry.actor_name == "boss" and entry.object_ids == [str(application.pk)] and entry.address == "127.0.0.1"
    assert "H2027001" in entry.reference
    assert problems == []
