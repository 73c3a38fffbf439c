"""Document and interview scores from a file (SPEC §4.4), previewed and undoable (/work/notes/import_contract.md).

``scores_import(dry_run=True)`` is the preview: every row checked, ``report.changes`` lists each application whose
score would change (before → after) and ``report.fingerprint`` covers the file and the current scores of every
application it names. The confirmation passes that fingerprint as ``expected`` and is refused (``StalePreview``)
when a score or a status changed in between. The import is recorded as a ``BulkAction``
``affiliation.scores_import``; ``scores_import_undo`` puts the earlier scores back. Changing a score after stage 2
ran voids that run (``application_scores_set``), and so does undoing an import: stage 2 must run again before the
final results can be published. Once they are published scores no longer change, so neither is possible.
"""

import hashlib
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.bulk import StalePreview, bulk_record, bulk_undo, change, fingerprint
from core.errors import DomainError, InvalidTransition
from core.imports import ImportReport, read_rows

from ..models import AffiliationApplication, AffiliationRound
from ._common import event_record
from .run_inputs import STAGE2_POOL, number
from .selection import _score, application_scores_set

Status = AffiliationApplication.Status
SCORE_COLUMNS = ["student_number", "document_score", "interview_score"]
KIND = "affiliation.scores_import"
CENTS = Decimal("0.01")


def _rows(round: AffiliationRound, content: bytes, filename: str, report: ImportReport, progress) -> list[tuple]:
    rows = read_rows(content=content, filename=filename, columns=SCORE_COLUMNS)
    applications = {
        a.record.student_number: a
        for a in AffiliationApplication.objects.filter(round=round).exclude(status=Status.DRAFT).select_related("record")
    }
    planned, seen = [], set()
    for row_number, row in rows:
        try:
            application = applications.get(row["student_number"])
            if application is None:
                raise DomainError(_("no submitted application of student %(number)s in this round") % {"number": row["student_number"]})
            if row["student_number"] in seen:
                raise DomainError(_("student %(number)s appears twice") % {"number": row["student_number"]})
            seen.add(row["student_number"])
            if application.status not in STAGE2_POOL:
                raise DomainError(_("student %(number)s did not pass stage 1") % {"number": row["student_number"]})
            planned.append((application.pk, _score(row["document_score"], "document_score"),
                            _score(row["interview_score"], "interview_score")))
        except DomainError as exc:
            report.errors.append((row_number, str(exc.message)))
        if progress is not None:
            progress(len(planned) + len(report.errors), len(rows))
    return planned


def _plan(planned: list[tuple], applications: dict, sha256: str) -> tuple[list[dict], str]:
    """The change entries (only scores that change) and the fingerprint of the file and the current values."""
    changes, current = [], {}
    for pk, document, interview in planned:
        application = applications[pk]
        current[str(pk)] = {"status": application.status, "document_score": number(application.document_score),
                            "interview_score": number(application.interview_score)}
        new = {"document_score": document, "interview_score": interview}
        # As the database hands them back (two decimals), so an undo finds exactly what the import wrote.
        moved = {k: v.quantize(CENTS) for k, v in new.items() if v is not None and v != getattr(application, k)}
        if moved:
            changes.append(change(application, label=application.record.student_number,
                                  before={k: getattr(application, k) for k in moved}, after=moved))
    return changes, fingerprint({"file": sha256, "current": current})


