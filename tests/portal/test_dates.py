"""One date-and-time format per language, everywhere (issue 11): pages, the admin, mails, exports, messages.

The portal writes ``2026-12-02 07:43`` (Asia/Seoul, 24-hour) in Korean and English alike; Django's own defaults
would mix ``2026년 12월 2일 7:43 오전``, ``Dec. 2, 2026, 7:43 a.m.`` and ``7:43 오전``.
"""

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from accounts.models import User
from core import dates
from core.emails import render_mail
from core.models import OutgoingMail, PersonalDataAccess
from tests.factories import NoticeFactory, UserFactory

# 22:43 UTC on 1 December is 07:43 on 2 December in Seoul: a UTC rendering would show the wrong day.
MOMENT = datetime(2026, 12, 1, 22, 43, 5, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
NOT_OURS = re.compile(r"오전|오후|a\.m\.|p\.m\.|\d+년 \d+월|Dec\. 2")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_helper_writes_seoul_time_in_one_format(language):
    with translation.override(language):
        assert dates.when(MOMENT) == "2026-12-02 07:43"
        assert dates.when(MOMENT, seconds=True) == "2026-12-02 07:43:05"
        assert dates.day(MOMENT) == "2026-12-02"
        assert dates.day(date(2027, 3, 2)) == "2027-03-02"
        assert dates.when(None) == "" and dates.day(None) == ""
    weekday = {"ko": "2026-12-02 (수) 07:43", "en": "2026-12-02 (Wed) 07:43"}[language]
    with translation.override(language):
        assert dates.when(MOMENT, weekday=True) == weekday


@pytest.mark.parametrize("language", ["ko", "en"])
def test_django_s_own_rendering_uses_the_same_format(language, settings):
    """A datetime a template or the admin prints without a filter comes out the same as the helper's."""
    template = Template("{{ at }}|{{ at|date }}|{{ at|time }}|{{ d }}|{{ at|date:'SHORT_DATETIME_FORMAT' }}")
    with translation.override(language):
        text = template.render(Context({"at": MOMENT, "d": date(2026, 12, 2)}))
    assert text == "2026-12-02 07:43|2026-12-02|07:43|2026-12-02|2026-12-02 07:43"


@pytest.mark.parametrize("language", ["ko", "en"])
def test_pages_and_the_admin_show_the_format(client, db, language):
    notice = NoticeFactory(published_at=MOMENT)
    staff = UserFactory(username="root", is_staff=True, is_superuser=True, kind=User.Kind.STAFF)
    client.cookies["django_language"] = language

    listing = client.get("/notices/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "2026-12-02" in listing and not NOT_OURS.search(listing)

    client.force_login(staff)
    admin = client.get("/admin/notices/notice/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert "2026-12-02 07:43" in admin and not NOT_OURS.search(admin)
    assert notice.pk


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_mail_shows_the_format_in_the_recipient_s_language(db, language):
    user = UserFactory(username="mailed", kind=User.Kind.HOME)
    user.email_changed_at = MOMENT
    user.save()
    mail = OutgoingMail.objects.create(
        kind="email_change_notice", to=user.email, language=language,
        params={"user_id": user.pk, "new_email": "new@ust.example", "changed_at": MOMENT.isoformat()},
    )
    _subject, text, html = render_mail(mail)
    assert "2026-12-02 07:43" in text and "2026-12-02 07:43" in html
    assert not NOT_OURS.search(text) and not NOT_OURS.search(html)


def test_the_access_log_export_writes_the_format_with_seconds(client, db):
    officer = UserFactory(username="officer", is_staff=True, is_superuser=True, kind=User.Kind.STAFF)
    entry = PersonalDataAccess.objects.create(at=MOMENT, actor_name="clerk", action="view", model="accounts.user",
                                              object_ids=[1], count=1)
    client.force_login(officer)
    response = client.post("/admin/core/personaldataaccess/",
                           {"action": "export_csv", "_selected_action": [entry.pk]})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == "2026-12-02 07:43:05"


def test_no_template_or_module_writes_its_own_date_format():
    """Every human-readable date goes through core.dates (the ``when`` / ``day`` filters in templates).

    Allowed: the helper itself (it also writes the demo notices' prose days, ``prose_day``: "3월 2일(화)").
    """
    offenders = []
    # |date:"Y-m-d" — a literal, not a named format; {% now "Y-m-d" %} — the same, for the present moment
    literal = re.compile(r"\|date:\s*[\"'](?![A-Z_]+[\"'])|\{%\s*now\s+[\"']")
    for path in (ROOT / "templates").rglob("*.*"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if literal.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    own = re.compile(r"strftime\(\s*[\"'][^\"']*%[YmdHM]|:%Y-%m-%d|:%H:%M")
    allowed = {"core/dates.py", "core/mailbox.py"}  # mailbox: a file name's stamp
    packages = [d for d in ROOT.iterdir() if (d / "__init__.py").exists() and d.name != "tests"]
    for path in (p for package in packages for p in package.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if own.search(line):
                offenders.append(f"{relative}:{number}")
    assert offenders == []


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_time_slot_reads_on_the_24_hour_clock(language):
    from datetime import time

    with translation.override(language):
        assert dates.clock(time(9, 0)) == "09:00" and dates.clock(time(13, 30)) == "13:30"


def test_a_prose_day_reads_as_a_registrar_writes_it_in_either_language():
    from datetime import datetime

    late = datetime(2027, 3, 1, 16, 30, tzinfo=dates.SEOUL).astimezone(dates.ZoneInfo("UTC"))  # still 1 March in Seoul
    assert dates.prose_day(late, "ko") == "3월 1일(월)"
    with translation.override("en"):
        assert dates.prose_day(late) == "Mon 1 Mar"
    assert dates.prose_day(datetime(2027, 3, 2, 0, 30, tzinfo=dates.SEOUL), "en") == "Tue 2 Mar"
