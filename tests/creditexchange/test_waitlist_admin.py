"""Staff manage waitlists in the admin (issue 14): see every step, remove with a reason after a confirmation page,
put a removed student back at their place; baskets and releases are read-only; mails render in both languages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from academics.models import TermWindow
from core.emails import render_mail
from core.models import OutgoingMail
from creditexchange.models import CourseOffering, WaitlistEntry, WaitlistEvent
from creditexchange.services import waitlist as waitlist_service
from creditexchange.services.basket import basket_add

from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, issued_student

Status = WaitlistEntry.Status


@pytest.fixture
def full_course(db):
    now = timezone.now()
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))
    offering = CourseOfferingFactory(term=term, code="FULL101", capacity=1)
    CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=1)
    return offering


def _join(offering, n):
    students = [issued_student(offering.term) for _ in range(n)]
    return [waitlist_service.waitlist_join(student=s, offering_id=offering.pk) for s in students]


def _action(client, action, entries, **extra):
    data = {"action": action, "_selected_action": [e.pk for e in entries], **extra}
    return client.post(reverse("admin:creditexchange_waitlistentry_changelist"), data)


def test_the_registrar_sees_the_waitlist_with_every_step(registrar_client, full_course):
    first, second = _join(full_course, 2)
    page = registrar_client.get(reverse("admin:creditexchange_waitlistentry_changelist"))
    assert page.status_code == 200
    assert first.student.username in page.content.decode() and second.student.username in page.content.decode()
    detail = registrar_client.get(reverse("admin:creditexchange_waitlistentry_change", args=[second.pk]))
    assert detail.status_code == 200
    assert "Waiting" in detail.content.decode() or "대기" in detail.content.decode()


def test_removing_shows_who_first_then_needs_a_reason_and_frees_the_place(registrar_client, full_course, registrar):
    first, second = _join(full_course, 2)

    confirm = _action(registrar_client, "remove_selected", [first])
    assert confirm.status_code == 200 and first.student.username in confirm.content.decode()
    first.refresh_from_db()
    assert first.status == Status.WAITING  # nothing done before the confirmation

    no_reason = _action(registrar_client, "remove_selected", [first], apply="1", reason="  ")
    assert no_reason.status_code == 200
    first.refresh_from_db()
    assert first.status == Status.WAITING

    done = _action(registrar_client, "remove_selected", [first], apply="1", reason="duplicate account")
    assert done.status_code == 302
    first.refresh_from_db()
    assert first.status == Status.REMOVED
    event = WaitlistEvent.objects.filter(entry=first).last()
    assert (event.from_status, event.to_status, event.actor, event.reason, event.position) == (
        Status.WAITING, Status.REMOVED, registrar, "duplicate account", 1
    )
    assert waitlist_service.waitlist_position(entry=second) == 1
    full_course.refresh_from_db()
    assert full_course.waiting == 1


def test_a_removal_is_undone_at_the_same_place_with_a_reason(registrar_client, full_course):
    first, second = _join(full_course, 2)
    _action(registrar_client, "remove_selected", [first], apply="1", reason="by mistake?")
    _action(registrar_client, "restore_selected", [first], apply="1", reason="it was a mistake")
    first.refresh_from_db()
    assert first.status == Status.WAITING
    assert waitlist_service.waitlist_position(entry=first) == 1
    assert waitlist_service.waitlist_position(entry=second) == 2
    full_course.refresh_from_db()
    assert full_course.waiting == 2
    assert WaitlistEvent.objects.filter(entry=first, from_status=Status.REMOVED, to_status=Status.WAITING).count() == 1


def test_a_stale_removal_is_named_and_changes_nothing(registrar_client, full_course):
    (entry,) = _join(full_course, 1)
    waitlist_service.waitlist_leave(student=entry.student, entry_id=entry.pk)  # the student left meanwhile
    response = _action(registrar_client, "remove_selected", [entry], apply="1", reason="cleanup")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == Status.LEFT
    full_course.refresh_from_db()
    assert full_course.waiting == 0


def test_baskets_entries_and_releases_are_read_only(registrar_client, full_course):
    (entry,) = _join(full_course, 1)
    for name in ("basketitem", "waitlistentry", "waitlistevent", "waitlistrelease"):
        assert registrar_client.get(reverse(f"admin:creditexchange_{name}_changelist")).status_code == 200
        assert registrar_client.get(reverse(f"admin:creditexchange_{name}_add")).status_code == 403
    assert registrar_client.post(
        reverse("admin:creditexchange_waitlistentry_change", args=[entry.pk]), {"status": "registered"}
    ).status_code == 403
    entry.refresh_from_db()
    assert entry.status == Status.WAITING


def test_a_student_cannot_open_the_waitlist_admin(client, full_course):
    (entry,) = _join(full_course, 1)
    client.force_login(entry.student)
    assert client.get(reverse("admin:creditexchange_waitlistentry_changelist")).status_code == 302


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("mode", ["auto", "offer"])
def test_the_release_mail_renders_in_the_students_language(full_course, language, mode):
    term = full_course.term
    term.waitlist_mode = mode
    term.save()
    (entry,) = _join(full_course, 1)
    entry.student.language = language
    entry.student.save()
    CourseOffering.objects.filter(pk=full_course.pk).update(capacity=2)
    at = timezone.now()
    waitlist_service.waitlist_release(term=term, scheduled_for=at, at=at)
    mail = OutgoingMail.objects.get(kind=f"waitlist_{'offered' if mode == 'offer' else 'registered'}")
    assert mail.to == entry.student.email and mail.language == language
    subject, text, html = render_mail(mail)
    assert "FULL101" in subject
    words = {("ko", "offer"): "좌석", ("en", "offer"): "held for you", ("ko", "auto"): "대기", ("en", "auto"): "now registered"}
    assert words[(language, mode)] in text


def test_basket_items_are_listed_for_staff(registrar_client, db):
    now = timezone.now()
    term = TermFactory(year=2027, season="fall")
    TermWindowFactory(term=term, kind=TermWindow.Kind.COURSE_OPENING, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1))
    offering = CourseOfferingFactory(term=term, code="BSK101")
    student = issued_student(term)
    basket_add(student=student, offering_id=offering.pk)
    page = registrar_client.get(reverse("admin:creditexchange_basketitem_changelist"))
    assert student.username in page.content.decode()


def test_the_offering_list_links_to_its_waitlist_in_joining_order(registrar_client, full_course):
    first, second = _join(full_course, 2)
    other = CourseOfferingFactory(term=full_course.term, code="FULL202", capacity=1)
    CourseOffering.objects.filter(pk=other.pk).update(seats_taken=1)
    (elsewhere,) = _join(other, 1)
    page = registrar_client.get(reverse("admin:creditexchange_courseoffering_changelist"))
    link = reverse("admin:creditexchange_waitlistentry_changelist") + f"?offering__id__exact={full_course.pk}&amp;status__in=waiting,offered"
    assert link in page.content.decode()
    listing = registrar_client.get(link.replace("&amp;", "&"))
    assert listing.status_code == 200
    shown = list(listing.context["cl"].queryset)
    assert shown == [first, second]
