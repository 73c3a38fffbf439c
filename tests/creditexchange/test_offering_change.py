"""Issue 12, finding 4: changing an offering's slots or credits under registered students.

The change lists the students it breaks for (a clash with which course and slot; credits from X to Y of max Z),
is saved only when that exact list was confirmed, and mails every registered student whose timetable changed.
"""

from datetime import time

import pytest

from core.emails import render_mail
from core.models import BulkAction, OutgoingMail
from creditexchange import services
from creditexchange.models import CourseOffering, TimeSlot
from creditexchange.services.offering_change import Course, timetable_breaks

from ..factories import CourseOfferingFactory, CourseRegistrationFactory, TermFactory, TimeSlotFactory, issued_student

MON, TUE = TimeSlot.Weekday.MON, TimeSlot.Weekday.TUE


@pytest.fixture
def timetable(db):
    """A (Mon 09:00-10:30, 3 cr) and B (Tue 09:00-10:30, 3 cr); Mina has both, Joon only A; the limit is 6."""
    term = TermFactory(year=2027, season="spring", credit_limit=6)
    a = CourseOfferingFactory(term=term, code="CSE101", credits=3)
    b = CourseOfferingFactory(term=term, code="MAT201", credits=3)
    TimeSlotFactory(offering=a, weekday=MON, starts_at=time(9), ends_at=time(10, 30))
    TimeSlotFactory(offering=b, weekday=TUE, starts_at=time(9), ends_at=time(10, 30))
    mina = issued_student(term)
    mina.email, mina.language, mina.display_name = "mina@partner.example", "ko", "Mina"
    mina.save()
    joon = issued_student(term)
    joon.email, joon.language = "joon@partner.example", "en"
    joon.save()
    registrations = {
        "mina_a": CourseRegistrationFactory(student=mina, offering=a),
        "mina_b": CourseRegistrationFactory(student=mina, offering=b),
        "joon_a": CourseRegistrationFactory(student=joon, offering=a),
    }
    CourseOffering.objects.filter(pk=a.pk).update(seats_taken=2)
    CourseOffering.objects.filter(pk=b.pk).update(seats_taken=1)
    return {"term": term, "a": a, "b": b, "mina": mina, "joon": joon, **registrations}


def _slots(offering):
    return sorted(TimeSlot.objects.filter(offering=offering).values_list("weekday", "starts_at", "ends_at"))


def _fresh(offering):
    return CourseOffering.objects.get(pk=offering.pk)


TUESDAY = [(TUE, time(9, 30), time(11))]


def test_timetable_breaks_names_the_clash_and_the_credits():
    a = Course(1, "CSE101-01", 3, ((MON, time(9), time(10, 30)),))
    b = Course(2, "MAT201-01", 3, ((TUE, time(9), time(10, 30)),))
    moved = Course(1, "CSE101-01", 4, ((TUE, time(10), time(11)),))
    result = timetable_breaks(student_id=7, timetable=[a, b], proposed={1: moved}, limit=6)
    assert result.clashes == [{
        "offering": 1, "label": "CSE101-01", "slot": [TUE, "10:00", "11:00"],
        "other": 2, "other_label": "MAT201-01", "other_slot": [TUE, "09:00", "10:30"],
    }]
    assert result.credits == {"before": 6, "after": 7, "limit": 6}
    # Nothing changes for a student whose timetable still fits.
    assert not timetable_breaks(student_id=8, timetable=[a], proposed={1: moved}, limit=6).broken


def test_a_slot_change_that_breaks_a_timetable_is_not_saved_without_confirmation(timetable):
    a = _fresh(timetable["a"])
    before = _slots(a)
    with pytest.raises(services.OfferingChangeUnconfirmed) as caught:
        services.offering_save(offering=a, slots=TUESDAY)
    preview = caught.value.preview
    assert [b.student_id for b in preview.affected] == [timetable["mina"].pk]
    assert preview.affected[0].clashes[0]["other_label"] == "MAT201-01"
    assert set(preview.notified) == {timetable["mina"].pk, timetable["joon"].pk}
    assert _slots(a) == before
    assert not BulkAction.objects.exists() and not OutgoingMail.objects.exists()


