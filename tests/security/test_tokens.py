"""Tokens and links (issue 10, findings 5, 6 and 7's partner form): a mailed link changes nothing on GET or HEAD,
the partner link expires by itself and then shows no personal data, and every posted line id is validated."""

import html
import time
from datetime import timedelta
from unittest.mock import patch
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format

from creditexchange import services
from creditexchange.models import (
    ApplicationEvent,
    PartnerList,
    Recommendation,
    RecommendationEvent,
    TemporaryIdApplication,
)
from creditexchange.services.recommendations import VERIFY_SALT

from ..creditexchange.partner_list_helpers import build_scene, send
from ..factories import ApplicationFactory, InstitutionContactFactory, host_campus

Status = TemporaryIdApplication.Status
Kind = PartnerList.Kind


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def scene(db):
    return build_scene()


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _confirm_url(application: TemporaryIdApplication) -> str:
    return f"/credit-exchange/apply/confirm/{services.confirmation_token(application)}/"


def _unchanged(application: TemporaryIdApplication) -> None:
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED and application.confirmed_at is None
    assert not ApplicationEvent.objects.filter(application=application).exists()


# --- Finding 5: the confirmation link ------------------------------------------------------------------------------


def test_it_shows_a_button_on_get_and_confirms_nothing(client, submitted_application):
    response = client.get(_confirm_url(submitted_application))

    assert response.status_code == 200
    content = response.content.decode()
    assert '<form method="post"' in content and "csrfmiddlewaretoken" in content
    assert 'id="confirm-button"' in content
    assert response["Referrer-Policy"] == "same-origin"
    assert "noindex" in response["X-Robots-Tag"]
    _unchanged(submitted_application)


def test_it_confirms_nothing_on_head(client, submitted_application):
    response = client.head(_confirm_url(submitted_application))

    assert response.status_code == 200
    _unchanged(submitted_application)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_it_refuses_other_methods_and_confirms_nothing(client, submitted_application, method):
    response = getattr(client, method)(_confirm_url(submitted_application))

    assert response.status_code == 405
    _unchanged(submitted_application)


def test_it_confirms_on_post(client, submitted_application):
    response = client.post(_confirm_url(submitted_application))

    assert response.status_code == 200
    assert "Thank you. Your application for 2027 Spring is complete." in _text(response)
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.CONFIRMED and submitted_application.confirmed_at is not None
    assert submitted_application.events.get().to_status == Status.CONFIRMED


