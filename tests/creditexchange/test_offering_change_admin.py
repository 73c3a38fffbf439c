"""Issue 12, finding 4 in the admin: the change form with its time-slot inline shows the affected students and
saves only after the confirmation page (a crafted POST that skips it, or a made-up fingerprint, is refused)."""

import html
import re
from datetime import time

import pytest
from django.contrib.auth.models import Group

from accounts.roles import ensure_roles
from core.models import BulkAction, OutgoingMail
from creditexchange.models import CourseOffering, TimeSlot

from ..factories import UserFactory
from .test_offering_change import MON, TUE, timetable  # noqa: F401 - the fixture

URL = "/admin/creditexchange/courseoffering/{}/change/"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _form(offering: CourseOffering, slots) -> dict:
    """The change form as the browser posts it, with ``slots`` in the inline (the existing rows replaced)."""
    data = {
        "term": offering.term_id, "code": offering.code, "section": offering.section, "title_ko": offering.title_ko,
        "title_en": offering.title_en, "credits": offering.credits, "capacity": offering.capacity,
        "instructor": offering.instructor, "location": offering.location, "campus": offering.campus_id,
        "department": offering.department_id or "", "open_to_exchange": "on" if offering.open_to_exchange else "",
        "_save": "Save",
    }
    existing = list(TimeSlot.objects.filter(offering=offering))
    rows = [(slot.pk, *new) for slot, new in zip(existing, slots, strict=False)]
    rows += [(None, *new) for new in slots[len(existing):]]
    rows += [(slot.pk, None, None, None) for slot in existing[len(slots):]]
    data.update({"slots-TOTAL_FORMS": len(rows), "slots-INITIAL_FORMS": len(existing), "slots-MIN_NUM_FORMS": 0,
                 "slots-MAX_NUM_FORMS": 1000})
    for i, (pk, weekday, starts, ends) in enumerate(rows):
        data[f"slots-{i}-id"] = pk or ""
        data[f"slots-{i}-offering"] = offering.pk
        if weekday is None:
            data.update({f"slots-{i}-DELETE": "on", f"slots-{i}-weekday": 0, f"slots-{i}-starts_at": "09:00",
                         f"slots-{i}-ends_at": "10:00"})
        else:
            data.update({f"slots-{i}-weekday": weekday, f"slots-{i}-starts_at": starts.strftime("%H:%M"),
                         f"slots-{i}-ends_at": ends.strftime("%H:%M")})
    return data


def _slots(offering):
    return sorted(TimeSlot.objects.filter(offering=offering).values_list("weekday", "starts_at", "ends_at"))


def _fingerprint(response) -> str:
    return re.search(r'name="_offering_change_fingerprint" value="([0-9a-f]{64})"', response.content.decode()).group(1)


def test_registrar_sees_the_affected_students_then_confirms(registrar_client, timetable):  # noqa: F811
    a = timetable["a"]
    data = _form(a, [(TUE, time(9, 30), time(11))])
    response = registrar_client.post(URL.format(a.pk), data)
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "Confirm the change" in text and str(timetable["mina"]) in text
    assert "CSE101-01 Tue 09:30–11:00 overlaps MAT201-01 Tue 09:00–10:30" in text
    assert str(timetable["joon"]) not in text  # mailed, but nothing breaks for him
    assert _slots(a) == [(MON, time(9), time(10, 30))] and not OutgoingMail.objects.exists()

    response = registrar_client.post(URL.format(a.pk), {**data, "_offering_change_fingerprint": _fingerprint(response)})
    assert response.status_code == 302
    assert _slots(a) == [(TUE, time(9, 30), time(11))]
    action = BulkAction.objects.get(kind="creditexchange.offering_change")
    assert action.actor.username == "registrar" and action.inputs["via"] == "offering_save"
    assert OutgoingMail.objects.filter(kind="offering_changed").count() == 2


def test_a_crafted_post_without_or_with_a_made_up_fingerprint_is_refused(registrar_client, timetable):  # noqa: F811
    a = timetable["a"]
    data = _form(a, [(TUE, time(9, 30), time(11))])
    for crafted in ("", "f" * 64):
        response = registrar_client.post(URL.format(a.pk), {**data, "_offering_change_fingerprint": crafted})
        assert response.status_code == 200 and "confirm-offering-change" in response.content.decode()
    assert "changed since the preview" in html.unescape(response.content.decode())
    assert _slots(a) == [(MON, time(9), time(10, 30))]
    assert not BulkAction.objects.exists() and not OutgoingMail.objects.exists()


def test_credits_over_the_limit_are_listed(registrar_client, timetable):  # noqa: F811
    a = timetable["a"]
    data = {**_form(a, [(MON, time(9), time(10, 30))]), "credits": 4}
    text = html.unescape(registrar_client.post(URL.format(a.pk), data).content.decode())
    assert "credits from 6 to 7 of max 6" in text
    assert CourseOffering.objects.get(pk=a.pk).credits == 3


def test_a_change_that_breaks_nothing_saves_at_once(registrar_client, timetable):  # noqa: F811
    a = timetable["a"]
    response = registrar_client.post(URL.format(a.pk), _form(a, [(MON, time(13), time(14, 30))]))
    assert response.status_code == 302
    assert _slots(a) == [(MON, time(13), time(14, 30))]


def test_a_committee_member_may_not_change_offerings(client, timetable):  # noqa: F811
    ensure_roles()
    member = UserFactory(username="committee", is_staff=True)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    client.force_login(member)
    a = timetable["a"]
    response = client.post(URL.format(a.pk), _form(a, [(TUE, time(9, 30), time(11))]))
    assert response.status_code == 403
    assert _slots(a) == [(MON, time(9), time(10, 30))]
