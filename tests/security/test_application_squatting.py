"""Issue 10, finding 3: nobody can squat a student's application by applying first with their student number.

A second application for the same (term, partner, home student number) from a different person is kept and
opens a conflict that blocks issuance until staff keep one and reject the others; a plain repeat (same birth
date and e-mail) is still deduplicated. Student numbers compare without surrounding spaces and case.
"""

import html
from datetime import date

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.models import TemporaryStudentId
from core.errors import DomainError, DuplicateApplication, InvalidTransition
from core.models import OutgoingMail, StaffJob
from creditexchange import services
from creditexchange.models import ApplicationConflict, ApplicationEvent, TemporaryIdApplication
from tests.concurrency import run_at_once
from tests.factories import ApplicationFactory, InstitutionFactory, TermFactory, TermWindowFactory

Status = TemporaryIdApplication.Status
APPLY_URL = "/credit-exchange/apply/"
SENT_URL = "/credit-exchange/apply/sent/"
LOOKUP_URL = "/credit-exchange/apply/result/"
CONFLICTS_URL = "/admin/creditexchange/applicationconflict/"
APPLICATIONS_URL = "/admin/creditexchange/temporaryidapplication/"


@pytest.fixture
def attacker_data(application_data):
    """Someone who knows Haneul's partner and student number applies first, with their own address and birth date."""
    return {
        **application_data, "name_ko": "", "name_latin": "MALLORY", "email": "mallory@evil.example",
        "date_of_birth": date(1999, 9, 9), "phone": "010-9999-9999",
    }


def _approve(application, actor):
    TemporaryIdApplication.objects.filter(pk=application.pk).update(status=Status.CONFIRMED)
    return services.application_approve(application_id=application.pk, actor=actor)


def _squatted(attacker_data, application_data, capture):
    with capture(execute=True):
        attacker = services.application_submit(**attacker_data)
        student = services.application_submit(**application_data)
    return attacker, student


# --- the squat --------------------------------------------------------------------------------------------------


def test_it_keeps_the_real_students_application_and_opens_a_conflict(
    attacker_data, application_data, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)

    assert TemporaryIdApplication.objects.count() == 2
    assert student.status == Status.SUBMITTED and student.email == "haneul@hanbit.example"
    conflict = ApplicationConflict.objects.get()
    assert conflict.is_open
    assert set(conflict.applications.all()) == {attacker, student}
    assert (conflict.term, conflict.partner, conflict.number_key) == (attacker.term, attacker.partner, "20241234")
    assert services.application_conflict_open_for(application=attacker) == conflict
    assert services.application_conflict_open_for(application=student) == conflict
    assert conflict.events.get().action == "opened"


def test_it_mails_the_first_applicant_a_notice_without_the_other_applicants_data(
    attacker_data, application_data, django_capture_on_commit_callbacks
):
    _squatted({**attacker_data, "language": "en"}, {**application_data, "language": "en"}, django_capture_on_commit_callbacks)

    kinds = list(OutgoingMail.objects.order_by("pk").values_list("kind", "to"))
    assert kinds == [
        ("application_confirmation", "mallory@evil.example"),
        ("application_confirmation", "haneul@hanbit.example"),
        ("application_conflict_notice", "mallory@evil.example"),
        ("application_conflict_received", "haneul@hanbit.example"),
    ]
    notice = next(m for m in mail.outbox if m.to == ["mallory@evil.example"] and "another application" in m.body.lower())
    for secret in ("haneul", "HANEUL", "김하늘", "2004", "010-2222-3333"):
        assert secret not in notice.body and secret not in notice.subject
        assert secret not in notice.alternatives[0][0]
    assert "20241234" in notice.body
    received = next(m for m in mail.outbox if m.to == ["haneul@hanbit.example"] and "registrar" in m.body)
    assert "No temporary student ID can be issued" in received.body
    assert "mallory" not in received.body.lower()


