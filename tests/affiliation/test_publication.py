"""Publication refuses stale results (issue 12, finding 2) and publishes early only as an explicit choice (finding 3)."""

import logging
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation
from icalendar import Calendar

from affiliation import services, tasks
from affiliation.models import AffiliationApplication, AffiliationRound, DepartmentQuota, StudentRecord
from core import dates
from core.bulk import StalePreview
from core.errors import DomainError, InvalidTransition
from core.models import BulkAction, OutgoingMail

from ..factories import (
    AffiliationApplicationFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    StudentRecordFactory,
    UserFactory,
)
from .conftest import history

Status = AffiliationApplication.Status


@pytest.fixture
def closed(fall_round):
    """The round's window closed a minute ago; the stage-1 results are announced a week ahead."""
    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.save()
    return fall_round


@pytest.fixture
def korean(closed, main_campus):
    department = DepartmentFactory(campus=main_campus, code="korean", name_ko="국어국문학과",
                                   name_en="Korean Language and Literature")
    DepartmentQuotaFactory(round=closed, department=department, general_transfer_number=2)
    return department


def applicants(round, department, rows):
    """One submitted application per (gpa, toeic) row, in submission order."""
    made = []
    for i, (gpa, toeic) in enumerate(rows):
        user = UserFactory(language="en", kind="home")
        record = StudentRecordFactory(user=user, gpa=Decimal(gpa))
        made.append(AffiliationApplicationFactory(
            round=round, record=record, target_department=department, english_test="toeic", english_score=toeic,
            status=Status.SUBMITTED, submitted_at=round.opens_at + timedelta(minutes=i)))
    return made


def publish(round, stage, *, reason="The committee finished early.", actor=None, at=None):
    """The admin's way: a preview, then the confirmation with its fingerprint and a reason."""
    preview = services.results_publish_preview(round_id=round.pk, stage=stage, at=at)
    return services.results_publish(round_id=round.pk, stage=stage, expected=preview.fingerprint, reason=reason,
                                    actor=actor, at=at)


def passed(round):
    return AffiliationApplication.objects.filter(round=round, status__in=[Status.STAGE1_PASSED, Status.ADMITTED,
                                                                         Status.NOT_ADMITTED]).count()


def score_all(round):
    for application in AffiliationApplication.objects.filter(round=round, status=Status.STAGE1_PASSED):
        services.application_scores_set(application_id=application.pk, document_score=80, interview_score=80)


# --- Finding 2: stale results ---------------------------------------------------------------------------------------

def test_a_quota_raised_after_stage1_is_refused_until_stage1_runs_again(closed, korean):
    applicants(closed, korean, [(gpa, 800) for gpa in ("4.5", "4.4", "4.3", "4.2", "4.1", "4.0", "3.9")])
    services.selection_run_stage1(round_id=closed.pk)
    assert passed(closed) == 4  # ⌈2 × 2⌉
    DepartmentQuota.objects.filter(round=closed, department=korean).update(override=3)

    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        publish(closed, "stage1")
    assert "quota of Korean Language and Literature 2 → 3" in str(refused.value.message)
    assert "run stage 1 again" in str(refused.value.message).lower()
    with translation.override("en"):
        preview = services.results_publish_preview(round_id=closed.pk, stage="stage1")
    assert preview.refusals and "quota of Korean Language and Literature 2 → 3" in preview.refusals[0]
    closed.refresh_from_db()
    assert closed.stage1_published_at is None and not OutgoingMail.objects.exists()

    services.selection_run_stage1(round_id=closed.pk)
    assert publish(closed, "stage1") == 7
    assert passed(closed) == 6  # ⌈2 × 3⌉


def test_stage1_weights_changed_after_the_run_are_refused_and_the_rerun_publishes_the_new_ranking(closed, korean):
    # GPA order is the reverse of the English order: 60:40 ranks by GPA, 0:100 by English.
    apps = applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=closed.pk)
    assert [AffiliationApplication.objects.get(pk=a.pk).stage1_rank for a in apps] == [1, 2, 3, 4, 5]
    closed.refresh_from_db()
    closed.stage1_gpa_weight, closed.stage1_english_weight = Decimal(0), Decimal(100)
    closed.save()

    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        publish(closed, "stage1")
    assert "stage-1 weights 60:40 → 0:100" in str(refused.value.message)
    assert AffiliationApplication.objects.get(pk=apps[0].pk).stage1_rank == 1  # nothing changed

    services.selection_run_stage1(round_id=closed.pk)
    publish(closed, "stage1")
    assert [AffiliationApplication.objects.get(pk=a.pk).stage1_rank for a in apps] == [5, 4, 3, 2, 1]
    assert [a.status for a in AffiliationApplication.objects.filter(pk__in=[apps[3].pk, apps[4].pk])] == [
        Status.STAGE1_PASSED] * 2


