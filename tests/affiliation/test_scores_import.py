"""The score import as a previewed, recorded and undoable bulk action (issue 12; /work/notes/import_contract.md)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from affiliation import services
from affiliation.jobs import JobKind as AffiliationJobKind
from affiliation.jobs import run_scores_import
from affiliation.models import AffiliationApplication, AffiliationRound, ApplicationEvent
from core.bulk import StalePreview, UndoRefused
from core.errors import DomainError, InvalidTransition
from core.jobs.runners import Progress
from core.models import BulkAction, StaffJob

from .test_publication import applicants, publish

Status = AffiliationApplication.Status


@pytest.fixture
def passes(fall_round, cse):
    """Window closed; stage 1 run: four stage-1 passes, not scored yet."""
    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.save()
    apps = applicants(fall_round, cse, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830)])
    services.selection_run_stage1(round_id=fall_round.pk)
    fall_round.refresh_from_db()
    return [AffiliationApplication.objects.select_related("record").get(pk=a.pk) for a in apps]


def csv(rows) -> bytes:
    return ("student_number,document_score,interview_score\n" + "".join(f"{n},{d},{i}\n" for n, d, i in rows)).encode()


def scores(apps):
    return [(a.document_score, a.interview_score) for a in AffiliationApplication.objects.filter(pk__in=[a.pk for a in apps]).order_by("pk")]


def test_a_dry_run_previews_the_changes_and_writes_nothing(fall_round, passes):
    content = csv([(a.record.student_number, 80, "72.5") for a in passes])
    report = services.scores_import(round=fall_round, content=content, filename="s.csv", dry_run=True)
    assert report.ok and len(report.changes) == 4 and len(report.fingerprint) == 64
    first = next(c for c in report.changes if c["id"] == passes[0].pk)
    assert first["label"] == passes[0].record.student_number
    assert first["before"] == {"document_score": None, "interview_score": None}
    assert first["after"]["interview_score"] == "72.5"
    assert scores(passes) == [(None, None)] * 4 and not BulkAction.objects.filter(kind="affiliation.scores_import").exists()


def test_the_confirmation_writes_and_records_it(fall_round, passes, committee):
    content = csv([(a.record.student_number, 80, 70 + i) for i, a in enumerate(passes)])
    preview = services.scores_import(round=fall_round, content=content, filename="s.csv", dry_run=True)
    report = services.scores_import(round=fall_round, content=content, filename="s.csv", actor=committee,
                                    expected=preview.fingerprint)
    assert report.ok and report.updated == 4
    action = BulkAction.objects.get(kind="affiliation.scores_import")
    assert action.actor == committee and action.scope == f"round:{fall_round.pk}" and action.count == 4
    assert action.inputs["file"] == "s.csv" and action.inputs["expected"] == preview.fingerprint
    assert sorted(c["id"] for c in action.changes) == sorted(a.pk for a in passes)


def test_a_score_changed_since_the_preview_is_refused(fall_round, passes):
    content = csv([(a.record.student_number, 80, 80) for a in passes])
    preview = services.scores_import(round=fall_round, content=content, filename="s.csv", dry_run=True)
    services.application_scores_set(application_id=passes[1].pk, document_score=55)
    with pytest.raises(StalePreview):
        services.scores_import(round=fall_round, content=content, filename="s.csv", expected=preview.fingerprint)
    assert scores(passes)[0] == (None, None) and not BulkAction.objects.filter(kind="affiliation.scores_import").exists()


def test_another_file_with_the_same_fingerprint_is_refused(fall_round, passes):
    preview = services.scores_import(round=fall_round, content=csv([(passes[0].record.student_number, 80, 80)]),
                                     filename="s.csv", dry_run=True)
    with pytest.raises(StalePreview):
        services.scores_import(round=fall_round, content=csv([(passes[0].record.student_number, 99, 99)]),
                               filename="s.csv", expected=preview.fingerprint)


def test_undoing_the_import_restores_the_scores_and_voids_stage2(fall_round, passes, committee):
    services.application_scores_set(application_id=passes[0].pk, document_score=60, interview_score=60)
    content = csv([(a.record.student_number, 90, 90) for a in passes])
    services.scores_import(round=fall_round, content=content, filename="s.csv", actor=committee)
    services.selection_run_stage2(round_id=fall_round.pk)
    assert AffiliationRound.objects.get(pk=fall_round.pk).stage2_run_at is not None
    action = BulkAction.objects.get(kind="affiliation.scores_import")

    with pytest.raises(DomainError):
        services.scores_import_undo(action=action, actor=committee, reason=" ")
    undo = services.scores_import_undo(action=action, actor=committee, reason="Wrong file (last year's)")
    assert scores(passes) == [(Decimal(60), Decimal(60))] + [(None, None)] * 3
    assert undo.undoes == action and undo.reason == "Wrong file (last year's)"
    assert AffiliationRound.objects.get(pk=fall_round.pk).stage2_run_at is None  # stage 2 must run again
    event = ApplicationEvent.objects.filter(application=passes[0]).last()
    assert event.actor == committee and event.changes == {"document_score": ["90.00", "60.00"],
                                                          "interview_score": ["90.00", "60.00"]}
    with pytest.raises(DomainError):
        services.scores_import_undo(action=action, actor=committee, reason="again")


def test_an_undo_is_refused_when_a_score_changed_since_or_the_results_are_final(fall_round, passes, committee):
    content = csv([(a.record.student_number, 90, 90) for a in passes])
    services.scores_import(round=fall_round, content=content, filename="s.csv", actor=committee)
    action = BulkAction.objects.get(kind="affiliation.scores_import")
    services.application_scores_set(application_id=passes[2].pk, interview_score=50)
    with pytest.raises(UndoRefused) as refused:
        services.scores_import_undo(action=action, actor=committee, reason="wrong file")
    assert passes[2].record.student_number in str(refused.value)
    services.application_scores_set(application_id=passes[2].pk, interview_score=90)
    publish(fall_round, "stage1")
    services.selection_run_stage2(round_id=fall_round.pk)
    publish(fall_round, "final")
    with pytest.raises(InvalidTransition):
        services.scores_import_undo(action=action, actor=committee, reason="wrong file")
    with pytest.raises(DomainError):  # not a score import
        services.scores_import_undo(action=BulkAction.objects.get(kind="affiliation.results_publish", inputs__stage="final"),
                                    actor=committee, reason="no")


def test_the_runner_passes_dry_run_and_expected(fall_round, passes, committee):
    content = csv([(passes[0].record.student_number, 80, 80)])
    job = StaffJob(kind=AffiliationJobKind.SCORES_IMPORT, params={"round_id": fall_round.pk, "dry_run": True},
                   input_name="s.csv", input_content=content, created_by=committee)
    outcome = run_scores_import(job, Progress())
    assert outcome.report["dry_run"] is True and outcome.report["changes_total"] == 1
    assert scores(passes)[0] == (None, None)
    job.params = {"round_id": fall_round.pk, "expected": outcome.report["fingerprint"]}
    outcome = run_scores_import(job, Progress())
    assert outcome.status == "done" and outcome.report["dry_run"] is False
    assert scores(passes)[0] == (Decimal(80), Decimal(80))
    assert BulkAction.objects.get(kind="affiliation.scores_import").actor == committee


def test_the_undo_page_previews_and_undoes_with_a_reason(committee_client, fall_round, passes, committee):
    services.scores_import(round=fall_round, content=csv([(a.record.student_number, 90, 90) for a in passes]),
                           filename="s.csv", actor=committee)
    services.selection_run_stage2(round_id=fall_round.pk)
    action = BulkAction.objects.get(kind="affiliation.scores_import")
    url = f"/admin/affiliation/affiliationapplication/import-scores/undo/{action.pk}/"
    page = committee_client.get(url).content.decode()
    assert f'data-student="{passes[0].record.student_number}"' in page and 'id="undo-stage2"' in page
    assert scores(passes)[0] == (Decimal(90), Decimal(90))
    assert "required" in committee_client.post(url, {"reason": ""}).content.decode()
    response = committee_client.post(url, {"reason": "Wrong file"})
    assert response.status_code == 302 and scores(passes) == [(None, None)] * 4
    assert BulkAction.objects.get(undoes=action).reason == "Wrong file"
    page = committee_client.get(url).content.decode()  # one undo per import
    assert 'id="undo-done"' in page and 'id="undo-scores"' not in page
    undo = BulkAction.objects.get(undoes=action)
    assert committee_client.get(f"/admin/affiliation/affiliationapplication/import-scores/undo/{undo.pk}/").status_code == 404


def test_the_undo_page_is_for_the_committee_only(client, fall_round, passes, committee):
    from django.contrib.auth.models import Group

    from ..factories import UserFactory

    services.scores_import(round=fall_round, content=csv([(passes[0].record.student_number, 90, 90)]), filename="s.csv")
    action = BulkAction.objects.get(kind="affiliation.scores_import")
    registrar = UserFactory(is_staff=True)
    registrar.groups.add(Group.objects.get(name="registrar"))
    client.force_login(registrar)
    url = f"/admin/affiliation/affiliationapplication/import-scores/undo/{action.pk}/"
    assert client.post(url, {"reason": "x"}).status_code == 403
    assert scores(passes)[0] == (Decimal(90), Decimal(90))
