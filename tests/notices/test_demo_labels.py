"""The demo guides send students to menu items, links and buttons that really exist, in both languages (issue 11).

A guide once said "상단 메뉴 **강좌 목록**" while the menu read 개설강좌, and "**내 수강신청**" for 내 수강신청 내역.
Every label a guide names in bold is looked for as the text of a link, button or heading on the real page.
"""

import html
import re

import pytest

from accounts.models import User
from creditexchange import services
from notices.demo import load_notice_demo, ui_labels
from notices.models import Notice

from ..factories import AffiliationRoundFactory, UserFactory

CLICKABLE = re.compile(r"<(a|button|h1|div class=\"card-header\")[^>]*>(.*?)</(?:a|button|h1|div)>", re.S)


def _texts(response) -> set[str]:
    content = response.content.decode()
    return {html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).strip() for match in CLICKABLE.finditer(content)}


def _bold(text: str) -> set[str]:
    return {part.strip() for span in re.findall(r"\*\*(.+?)\*\*", text) for part in span.split("→")}


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_label_the_guides_name_is_on_the_real_pages(client, application_data, language):
    AffiliationRoundFactory()
    load_notice_demo()
    labels = ui_labels(language)
    named = set().union(*(_bold(getattr(n, f"body_{language}")) for n in Notice.objects.all()))
    assert set(labels.values()) <= named, "each label is named by some guide"

    client.cookies["django_language"] = language
    seen = _texts(client.get("/"))
    services.application_submit(**application_data)
    form = {"term": application_data["term"].pk, "partner": application_data["partner"].pk,
            "home_student_number": application_data["home_student_number"], "name_ko": application_data["name_ko"],
            "name_latin": application_data["name_latin"], "date_of_birth": application_data["date_of_birth"].isoformat(),
            "email": application_data["email"], "phone": application_data["phone"],
            "home_department": application_data["home_department"], "degree_level": application_data["degree_level"],
            "consent": "on"}
    seen |= _texts(client.post("/credit-exchange/apply/", form))
    client.force_login(UserFactory(username="T202700001", kind=User.Kind.EXCHANGE))
    seen |= _texts(client.get("/")) | _texts(client.get("/accounts/profile/"))

    missing = {key: label for key, label in labels.items() if label not in seen}
    assert missing == {}