def test_a_gpa_changed_by_a_record_reimport_after_stage1_is_refused(closed, korean):
    apps = applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=closed.pk)
    StudentRecord.objects.filter(pk=apps[4].record_id).update(gpa=Decimal("4.50"))

    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        publish(closed, "stage1")
    message = str(refused.value.message)
    assert "scores of 1 applicant changed" in message and apps[4].record.student_number in message


def test_a_score_changed_behind_stage2s_back_is_refused(closed, korean):
    apps = applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820)])
    services.selection_run_stage1(round_id=closed.pk)
    publish(closed, "stage1")
    score_all(closed)
    services.selection_run_stage2(round_id=closed.pk)
    # Not through application_scores_set (which voids the run): e.g. a database fix-up or another code path.
    AffiliationApplication.objects.filter(pk__in=[apps[1].pk, apps[2].pk]).update(interview_score=Decimal(100))

    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        publish(closed, "final")
    assert "scores of 2 applicants changed" in str(refused.value.message)
    assert "run stage 2 again" in str(refused.value.message).lower()
    services.selection_run_stage2(round_id=closed.pk)
    publish(closed, "final")
    assert AffiliationApplication.objects.get(pk=apps[0].pk).status == Status.NOT_ADMITTED


def test_each_stage_run_records_its_inputs_and_what_it_changed(closed, korean, committee):
    apps = applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=closed.pk, actor=committee)
    action = BulkAction.objects.get(kind="affiliation.selection_stage1")
    assert action.actor == committee and action.scope == f"round:{closed.pk}" and action.count == 5
    assert action.inputs["quotas"] == {str(korean.pk): 2} and action.inputs["multiplier"] == "2"
    assert action.inputs["weights"] == {"gpa": "60", "english": "40"}
    assert action.inputs["applicants"][str(apps[0].pk)]["gpa"] == "4.5" and action.inputs["fingerprint"]
    first = next(c for c in action.changes if c["id"] == apps[4].pk)
    assert first["before"]["status"] == Status.SUBMITTED and first["after"]["status"] == Status.STAGE1_FAILED
    assert first["after"]["stage1_rank"] == 5
    closed.refresh_from_db()
    assert closed.stage1_inputs["weights"] == {"gpa": "60", "english": "40"}

    publish(closed, "stage1")
    score_all(closed)
    services.selection_run_stage2(round_id=closed.pk, actor=committee)
    stage2 = BulkAction.objects.get(kind="affiliation.selection_stage2")
    assert stage2.inputs["weights"] == {"stage1": "50", "document": "20", "interview": "30"}
    assert stage2.inputs["applicants"][str(apps[0].pk)]["document"] == "80" and stage2.count == 4


def test_the_schedule_refuses_stale_results_and_alerts_the_committee_once(closed, korean, committee, caplog):
    committee.email = "committee@portal.example"
    committee.save()
    applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=closed.pk)
    DepartmentQuota.objects.filter(round=closed, department=korean).update(override=3)
    closed.refresh_from_db()
    closed.stage1_publish_at = timezone.now() - timedelta(seconds=30)
    closed.save()

    with caplog.at_level(logging.WARNING, logger="affiliation.services.publication"):
        assert tasks.publish_due_results_task() == 0
        assert tasks.publish_due_results_task() == 0  # the next tick: no second alert
    closed.refresh_from_db()
    assert closed.stage1_published_at is None
    alerts = OutgoingMail.objects.filter(kind="affiliation_publication_refused")
    assert [(m.to, m.params["stage"]) for m in alerts] == [("committee@portal.example", "stage1")]
    assert "2 → 3" in " ".join(alerts[0].params["reasons"])
    assert "not published" in caplog.text
    assert not OutgoingMail.objects.filter(kind="affiliation_result").exists()

    DepartmentQuota.objects.filter(round=closed, department=korean).update(override=4)  # another change: alert again
    tasks.publish_due_results_task()
    assert OutgoingMail.objects.filter(kind="affiliation_publication_refused").count() == 2
    services.selection_run_stage1(round_id=closed.pk)
    assert tasks.publish_due_results_task() == 5
    closed.refresh_from_db()
    assert closed.stage1_published_at is not None


