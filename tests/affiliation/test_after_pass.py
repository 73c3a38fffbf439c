"""After the pass (SPEC §4.5; issue 12, finding 1): the winter-session check as preview → confirm, reinstatement,
confirmation, cancellation by hand."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from academics.models import Term
from affiliation import services, tasks
from affiliation.models import AffiliationApplication, AffiliationRound, StudentRecord
from core.bulk import StalePreview
from core.errors import DomainError, InvalidTransition
from core.models import BulkAction, OutgoingMail

from ..factories import AffiliationApplicationFactory, StudentRecordFactory, UserFactory

Status = AffiliationApplication.Status


@pytest.fixture
def published_round(fall_round):
    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=100), now - timedelta(days=90)
    fall_round.stage1_publish_at = fall_round.stage1_published_at = now - timedelta(days=80)
    fall_round.final_publish_at = fall_round.final_published_at = now - timedelta(days=60)
    fall_round.conditions_check_at = now - timedelta(hours=1)
    fall_round.winter_session_ends_on = timezone.localdate() - timedelta(days=3)
    fall_round.stage1_run_at = fall_round.stage2_run_at = now - timedelta(days=70)
    fall_round.save()
    return fall_round


FRESH = timedelta(days=1)  # imported one day ago: after the winter session (ended 3 days ago)
STALE = timedelta(days=40)  # imported at the application, before the winter session


def admitted(round, department, *, imported=FRESH, **record_fields):
    record = StudentRecordFactory(imported_at=timezone.now() - imported if imported else None, **record_fields)
    return AffiliationApplicationFactory(round=round, record=record, target_department=department,
                                         status=Status.ADMITTED, submitted_at=round.opens_at)


def check(round, actor=None, **kwargs):
    """Preview, then confirm exactly that preview (as the committee member's button does)."""
    preview = services.conditions_preview(round_id=round.pk)
    return services.conditions_check(round_id=round.pk, expected=preview.fingerprint, actor=actor, **kwargs)


def statuses(*applications):
    return [AffiliationApplication.objects.get(pk=a.pk).status for a in applications]


def test_the_trial_run_with_records_not_refreshed_is_refused_and_alerts_the_committee(
    published_round, cse, committee, django_capture_on_commit_callbacks
):
    """The finding: 6 of 6 admitted (55 credits on file from the application) were cancelled and mailed."""
    passes = [admitted(published_round, cse, imported=STALE, earned_credits=55) for _ in range(6)]
    preview = services.conditions_preview(round_id=published_round.pk)
    assert preview.refused and len(preview.stale) == 6
    assert "imported after the winter session" in preview.refusal
    assert passes[0].record.student_number in preview.refusal
    with pytest.raises(DomainError) as refused:
        services.conditions_check(round_id=published_round.pk, expected=preview.fingerprint, actor=committee)
    assert "imported after the winter session" in str(refused.value.message)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.check_affiliation_conditions_task()
        tasks.check_affiliation_conditions_task()  # the next beat tick: no second alert
    assert statuses(*passes) == [Status.ADMITTED] * 6
    assert not OutgoingMail.objects.filter(kind="affiliation_cancelled").exists()
    alert = OutgoingMail.objects.get(kind="affiliation_conditions_alert")
    assert alert.to == committee.email and alert.status == OutgoingMail.Status.SENT
    assert AffiliationRound.objects.get().conditions_checked_at is None
    assert not BulkAction.objects.exists()


def test_a_record_never_imported_or_edited_by_hand_counts_as_not_refreshed(published_round, cse):
    fresh = admitted(published_round, cse)
    never = admitted(published_round, cse, imported=None)
    never.record.earned_credits = 90
    never.record.save()  # a hand edit bumps updated_at, not imported_at
    preview = services.conditions_preview(round_id=published_round.pk)
    assert [row.student_number for row in preview.stale] == [never.record.student_number]
    assert fresh.record.student_number not in preview.refusal


def test_the_check_refuses_without_the_end_of_the_winter_session_or_before_it(published_round, cse):
    admitted(published_round, cse)
    published_round.winter_session_ends_on = None
    published_round.save()
    assert "last day of the winter session" in services.conditions_preview(round_id=published_round.pk).refusal
    published_round.winter_session_ends_on = timezone.localdate()
    published_round.save()
    assert "has not ended" in services.conditions_preview(round_id=published_round.pk).refusal


def test_the_preview_lists_every_admitted_student_with_values_and_changes_nothing(published_round, cse):
    kept = admitted(published_round, cse, earned_credits=67, liberal_arts_met=True)
    short = admitted(published_round, cse, earned_credits=66, liberal_arts_met=True)
    no_liberal_arts = admitted(published_round, cse, earned_credits=80, liberal_arts_met=False)
    preview = services.conditions_preview(round_id=published_round.pk)
    assert not preview.refused
    rows = {row.application_id: row for row in preview.rows}
    assert set(rows) == {kept.pk, short.pk, no_liberal_arts.pk}
    assert (rows[kept.pk].cancel, rows[short.pk].cancel, rows[no_liberal_arts.pk].cancel) == (False, True, True)
    assert (rows[short.pk].earned_credits, rows[short.pk].minimum) == (66, 67)
    assert "66 < 67" in rows[short.pk].reason and "liberal-arts" in rows[no_liberal_arts.pk].reason
    assert [row.application_id for row in preview.cancellations] == sorted([short.pk, no_liberal_arts.pk])
    assert statuses(kept, short, no_liberal_arts) == [Status.ADMITTED] * 3
    assert not OutgoingMail.objects.exists() and not BulkAction.objects.exists()


def test_confirming_cancels_and_mails_exactly_the_previewed_students_and_records_it(
    published_round, cse, committee, django_capture_on_commit_callbacks
):
    kept = admitted(published_round, cse, earned_credits=67, liberal_arts_met=True)
    short = admitted(published_round, cse, earned_credits=66, liberal_arts_met=True)
    no_liberal_arts = admitted(published_round, cse, earned_credits=80, liberal_arts_met=False)
    with django_capture_on_commit_callbacks(execute=True):
        counts = check(published_round, actor=committee)
    assert counts == {"kept": 1, "cancelled": 2}
    assert statuses(kept, short, no_liberal_arts) == [Status.ADMITTED, Status.CANCELLED, Status.CANCELLED]
    short.refresh_from_db()
    assert "66 < 67" in short.cancel_reason and re.search("[가-힣]", short.cancel_reason)
    event = short.events.last()
    assert (event.from_status, event.to_status, event.actor) == (Status.ADMITTED, Status.CANCELLED, committee)
    mails = OutgoingMail.objects.filter(kind="affiliation_cancelled")
    assert sorted(m.to for m in mails) == sorted([short.record.user.email, no_liberal_arts.record.user.email])
    assert all(m.status == OutgoingMail.Status.SENT for m in mails)
    action = BulkAction.objects.get(kind="affiliation.conditions_check")
    assert action.actor == committee and action.scope == f"round:{published_round.pk}" and action.count == 2
    assert {c["id"] for c in action.changes} == {short.pk, no_liberal_arts.pk}
    entry = next(c for c in action.changes if c["id"] == short.pk)
    assert entry["before"]["status"] == "admitted" and entry["after"]["status"] == "cancelled"
    assert action.inputs["fingerprint"] and action.inputs["min_credits"] == 67
    assert AffiliationRound.objects.get().conditions_checked_at is not None


def test_a_stale_preview_is_refused_and_a_reimported_record_is_judged_on_its_new_values(published_round, cse, committee):
    short = admitted(published_round, cse, earned_credits=60)
    preview = services.conditions_preview(round_id=published_round.pk)
    assert [row.application_id for row in preview.cancellations] == [short.pk]
    StudentRecord.objects.filter(pk=short.record_id).update(earned_credits=70, imported_at=timezone.now())
    with pytest.raises(StalePreview):
        services.conditions_check(round_id=published_round.pk, expected=preview.fingerprint, actor=committee)
    assert statuses(short) == [Status.ADMITTED] and not BulkAction.objects.exists()
    assert check(published_round, actor=committee) == {"kept": 1, "cancelled": 0}
    with pytest.raises(DomainError):
        services.conditions_check(round_id=published_round.pk, expected="0" * 64, actor=committee)


def test_the_check_runs_once_per_round(published_round, cse):
    admitted(published_round, cse, earned_credits=50)
    preview = services.conditions_preview(round_id=published_round.pk)
    assert services.conditions_check(round_id=published_round.pk, expected=preview.fingerprint)["cancelled"] == 1
    with pytest.raises(InvalidTransition):
        services.conditions_check(round_id=published_round.pk, expected=preview.fingerprint)
    assert OutgoingMail.objects.filter(kind="affiliation_cancelled").count() == 1
    assert services.conditions_preview(round_id=published_round.pk).done


def test_the_check_waits_for_the_final_results(fall_round, cse):
    admitted(fall_round, cse, earned_credits=50)
    assert tasks.check_affiliation_conditions_task() == 0  # not due, results not published
    with pytest.raises(InvalidTransition):
        services.conditions_preview(round_id=fall_round.pk)
    assert AffiliationApplication.objects.get().status == Status.ADMITTED


def test_the_schedule_never_cancels_it_alerts_once_with_a_link_to_the_preview(
    published_round, cse, committee, django_capture_on_commit_callbacks, mailoutbox
):
    short = admitted(published_round, cse, earned_credits=50)
    other_staff = UserFactory(username="clerk", is_staff=True, email="clerk@ust.example")
    committee.language = "en"
    committee.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.check_affiliation_conditions_task() == 1
        assert tasks.check_affiliation_conditions_task() == 0
    assert statuses(short) == [Status.ADMITTED] and not BulkAction.objects.exists()
    alert = OutgoingMail.objects.get(kind="affiliation_conditions_alert")
    assert alert.to == committee.email and alert.language == "en"
    [message] = [m for m in mailoutbox if m.to == [committee.email]]
    assert f"/admin/affiliation/affiliationround/{published_round.pk}/conditions/" in message.body
    assert "Of 1 admitted student, 1 would have their pass cancelled" in message.body
    assert not OutgoingMail.objects.filter(to=other_staff.email).exists()


def test_a_refusal_alert_is_followed_by_one_ready_alert_after_the_records_are_imported(
    published_round, cse, committee, django_capture_on_commit_callbacks, mailoutbox
):
    application = admitted(published_round, cse, imported=STALE)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.check_affiliation_conditions_task()
        StudentRecord.objects.filter(pk=application.record_id).update(imported_at=timezone.now())
        tasks.check_affiliation_conditions_task()
        tasks.check_affiliation_conditions_task()
    alerts = OutgoingMail.objects.filter(kind="affiliation_conditions_alert").order_by("pk")
    assert [a.params["state"] for a in alerts] == ["refused", "ready"]
    assert alerts[0].language == "ko"
    assert application.record.student_number in mailoutbox[0].body


def test_the_command_previews_and_confirms_only_with_the_fingerprint_and_the_deciders_name(
    published_round, cse, capsys, committee
):
    from django.core.management.base import CommandError

    from core.models import BulkAction

    application = admitted(published_round, cse, earned_credits=50)
    call_command("check_affiliation_conditions", "--round", str(published_round.pk))
    out = capsys.readouterr().out
    assert "would be cancelled: 1" in out and statuses(application) == [Status.ADMITTED]
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint
    for by in ([], ["--by", "nobody"]):  # a cancellation is a person's decision, never shown as the schedule's
        with pytest.raises(CommandError, match="--by"):
            call_command("check_affiliation_conditions", "--round", str(published_round.pk), "--confirm", fingerprint, *by)
    assert statuses(application) == [Status.ADMITTED]
    call_command("check_affiliation_conditions", "--round", str(published_round.pk), "--confirm", fingerprint,
                 "--by", committee.username)
    assert "cancelled: 1" in capsys.readouterr().out and statuses(application) == [Status.CANCELLED]
    assert BulkAction.objects.get(kind="affiliation.conditions_check").actor_name == committee.username


def test_a_cancelled_pass_is_reinstated_with_a_reason_recorded_and_mailed(
    published_round, cse, committee, django_capture_on_commit_callbacks
):
    application = admitted(published_round, cse, earned_credits=60)
    with django_capture_on_commit_callbacks(execute=True):
        check(published_round, actor=committee)
    with pytest.raises(DomainError):
        services.application_reinstate(application_id=application.pk, reason="  ", actor=committee)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_reinstate(application_id=application.pk, reason="Credits corrected by the college",
                                       actor=committee)
    application.refresh_from_db()
    assert application.status == Status.ADMITTED and application.cancelled_at is None and not application.cancel_reason
    event = application.events.last()
    assert (event.from_status, event.to_status, event.reason) == (Status.CANCELLED, Status.ADMITTED, "Credits corrected by the college")
    action = BulkAction.objects.get(kind="affiliation.application_reinstate")
    assert action.reason == "Credits corrected by the college" and action.changes[0]["after"]["status"] == "admitted"
    mail = OutgoingMail.objects.get(kind="affiliation_reinstated")
    assert mail.to == application.record.user.email and mail.status == OutgoingMail.Status.SENT
    with pytest.raises(InvalidTransition):
        services.application_reinstate(application_id=application.pk, reason="again", actor=committee)
    # The reinstated pass can be confirmed: the round's check was done.
    services.application_confirm(application_id=application.pk, actor=committee)
    assert statuses(application) == [Status.CONFIRMED]


def test_a_pass_cancelled_by_hand_can_be_reinstated_and_another_rounds_id_is_refused(published_round, cse, committee):
    from ..factories import AffiliationRoundFactory, TermFactory

    application = admitted(published_round, cse)
    services.application_cancel(application_id=application.pk, reason="Withdrawn by the student", actor=committee)
    other = AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))
    with pytest.raises(DomainError):
        services.application_reinstate(application_id=application.pk, reason="x", actor=committee, round_id=other.pk)
    services.application_reinstate(application_id=application.pk, reason="Student changed their mind",
                                   actor=committee, round_id=published_round.pk)
    assert statuses(application) == [Status.ADMITTED]