def test_it_writes_both_mails_in_korean_for_a_korean_applicant(
    attacker_data, application_data, django_capture_on_commit_callbacks
):
    _squatted({**attacker_data, "language": "ko"}, {**application_data, "language": "ko"}, django_capture_on_commit_callbacks)

    notice = next(m for m in mail.outbox if m.to == ["mallory@evil.example"] and "다른 신청" in m.subject)
    received = next(m for m in mail.outbox if m.to == ["haneul@hanbit.example"] and "학번 확인 중" in m.subject)
    assert "다른 신청" in notice.body
    assert "학사" in received.body or "교무" in received.body


def test_a_third_applicant_joins_the_open_conflict(attacker_data, application_data, django_capture_on_commit_callbacks):
    _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)

    third = services.application_submit(**{**attacker_data, "email": "eve@evil.example", "name_latin": "EVE"})

    conflict = ApplicationConflict.objects.get()
    assert conflict.applications.count() == 3 and third in conflict.applications.all()
    assert [e.action for e in conflict.events.order_by("pk")] == ["opened", "joined"]


# --- issuance is blocked ------------------------------------------------------------------------------------------


def test_it_refuses_issuance_while_the_conflict_is_open(
    attacker_data, application_data, registrar, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    _approve(attacker, registrar)

    with pytest.raises(services.ApplicationInConflict, match="another application with the same home student number"):
        services.temporary_id_issue(application_id=attacker.pk, actor=registrar)

    attacker.refresh_from_db()
    assert attacker.status == Status.APPROVED and attacker.temporary_id is None
    assert not TemporaryStudentId.objects.exists()
    report = services.temporary_id_issue_batch()
    assert (report.issued, report.skipped) == (0, 1)
    assert "another application with the same home student number" in report.failures[0][1]


def test_the_admin_issue_now_action_reports_the_conflict(
    attacker_data, application_data, registrar, registrar_client, django_capture_on_commit_callbacks
):
    attacker, _student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    _approve(attacker, registrar)

    # Issue 12: the action previews first; an application in conflict is listed as skipped, with the reason,
    # and with nothing to issue there is no confirmation at all.
    with django_capture_on_commit_callbacks(execute=True):
        page = registrar_client.post(APPLICATIONS_URL, {"action": "issue_now", "_selected_action": [attacker.pk]},
                                     HTTP_ACCEPT_LANGUAGE="en")

    assert not StaffJob.objects.exists()
    conflict = ApplicationConflict.objects.get()
    text = html.unescape(page.content.decode())
    assert "another application with the same home student number" in text and f"(no. {conflict.pk})" in text
    assert 'id="confirm-issue"' not in text
    assert not TemporaryStudentId.objects.exists()


def test_the_admin_issue_button_says_why_it_refuses(
    attacker_data, application_data, registrar, registrar_client, django_capture_on_commit_callbacks
):
    attacker, _student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    _approve(attacker, registrar)
    url = f"{APPLICATIONS_URL}{attacker.pk}/change/"
    form = registrar_client.get(url, HTTP_ACCEPT_LANGUAGE="en").context["adminform"].form
    data = {name: "" if form.initial.get(name) is None else str(form.initial.get(name)) for name in form.fields}
    data.update({"events-TOTAL_FORMS": "0", "events-INITIAL_FORMS": "0", "_issue": "1"})

    response = registrar_client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "another application with the same home student number" in response.content.decode()
    attacker.refresh_from_db()
    assert attacker.status == Status.APPROVED


# --- resolution -------------------------------------------------------------------------------------------------


def test_staff_resolve_by_keeping_one_and_rejecting_the_others(
    attacker_data, application_data, registrar, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    _approve(student, registrar)
    conflict = ApplicationConflict.objects.get()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.application_conflict_resolve(
            conflict_id=conflict.pk, keep_id=student.pk, actor=registrar, reason="The partner confirmed Haneul's address.",
            expected_ids=[attacker.pk, student.pk],
        )

    conflict.refresh_from_db()
    attacker.refresh_from_db()
    assert not conflict.is_open and conflict.kept == student and conflict.resolved_by == registrar
    assert attacker.status == Status.REJECTED and attacker.rejection_reason == "The partner confirmed Haneul's address."
    assert [m.to for m in mail.outbox] == [["mallory@evil.example"]]
    assert services.temporary_id_issue(application_id=student.pk, actor=registrar).status == Status.ISSUED
    assert TemporaryStudentId.objects.get().user.email == "haneul@hanbit.example"


def test_it_refuses_a_stale_resolution(attacker_data, application_data, registrar, django_capture_on_commit_callbacks):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    conflict = ApplicationConflict.objects.get()
    services.application_submit(**{**attacker_data, "email": "eve@evil.example"})  # arrives while staff look

    with pytest.raises(services.StaleConflict, match="changed"):
        services.application_conflict_resolve(
            conflict_id=conflict.pk, keep_id=student.pk, actor=registrar, reason="x", expected_ids=[attacker.pk, student.pk],
        )

    conflict.refresh_from_db()
    assert conflict.is_open
    assert not TemporaryIdApplication.objects.filter(status=Status.REJECTED).exists()


def test_it_refuses_a_resolution_without_a_reason(attacker_data, application_data, registrar, django_capture_on_commit_callbacks):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    conflict = ApplicationConflict.objects.get()

    with pytest.raises(DomainError, match="reason"):
        services.application_conflict_resolve(
            conflict_id=conflict.pk, keep_id=student.pk, actor=registrar, reason="  ", expected_ids=[attacker.pk, student.pk],
        )
    assert ApplicationConflict.objects.get().is_open


def test_staff_undo_a_resolution_while_nothing_is_issued(
    attacker_data, application_data, registrar, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    _approve(attacker, registrar)
    conflict = ApplicationConflict.objects.get()
    services.application_conflict_resolve(
        conflict_id=conflict.pk, keep_id=student.pk, actor=registrar, reason="wrong one", expected_ids=[attacker.pk, student.pk],
    )

    with pytest.raises(DomainError, match="reason"):
        services.application_conflict_reopen(conflict_id=conflict.pk, actor=registrar, reason="")
    services.application_conflict_reopen(conflict_id=conflict.pk, actor=registrar, reason="Kept the wrong application.")

    conflict.refresh_from_db()
    attacker.refresh_from_db()
    assert conflict.is_open and conflict.kept is None
    assert attacker.status == Status.APPROVED and attacker.rejection_reason == ""
    assert attacker.decided_by == registrar
    restore = ApplicationEvent.objects.filter(application=attacker).latest("pk")
    assert (restore.from_status, restore.to_status, restore.reason) == (Status.REJECTED, Status.APPROVED, "Kept the wrong application.")
    assert [e.action for e in conflict.events.order_by("pk")] == ["opened", "resolved", "reopened"]
    with pytest.raises(services.ApplicationInConflict):
        services.temporary_id_issue(application_id=attacker.pk, actor=registrar)


def test_it_refuses_to_undo_a_resolution_after_an_id_was_issued(
    attacker_data, application_data, registrar, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    _approve(student, registrar)
    conflict = ApplicationConflict.objects.get()
    services.application_conflict_resolve(
        conflict_id=conflict.pk, keep_id=student.pk, actor=registrar, reason="checked", expected_ids=[attacker.pk, student.pk],
    )
    services.temporary_id_issue(application_id=student.pk, actor=registrar)

    with pytest.raises(InvalidTransition, match="issued"):
        services.application_conflict_reopen(conflict_id=conflict.pk, actor=registrar, reason="too late")
    assert not ApplicationConflict.objects.get().is_open


def test_it_refuses_to_reject_an_issued_application_in_a_resolution(
    attacker_data, application_data, registrar, django_capture_on_commit_callbacks
):
    # The squatter was issued before the real student applied: staff must deal with that account first.
    with django_capture_on_commit_callbacks(execute=True):
        attacker = services.application_submit(**attacker_data)
    _approve(attacker, registrar)
    services.temporary_id_issue(application_id=attacker.pk, actor=registrar)
    student = services.application_submit(**application_data)
    conflict = ApplicationConflict.objects.get()

    with pytest.raises(InvalidTransition, match="issued"):
        services.application_conflict_resolve(
            conflict_id=conflict.pk, keep_id=student.pk, actor=registrar, reason="x", expected_ids=[attacker.pk, student.pk],
        )
    assert ApplicationConflict.objects.get().is_open


# --- a plain repeat ---------------------------------------------------------------------------------------------


def test_a_plain_repeat_is_still_one_row_without_a_conflict(application_data):
    first = services.application_submit(**application_data)

    with pytest.raises(DuplicateApplication) as excinfo:
        services.application_submit(**{**application_data, "email": "Haneul@HANBIT.example", "phone": "010-1111-1111"})

    assert excinfo.value.application == first
    assert TemporaryIdApplication.objects.count() == 1
    assert not ApplicationConflict.objects.exists()


def test_the_database_refuses_a_second_row_for_the_same_person(application_data):
    first = services.application_submit(**application_data)
    with pytest.raises(IntegrityError), transaction.atomic():
        ApplicationFactory(
            term=first.term, partner=first.partner, home_student_number=" 20241234", date_of_birth=first.date_of_birth,
            email="HANEUL@hanbit.example",
        )


@pytest.mark.parametrize("variant", ["ab-1234", "AB-1234", " Ab-1234 ", "aB-1234"])
def test_student_numbers_compare_without_case_and_spaces(application_data, attacker_data, variant):
    services.application_submit(**{**application_data, "home_student_number": "AB-1234"})

    with pytest.raises(DuplicateApplication):
        services.application_submit(**{**application_data, "home_student_number": variant})
    services.application_submit(**{**attacker_data, "home_student_number": variant})

    conflict = ApplicationConflict.objects.get()
    assert conflict.number_key == "AB-1234" and conflict.applications.count() == 2


def test_the_second_applicant_is_told_plainly_what_happens_next(
    client, attacker_data, application_data, django_capture_on_commit_callbacks
):
    services.application_submit(**attacker_data)
    data = {
        **{k: v for k, v in application_data.items() if k not in ("consent", "language")},
        "term": application_data["term"].pk, "partner": application_data["partner"].pk,
        "date_of_birth": application_data["date_of_birth"].isoformat(), "consent": "on",
        "home_student_number": "20241234 ",
    }

    response = client.post(APPLY_URL, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert response.redirect_chain == [(SENT_URL, 302)]
    text = html.unescape(response.content.decode())
    assert 'id="conflict-next-steps"' in text
    assert "We kept your application." in text
    assert "The registrar's office checks both applications" in text
    assert "No temporary student ID can be issued for this student number until then." in text
    assert TemporaryIdApplication.objects.count() == 2
    korean = client.get(SENT_URL, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "신청을 접수했습니다" in korean


# --- returning students and the result look-up ---------------------------------------------------------------------


def test_a_returning_student_is_matched_with_a_differently_cased_number(
    open_term, partner, registrar, django_capture_on_commit_callbacks
):
    earlier = TemporaryStudentId.objects.create(
        student_id="T202600007", partner=partner, home_student_number="ab-77",
        user=__import__("tests.factories", fromlist=["UserFactory"]).UserFactory(username="T202600007", kind="exchange"),
    )
    application = ApplicationFactory(term=open_term, partner=partner, home_student_number="AB-77", status=Status.APPROVED)

    issued = services.temporary_id_issue(application_id=application.pk, actor=registrar)

    assert issued.temporary_id == earlier
    assert TemporaryStudentId.objects.count() == 1


def test_temporary_ids_are_unique_per_number_in_any_case(partner):
    from tests.factories import TemporaryStudentIdFactory

    TemporaryStudentIdFactory(partner=partner, home_student_number="ab-77")
    with pytest.raises(IntegrityError), transaction.atomic():
        TemporaryStudentIdFactory(partner=partner, home_student_number="AB-77")


@pytest.mark.parametrize("typed", ["ab-55", " AB-55 ", "Ab-55"])
def test_the_result_lookup_matches_a_differently_cased_number(open_term, partner, typed):
    application = ApplicationFactory(term=open_term, partner=partner, home_student_number="AB-55", date_of_birth=date(2003, 3, 3))

    result = services.application_lookup(partner=partner, home_student_number=typed, date_of_birth=date(2003, 3, 3), client_key="k")

    assert result.application == application


def test_the_result_lookup_page_says_the_application_is_being_checked(
    client, attacker_data, application_data, django_capture_on_commit_callbacks
):
    _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)

    response = client.post(
        LOOKUP_URL, {"partner": application_data["partner"].pk, "home_student_number": " 20241234",
                     "date_of_birth": "2004-04-04"}, HTTP_ACCEPT_LANGUAGE="en",
    )

    text = response.content.decode()
    assert 'id="result-conflict"' in text
    assert "Another application was made with your student number" in text


# --- consent version ----------------------------------------------------------------------------------------------


def test_it_stores_the_privacy_notice_version_agreed_to(application_data, settings):
    settings.PRIVACY_NOTICE_VERSION = "2027-03"

    application = services.application_submit(**application_data)

    application.refresh_from_db()
    assert application.consent_version == "2027-03" and application.consent_at is not None


def test_the_consent_text_states_the_real_retention_period_and_the_version(client, open_term, settings):
    settings.PERSONAL_DATA_RETENTION_YEARS = 7
    settings.PRIVACY_NOTICE_VERSION = "2027-03"

    english = client.get(APPLY_URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    korean = client.get(APPLY_URL, HTTP_ACCEPT_LANGUAGE="ko").content.decode()

    assert "kept for 7 years after the term ends, then destroyed" in english
    assert "2027-03" in english and "five years" not in english
    assert "Your right to refuse" in english
    assert "7년" in korean and "2027-03" in korean and "파기" in korean


def test_the_application_admin_shows_the_consent_version_and_time(registrar_client, submitted_application):
    TemporaryIdApplication.objects.filter(pk=submitted_application.pk).update(consent_version="2026-12")

    text = registrar_client.get(f"{APPLICATIONS_URL}{submitted_application.pk}/change/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "2026-12" in text and "privacy notice version agreed to" in text.lower()


# --- admin ----------------------------------------------------------------------------------------------------------


def test_the_applications_list_flags_and_filters_conflicts(
    registrar_client, attacker_data, application_data, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    calm = ApplicationFactory(term=attacker.term, partner=attacker.partner)

    flagged = registrar_client.get(APPLICATIONS_URL, {"conflict": "open"}, HTTP_ACCEPT_LANGUAGE="en")
    calm_only = registrar_client.get(APPLICATIONS_URL, {"conflict": "none"}, HTTP_ACCEPT_LANGUAGE="en")

    assert set(flagged.context["cl"].result_list) == {attacker, student}
    assert list(calm_only.context["cl"].result_list) == [calm]
    assert "in conflict" in flagged.content.decode().lower()


def test_the_conflict_admin_lists_filters_and_searches(
    registrar_client, attacker_data, application_data, django_capture_on_commit_callbacks
):
    _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    conflict = ApplicationConflict.objects.get()

    assert list(registrar_client.get(CONFLICTS_URL).context["cl"].result_list) == [conflict]
    assert list(registrar_client.get(CONFLICTS_URL, {"state": "open"}).context["cl"].result_list) == [conflict]
    assert list(registrar_client.get(CONFLICTS_URL, {"state": "resolved"}).context["cl"].result_list) == []
    assert list(registrar_client.get(CONFLICTS_URL, {"q": "20241234"}).context["cl"].result_list) == [conflict]
    assert list(registrar_client.get(CONFLICTS_URL, {"q": "99999"}).context["cl"].result_list) == []


def test_the_resolve_view_previews_then_resolves_and_refuses_a_stale_page(
    registrar_client, attacker_data, application_data, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    conflict = ApplicationConflict.objects.get()
    url = f"{CONFLICTS_URL}{conflict.pk}/resolve/"
    page = registrar_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    members = page.context["form"]["members"].value()
    choice = {"keep": student.pk, "reason": "Checked with the partner.", "members": members}

    preview = registrar_client.post(url, {**choice, "preview": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert preview.status_code == 200
    assert 'id="resolution-preview"' in preview.content.decode()
    assert ApplicationConflict.objects.get().is_open  # the preview changes nothing

    services.application_submit(**{**attacker_data, "email": "eve@evil.example"})
    stale = registrar_client.post(url, {**choice, "confirm": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "changed" in stale.content.decode()
    assert ApplicationConflict.objects.get().is_open

    fresh = registrar_client.get(url, HTTP_ACCEPT_LANGUAGE="en").context["form"]["members"].value()
    with django_capture_on_commit_callbacks(execute=True):
        done = registrar_client.post(url, {**choice, "members": fresh, "confirm": "1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert done.status_code == 302
    assert not ApplicationConflict.objects.get().is_open
    assert set(TemporaryIdApplication.objects.filter(status=Status.REJECTED).values_list("email", flat=True)) == {
        "mallory@evil.example", "eve@evil.example",
    }


def test_an_outsider_cannot_open_the_resolve_view(
    outsider_client, attacker_data, application_data, django_capture_on_commit_callbacks
):
    _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    conflict = ApplicationConflict.objects.get()

    response = outsider_client.get(f"{CONFLICTS_URL}{conflict.pk}/resolve/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_resolve_view_answers_a_malformed_selection_with_a_form_error(
    registrar_client, attacker_data, application_data, django_capture_on_commit_callbacks
):
    _attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    conflict = ApplicationConflict.objects.get()
    url = f"{CONFLICTS_URL}{conflict.pk}/resolve/"

    for members in ("1,x", "9" * 30, ""):
        response = registrar_client.post(url, {"keep": student.pk, "reason": "r", "members": members, "confirm": "1"})
        assert response.status_code == 200
    assert ApplicationConflict.objects.get().is_open


# --- the race -----------------------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_different_applicants_at_once_get_both_rows_and_exactly_one_conflict():
    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term)
    partner = InstitutionFactory()
    base = {
        "term": term, "partner": partner, "home_student_number": "20249999", "name_ko": "", "name_latin": "RACE",
        "phone": "010-1234-5678", "home_department": "CS", "degree_level": "bachelor", "consent": True, "language": "en",
    }
    people = [
        {**base, "email": "real@p.example", "date_of_birth": date(2003, 1, 1)},
        {**base, "email": "squatter@evil.example", "date_of_birth": date(1999, 9, 9), "home_student_number": "20249999 "},
    ]

    outcomes = run_at_once([lambda d=d: services.application_submit(**d) for d in people], workers=2)

    assert all(isinstance(o, TemporaryIdApplication) for o in outcomes), outcomes
    assert TemporaryIdApplication.objects.count() == 2
    conflict = ApplicationConflict.objects.get()
    assert set(conflict.applications.values_list("email", flat=True)) == {"real@p.example", "squatter@evil.example"}
    assert conflict.events.get().action == "opened"


def test_a_correction_that_would_make_two_applications_one_person_is_a_clear_refusal(
    attacker_data, application_data, registrar, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)

    with pytest.raises(DomainError, match="same birth date and e-mail"):
        services.application_correct(
            application_id=attacker.pk, actor=registrar,
            values={"email": "HANEUL@hanbit.example", "date_of_birth": student.date_of_birth},
        )
    attacker.refresh_from_db()
    assert attacker.email == "mallory@evil.example"


def test_the_reopen_view_shows_what_it_undoes_then_reopens(
    registrar_client, registrar, attacker_data, application_data, django_capture_on_commit_callbacks
):
    attacker, student = _squatted(attacker_data, application_data, django_capture_on_commit_callbacks)
    conflict = ApplicationConflict.objects.get()
    services.application_conflict_resolve(
        conflict_id=conflict.pk, keep_id=student.pk, actor=registrar, reason="checked", expected_ids=[attacker.pk, student.pk],
    )
    url = f"{CONFLICTS_URL}{conflict.pk}/reopen/"

    page = registrar_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert 'id="reopen-preview"' in page.content.decode()
    assert f"Application no. {attacker.pk} (MALLORY) returns from" in html.unescape(page.content.decode())
    refused = registrar_client.post(url, {"reason": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and not ApplicationConflict.objects.get().is_open

    done = registrar_client.post(url, {"reason": "Wrong one kept."}, HTTP_ACCEPT_LANGUAGE="en")

    assert done.status_code == 302
    assert ApplicationConflict.objects.get().is_open
    attacker.refresh_from_db()
    assert attacker.status == Status.SUBMITTED