def test_the_alert_mail_names_the_round_and_the_reasons(closed, korean, committee, django_capture_on_commit_callbacks):
    from django.core import mail

    committee.email, committee.language = "committee@portal.example", "en"
    committee.save()
    applicants(closed, korean, [("4.5", 800), ("4.4", 810)])
    services.selection_run_stage1(round_id=closed.pk)
    closed.refresh_from_db()
    closed.stage1_gpa_weight = Decimal(50)
    closed.stage1_publish_at = timezone.now() - timedelta(seconds=30)
    closed.save()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.publish_due_results_task()
    [message] = mail.outbox
    assert "not published" in message.subject
    assert "stage-1 weights 60:40 → 50:40" in message.body and "/admin/affiliation/affiliationround/" in message.body


# --- Finding 3: early publication -----------------------------------------------------------------------------------

def _stage1_ready(round, department):
    applicants(round, department, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=round.pk)
    round.refresh_from_db()
    return round


def test_publishing_before_the_announced_time_needs_a_reason(closed, korean):
    _stage1_ready(closed, korean)
    preview = services.results_publish_preview(round_id=closed.pk, stage="stage1")
    assert preview.early and preview.announced_at == closed.stage1_publish_at
    with pytest.raises(DomainError) as refused:
        services.results_publish(round_id=closed.pk, stage="stage1", expected=preview.fingerprint, reason="  ")
    assert "reason" in str(refused.value.message)
    closed.refresh_from_db()
    assert closed.stage1_published_at is None and not OutgoingMail.objects.exists()


def test_publishing_early_without_the_preview_is_refused(closed, korean):
    _stage1_ready(closed, korean)
    with pytest.raises(DomainError):
        services.results_publish(round_id=closed.pk, stage="stage1", reason="early")  # e.g. the bare task
    with pytest.raises(StalePreview):
        services.results_publish(round_id=closed.pk, stage="stage1", expected="", reason="early")
    with pytest.raises(StalePreview):
        services.results_publish(round_id=closed.pk, stage="stage1", expected="0" * 64, reason="early")
    with pytest.raises(DomainError):
        tasks.results_publish_task(closed.pk, "stage1")
    closed.refresh_from_db()
    assert closed.stage1_published_at is None and not OutgoingMail.objects.exists()


def test_a_quota_changed_between_preview_and_confirmation_is_stale(closed, korean):
    _stage1_ready(closed, korean)
    preview = services.results_publish_preview(round_id=closed.pk, stage="stage1")
    DepartmentQuota.objects.filter(round=closed, department=korean).update(override=3)
    with pytest.raises((StalePreview, InvalidTransition)):
        services.results_publish(round_id=closed.pk, stage="stage1", expected=preview.fingerprint, reason="early")
    closed.refresh_from_db()
    assert closed.stage1_published_at is None


def test_an_announced_time_changed_between_preview_and_confirmation_is_stale(closed, korean):
    _stage1_ready(closed, korean)
    preview = services.results_publish_preview(round_id=closed.pk, stage="stage1")
    closed.refresh_from_db()
    closed.stage1_publish_at += timedelta(hours=1)
    closed.save()
    with pytest.raises(StalePreview):
        services.results_publish(round_id=closed.pk, stage="stage1", expected=preview.fingerprint, reason="early")


def test_an_early_publication_moves_the_announced_time_to_now_and_is_recorded(closed, korean, committee):
    _stage1_ready(closed, korean)
    announced = closed.stage1_publish_at
    before = timezone.now()
    assert publish(closed, "stage1", actor=committee, reason="Interviews moved forward.") == 5
    closed.refresh_from_db()
    assert before <= closed.stage1_published_at == closed.stage1_publish_at <= timezone.now()
    action = BulkAction.objects.get(kind="affiliation.results_publish")
    assert action.actor == committee and action.reason == "Interviews moved forward." and action.scope == f"round:{closed.pk}"
    assert action.inputs["stage"] == "stage1" and action.inputs["early"] is True
    assert action.inputs["announced_before"] == announced.isoformat()
    assert action.inputs["announced_after"] == closed.stage1_publish_at.isoformat()
    assert action.inputs["mails"] == 5 and action.inputs["expected"]


def test_publishing_at_the_announced_time_needs_no_reason(closed, korean):
    _stage1_ready(closed, korean)
    at = closed.stage1_publish_at
    preview = services.results_publish_preview(round_id=closed.pk, stage="stage1", at=at)
    assert not preview.early
    assert services.results_publish(round_id=closed.pk, stage="stage1", expected=preview.fingerprint, at=at) == 5
    closed.refresh_from_db()
    assert closed.stage1_publish_at == at == closed.stage1_published_at
    action = BulkAction.objects.get(kind="affiliation.results_publish")
    assert action.inputs["early"] is False and action.reason == ""


def test_the_final_results_published_early_move_the_final_time(closed, korean):
    _stage1_ready(closed, korean)
    publish(closed, "stage1")
    score_all(closed)
    services.selection_run_stage2(round_id=closed.pk)
    publish(closed, "final")
    closed.refresh_from_db()
    assert closed.final_publish_at == closed.final_published_at
    assert closed.stage1_publish_at <= closed.final_publish_at