def test_it_needs_the_csrf_token_to_confirm(submitted_application):
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    url = _confirm_url(submitted_application)
    browser.get(url)

    refused = browser.post(url)
    assert refused.status_code == 403
    _unchanged(submitted_application)

    accepted = browser.post(url, {"csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert accepted.status_code == 200
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.CONFIRMED


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_second_visit_is_a_friendly_already_confirmed_page(client, submitted_application, method):
    url = _confirm_url(submitted_application)
    client.post(url)
    submitted_application.refresh_from_db()
    confirmed_at = submitted_application.confirmed_at

    response = getattr(client, method)(url)

    assert response.status_code == 200
    text = _text(response)
    assert "Your application for 2027 Spring is already confirmed." in text
    assert "your temporary student ID is issued after 18:00" in text  # what happens next
    assert "alert-danger" not in text and 'id="confirm-button"' not in text
    submitted_application.refresh_from_db()
    assert submitted_application.confirmed_at == confirmed_at and submitted_application.events.count() == 1


def test_an_old_link_of_a_confirmed_application_is_still_friendly(client, settings, submitted_application):
    settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = 72
    with patch("time.time", return_value=time.time() - timedelta(hours=100).total_seconds()):
        url = _confirm_url(submitted_application)
    TemporaryIdApplication.objects.filter(pk=submitted_application.pk).update(
        status=Status.CONFIRMED, confirmed_at=timezone.now())

    response = client.get(url)

    assert response.status_code == 200
    assert "already confirmed" in _text(response)


def test_a_tampered_link_gets_a_400_page_that_says_what_to_do(client, submitted_application):
    token = services.confirmation_token(submitted_application)
    value, signature = token.rsplit(":", 1)
    tampered = f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"

    for method in ("get", "post"):
        response = getattr(client, method)(f"/credit-exchange/apply/confirm/{tampered}/")
        assert response.status_code == 400
        text = _text(response)
        assert "This confirmation link is not valid." in text
        assert 'href="/credit-exchange/apply/"' in text and "Re-send confirmation mail" in text
    _unchanged(submitted_application)


def test_an_expired_link_gets_a_410_page_that_offers_the_resend(client, settings, submitted_application):
    settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS = 72
    with patch("time.time", return_value=time.time() - timedelta(hours=73).total_seconds()):
        url = _confirm_url(submitted_application)

    for method in ("get", "head", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 410
    text = _text(client.get(url))
    assert "This confirmation link has expired." in text
    assert 'href="/credit-exchange/apply/"' in text and "Re-send confirmation mail" in text
    _unchanged(submitted_application)


def test_a_link_whose_application_is_gone_gets_a_404_page(client, submitted_application, partner, open_term):
    other = ApplicationFactory(term=open_term, partner=partner)
    forged = signing.TimestampSigner(salt=services.CONFIRM_SALT).sign(f"{other.pk}:{submitted_application.confirmation_nonce}")

    response = client.post(f"/credit-exchange/apply/confirm/{forged}/")

    assert response.status_code == 404
    assert "This application no longer exists." in _text(response)
    other.refresh_from_db()
    assert other.status == Status.SUBMITTED


def test_the_check_service_is_read_only(submitted_application, django_assert_max_num_queries):
    token = services.confirmation_token(submitted_application)

    with django_assert_max_num_queries(1):
        application = services.application_confirm_check(token=token)

    assert application == submitted_application
    _unchanged(submitted_application)


# --- Finding 6: the partner link expires -------------------------------------------------------------------------------


def _verify_url(token: str) -> str:
    return f"/credit-exchange/verify/{token}/"


def _personal_data(partner_list: PartnerList) -> list[str]:
    values = []
    for row in partner_list.rows:
        values += [row["home_student_number"], row["name_ko"], row["name_latin"], row["student_id"]]
    for application in TemporaryIdApplication.objects.filter(pk__in=[row["application_id"] for row in partner_list.rows]):
        values += [application.email, application.phone, application.date_of_birth.isoformat(),
                   date_format(application.date_of_birth, "DATE_FORMAT")]
    return [value for value in values if value]


def _assert_closed_page(response, partner_list: PartnerList, since) -> None:
    text = _text(response)
    assert 'id="verify-closed"' in text
    assert "This list is closed" in text
    assert date_format(timezone.localtime(since), "DATETIME_FORMAT") in text
    for value in _personal_data(partner_list):
        assert value not in text, value
    assert "<table" not in text and "decision-" not in text


def test_the_token_carries_its_own_expiry(scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    value = signing.loads(services.partner_list_token(partner_list), salt=VERIFY_SALT)

    assert value["exp"] == int(partner_list.deadline.timestamp())
    assert (value["list"], value["partner"]) == (partner_list.pk, scene.hanbit.pk)


def test_before_the_deadline_the_page_works_as_before(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    response = client.get(_verify_url(services.partner_list_token(partner_list)))

    assert response.status_code == 200
    assert "H001" in response.content.decode() and 'id="verify-closed"' not in response.content.decode()


def test_after_the_list_deadline_the_page_shows_no_personal_data(client, settings, scene):
    settings.REGISTRAR_EMAIL = "registrar@host.example"
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS, at=timezone.now() - timedelta(days=30))
    # Even a token that itself would still be valid: the earlier of the two deadlines counts.
    token = services.partner_list_token(partner_list, expires_at=timezone.now() + timedelta(days=10))

    response = client.get(_verify_url(token))

    assert response.status_code == 200
    _assert_closed_page(response, partner_list, partner_list.deadline)
    assert "registrar@host.example" in _text(response)


def test_a_token_whose_own_expiry_passed_closes_the_page_while_the_list_is_open(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    assert partner_list.is_open()
    expired = timezone.now() - timedelta(hours=1)
    token = services.partner_list_token(partner_list, expires_at=expired)
    line = partner_list.recommendations.get(application__home_student_number="H001")

    page = client.get(_verify_url(token))
    _assert_closed_page(page, partner_list, expired.replace(microsecond=0))

    response = client.post(_verify_url(token), {f"decision-{line.pk}": "recommended"})
    assert response.status_code == 403
    assert "Nothing was changed" in _text(response)
    _assert_closed_page(response, partner_list, expired.replace(microsecond=0))
    line.refresh_from_db()
    assert line.decision == "pending" and not RecommendationEvent.objects.exists()


def test_the_service_refuses_answers_after_the_tokens_own_expiry(scene):
    from core.errors import WindowClosed

    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    link = services.partner_list_link(
        token=services.partner_list_token(partner_list, expires_at=timezone.now() - timedelta(minutes=1)))
    line = partner_list.recommendations.first()

    with pytest.raises(WindowClosed):
        services.recommendations_submit(
            partner_list_id=partner_list.pk, decisions={line.pk: ("recommended", "")}, ip=None, deadline=link.deadline)
    line.refresh_from_db()
    assert line.decision == "pending"


def test_the_closed_page_names_the_host_institutions_contacts(client, scene):
    host = host_campus().institution
    InstitutionContactFactory(institution=host, email="exchange@host.example")
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS, at=timezone.now() - timedelta(days=30))

    text = _text(client.get(_verify_url(services.partner_list_token(partner_list))))

    assert 'href="mailto:exchange@host.example"' in text and "Host University" in text


def test_a_token_without_an_expiry_is_refused(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    token = signing.dumps({"list": partner_list.pk, "partner": scene.hanbit.pk}, salt=VERIFY_SALT)

    response = client.get(_verify_url(token))

    assert response.status_code == 400
    assert "H001" not in response.content.decode()


def test_another_partners_token_is_refused_with_403(client, scene):
    garam_list = send(scene, scene.garam, Kind.FINAL)
    token = signing.dumps(
        {"list": garam_list.pk, "partner": scene.hanbit.pk, "exp": int(garam_list.deadline.timestamp())}, salt=VERIFY_SALT)

    response = client.get(_verify_url(token))

    assert response.status_code == 403
    assert "G001" not in response.content.decode()


def test_a_tampered_token_is_refused_with_400(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    token = services.partner_list_token(partner_list)
    payload, rest = token.split(":", 1)
    later = int((timezone.now() + timedelta(days=365)).timestamp())
    forged = signing.b64_encode(
        f'{{"list":{partner_list.pk},"partner":{scene.hanbit.pk},"exp":{later}}}'.encode()).decode() + ":" + rest

    for bad in (forged, token[:-2] + ("AA" if not token.endswith("AA") else "BB")):
        response = client.get(_verify_url(bad))
        assert response.status_code == 400
        assert "H001" not in response.content.decode()


def test_the_verification_page_lets_the_browser_send_its_origin(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)

    response = client.get(_verify_url(services.partner_list_token(partner_list)))

    # "no-referrer" makes Chromium post the form with "Origin: null", which the CSRF check refuses.
    assert response["Referrer-Policy"] == "same-origin"


def test_the_coordinators_post_with_the_pages_origin_passes_the_csrf_check(settings, scene):
    settings.ALLOWED_HOSTS = ["portal.example"]
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    line = partner_list.recommendations.get(application__home_student_number="H001")
    url = _verify_url(services.partner_list_token(partner_list))
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="portal.example")
    browser.get(url)
    token = browser.cookies["csrftoken"].value

    null = browser.post(url, {"csrfmiddlewaretoken": token, f"decision-{line.pk}": "recommended"}, HTTP_ORIGIN="null")
    assert null.status_code == 403  # what the browser sent under "no-referrer"
    ok = browser.post(
        url, {"csrfmiddlewaretoken": token, f"decision-{line.pk}": "recommended"}, HTTP_ORIGIN="http://portal.example")
    assert ok.status_code == 302
    line.refresh_from_db()
    assert line.decision == "recommended"


# --- Finding 7: every posted line id, number and choice is validated ------------------------------------------------


def _nothing_saved() -> None:
    assert set(Recommendation.objects.values_list("decision", flat=True)) == {"pending"}
    assert not RecommendationEvent.objects.exists()


@pytest.mark.parametrize("line_id", ["9" * 25, "99999999999999999999", "-1", "-0", "0", "abc", "1e3", "12 ", " 12", "٣", "", "0x1f"])
def test_a_bad_line_id_is_a_400_and_nothing_is_saved(client, scene, line_id):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    good = partner_list.recommendations.get(application__home_student_number="H001")

    for field in ("decision", "comment"):
        # Form-encoded, as a browser posts it (the multipart parser would strip the field names' spaces).
        response = client.post(
            _verify_url(services.partner_list_token(partner_list)),
            urlencode({f"decision-{good.pk}": "recommended", f"{field}-{line_id}": "recommended"}),
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 400, (field, line_id)
        assert "does not name a student on this list" in _text(response)
    _nothing_saved()


def test_an_unknown_line_id_refuses_the_whole_answer(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    good = partner_list.recommendations.get(application__home_student_number="H001")
    unknown = Recommendation.objects.order_by("-pk").first().pk + 1000

    response = client.post(
        _verify_url(services.partner_list_token(partner_list)),
        {f"decision-{good.pk}": "recommended", f"decision-{unknown}": "recommended"},
    )

    assert response.status_code in (400, 403)
    assert "not on this list" in _text(response)
    _nothing_saved()


def test_a_line_of_another_list_refuses_the_whole_answer(client, scene):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    good = partner_list.recommendations.get(application__home_student_number="H001")
    theirs = send(scene, scene.garam, Kind.FINAL).recommendations.first()

    response = client.post(
        _verify_url(services.partner_list_token(partner_list)),
        {f"decision-{good.pk}": "recommended", f"decision-{theirs.pk}": "not_recommended"},
    )

    assert response.status_code in (400, 403)
    assert "not on this list" in _text(response)
    _nothing_saved()


@pytest.mark.parametrize(
    "extra",
    [
        {"decision-{pk}": "maybe"},
        {"decision-{pk}": "pending"},
        {"decision-{pk}": ["recommended", "not_recommended"]},
        {"comment-{pk}": "bad\x00byte"},
        {"comment-{pk}": "x" * 1001},
        {"comment-{pk}": ["one", "two"]},
    ],
)
def test_a_bad_choice_or_comment_is_a_400_and_nothing_is_saved(client, scene, extra):
    partner_list = send(scene, scene.hanbit, Kind.APPLICANTS)
    good = partner_list.recommendations.get(application__home_student_number="H001")
    other = partner_list.recommendations.get(application__home_student_number="H002")
    data = {f"decision-{good.pk}": "recommended", f"decision-{other.pk}": "recommended"}
    data.update({key.format(pk=other.pk): value for key, value in extra.items()})

    response = client.post(_verify_url(services.partner_list_token(partner_list)), data)

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    _nothing_saved()


@pytest.mark.parametrize(
    "url",
    [
        "/credit-exchange/apply/confirm/bogus/",
        "/credit-exchange/verify/bogus/",
        "/accounts/set-password/MQ/bogus-token/",
        "/accounts/email/confirm/bogus/",
        "/accounts/email/report/bogus/",
        "/credit-exchange/apply/result/",
    ],
)
def test_no_page_reached_from_a_mail_link_sends_no_referrer(client, db, url):
    """Each page a mail links to lets the browser send its Origin on the page's own forms (CSRF), never "null"."""
    response = client.get(url)

    assert response.status_code < 500
    assert response["Referrer-Policy"] in ("same-origin", "strict-origin", "strict-origin-when-cross-origin")
