import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from academics.models import TermWindow
from core.errors import (
    DomainError,
    DuplicateApplication,
    InvalidLink,
    InvalidTransition,
    NotEligible,
    RateLimited,
    WindowClosed,
)
from core.models import OutgoingMail
from creditexchange import services
from creditexchange.models import ApplicationEvent, TemporaryIdApplication

Status = TemporaryIdApplication.Status


def test_it_submits_an_application_and_mails_a_confirmation_link(application_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_submit(**application_data)

    assert application.status == Status.SUBMITTED
    assert application.consent_at is not None
    event = application.events.get()
    assert (event.from_status, event.to_status) == ("", Status.SUBMITTED)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["haneul@hanbit.example"]
    token = re.search(r"/credit-exchange/apply/confirm/([^/\s]+)/", mail.outbox[0].body).group(1)
    signed = signing.TimestampSigner(salt=services.CONFIRM_SALT).unsign(token)  # by what it signs, not its second
    assert signed == f"{application.pk}:{application.confirmation_nonce}"
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT


def test_it_refuses_a_duplicate_and_points_to_the_existing_application(application_data):
    # Issue 10: a repeat is the same birth date and e-mail (any case); another e-mail is another person (a conflict).
    first = services.application_submit(**application_data)
    with pytest.raises(DuplicateApplication) as excinfo:
        services.application_submit(**{**application_data, "email": "HANEUL@hanbit.example", "phone": "010-5555-6666"})
    assert excinfo.value.application == first
    assert TemporaryIdApplication.objects.count() == 1
    assert TemporaryIdApplication.objects.get().email == "haneul@hanbit.example"


def test_it_treats_surrounding_spaces_in_the_student_number_as_the_same_number(application_data):
    services.application_submit(**application_data)
    with pytest.raises(DuplicateApplication):
        services.application_submit(**{**application_data, "home_student_number": " 20241234 "})


def test_it_refuses_a_partner_without_an_active_agreement(application_data, inactive_partner):
    with pytest.raises(NotEligible, match="active credit-exchange agreement"):
        services.application_submit(**{**application_data, "partner": inactive_partner})
    assert not TemporaryIdApplication.objects.exists()


def test_it_refuses_without_consent(application_data):
    with pytest.raises(NotEligible, match="agree"):
        services.application_submit(**{**application_data, "consent": False})
    assert not TemporaryIdApplication.objects.exists()


def test_it_refuses_when_no_name_is_given(application_data):
    with pytest.raises(NotEligible):
        services.application_submit(**{**application_data, "name_ko": " ", "name_latin": ""})


def test_it_refuses_outside_the_window_and_names_its_dates(application_data, closed_term):
    with pytest.raises(WindowClosed, match="closed") as excinfo:
        services.application_submit(**{**application_data, "term": closed_term})
    assert str(closed_term) in str(excinfo.value.message)
    assert not TemporaryIdApplication.objects.exists()


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(timedelta(seconds=-1), False), (timedelta(0), True), (timedelta(seconds=1), True)],
)
def test_the_window_opens_exactly_at_its_start(application_data, open_term, offset, accepted):
    start = TermWindow.objects.get(term=open_term, kind="application").starts_at
    if accepted:
        services.application_submit(**application_data, at=start + offset)
        assert TemporaryIdApplication.objects.count() == 1
    else:
        with pytest.raises(WindowClosed, match="opens"):
            services.application_submit(**application_data, at=start + offset)


@pytest.mark.parametrize(
    ("offset", "accepted"),
    [(timedelta(seconds=-1), True), (timedelta(0), False), (timedelta(seconds=1), False)],
)
def test_the_window_is_closed_from_its_end_instant(application_data, open_term, offset, accepted):
    end = TermWindow.objects.get(term=open_term, kind="application").ends_at
    if accepted:
        services.application_submit(**application_data, at=end + offset)
        assert TemporaryIdApplication.objects.count() == 1
    else:
        with pytest.raises(WindowClosed):
            services.application_submit(**application_data, at=end + offset)


def test_it_refuses_a_term_without_an_application_window(application_data):
    from tests.factories import TermFactory

    with pytest.raises(WindowClosed, match="not been scheduled"):
        services.application_submit(**{**application_data, "term": TermFactory(year=2028, season="fall")})


def test_confirming_completes_the_application_once(submitted_application):
    token = services.confirmation_token(submitted_application)

    application = services.application_confirm(token=token)

    assert application.status == Status.CONFIRMED
    assert application.confirmed_at is not None
    assert application.events.filter(from_status=Status.SUBMITTED, to_status=Status.CONFIRMED).count() == 1
    with pytest.raises(InvalidLink, match="already been used"):
        services.application_confirm(token=token)
    assert application.events.count() == 1


def test_a_tampered_confirmation_link_changes_nothing(submitted_application):
    token = services.confirmation_token(submitted_application)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(InvalidLink, match="not valid"):
        services.application_confirm(token=tampered)
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED


