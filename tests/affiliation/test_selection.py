"""Stage 1, stage 2, committee scores, publication (SPEC §4.4) on the database."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.utils import timezone

from affiliation import selectors, services, tasks
from affiliation.models import AffiliationApplication, ApplicationEvent
from core.errors import DomainError, InvalidTransition
from core.models import OutgoingMail

from ..factories import AffiliationApplicationFactory, StudentRecordFactory, UserFactory

Status = AffiliationApplication.Status


def applicant(round, department, *, gpa="4.00", test="toeic", score=850, minutes=0, language="ko", number=None):
    user = UserFactory(language=language)
    record = StudentRecordFactory(user=user, gpa=Decimal(gpa), **({"student_number": number} if number else {}))
    return AffiliationApplicationFactory(
        round=round, record=record, target_department=department, english_test=test, english_score=score,
        status=Status.SUBMITTED, submitted_at=round.opens_at + timedelta(minutes=minutes),
    )


@pytest.fixture
def after_window(fall_round):
    """The window closed a minute ago; the results stay announced for later (publishing now is early)."""
    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.save()
    return now


def publish(round, stage):
    """Publish now, as the committee does on the confirmation page: its preview's fingerprint and a reason (early)."""
    preview = services.results_publish_preview(round_id=round.pk, stage=stage)
    return services.results_publish(round_id=round.pk, stage=stage, expected=preview.fingerprint, reason="ready early")


def statuses(*applications):
    return [AffiliationApplication.objects.get(pk=a.pk).status for a in applications]


def test_stage1_cannot_run_while_the_window_is_open(fall_round, cse):
    applicant(fall_round, cse)
    with pytest.raises(InvalidTransition):
        services.selection_run_stage1(round_id=fall_round.pk)
    assert fall_round.applications.get().status == Status.SUBMITTED


def test_stage1_passes_the_top_ceil_multiplier_times_quota(fall_round, cse, after_window):
    fall_round.stage1_multiplier = Decimal("1.5")  # quota 2 → 3 pass
    fall_round.save()
    apps = [applicant(fall_round, cse, gpa=g) for g in ("4.50", "4.30", "4.10", "3.90", "3.80")]
    counts = services.selection_run_stage1(round_id=fall_round.pk, at=after_window)
    assert counts == {"passed": 3, "failed": 2}
    assert statuses(*apps) == [Status.STAGE1_PASSED] * 3 + [Status.STAGE1_FAILED] * 2
    assert [AffiliationApplication.objects.get(pk=a.pk).stage1_rank for a in apps] == [1, 2, 3, 4, 5]


def test_stage1_score_is_stored_with_an_event(fall_round, cse, after_window, committee):
    app = applicant(fall_round, cse, gpa="4.50", test="toefl", score=120)
    services.selection_run_stage1(round_id=fall_round.pk, actor=committee, at=after_window)
    app.refresh_from_db()
    assert app.stage1_score == Decimal("100.000")
    event = app.events.get()
    assert (event.from_status, event.to_status, event.actor) == (Status.SUBMITTED, Status.STAGE1_PASSED, committee)
    assert event.changes["stage1_score"] == [None, "100.000"] and event.changes["stage1_rank"] == [None, 1]


def test_stage1_ties_break_on_gpa_then_english_then_submission(fall_round, cse, after_window):
    # Same stage-1 score, different GPA/English mixes are hard to construct; equal inputs isolate the last keys.
    fall_round.stage1_multiplier = Decimal("1")  # quota 2 → 2 pass
    fall_round.save()
    late = applicant(fall_round, cse, minutes=30)
    early = applicant(fall_round, cse, minutes=10)
    earliest = applicant(fall_round, cse, minutes=20)
    services.selection_run_stage1(round_id=fall_round.pk, at=after_window)
    ranks = {a.pk: AffiliationApplication.objects.get(pk=a.pk).stage1_rank for a in (late, early, earliest)}
    assert ranks == {early.pk: 1, earliest.pk: 2, late.pk: 3}
    assert statuses(early, earliest, late) == [Status.STAGE1_PASSED, Status.STAGE1_PASSED, Status.STAGE1_FAILED]


def test_a_rerun_gives_the_same_result_and_records_nothing_new(fall_round, cse, after_window):
    [applicant(fall_round, cse, gpa=g, minutes=i) for i, g in enumerate(("4.0", "4.0", "3.9", "4.2", "3.8"))]
    services.selection_run_stage1(round_id=fall_round.pk, at=after_window)
    first = list(AffiliationApplication.objects.order_by("pk").values_list("status", "stage1_rank", "stage1_score"))
    events = ApplicationEvent.objects.count()
    services.selection_run_stage1(round_id=fall_round.pk, at=after_window)
    assert list(AffiliationApplication.objects.order_by("pk").values_list("status", "stage1_rank", "stage1_score")) == first
    assert ApplicationEvent.objects.count() == events


