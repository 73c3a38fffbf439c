"""Review R1 of issue 12: the winter check, the records import and publication at once on PostgreSQL.

A deadlock between two staff actions is never the answer (it is a 500 in the admin, a failed job): whatever runs
at the same instant, each either applies or refuses with a message (stale, already done).
"""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from affiliation import services
from affiliation.models import AffiliationApplication, StudentRecord
from core.bulk import StalePreview

from ..factories import (
    AffiliationApplicationFactory,
    DepartmentFactory,
    StudentRecordFactory,
    UserFactory,
    affiliation_campus,
)
from .test_after_pass import published_round  # noqa: F401 (fixture)

Status = AffiliationApplication.Status
HEADER = ("student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
          "liberal_arts_met,teacher_training,applied_before,semesters\n")
COUNT = 120


def _admitted_in_reverse(round, department):
    """COUNT admitted students whose applications were made in the reverse order of their student numbers (the
    import reads records by student number, the check by application)."""
    sejong = affiliation_campus(main=False)
    branch = DepartmentFactory(campus=sejong, code="sj-cse")
    records = []
    for i in range(COUNT):
        number = f"R{5000 + i}"
        user = UserFactory(username=number, kind="home", email=f"{number.lower()}@sejong.example")
        records.append(StudentRecordFactory(
            user=user, student_number=number, campus=sejong, department=branch, earned_credits=60,
            imported_at=timezone.now() - timedelta(days=1), imported_email=user.email))
    for record in reversed(records):
        AffiliationApplicationFactory(round=round, record=record, target_department=department, status=Status.ADMITTED,
                                      submitted_at=round.opens_at)
    return records