def test_a_link_for_another_application_number_is_refused(submitted_application):
    from django.core import signing

    forged = signing.TimestampSigner(salt="other-purpose").sign(f"{submitted_application.pk}:{submitted_application.confirmation_nonce}")
    with pytest.raises(InvalidLink):
        services.application_confirm(token=forged)


def test_an_expired_confirmation_link_is_refused(submitted_application, settings, monkeypatch):
    settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = 1
    import time

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 2 * 3600)
    token = services.confirmation_token(submitted_application)
    monkeypatch.setattr(time, "time", real_time)

    with pytest.raises(InvalidLink, match="expired"):
        services.application_confirm(token=token)
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED


def test_resend_is_rate_limited_and_capped(submitted_application, settings, django_capture_on_commit_callbacks):
    with pytest.raises(RateLimited, match="minute"):
        services.application_resend_confirmation(application_id=submitted_application.pk)

    later = timezone.now() + timedelta(seconds=settings.TEMP_ID_RESEND_COOLDOWN_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_resend_confirmation(application_id=submitted_application.pk, at=later)
    assert len(mail.outbox) == 1
    assert TemporaryIdApplication.objects.count() == 1

    settings.TEMP_ID_RESEND_MAX = 1
    with pytest.raises(RateLimited, match="re-sent 1 times"):
        services.application_resend_confirmation(application_id=submitted_application.pk, at=later + timedelta(days=1))


def test_resend_is_refused_once_confirmed(confirmed_application):
    with pytest.raises(InvalidTransition):
        services.application_resend_confirmation(
            application_id=confirmed_application.pk, at=timezone.now() + timedelta(hours=1)
        )


def test_approve_needs_a_confirmed_application(submitted_application, confirmed_application, registrar):
    with pytest.raises(InvalidTransition, match="Only confirmed"):
        services.application_approve(application_id=submitted_application.pk, actor=registrar)

    approved = services.application_approve(application_id=confirmed_application.pk, actor=registrar)

    assert approved.status == Status.APPROVED
    assert approved.decided_by == registrar
    event = approved.events.get()
    assert (event.from_status, event.to_status, event.actor) == (Status.CONFIRMED, Status.APPROVED, registrar)


def test_reject_needs_a_reason_and_mails_it(confirmed_application, registrar, django_capture_on_commit_callbacks):
    with pytest.raises(DomainError, match="reason"):
        services.application_reject(application_id=confirmed_application.pk, actor=registrar, reason="  ")
    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.CONFIRMED

    with django_capture_on_commit_callbacks(execute=True):
        services.application_reject(application_id=confirmed_application.pk, actor=registrar, reason="Not enrolled")

    confirmed_application.refresh_from_db()
    assert confirmed_application.status == Status.REJECTED
    assert confirmed_application.events.get().reason == "Not enrolled"
    assert "Not enrolled" in mail.outbox[0].body
    assert mail.outbox[0].to == [confirmed_application.email]


def test_an_issued_application_cannot_be_rejected(approved_application, registrar):
    services.temporary_id_issue(application_id=approved_application.pk)
    with pytest.raises(InvalidTransition):
        services.application_reject(application_id=approved_application.pk, actor=registrar, reason="late")


def test_purge_deletes_only_unconfirmed_applications_past_the_limit(open_term, partner, settings):
    from tests.factories import ApplicationFactory

    settings.TEMP_ID_UNCONFIRMED_EXPIRY_DAYS = 7
    old = ApplicationFactory(term=open_term, partner=partner)
    fresh = ApplicationFactory(term=open_term, partner=partner)
    old_confirmed = ApplicationFactory(term=open_term, partner=partner, status=Status.CONFIRMED)
    resent = ApplicationFactory(term=open_term, partner=partner, confirmation_sent_at=timezone.now() - timedelta(days=1))
    TemporaryIdApplication.objects.filter(pk__in=[old.pk, old_confirmed.pk, resent.pk]).update(
        submitted_at=timezone.now() - timedelta(days=8)
    )

    assert services.applications_purge_unconfirmed() == 1

    assert set(TemporaryIdApplication.objects.values_list("pk", flat=True)) == {fresh.pk, old_confirmed.pk, resent.pk}
    assert not ApplicationEvent.objects.filter(application_id=old.pk).exists()


def test_staff_corrections_keep_before_and_after(confirmed_application, registrar):
    services.application_correct(
        application_id=confirmed_application.pk, actor=registrar, values={"email": "fixed@partner.example"}
    )
    event = confirmed_application.events.get()
    assert event.changes["email"][1] == "fixed@partner.example"
    assert event.actor == registrar
    with pytest.raises(DomainError):
        services.application_correct(application_id=confirmed_application.pk, actor=registrar, values={"status": "issued"})