def test_the_preview_lists_the_students_to_be_mailed_per_department(closed, korean, main_campus):
    other = DepartmentFactory(campus=main_campus, code="history", name_ko="사학과", name_en="History")
    DepartmentQuotaFactory(round=closed, department=other, general_transfer_number=1)
    _stage1_ready(closed, korean)
    applicants(closed, other, [("4.0", 900)])
    services.selection_run_stage1(round_id=closed.pk)
    with translation.override("en"):
        preview = services.results_publish_preview(round_id=closed.pk, stage="stage1")
    by_name = {row["department"]: row for row in preview.departments}
    assert (by_name["Korean Language and Literature"]["passed"], by_name["Korean Language and Literature"]["failed"]) == (4, 1)
    assert by_name["History"]["mails"] == 1 and preview.mails == 6
    assert len(preview.recipients) == 6 and all(r["email"] for r in preview.recipients)
    assert not preview.refusals


def test_the_new_announced_time_shows_on_the_home_page_the_students_page_and_the_calendar(closed, korean):
    _stage1_ready(closed, korean)
    old = closed.stage1_publish_at
    student = AffiliationApplication.objects.filter(round=closed).first().record
    history(student, "EEEE")
    publish(closed, "stage1")
    closed.refresh_from_db()
    new = closed.stage1_publish_at
    with translation.override("en"):
        old_text, new_text = dates.when(old), dates.when(new)
        old_home, new_home = dates.when(old, weekday=True), dates.when(new, weekday=True)  # the timeline's format

    home = Client(HTTP_ACCEPT_LANGUAGE="en").get("/").content.decode()
    assert new_home in home and old_home not in home
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(student.user)
    page = client.get("/affiliation/").content.decode()
    assert new_text in page and old_text not in page
    events = {str(e["UID"]): e for e in Calendar.from_ical(Client().get("/calendar.ics").content).walk("VEVENT")}
    stage1 = next(e for uid, e in events.items() if uid.startswith(f"affiliation-round-{closed.pk}-stage1"))
    assert stage1.decoded("DTSTART") == new.replace(microsecond=0)


def test_the_refusal_reads_in_korean(closed, korean):
    applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=closed.pk)
    DepartmentQuota.objects.filter(round=closed, department=korean).update(override=3)
    AffiliationRound.objects.filter(pk=closed.pk).update(stage1_gpa_weight=Decimal(0), stage1_english_weight=Decimal(100))
    with translation.override("ko"), pytest.raises(InvalidTransition) as refused:
        publish(closed, "stage1")
    message = str(refused.value.message)
    assert "국어국문학과 모집인원 2 → 3" in message and "1단계 반영 비율 60:40 → 0:100" in message
    assert "1단계 전형을 다시 실행한 뒤 발표하십시오" in message


def test_an_identical_rerun_is_recorded_with_no_changes_and_keeps_the_results_publishable(closed, korean):
    applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820)])
    services.selection_run_stage1(round_id=closed.pk)
    services.selection_run_stage1(round_id=closed.pk)
    runs = list(BulkAction.objects.filter(kind="affiliation.selection_stage1").order_by("pk"))
    assert [r.count for r in runs] == [3, 0] and runs[0].inputs["fingerprint"] == runs[1].inputs["fingerprint"]
    assert publish(closed, "stage1") == 3


def test_a_result_changed_after_the_run_is_refused(closed, korean):
    apps = applicants(closed, korean, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830), ("4.1", 840)])
    services.selection_run_stage1(round_id=closed.pk)
    AffiliationApplication.objects.filter(pk=apps[4].pk).update(status=Status.STAGE1_PASSED)  # not by a run
    with translation.override("en"), pytest.raises(InvalidTransition) as refused:
        publish(closed, "stage1")
    assert "the result of 1 applicant was changed after the run" in str(refused.value.message)


def test_final_results_published_early_while_stage1_is_announced_later_are_refused_with_a_message(closed, korean):
    from datetime import timedelta

    from django.utils import timezone

    _stage1_ready(closed, korean)
    publish(closed, "stage1")
    score_all(closed)
    services.selection_run_stage2(round_id=closed.pk)
    # Someone moved stage 1's announced time into the future after it was published.
    later = timezone.now() + timedelta(days=2)
    type(closed).objects.filter(pk=closed.pk).update(stage1_publish_at=later, final_publish_at=later + timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        publish(closed, "final")
    assert "stage-1" in str(refused.value.message)
    closed.refresh_from_db()
    assert closed.final_published_at is None and closed.stage1_publish_at == later