def _file(records, credits: int) -> bytes:
    rows = "".join(f"{r.student_number},{r.name},{r.user.email},ko,sejong,sj-cse,{credits},18,4.00,yes,none,no,\n"
                   for r in records)
    return (HEADER + rows).encode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_check_and_a_records_import_confirmed_at_once_never_deadlock(published_round, cse, committee):  # noqa: F811
    from ..concurrency import run_at_once

    records = _admitted_in_reverse(published_round, cse)
    content = _file(records, credits=50)
    for attempt in range(3):
        check = services.conditions_preview(round_id=published_round.pk).fingerprint
        imported = services.records_import(content=content, filename="r.csv", dry_run=True).fingerprint
        outcomes = run_at_once([
            lambda check=check: services.conditions_check(round_id=published_round.pk, expected=check, actor=committee),
            lambda content=content, imported=imported: services.records_import(
                content=content, filename="r.csv", expected=imported, actor=committee),
        ], workers=2)
        assert not [o for o in outcomes if isinstance(o, OperationalError)], outcomes
        assert all(not isinstance(o, Exception) or isinstance(o, StalePreview) for o in outcomes), outcomes
        # back to the start for the next attempt
        AffiliationApplication.objects.filter(round=published_round).update(status=Status.ADMITTED, cancelled_at=None)
        type(published_round).objects.filter(pk=published_round.pk).update(conditions_checked_at=None)
        StudentRecord.objects.filter(pk__in=[r.pk for r in records]).update(earned_credits=60)
        content = _file(records, credits=50 + attempt + 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_publication_and_a_records_import_confirmed_at_once_never_deadlock(fall_round, cse, committee):
    """Publication locks the records by id; the import locked them by student number, which need not be the same
    order (here the numbers run backwards)."""
    from ..concurrency import run_at_once

    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.stage1_publish_at = now - timedelta(seconds=10)
    fall_round.save()
    sejong = affiliation_campus(main=False)
    branch = DepartmentFactory(campus=sejong, code="sj-cse")
    records = []
    for i in range(COUNT):
        number = f"P{9000 - i}"
        user = UserFactory(username=number, kind="home", email=f"{number.lower()}@sejong.example")
        records.append(StudentRecordFactory(user=user, student_number=number, campus=sejong, department=branch,
                                            imported_email=user.email))
        AffiliationApplicationFactory(round=fall_round, record=records[-1], target_department=cse, english_test="toeic",
                                      english_score=800 + i, status=Status.SUBMITTED, submitted_at=fall_round.opens_at)
    services.selection_run_stage1(round_id=fall_round.pk)
    for attempt in range(2):
        content = _file(records, credits=70 + attempt)  # earned credits are no stage-1 input: both may apply
        imported = services.records_import(content=content, filename="r.csv", dry_run=True).fingerprint
        outcomes = run_at_once([
            lambda: services.results_publish(round_id=fall_round.pk, stage="stage1"),
            lambda content=content, imported=imported: services.records_import(
                content=content, filename="r.csv", expected=imported, actor=committee),
        ], workers=2)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        type(fall_round).objects.filter(pk=fall_round.pk).update(stage1_published_at=None)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_undos_of_one_records_import_at_once_undo_it_once(committee):
    from core.errors import DomainError
    from core.models import BulkAction

    from ..concurrency import run_at_once
    from .test_records_import import _file

    sejong = affiliation_campus(main=False)
    DepartmentFactory(code="sj-cse", campus=sejong)
    assert services.records_import(content=_file(credits=55), filename="a.csv").ok
    assert services.records_import(content=_file(credits=61), filename="a.csv").ok
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    outcomes = run_at_once([
        lambda: services.records_import_undo(action=action, actor=committee, reason="wrong file") for _ in range(2)
    ], workers=2)
    assert sorted(type(o).__name__ for o in outcomes) == ["BulkAction", "DomainError"], outcomes
    assert all(not isinstance(o, Exception) or isinstance(o, DomainError) for o in outcomes)
    assert StudentRecord.objects.get().earned_credits == 55
    assert BulkAction.objects.filter(undoes=action).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_undoing_an_import_while_another_is_confirmed_never_deadlocks(committee):
    """The undo locked the records one by one in the file's order, the import by student number."""
    from core.errors import DomainError
    from core.models import BulkAction

    from ..concurrency import run_at_once

    sejong = affiliation_campus(main=False)
    DepartmentFactory(code="sj-cse", campus=sejong)
    numbers = [f"U{7000 - i}" for i in range(COUNT)]  # the file lists them backwards

    def content(credits):
        rows = "".join(f"{n},학생,{n.lower()}@sejong.example,ko,sejong,sj-cse,{credits},18,4.00,yes,none,no,\n"
                       for n in numbers)
        return (HEADER + rows).encode()

    assert services.records_import(content=content(55), filename="a.csv").ok
    assert services.records_import(content=content(61), filename="a.csv").ok
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    newer = services.records_import(content=content(64), filename="b.csv", dry_run=True).fingerprint
    outcomes = run_at_once([
        lambda: services.records_import_undo(action=action, actor=committee, reason="wrong file"),
        lambda: services.records_import(content=content(64), filename="b.csv", expected=newer, actor=committee),
    ], workers=2)
    assert all(not isinstance(o, Exception) or isinstance(o, DomainError) for o in outcomes), outcomes
    credits = set(StudentRecord.objects.values_list("earned_credits", flat=True))
    assert credits in ({55}, {64})  # the undo first (then the import is stale or applies) or the import first


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_score_import_and_a_stage2_rerun_at_once_never_deadlock(fall_round, cse, committee):
    """Stage 2 locks the round, then the applications; the import locked the applications, then (voiding the run)
    the round."""
    from ..concurrency import run_at_once
    from .test_publication import applicants

    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.save()
    made = applicants(fall_round, cse, [("4.5", 800 + i) for i in range(COUNT)])
    services.selection_run_stage1(round_id=fall_round.pk)
    passed = list(AffiliationApplication.objects.filter(round=fall_round, status=Status.STAGE1_PASSED)
                  .select_related("record"))
    assert passed and len(made) == COUNT

    def csv(score):
        return ("student_number,document_score,interview_score\n"
                + "".join(f"{a.record.student_number},{score},{score}\n" for a in passed)).encode()

    services.scores_import(round=fall_round, content=csv(70), filename="s.csv")
    services.selection_run_stage2(round_id=fall_round.pk)
    for attempt in range(2):
        content = csv(71 + attempt)
        preview = services.scores_import(round=fall_round, content=content, filename="s.csv", dry_run=True).fingerprint
        outcomes = run_at_once([
            lambda content=content, preview=preview: services.scores_import(
                round=fall_round, content=content, filename="s.csv", expected=preview, actor=committee),
            lambda: services.selection_run_stage2(round_id=fall_round.pk, actor=committee),
        ], workers=2)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        services.selection_run_stage2(round_id=fall_round.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_score_import_holding_its_applications_when_stage2_starts_does_not_deadlock(fall_round, cse, committee,
                                                                                      monkeypatch):
    """The interleaving forced: the import has locked its applications when stage 2 locks the round and waits for
    them; the import then voids the stage-2 run on the round. Both must finish (in some order), neither a 500."""
    import threading
    import time

    from affiliation.services import scores

    from ..concurrency import run_at_once
    from .test_publication import applicants

    now = timezone.now()
    fall_round.opens_at, fall_round.closes_at = now - timedelta(days=10), now - timedelta(minutes=1)
    fall_round.save()
    applicants(fall_round, cse, [("4.5", 800), ("4.4", 810), ("4.3", 820), ("4.2", 830)])
    services.selection_run_stage1(round_id=fall_round.pk)
    passed = list(AffiliationApplication.objects.filter(round=fall_round, status=Status.STAGE1_PASSED)
                  .select_related("record"))

    def csv(score):
        return ("student_number,document_score,interview_score\n"
                + "".join(f"{a.record.student_number},{score},{score}\n" for a in passed)).encode()

    services.scores_import(round=fall_round, content=csv(70), filename="s.csv")
    services.selection_run_stage2(round_id=fall_round.pk)
    content = csv(75)
    preview = services.scores_import(round=fall_round, content=content, filename="s.csv", dry_run=True).fingerprint
    holding, plan = threading.Event(), scores._plan

    def slow_plan(*args, **kwargs):  # runs inside the confirmation's transaction, after its locks
        holding.set()
        time.sleep(1.5)
        return plan(*args, **kwargs)

    monkeypatch.setattr(scores, "_plan", slow_plan)

    def stage2():
        assert holding.wait(20)
        time.sleep(0.2)
        return services.selection_run_stage2(round_id=fall_round.pk, actor=committee)

    outcomes = run_at_once([
        lambda: services.scores_import(round=fall_round, content=content, filename="s.csv", expected=preview,
                                       actor=committee),
        stage2,
    ], workers=2)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