def test_confirmation_moves_the_student_and_flags_the_consequences(published_round, cse, committee,
                                                                    django_capture_on_commit_callbacks):
    application = admitted(published_round, cse, teacher_training=StudentRecord.TeacherTraining.ENROLLED,
                           earned_credits=70)
    old_department, old_credits, old_gpa = application.record.department, 70, application.record.gpa
    check(published_round)
    with django_capture_on_commit_callbacks(execute=True):
        services.application_confirm(application_id=application.pk, actor=committee)
    record = StudentRecord.objects.get(pk=application.record_id)
    assert record.department == cse and record.campus == cse.campus and record.campus.is_main
    assert record.previous_department == old_department
    assert record.teacher_training == StudentRecord.TeacherTraining.CANCELLED
    assert record.merit_scholarship_excluded_term == Term.objects.get(year=2027, season="spring")
    assert (record.earned_credits, record.gpa) == (old_credits, old_gpa)  # carried over as they are
    application.refresh_from_db()
    assert application.status == Status.CONFIRMED and application.confirmed_at
    event = application.events.last()
    assert event.changes["department"] == [old_department.pk, cse.pk]
    assert event.changes["teacher_training"] == ["enrolled", "cancelled"]
    assert OutgoingMail.objects.get(kind="affiliation_confirmed").status == OutgoingMail.Status.SENT