def _through_stage1(round, department, after_window, gpas=("4.5", "4.3", "4.1", "3.9")):
    apps = [applicant(round, department, gpa=g, minutes=i) for i, g in enumerate(gpas)]
    services.selection_run_stage1(round_id=round.pk, at=after_window)
    return apps


def test_stage2_needs_every_score(fall_round, cse, after_window):
    apps = _through_stage1(fall_round, cse, after_window)
    services.application_scores_set(application_id=apps[0].pk, document_score=80, interview_score=90)
    with pytest.raises(DomainError) as excinfo:
        services.selection_run_stage2(round_id=fall_round.pk)
    assert apps[1].record.student_number in str(excinfo.value.message)


def test_stage2_admits_the_top_quota_by_the_combined_score(fall_round, cse, after_window, committee):
    apps = _through_stage1(fall_round, cse, after_window)  # quota 2, multiplier 2 → all 4 pass stage 1
    for app, (document, interview) in zip(apps, [(50, 50), (95, 95), (90, 100), (60, 60)], strict=True):
        services.application_scores_set(application_id=app.pk, document_score=document, interview_score=interview,
                                        actor=committee)
    counts = services.selection_run_stage2(round_id=fall_round.pk, actor=committee)
    assert counts == {"admitted": 2, "not_admitted": 2}
    assert statuses(*apps) == [Status.NOT_ADMITTED, Status.ADMITTED, Status.ADMITTED, Status.NOT_ADMITTED]
    second = AffiliationApplication.objects.get(pk=apps[1].pk)
    # 50% stage 1 + 20% documents + 30% interview
    expected = (second.stage1_score * 50 + Decimal(95) * 20 + Decimal(95) * 30) / 100
    assert second.stage2_score == expected.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP) and second.final_rank == 1


def test_scores_are_recorded_with_before_and_after_values(fall_round, cse, after_window, committee):
    app = _through_stage1(fall_round, cse, after_window)[0]
    services.application_scores_set(application_id=app.pk, document_score=70, actor=committee)
    services.application_scores_set(application_id=app.pk, document_score="72.5", interview_score=88, actor=committee)
    event = ApplicationEvent.objects.filter(application=app).last()
    assert event.changes == {"document_score": ["70.00", "72.5"], "interview_score": [None, "88"]}
    assert event.actor == committee and event.from_status == event.to_status == Status.STAGE1_PASSED


@pytest.mark.parametrize("bad", ["101", "-1", "abc", "70.123"])
def test_scores_out_of_range_are_refused(fall_round, cse, after_window, bad):
    app = _through_stage1(fall_round, cse, after_window)[0]
    with pytest.raises(DomainError):
        services.application_scores_set(application_id=app.pk, document_score=bad)
    assert AffiliationApplication.objects.get(pk=app.pk).document_score is None


def test_scores_only_for_stage1_passes(fall_round, cse, after_window):
    apps = _through_stage1(fall_round, cse, after_window, gpas=("4.5", "4.4", "4.3", "4.2", "3.0"))
    with pytest.raises(InvalidTransition):
        services.application_scores_set(application_id=apps[-1].pk, document_score=90)


def test_score_import_is_all_or_nothing_with_row_numbers(fall_round, cse, after_window):
    apps = _through_stage1(fall_round, cse, after_window)
    numbers = [a.record.student_number for a in apps]
    content = (
        "student_number,document_score,interview_score\n"
        f"{numbers[0]},80,90\n"
        f"{numbers[1]},101,90\n"
        "\n"
        "NOBODY,70,70\n"
    ).encode()
    report = services.scores_import(round=fall_round, content=content, filename="scores.csv")
    assert [row for row, _ in report.errors] == [3, 5]
    assert AffiliationApplication.objects.filter(document_score__isnull=False).count() == 0
    good = "student_number,document_score,interview_score\n" + "".join(f"{n},80,{70 + i}\n" for i, n in enumerate(numbers))
    report = services.scores_import(round=fall_round, content=good.encode(), filename="scores.csv")
    assert report.ok and report.updated == 4
    assert sorted(AffiliationApplication.objects.values_list("interview_score", flat=True)) == [70, 71, 72, 73]


def test_score_import_reads_xlsx(fall_round, cse, after_window, tmp_path):
    from openpyxl import Workbook

    app = _through_stage1(fall_round, cse, after_window)[0]
    workbook = Workbook()
    workbook.active.append(["student_number", "document_score", "interview_score"])
    workbook.active.append([app.record.student_number, 77, 66.5])
    path = tmp_path / "scores.xlsx"
    workbook.save(path)
    report = services.scores_import(round=fall_round, content=path.read_bytes(), filename="scores.xlsx")
    assert report.ok
    app.refresh_from_db()
    assert (app.document_score, app.interview_score) == (Decimal(77), Decimal("66.5"))