def test_a_crafted_or_stale_fingerprint_is_refused(timetable):
    a = _fresh(timetable["a"])
    with pytest.raises(services.OfferingChangeUnconfirmed) as caught:
        services.offering_save(offering=a, slots=TUESDAY, expected="0" * 64)
    assert caught.value.stale
    preview = services.offering_change_preview(proposed={a.pk: (3, TUESDAY)})
    # Joon registers for B after the preview: he is now affected too, so the confirmation is stale.
    CourseRegistrationFactory(student=timetable["joon"], offering=timetable["b"])
    with pytest.raises(services.OfferingChangeUnconfirmed) as caught:
        services.offering_save(offering=a, slots=TUESDAY, expected=preview.fingerprint)
    assert caught.value.stale and len(caught.value.preview.affected) == 2
    assert _slots(a) == [(MON, time(9), time(10, 30))]


def test_confirmed_change_is_saved_recorded_and_mailed_to_every_registered_student(timetable):
    a = _fresh(timetable["a"])
    preview = services.offering_change_preview(proposed={a.pk: (3, TUESDAY)})
    services.offering_save(offering=a, slots=TUESDAY, expected=preview.fingerprint, actor=None)
    assert _slots(a) == TUESDAY
    action = BulkAction.objects.get(kind="creditexchange.offering_change")
    assert action.changes[0]["before"]["slots"] == [[MON, "09:00", "10:30"]]
    assert action.changes[0]["after"]["slots"] == [[TUE, "09:30", "11:00"]]
    assert action.inputs["affected"][0][0] == timetable["mina"].pk
    mails = {m.to: m for m in OutgoingMail.objects.filter(kind="offering_changed")}
    assert set(mails) == {"mina@partner.example", "joon@partner.example"}
    # The registrations stay: the student decides what to drop.
    assert timetable["mina_a"].__class__.objects.filter(status="registered").count() == 3
    subject, text, _html = render_mail(mails["mina@partner.example"])
    assert "CSE101-01" in subject
    assert "MAT201-01" in text and "화 09:00–10:30" in text and "월 09:00–10:30 → 화 09:30–11:00" in text
    _subject, text, _html = render_mail(mails["joon@partner.example"])
    assert "you need not do anything" in text and "MAT201" not in text


def test_credits_over_the_limit_need_confirmation(timetable):
    a = _fresh(timetable["a"])
    a.credits = 4
    with pytest.raises(services.OfferingChangeUnconfirmed) as caught:
        services.offering_save(offering=a)
    assert caught.value.preview.affected[0].credits == {"before": 6, "after": 7, "limit": 6}
    assert _fresh(a).credits == 3
    services.offering_save(offering=a, expected=caught.value.preview.fingerprint)
    assert _fresh(a).credits == 4
    _subject, text, _html = render_mail(OutgoingMail.objects.get(to="mina@partner.example"))
    assert "6" in text and "7" in text


def test_a_change_that_breaks_nothing_is_saved_at_once_and_still_mailed(timetable):
    a = _fresh(timetable["a"])
    services.offering_save(offering=a, slots=[(MON, time(13), time(14, 30))])
    assert _slots(a) == [(MON, time(13), time(14, 30))]
    assert OutgoingMail.objects.filter(kind="offering_changed").count() == 2
    assert BulkAction.objects.filter(kind="creditexchange.offering_change").count() == 1


def test_editing_other_fields_sends_nothing(timetable):
    a = _fresh(timetable["a"])
    a.location = "Eng 305"
    services.offering_save(offering=a)
    assert _fresh(a).location == "Eng 305"
    assert not OutgoingMail.objects.exists() and not BulkAction.objects.exists()