def test_confirmation_waits_for_the_conditions_check(published_round, cse):
    application = admitted(published_round, cse)
    with pytest.raises(DomainError):
        services.application_confirm(application_id=application.pk)
    assert StudentRecord.objects.get(pk=application.record_id).department != cse


def test_only_admitted_applicants_can_be_confirmed(published_round, cse):
    application = admitted(published_round, cse, earned_credits=40)
    check(published_round)
    with pytest.raises(InvalidTransition):
        services.application_confirm(application_id=application.pk)


def test_staff_cancel_a_pass_with_a_reason(published_round, cse, committee):
    application = admitted(published_round, cse)
    with pytest.raises(DomainError):
        services.application_cancel(application_id=application.pk, reason=" ", actor=committee)
    services.application_cancel(application_id=application.pk, reason="Withdrawn by the student", actor=committee)
    application.refresh_from_db()
    assert application.status == Status.CANCELLED and application.cancel_reason == "Withdrawn by the student"


def test_the_reason_of_an_automatic_cancellation_is_in_korean_and_english(published_round, cse, client):
    application = admitted(published_round, cse, earned_credits=66, liberal_arts_met=False)
    check(published_round)
    application.refresh_from_db()
    reason = application.cancel_reason
    assert re.search("[가-힣]", reason) and "66 < 67" in reason and "liberal-arts" in reason
    client.force_login(application.record.user)
    page = client.get("/affiliation/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert re.search("[가-힣]+[^<]*66 &lt; 67", page)


# --- The admin pages ---------------------------------------------------------------------------------------------


def _preview_url(round):
    return f"/admin/affiliation/affiliationround/{round.pk}/conditions/"


def test_the_preview_page_lists_values_and_its_button_confirms_exactly_them(
    committee_client, published_round, cse, django_capture_on_commit_callbacks
):
    kept = admitted(published_round, cse, earned_credits=70)
    short = admitted(published_round, cse, earned_credits=61)
    page = committee_client.get(_preview_url(published_round)).content.decode()
    assert "61 / 67" in page and "70 / 67" in page and "Of 2 admitted students, 1 would have their pass cancelled" in page
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint
    assert f'value="{fingerprint}"' in page
    assert statuses(kept, short) == [Status.ADMITTED, Status.ADMITTED]
    with django_capture_on_commit_callbacks(execute=True):
        response = committee_client.post(_preview_url(published_round), {"fingerprint": fingerprint}, follow=True)
    assert "1 passes kept, 1 cancelled." in response.content.decode()
    assert statuses(kept, short) == [Status.ADMITTED, Status.CANCELLED]
    assert f"/reinstate/{short.pk}/" in response.content.decode()


def test_the_preview_page_refuses_a_stale_fingerprint_and_shows_the_new_preview(committee_client, published_round, cse):
    short = admitted(published_round, cse, earned_credits=61)
    old = services.conditions_preview(round_id=published_round.pk).fingerprint
    StudentRecord.objects.filter(pk=short.record_id).update(earned_credits=68, imported_at=timezone.now())
    response = committee_client.post(_preview_url(published_round), {"fingerprint": old})
    page = response.content.decode()
    assert response.status_code == 200 and "changed since the preview" in page and "68 / 67" in page
    assert statuses(short) == [Status.ADMITTED] and not BulkAction.objects.exists()


def test_the_round_action_opens_the_preview_and_cancels_nothing(committee_client, published_round, cse):
    short = admitted(published_round, cse, earned_credits=61)
    response = committee_client.post("/admin/affiliation/affiliationround/", {
        "action": "check_conditions", "_selected_action": [published_round.pk]})
    assert response.status_code == 302 and response["Location"] == _preview_url(published_round)
    assert statuses(short) == [Status.ADMITTED]


def test_the_reinstate_page_needs_a_reason_and_reinstates(committee_client, published_round, cse,
                                                           django_capture_on_commit_callbacks):
    application = admitted(published_round, cse, earned_credits=61)
    check(published_round)
    url = f"/admin/affiliation/affiliationround/{published_round.pk}/reinstate/{application.pk}/"
    page = committee_client.get(url).content.decode()
    assert "61 / 67" in page and "still does not meet" in page
    assert committee_client.post(url, {"reason": ""}).status_code == 200
    assert statuses(application) == [Status.CANCELLED]
    with django_capture_on_commit_callbacks(execute=True):
        response = committee_client.post(url, {"reason": "Grade correction from the college"})
    assert response.status_code == 302 and statuses(application) == [Status.ADMITTED]


def test_registrars_and_members_without_the_permission_get_403_and_other_rounds_ids_404(
    client, registrar, committee, published_round, cse
):
    from django.contrib.auth.models import Permission

    from ..factories import AffiliationRoundFactory, TermFactory

    application = admitted(published_round, cse, earned_credits=61)
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint
    check_url = _preview_url(published_round)
    reinstate_url = f"/admin/affiliation/affiliationround/{published_round.pk}/reinstate/{application.pk}/"
    limited = UserFactory(username="limited", is_staff=True)
    limited.user_permissions.add(*Permission.objects.filter(codename__in=["view_affiliationround", "change_affiliationround"]))
    for user in (registrar, limited):
        client.force_login(user)
        assert client.get(check_url).status_code == 403
        assert client.post(check_url, {"fingerprint": fingerprint}).status_code == 403
        assert client.post(reinstate_url, {"reason": "x"}).status_code == 403
    assert statuses(application) == [Status.ADMITTED]
    client.force_login(committee)
    check(published_round)
    other = AffiliationRoundFactory(term=TermFactory(year=2027, season="fall"))
    crafted = f"/admin/affiliation/affiliationround/{other.pk}/reinstate/{application.pk}/"
    assert client.post(crafted, {"reason": "x"}).status_code == 404
    assert statuses(application) == [Status.CANCELLED]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_apply_once(published_round, cse, committee):
    from ..concurrency import run_at_once

    passes = [admitted(published_round, cse, earned_credits=60) for _ in range(3)]
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint
    outcomes = run_at_once([
        lambda: services.conditions_check(round_id=published_round.pk, expected=fingerprint, actor=committee)
        for _ in range(2)
    ], workers=2)
    assert sum(isinstance(o, dict) for o in outcomes) == 1
    assert [type(o) for o in outcomes if not isinstance(o, dict)] in ([InvalidTransition], [StalePreview])
    assert statuses(*passes) == [Status.CANCELLED] * 3
    assert BulkAction.objects.filter(kind="affiliation.conditions_check").count() == 1
    assert OutgoingMail.objects.filter(kind="affiliation_cancelled").count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_record_reimported_during_the_confirmation_is_never_judged_on_the_old_preview(published_round, cse, committee):
    """The import and the confirmation both lock the record: either the import waits (the check judged the old
    values it previewed, then the import updates) or the confirmation sees the new values and refuses as stale."""
    from ..concurrency import run_at_once

    application = admitted(published_round, cse, earned_credits=60)
    fingerprint = services.conditions_preview(round_id=published_round.pk).fingerprint

    def reimport():
        from django.db import transaction

        with transaction.atomic():
            record = StudentRecord.objects.select_for_update().get(pk=application.record_id)
            record.earned_credits, record.imported_at = 70, timezone.now()
            record.save()
        return "imported"

    outcomes = run_at_once([
        lambda: services.conditions_check(round_id=published_round.pk, expected=fingerprint, actor=committee), reimport,
    ], workers=2)
    checked = next(o for o in outcomes if o != "imported")
    if isinstance(checked, dict):
        assert statuses(application) == [Status.CANCELLED]  # judged on the previewed 60, before the import
    else:
        assert isinstance(checked, StalePreview) and statuses(application) == [Status.ADMITTED]
