import html
import re
import time
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.core import mail, signing
from django.test import Client

from creditexchange import services
from creditexchange.models import ApplicationEvent, TemporaryIdApplication
from creditexchange.views import RESEND_SALT

from ..factories import ApplicationFactory

Status = TemporaryIdApplication.Status

APPLY_URL = "/credit-exchange/apply/"
SENT_URL = "/credit-exchange/apply/sent/"
RESEND_URL = "/credit-exchange/apply/resend/"
LOOKUP_URL = "/credit-exchange/apply/result/"


@pytest.fixture(autouse=True)
def _english(client):
    """Messages are asserted in English; the Korean catalogue is tested separately below."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _form_data(application_data, **overrides) -> dict:
    data = {
        "term": application_data["term"].pk,
        "partner": application_data["partner"].pk,
        "home_student_number": application_data["home_student_number"],
        "name_ko": application_data["name_ko"],
        "name_latin": application_data["name_latin"],
        "date_of_birth": application_data["date_of_birth"].isoformat(),
        "email": application_data["email"],
        "phone": application_data["phone"],
        "home_department": application_data["home_department"],
        "degree_level": application_data["degree_level"],
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _confirm_url(token: str) -> str:
    return f"/credit-exchange/apply/confirm/{token}/"


def _lookup_data(application, **overrides) -> dict:
    data = {
        "partner": application.partner.pk,
        "home_student_number": application.home_student_number,
        "date_of_birth": application.date_of_birth.isoformat(),
        "lookup": "",
    }
    data.update(overrides)
    return data


# --- The application form -------------------------------------------------------------------


def test_it_shows_the_form_with_the_consent_text(client, open_term, partner):
    response = client.get(APPLY_URL)

    assert response.status_code == 200
    text = _text(response)
    assert "Consent to the collection and use of personal information" in text
    assert "Under the Personal Information Protection Act" in text
    assert 'name="consent"' in text


def test_it_accepts_a_valid_application_and_mails_a_confirmation_link(
    client, application_data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, _form_data(application_data))

    assert response.status_code == 302
    assert response["Location"] == SENT_URL
    application = TemporaryIdApplication.objects.get()
    assert application.status == Status.SUBMITTED
    assert application.home_student_number == "20241234"
    assert application.language == "en"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["haneul@hanbit.example"]
    # The mailed link's token names this application (signed a moment earlier: compared by what it signs, not by
    # its bytes, which carry the second it was signed in).
    token = re.search(r"/credit-exchange/apply/confirm/([^/\s]+)/", mail.outbox[0].body).group(1)
    signed = signing.TimestampSigner(salt=services.CONFIRM_SALT).unsign(token)
    assert signed == f"{application.pk}:{application.confirmation_nonce}"

    sent = client.get(SENT_URL)
    assert "We sent a confirmation mail to haneul@hanbit.example." in _text(sent)


def test_it_refuses_an_application_without_consent(client, application_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, _form_data(application_data, consent=None))

    assert response.status_code == 200
    assert "You must agree to the collection and use of personal information to apply." in _text(response)
    assert not TemporaryIdApplication.objects.exists()
    assert mail.outbox == []


def test_it_refuses_an_application_without_any_name(client, application_data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, _form_data(application_data, name_ko="  ", name_latin=""))

    assert response.status_code == 200
    assert "Enter your name in Korean, in Latin letters, or both." in _text(response)
    assert not TemporaryIdApplication.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize("phone", ["call me", "010", "010-2222-333x"])
def test_it_refuses_a_malformed_phone_number(client, application_data, phone):
    response = client.post(APPLY_URL, _form_data(application_data, phone=phone))

    assert response.status_code == 200
    assert "Enter a phone number: digits, with an optional leading + and hyphens or spaces." in _text(response)
    assert not TemporaryIdApplication.objects.exists()


@pytest.mark.parametrize("number", ["2024 1234", "2", "2024/1234", "학번2024"])
def test_it_refuses_a_malformed_student_number(client, application_data, number):
    response = client.post(APPLY_URL, _form_data(application_data, home_student_number=number))

    assert response.status_code == 200
    assert "Use 2–30 letters, digits or hyphens, exactly as on your student card." in _text(response)
    assert not TemporaryIdApplication.objects.exists()


def test_it_answers_a_duplicate_with_a_resend_offer(client, application_data, django_capture_on_commit_callbacks):
    services.application_submit(**application_data)

    # Issue 10: a repeat has the same birth date and e-mail (any case); another e-mail would open a conflict.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, _form_data(application_data, email="Haneul@Hanbit.example", phone="010-5555-6666"))

    assert response.status_code == 200
    text = _text(response)
    assert (
        "An application for 2027 Spring from this student number at Hanbit University already exists." in text
    )
    assert 'id="duplicate-offer"' in text
    assert "Re-send confirmation mail" in text
    assert f'action="{RESEND_URL}"' in text
    assert TemporaryIdApplication.objects.count() == 1
    assert TemporaryIdApplication.objects.get().email == "haneul@hanbit.example"
    assert mail.outbox == []


def test_it_rate_limits_a_resend_right_after_submission(client, application_data, django_capture_on_commit_callbacks):
    client.post(APPLY_URL, _form_data(application_data))
    duplicate = client.post(APPLY_URL, _form_data(application_data))
    token = duplicate.context["resend_token"]
    assert token

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND_URL, {"token": token}, follow=True)

    assert response.redirect_chain == [(APPLY_URL, 302)]
    assert "A confirmation mail was sent a moment ago. You can ask again in 5 minute(s)." in _text(response)
    application = TemporaryIdApplication.objects.get()
    assert application.confirmation_resends == 0
    assert mail.outbox == []


def test_it_resends_the_confirmation_mail_once_the_cooldown_is_over(
    client, settings, application_data, django_capture_on_commit_callbacks
):
    settings.TEMP_ID_RESEND_COOLDOWN_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        client.post(APPLY_URL, _form_data(application_data))
    duplicate = client.post(APPLY_URL, _form_data(application_data, email="HANEUL@hanbit.example"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND_URL, {"token": duplicate.context["resend_token"]})

    assert response.status_code == 302
    assert response["Location"] == SENT_URL
    assert TemporaryIdApplication.objects.count() == 1
    application = TemporaryIdApplication.objects.get()
    assert application.confirmation_resends == 1
    # The mail goes to the address on the application, never to one typed on the duplicate form.
    assert [m.to for m in mail.outbox] == [["haneul@hanbit.example"], ["haneul@hanbit.example"]]


def test_it_refuses_a_forged_resend_token(client, submitted_application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND_URL, {"token": str(submitted_application.pk)}, follow=True)

    assert "This page has expired. Please submit the application form again." in _text(response)
    assert mail.outbox == []


def test_it_explains_a_resend_for_an_application_deleted_in_the_meantime(
    client, submitted_application, django_capture_on_commit_callbacks
):
    # The duplicate page offered a re-send; the nightly purge deletes the unconfirmed application before the click.
    token = signing.dumps(submitted_application.pk, salt=RESEND_SALT)
    submitted_application.delete()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RESEND_URL, {"token": token}, follow=True)

    assert response.redirect_chain == [(APPLY_URL, 302)]
    assert "This application no longer exists." in _text(response)
    assert mail.outbox == []


def test_it_offers_no_resend_for_a_duplicate_of_a_confirmed_application(client, application_data, confirmed_application):
    data = _form_data(
        application_data, home_student_number=confirmed_application.home_student_number,
        date_of_birth=confirmed_application.date_of_birth.isoformat(), email=confirmed_application.email,
    )

    response = client.post(APPLY_URL, data)

    assert response.status_code == 200
    text = _text(response)
    assert 'id="duplicate-offer"' in text
    assert "Your application is already confirmed." in text
    assert "Re-send confirmation mail" not in text
    assert TemporaryIdApplication.objects.count() == 1


def test_it_refuses_a_partner_without_an_active_agreement(client, application_data, inactive_partner):
    response = client.post(APPLY_URL, _form_data(application_data, partner=inactive_partner.pk))

    assert response.status_code == 200
    assert "Nuri University has no active credit-exchange agreement, so applications are not accepted." in _text(
        response
    )
    assert not TemporaryIdApplication.objects.exists()


def test_it_refuses_a_term_whose_window_is_closed_even_when_posted_directly(
    client, application_data, closed_term, django_capture_on_commit_callbacks
):
    page = client.get(APPLY_URL)
    assert f'<option value="{closed_term.pk}"' not in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, _form_data(application_data, term=closed_term.pk))

    assert response.status_code == 200
    assert "Temporary student ID application for 2026 Fall closed (it ran" in _text(response)
    assert not TemporaryIdApplication.objects.exists()
    assert mail.outbox == []


# --- The confirmation link ------------------------------------------------------------------


def test_it_confirms_an_application_from_the_mailed_links_button(client, submitted_application):
    url = _confirm_url(services.confirmation_token(submitted_application))
    assert 'id="confirm-button"' in client.get(url).content.decode()  # opening the link only shows the button

    response = client.post(url)

    assert response.status_code == 200
    assert "Thank you. Your application for 2027 Spring is complete." in _text(response)
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.CONFIRMED
    assert submitted_application.confirmed_at is not None
    event = submitted_application.events.get()
    assert (event.from_status, event.to_status) == (Status.SUBMITTED, Status.CONFIRMED)


def test_it_answers_a_confirmation_link_the_second_time_with_a_friendly_page(client, submitted_application):
    url = _confirm_url(services.confirmation_token(submitted_application))
    client.post(url)
    submitted_application.refresh_from_db()
    confirmed_at = submitted_application.confirmed_at

    response = client.post(url)

    assert response.status_code == 200
    assert "Your application for 2027 Spring is already confirmed." in _text(response)
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.CONFIRMED
    assert submitted_application.confirmed_at == confirmed_at
    assert submitted_application.events.count() == 1


def test_it_refuses_a_tampered_confirmation_link(client, submitted_application):
    token = services.confirmation_token(submitted_application)
    value, signature = token.rsplit(":", 1)
    tampered = f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"

    response = client.post(_confirm_url(tampered))

    assert response.status_code == 400
    assert "This confirmation link is not valid." in _text(response)
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED
    assert submitted_application.confirmed_at is None
    assert not ApplicationEvent.objects.exists()


def test_it_refuses_a_signed_link_whose_nonce_belongs_to_another_application(
    client, submitted_application, partner, open_term
):
    other = ApplicationFactory(term=open_term, partner=partner)
    forged = signing.TimestampSigner(salt=services.CONFIRM_SALT).sign(
        f"{other.pk}:{submitted_application.confirmation_nonce}"
    )

    response = client.post(_confirm_url(forged))

    assert response.status_code == 404
    assert "This application no longer exists." in _text(response)
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED


def test_it_refuses_an_expired_confirmation_link(client, settings, submitted_application):
    settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = 72
    issued_at = time.time() - timedelta(hours=73).total_seconds()
    with patch("time.time", return_value=issued_at):
        token = services.confirmation_token(submitted_application)

    response = client.post(_confirm_url(token))

    assert response.status_code == 410
    assert "This confirmation link has expired." in _text(response)
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.SUBMITTED
    assert submitted_application.confirmed_at is None
    assert not ApplicationEvent.objects.exists()


def test_it_still_accepts_a_confirmation_link_just_inside_its_lifetime(client, settings, submitted_application):
    settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = 72
    issued_at = time.time() - timedelta(hours=71).total_seconds()
    with patch("time.time", return_value=issued_at):
        token = services.confirmation_token(submitted_application)

    response = client.post(_confirm_url(token))

    assert response.status_code == 200
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.CONFIRMED


# --- The result lookup ----------------------------------------------------------------------


def _error_messages(response) -> list[str]:
    return [str(message) for message in response.context["form"].non_field_errors()]


def test_it_answers_a_wrong_birth_date_and_an_unknown_number_alike(client, confirmed_application):
    wrong_birth = client.post(LOOKUP_URL, _lookup_data(confirmed_application, date_of_birth="1999-12-31"))
    unknown = client.post(LOOKUP_URL, _lookup_data(confirmed_application, home_student_number="19990000"))

    message = "No application matches these details. Check the university, student number and date of birth."
    for response in (wrong_birth, unknown):
        assert response.status_code == 200
        assert _error_messages(response) == [message]
        assert response.context["result"] is None
        text = _text(response)
        assert 'id="result-status"' not in text
        assert "Confirmed" not in text
        assert confirmed_application.email not in text


def test_it_shows_the_status_of_a_matching_application(client, confirmed_application):
    response = client.post(LOOKUP_URL, _lookup_data(confirmed_application))

    assert response.status_code == 200
    assert re.search(r'id="result-status">\s*Confirmed\s*<', response.content.decode())
    assert 'id="result-student-id"' not in response.content.decode()


def test_it_shows_the_issued_id_and_mails_one_set_password_link(
    client, approved_application, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.temporary_id_issue(application_id=approved_application.pk)
    approved_application.refresh_from_db()
    account = approved_application.temporary_id.user
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOOKUP_URL, _lookup_data(approved_application))

    assert response.status_code == 200
    student_id = approved_application.temporary_id.student_id
    assert re.search(rf'id="result-student-id">\s*{student_id}\s*<', response.content.decode())
    local, domain = account.email.split("@")
    masked = f"{local[:2]}{'*' * (len(local) - 2)}@{domain}"
    assert f"We mailed a link to set your password to {masked}." in _text(response)
    assert account.email not in _text(response)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [account.email]
    assert "/accounts/set-password/" in mail.outbox[0].body


def test_it_does_not_mail_a_second_set_password_link_right_away(
    client, approved_application, django_capture_on_commit_callbacks
):
    services.temporary_id_issue(application_id=approved_application.pk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LOOKUP_URL, _lookup_data(approved_application))
    assert len(mail.outbox) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOOKUP_URL, _lookup_data(approved_application))

    assert response.status_code == 200
    assert "A link to set your password was mailed to" in _text(response)
    assert "a few minutes ago." in _text(response)
    assert "We mailed a link to set your password" not in _text(response)
    assert len(mail.outbox) == 1


def test_it_mails_a_new_password_link_on_request_to_a_student_who_has_a_password(
    client, approved_application, django_capture_on_commit_callbacks
):
    services.temporary_id_issue(application_id=approved_application.pk)
    approved_application.refresh_from_db()
    account = approved_application.temporary_id.user
    account.set_password("Blue-Lantern-Orbit-42")
    account.save()

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(LOOKUP_URL, _lookup_data(approved_application))
    assert "You already have a password" in _text(first)
    assert 'name="send_link"' in first.content.decode()
    assert mail.outbox == []

    data = _lookup_data(approved_application)
    del data["lookup"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LOOKUP_URL, {**data, "send_link": ""})

    assert "We mailed a link to set your password to" in _text(response)
    assert [m.to for m in mail.outbox] == [[account.email]]
    account.refresh_from_db()
    assert account.check_password("Blue-Lantern-Orbit-42")


def test_it_shows_the_reason_of_a_rejected_application(client, confirmed_application, registrar):
    services.application_reject(
        application_id=confirmed_application.pk, actor=registrar, reason="No nomination from your university."
    )

    response = client.post(LOOKUP_URL, _lookup_data(confirmed_application))

    assert re.search(r'id="result-status">\s*Rejected\s*<', response.content.decode())
    assert "No nomination from your university." in _text(response)


def test_it_rate_limits_lookups_per_client(client, settings, confirmed_application):
    settings.LOOKUP_RATE_LIMIT = 3
    for _ in range(3):
        response = client.post(LOOKUP_URL, _lookup_data(confirmed_application, date_of_birth="1999-12-31"))
        assert "Too many look-ups" not in _text(response)

    response = client.post(LOOKUP_URL, _lookup_data(confirmed_application))

    assert response.status_code == 200
    assert _error_messages(response) == ["Too many look-ups from your connection. Please try again in 15 minutes."]
    assert 'id="result-status"' not in response.content.decode()

    elsewhere = client.post(LOOKUP_URL, _lookup_data(confirmed_application), REMOTE_ADDR="10.0.0.7")
    assert re.search(r'id="result-status">\s*Confirmed\s*<', elsewhere.content.decode())


# --- Both languages ---------------------------------------------------------------------------

PAGES = [
    ("/", "Credit exchange and academic administration"),
    (APPLY_URL, "Apply for a temporary student ID"),
    (LOOKUP_URL, "Check the application and verify for student ID"),
]


@pytest.mark.parametrize(("url", "english_title"), PAGES)
def test_it_serves_every_page_in_english_on_request(db, open_term, partner, url, english_title):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(url)

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    assert english_title in _text(response)


@pytest.mark.parametrize(("url", "english_title"), PAGES)
def test_it_serves_every_page_in_korean_by_default(db, open_term, partner, url, english_title):
    response = Client().get(url)

    assert response.status_code == 200
    assert '<html lang="ko">' in response.content.decode()
    assert english_title not in _text(response)


@pytest.mark.parametrize(("url", "english_title"), PAGES)
def test_it_prefers_the_language_cookie_over_the_browser_language(db, open_term, partner, url, english_title):
    korean = Client(HTTP_ACCEPT_LANGUAGE="en")
    korean.cookies["django_language"] = "ko"
    english = Client(HTTP_ACCEPT_LANGUAGE="ko")
    english.cookies["django_language"] = "en"

    korean_page = korean.get(url)
    english_page = english.get(url)

    assert '<html lang="ko">' in korean_page.content.decode()
    assert english_title not in _text(korean_page)
    assert '<html lang="en">' in english_page.content.decode()
    assert english_title in _text(english_page)


def test_it_switches_language_with_the_language_form(db, open_term, partner):
    browser = Client()

    response = browser.post("/i18n/setlang/", {"language": "en", "next": APPLY_URL})

    assert response.status_code == 302
    assert response["Location"] == APPLY_URL
    assert browser.cookies["django_language"].value == "en"
    page = browser.get(APPLY_URL)
    assert '<html lang="en">' in page.content.decode()
    assert "Apply for a temporary student ID" in _text(page)


def test_another_birth_date_is_kept_as_a_conflict_and_reveals_no_state_and_offers_no_resend(client, application_data):
    # Issue 10, finding 3: another birth date is another person; their application is kept, never refused.
    services.application_submit(**application_data)

    response = client.post(APPLY_URL, _form_data(application_data, date_of_birth="2001-01-01"), follow=True)

    text = _text(response)
    assert response.redirect_chain == [(SENT_URL, 302)]
    assert 'id="conflict-next-steps"' in text
    assert 'id="duplicate-offer"' not in text and "Re-send confirmation mail" not in text
    assert "waiting for e-mail confirmation" not in text
    assert TemporaryIdApplication.objects.count() == 2


def test_duplicate_answers_count_against_the_lookup_limit(client, application_data, settings):
    settings.LOOKUP_RATE_LIMIT = 2
    services.application_submit(**application_data)
    for _ in range(2):
        client.post(APPLY_URL, _form_data(application_data, date_of_birth="2001-01-01"))

    response = client.post(APPLY_URL, _form_data(application_data))  # the right birth date, too late

    text = _text(response)
    assert "Too many look-ups from your connection. Please try again in 15 minutes." in text
    assert 'id="duplicate-offer"' not in text
    # The first other-birth-date answer kept a conflicting application (issue 10); the second was its repeat.
    assert TemporaryIdApplication.objects.count() == 2