def _finished(round, department, after_window, *, language="ko"):
    apps = [applicant(round, department, gpa=g, minutes=i, language=language) for i, g in enumerate(("4.5", "4.0", "3.8"))]
    services.selection_run_stage1(round_id=round.pk, at=after_window)
    for app in AffiliationApplication.objects.filter(status=Status.STAGE1_PASSED):
        services.application_scores_set(application_id=app.pk, document_score=80, interview_score=80)
    services.selection_run_stage2(round_id=round.pk, at=after_window)
    return apps


def test_results_stay_hidden_until_published(fall_round, cse, after_window):
    apps = _finished(fall_round, cse, after_window)
    view = selectors.student_view(application=AffiliationApplication.objects.get(pk=apps[0].pk))
    assert view["status"] == "submitted" and not view["stage1"] and not view["final"]
    publish(fall_round, "stage1")
    view = selectors.student_view(application=AffiliationApplication.objects.get(pk=apps[0].pk))
    assert view["status"] == "stage1_passed" and view["stage1"] and not view["final"]
    publish(fall_round, "final")
    view = selectors.student_view(application=AffiliationApplication.objects.get(pk=apps[0].pk))
    assert view["status"] == "admitted" and view["final"] and view["final_count"] == 3


def test_final_results_cannot_be_published_before_stage1(fall_round, cse, after_window):
    _finished(fall_round, cse, after_window)
    with pytest.raises(InvalidTransition):
        publish(fall_round, "final")


def test_publication_mails_each_applicant_once_in_their_language(fall_round, cse, after_window,
                                                                django_capture_on_commit_callbacks):
    from django.core import mail

    apps = _finished(fall_round, cse, after_window, language="en")
    ko_app = AffiliationApplication.objects.get(pk=apps[1].pk)
    ko_app.record.user.language = "ko"
    ko_app.record.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert publish(fall_round, "stage1") == 3
        assert services.results_publish(round_id=fall_round.pk, stage="stage1") == 0  # a repeated task sends nothing
    assert OutgoingMail.objects.filter(kind="affiliation_result").count() == 3
    english = [m for m in mail.outbox if m.to == [apps[0].record.user.email]][0]
    assert "Stage-1 result" in english.subject and "rank 1" in english.body
    korean = [m for m in mail.outbox if m.to == [ko_app.record.user.email]][0]
    assert korean.subject != english.subject.replace(apps[0].record.user.email, "")


def test_the_beat_task_publishes_only_when_the_time_has_come(fall_round, cse, after_window):
    _finished(fall_round, cse, after_window)
    fall_round.refresh_from_db()
    assert tasks.publish_due_results_task() == 0  # stage1_publish_at is a week ahead
    fall_round.closes_at = timezone.now() - timedelta(minutes=2)
    fall_round.stage1_publish_at = timezone.now() - timedelta(minutes=1)
    fall_round.final_publish_at = timezone.now() - timedelta(seconds=30)
    fall_round.save()
    assert tasks.publish_due_results_task() == 6  # both stages fall due: 3 + 3 mails
    fall_round.refresh_from_db()
    assert fall_round.stage1_published_at and fall_round.final_published_at
    assert tasks.publish_due_results_task() == 0


def test_nothing_reruns_after_publication(fall_round, cse, after_window):
    apps = _finished(fall_round, cse, after_window)
    publish(fall_round, "stage1")
    with pytest.raises(InvalidTransition):
        services.selection_run_stage1(round_id=fall_round.pk, at=after_window)
    publish(fall_round, "final")
    with pytest.raises(InvalidTransition):
        services.selection_run_stage2(round_id=fall_round.pk)
    with pytest.raises(InvalidTransition):
        services.application_scores_set(application_id=apps[0].pk, document_score=1)


