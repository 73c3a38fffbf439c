"""After the pass (SPEC §4.5): winter-session conditions, confirmation, cancellation."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from academics.models import Term
from affiliation import services, tasks
from affiliation.models import AffiliationApplication, StudentRecord
from ustportal.errors import DomainError, InvalidTransition
from ustportal.models import OutgoingMail

from ..factories import AffiliationApplicationFactory, StudentRecordFactory

Status = AffiliationApplication.Status


@pytest.fixture
def published_round(fall_round):
    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=100), now - timedelta(days=90)
    fall_round.stage1_publish_at = fall_round.stage1_published_at = now - timedelta(days=80)
    fall_round.final_publish_at = fall_round.final_published_at = now - timedelta(days=60)
    fall_round.conditions_check_at = now - timedelta(hours=1)
    fall_round.stage1_run_at = fall_round.stage2_run_at = now - timedelta(days=70)
    fall_round.save()
    return fall_round


def admitted(round, department, **record_fields):
    record = StudentRecordFactory(**record_fields)
    return AffiliationApplicationFactory(round=round, record=record, target_department=department,
                                         status=Status.ADMITTED, submitted_at=round.opens_at)


def test_the_check_cancels_passes_below_67_credits_or_without_liberal_arts(
    published_round, cse, committee, django_capture_on_commit_callbacks
):
    kept = admitted(published_round, cse, earned_credits=67, liberal_arts_met=True)
    short = admitted(published_round, cse, earned_credits=66, liberal_arts_met=True)
    no_liberal_arts = admitted(published_round, cse, earned_credits=80, liberal_arts_met=False)
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.conditions_check(round_id=published_round.pk, actor=committee)
    assert counts == {"kept": 1, "cancelled": 2}
    statuses = {a.pk: AffiliationApplication.objects.get(pk=a.pk) for a in (kept, short, no_liberal_arts)}
    assert statuses[kept.pk].status == Status.ADMITTED
    assert statuses[short.pk].status == Status.CANCELLED and "66 < 67" in statuses[short.pk].cancel_reason
    assert statuses[no_liberal_arts.pk].status == Status.CANCELLED
    assert "liberal-arts" in statuses[no_liberal_arts.pk].cancel_reason
    event = statuses[short.pk].events.last()
    assert (event.from_status, event.to_status, event.actor) == (Status.ADMITTED, Status.CANCELLED, committee)
    mails = OutgoingMail.objects.filter(kind="affiliation_cancelled")
    assert sorted(m.to for m in mails) == sorted([short.record.user.email, no_liberal_arts.record.user.email])
    assert all(m.status == OutgoingMail.Status.SENT for m in mails)


def test_the_check_runs_once_per_round(published_round, cse):
    admitted(published_round, cse, earned_credits=50)
    assert services.conditions_check(round_id=published_round.pk)["cancelled"] == 1
    assert services.conditions_check(round_id=published_round.pk) == {"kept": 0, "cancelled": 0}
    assert OutgoingMail.objects.filter(kind="affiliation_cancelled").count() == 1


def test_the_check_waits_for_its_time_and_for_the_final_results(fall_round, cse):
    admitted(fall_round, cse, earned_credits=50)
    assert tasks.check_affiliation_conditions_task() == 0  # not due, results not published
    with pytest.raises(InvalidTransition):
        services.conditions_check(round_id=fall_round.pk)
    assert AffiliationApplication.objects.get().status == Status.ADMITTED


def test_the_scheduled_task_and_the_command_check_due_rounds(published_round, cse, capsys):
    admitted(published_round, cse, earned_credits=50)
    call_command("check_affiliation_conditions")
    assert "cancelled: 1" in capsys.readouterr().out
    assert AffiliationApplication.objects.get().status == Status.CANCELLED
    assert tasks.check_affiliation_conditions_task() == 0


def test_confirmation_moves_the_student_and_flags_the_consequences(published_round, cse, committee,
                                                                    django_capture_on_commit_callbacks):
    application = admitted(published_round, cse, teacher_training=StudentRecord.TeacherTraining.ENROLLED,
                           earned_credits=70)
    old_department, old_credits, old_gpa = application.record.department, 70, application.record.gpa
    services.conditions_check(round_id=published_round.pk)
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
    services.conditions_check(round_id=published_round.pk)
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
    import re

    application = admitted(published_round, cse, earned_credits=66, liberal_arts_met=False)
    services.conditions_check(round_id=published_round.pk)
    application.refresh_from_db()
    reason = application.cancel_reason
    assert re.search("[가-힣]", reason) and "66 < 67" in reason and "liberal-arts" in reason
    client.force_login(application.record.user)
    page = client.get("/affiliation/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert re.search("[가-힣]+[^<]*66 &lt; 67", page)