def scores_import(
    *, round: AffiliationRound, content: bytes, filename: str, actor=None,
    progress: Callable[[int, int], None] | None = None, dry_run: bool = False, expected: str = "",
) -> ImportReport:
    """Document and interview scores from CSV/XLSX (student_number, document_score, interview_score); all or nothing.

    ``progress(checked, total)`` is called after each row is checked (before the one saving transaction).
    """
    report = ImportReport()
    planned = _rows(round, content, filename, report, progress)
    if report.errors:
        return report
    sha256 = hashlib.sha256(content).hexdigest()
    ids = [pk for pk, _document, _interview in planned]
    if dry_run:
        applications = AffiliationApplication.objects.filter(pk__in=ids).select_related("record").in_bulk()
        report.changes, report.fingerprint = _plan(planned, applications, sha256)
        report.updated = len(report.changes)  # rows whose scores are already as in the file change nothing
        return report
    with transaction.atomic():
        # The round first, as stage runs, publication and the undo lock it: holding the applications and then
        # voiding the stage-2 run on the round deadlocked with a stage-2 run started meanwhile.
        AffiliationRound.objects.select_for_update(of=("self",)).filter(pk=round.pk).values_list("pk").get()
        applications = AffiliationApplication.objects.select_for_update(of=("self",)).filter(pk__in=ids) \
            .select_related("record").order_by("pk").in_bulk()
        report.changes, report.fingerprint = _plan(planned, applications, sha256)
        if expected and report.fingerprint != expected:
            raise StalePreview()
        for application_id, document, interview in planned:
            application_scores_set(application_id=application_id, document_score=document, interview_score=interview,
                                   actor=actor, reason="score import")
        report.updated = len(report.changes)
        bulk_record(
            kind=KIND, actor=actor, scope=f"round:{round.pk}", changes=report.changes,
            inputs={"file": filename, "sha256": sha256, "expected": expected, "rows": len(planned)},
            summary=ngettext("%(round)s: scores of %(count)s applicant imported from %(file)s.",
                             "%(round)s: scores of %(count)s applicants imported from %(file)s.", len(report.changes))
            % {"round": round, "count": len(report.changes), "file": filename},
        )
    return report


def _cents(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENTS)


def scores_import_undo(*, action, actor, reason: str):
    """Put back the scores an import replaced (``bulk_undo``: refused if any was changed since), write each
    application's event and void a stage-2 run, as changing a score by hand does."""
    if action.kind != KIND or action.undoes_id is not None or not action.scope.startswith("round:"):
        raise DomainError(_("This is not a score import."))
    with transaction.atomic():
        round = AffiliationRound.objects.select_for_update().get(pk=int(action.scope.split(":", 1)[1]))
        if round.final_published_at is not None:
            raise InvalidTransition(_("Final results are published; scores can no longer change."))
        undo = bulk_undo(action=action, actor=actor, reason=reason)
        restored = AffiliationApplication.objects.in_bulk([entry["id"] for entry in undo.changes])
        for entry in undo.changes:
            application = restored[entry["id"]]
            event_record(application=application, from_status=application.status, actor=actor,
                         reason=f"score import undone: {reason.strip()}",
                         changes={k: (_cents(entry["before"][k]), _cents(v)) for k, v in entry["after"].items()})
        if undo.changes and round.stage2_run_at is not None:
            round.stage2_run_at = None  # the stored stage-2 ranking no longer follows from the scores
            round.save(update_fields=["stage2_run_at"])
    return undo


def _named(values: dict) -> list[tuple[str, Decimal | None]]:
    return [(str(AffiliationApplication._meta.get_field(k).verbose_name), v) for k, v in values.items()]


def scores_import_undo_preview(*, action) -> dict:
    """What ``scores_import_undo`` would do now, changing nothing: per applicant the score now and the one put back,
    who changed since (the undo would be refused), and whether it is refused or voids a stage-2 run."""
    from core.models import BulkAction

    if action.kind != KIND or action.undoes_id is not None or not action.scope.startswith("round:"):
        raise DomainError(_("This is not a score import."))
    round = AffiliationRound.objects.get(pk=int(action.scope.split(":", 1)[1]))
    current = AffiliationApplication.objects.in_bulk([entry["id"] for entry in action.changes])
    rows = []
    for entry in action.changes:
        application = current.get(entry["id"])
        now = {k: _cents(getattr(application, k)) if application else None for k in entry["after"]}
        back = {k: _cents(v) for k, v in entry["before"].items()}
        rows.append({"label": entry["label"], "now": _named(now), "back": _named(back),
                     "moved": application is None or now != {k: _cents(v) for k, v in entry["after"].items()}})
    return {
        "round": round, "rows": rows, "moved": [r["label"] for r in rows if r["moved"]],
        "undone": BulkAction.objects.filter(undoes=action).exists(),
        "final_published": round.final_published_at is not None, "voids_stage2": round.stage2_run_at is not None,
    }