def test_a_stage1_rerun_after_stage2_keeps_the_cut_and_invalidates_stage2(fall_round, cse, after_window):
    # quota 2, multiplier 2 → 4 of 6 pass stage 1; stage 2 admits 2. Re-running stage 1 (allowed until it is
    # published) must rank all six again, not only the two who failed, and stage 2 must be run again.
    apps = _through_stage1(fall_round, cse, after_window, gpas=("4.5", "4.4", "4.3", "4.2", "4.1", "4.0"))
    for app in AffiliationApplication.objects.filter(status=Status.STAGE1_PASSED):
        services.application_scores_set(application_id=app.pk, document_score=80, interview_score=80)
    services.selection_run_stage2(round_id=fall_round.pk, at=after_window)
    services.selection_run_stage1(round_id=fall_round.pk, at=after_window)
    assert statuses(*apps) == [Status.STAGE1_PASSED] * 4 + [Status.STAGE1_FAILED] * 2
    assert [AffiliationApplication.objects.get(pk=a.pk).stage1_rank for a in apps] == [1, 2, 3, 4, 5, 6]
    assert not AffiliationApplication.objects.filter(final_rank__isnull=False).exists()
    fall_round.refresh_from_db()
    assert fall_round.stage2_run_at is None
    publish(fall_round, "stage1")
    with pytest.raises(InvalidTransition):
        publish(fall_round, "final")  # stage 2 must run on the new stage 1
    event = AffiliationApplication.objects.get(pk=apps[0].pk).events.last()
    assert (event.from_status, event.to_status) == (Status.ADMITTED, Status.STAGE1_PASSED)


def test_results_are_not_published_when_a_department_has_more_passes_than_places(fall_round, cse, after_window):
    from affiliation.models import DepartmentQuota

    _finished(fall_round, cse, after_window)  # quota 2: 2 admitted
    DepartmentQuota.objects.filter(round=fall_round, department=cse).update(override=1)  # edited after the run
    with pytest.raises(InvalidTransition):
        publish(fall_round, "stage1")  # ⌈2 × 1⌉ = 2 places, 3 passed
    services.selection_run_stage1(round_id=fall_round.pk, at=after_window)
    publish(fall_round, "stage1")
    for app in AffiliationApplication.objects.filter(status=Status.STAGE1_PASSED):
        services.application_scores_set(application_id=app.pk, document_score=80, interview_score=80)
    services.selection_run_stage2(round_id=fall_round.pk, at=after_window)
    DepartmentQuota.objects.filter(round=fall_round, department=cse).update(override=0)
    with pytest.raises(InvalidTransition):
        publish(fall_round, "final")
    fall_round.refresh_from_db()
    assert fall_round.final_published_at is None
    assert AffiliationApplication.objects.filter(status=Status.ADMITTED).count() == 1


def test_the_beat_task_skips_a_round_whose_result_no_longer_fits_its_places(fall_round, cse, after_window):
    from affiliation.models import DepartmentQuota

    _finished(fall_round, cse, after_window)
    DepartmentQuota.objects.filter(round=fall_round, department=cse).update(override=1)
    fall_round.refresh_from_db()
    fall_round.closes_at = timezone.now() - timedelta(minutes=2)
    fall_round.stage1_publish_at = timezone.now() - timedelta(minutes=1)
    fall_round.save()
    assert tasks.publish_due_results_task() == 0
    fall_round.refresh_from_db()
    assert fall_round.stage1_published_at is None


def test_the_admission_mail_states_the_rounds_own_credit_minimum(fall_round, cse, after_window,
                                                                 django_capture_on_commit_callbacks):
    from django.core import mail

    fall_round.min_credits = 70
    fall_round.save()
    apps = _finished(fall_round, cse, after_window, language="en")
    with django_capture_on_commit_callbacks(execute=True):
        publish(fall_round, "stage1")
        publish(fall_round, "final")
    body = [m for m in mail.outbox if m.to == [apps[0].record.user.email] and "Final result" in m.subject][0].body
    assert "fewer than 70 earned credits" in body and "67" not in body


def test_a_score_changed_after_stage2_must_be_ranked_again_before_publication(fall_round, cse, after_window):
    apps = _finished(fall_round, cse, after_window)  # all scored 80/80; quota 2
    publish(fall_round, "stage1")
    services.application_scores_set(application_id=apps[2].pk, document_score=100, interview_score=100)
    with pytest.raises(InvalidTransition):
        publish(fall_round, "final")  # the stored ranking ignores the new score
    services.selection_run_stage2(round_id=fall_round.pk, at=after_window)
    publish(fall_round, "final")
    assert AffiliationApplication.objects.get(pk=apps[2].pk).status == Status.ADMITTED


@pytest.mark.parametrize(("language", "text"), [("en", "rank 2 of 3"), ("ko", "3명 중 2위")])
def test_it_says_the_rank_among_the_departments_applicants_in_the_stage_mail(
        fall_round, cse, after_window, language, text, django_capture_on_commit_callbacks):
    from django.core import mail

    apps = _finished(fall_round, cse, after_window, language=language)
    with django_capture_on_commit_callbacks(execute=True):
        publish(fall_round, "stage1")
        publish(fall_round, "final")
    second = [m for m in mail.outbox if m.to == [apps[1].record.user.email]]
    assert len(second) == 2 and all(text in m.body for m in second)
    assert all(text in m.alternatives[0][0] for m in second)
