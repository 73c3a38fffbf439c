"""Retention and destruction of personal data (PIPA art. 21): what the consent text promised, done every night.

``personal_data_destroy_expired`` destroys, irreversibly (rows deleted, uploaded files removed from
storage), whatever has been kept ``settings.PERSONAL_DATA_RETENTION_YEARS`` past the end of the term
or round it belongs to — the same setting the consent text states. The rules, per kind:

* **End of a term**: the day the next regular semester begins — 1 September for spring and summer,
  1 March of the next year for fall and winter — or the close of the term's last window, if later.
* **End of a change-of-affiliation round**: the end of its fall term or its conditions check
  (after the winter session), whichever is later.
* **Temporary-ID applications** (with their events, conflicts and the partners' recommendations),
  **lists sent to partners** (their student rows and attached files) and **course registrations**
  go when their term ended more than N years ago.
* **Exchange identities and accounts** (``TemporaryStudentId`` and its ``exchange`` user) go once
  none of their applications is left, i.e. when the *last* term they applied for ended more than N
  years ago, and the identity was first issued more than N years ago (a later application of the same
  partner and number, not issued yet, keeps it: the returning student gets that ID back).
* **Affiliation applications** (events and uploaded certificate and study plan) and the round's
  eligibility exceptions go when their round ended more than N years ago.
* **Student records** (with their semesters) go when the student's last semester record ended —
  and the record was last imported — more than N years ago, and no affiliation application is left;
  the ``home`` account goes with the record.
* Any ``exchange`` or ``home`` account left with no record, identity or registration that was
  created and last signed in more than N years ago goes too. **Staff accounts** (kind ``staff``,
  ``is_staff`` or ``is_superuser``) are never destroyed.
* Outgoing mail, finished staff jobs and staff-action-log entries (``BulkAction``: labels and before/after
  values) older than N years — but never a ``retention.purge`` entry, which holds only counts and ids.
* Access-log entries older than ``settings.ACCESS_LOG_RETENTION_YEARS`` (but never a ``destroy``
  entry, which holds only counts and ids); nothing younger is ever deleted. django-axes' sign-in and
  failure records (user names, addresses) follow the same period, and so does the partner API's call log
  (``partnerapi.ApiCall``: which key read which address, from which IP — an access record of the partners' reads of
  students' data, so the access log's period, not the personal-data one; counted, no ids, as the access log).

Each kind destroyed is written to the access log (action ``destroy``: counts and ids, no personal
data), and each run that destroyed anything to the staff action log (``bulk_record(kind="retention.purge")``:
the cutoff, counts per kind, ids, the number of files; no personal data), which the privacy officer reads.

**No confirmation (issue 12).** Unlike the other bulk actions, a purge is not confirmed by a person: PIPA art. 21
requires destruction without delay once the retention period has ended, so a purge waiting for a click would
itself break the law. Instead it is *previewed* — ``ustportal.retention_preview`` shows the privacy officer what
the next nightly run destroys and what falls due within ``PREVIEW_DAYS``, and states that destruction cannot be
undone — and *recorded* as above. A wrong retention setting is caught in the preview, weeks before it bites. Runs in one transaction under a PostgreSQL advisory lock, so two runs at once cannot
interleave; a second run finds nothing left to destroy. ``dry_run`` does the same work and rolls
it back (exact counts, nothing changed, no file touched).

**Files no row names** (``orphan_files_destroy``), after the transaction: a file is removed from the storage only
once its row is gone for good, so a removal that fails then (an object store down a moment) leaves the file with no
row; so does an upload whose second file could not be stored. Each run therefore also removes every stored file
that no ``FileField`` of any row names and that is older than ``ORPHAN_MIN_AGE`` (an upload in progress writes its
file a moment before its row), and records how many in the access log. A file the sweep cannot remove either stays
for the next night: the report lists only files actually removed.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, models, transaction
from django.db.models import Exists, Max, OuterRef, ProtectedError, Q, RestrictedError
from django.db.models.functions import Trim, Upper
from django.utils import timezone
from django.utils.translation import ngettext

from academics.models import Season
from accounts.models import User as _User
from core import dates
from core.bulk import bulk_record
from core.models import PersonalDataAccess
from core.privacy import access_log_cutoff, access_record, years_before

logger = logging.getLogger(__name__)

AccountKind = _User.Kind

PURGE_KIND = "retention.purge"  # the staff action log's kind (the privacy officer's)
LOCK_KEY = 0x50495041  # "PIPA": the advisory-lock key of the retention job
ORPHAN_MIN_AGE = timedelta(days=1)  # a stored file younger than this may be an upload whose row is being written
STAFF = Q(kind=AccountKind.STAFF) | Q(is_staff=True) | Q(is_superuser=True)


@dataclass
class DestructionReport:
    cutoff: datetime
    dry_run: bool = False
    skipped: bool = False  # another run holds the lock
    destroyed: dict[str, int] = field(default_factory=dict)  # model label → rows (cascades included)
    ids: dict[str, list] = field(default_factory=dict)  # model label → primary keys of the rows chosen
    files: list[str] = field(default_factory=list)  # storage names removed with their rows (after the commit)
    orphans: list[str] = field(default_factory=list)  # storage names no row named, removed after the transaction
    blocked: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.destroyed.values())

    def lines(self) -> list[str]:
        lines = [f"{label}: {count}" for label, count in sorted(self.destroyed.items()) if count]
        lines += [f"file: {name}" for name in self.files]
        lines += [f"file no row named: {name}" for name in self.orphans]
        lines += [f"blocked: {reason}" for reason in self.blocked]
        return lines


class _DryRun(Exception):
    pass


def term_end(*, year: int, season: str, last_window_end: datetime | None = None) -> datetime:
    """When a term's personal data start their retention period (see the module docstring)."""
    end = dates.moment(date(year, 9, 1) if season in (Season.SPRING, Season.SUMMER) else date(year + 1, 3, 1))
    return max(end, last_window_end) if last_window_end else end


def _term_ends() -> dict[int, datetime]:
    Term = apps.get_model("academics", "Term")
    rows = Term.objects.annotate(last_window=Max("windows__ends_at")).values_list("pk", "year", "season", "last_window")
    return {pk: term_end(year=year, season=season, last_window_end=last) for pk, year, season, last in rows}


def retention_cutoff(at: datetime | None = None) -> datetime:
    """Data whose term or round ended before this instant has been kept long enough."""
    return years_before(at or timezone.now(), settings.PERSONAL_DATA_RETENTION_YEARS)


def _optional_model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


class _Run:
    def __init__(self, report: DestructionReport):
        self.report = report

    def destroy(self, label: str, queryset) -> list:
        """Delete ``queryset`` in a savepoint; a row still protected by something unforeseen is reported, not fatal."""
        ids = list(queryset.values_list("pk", flat=True))
        if not ids:
            return []
        model = queryset.model
        try:
            with transaction.atomic():
                _total, per_model = model._base_manager.filter(pk__in=ids).delete()
        except (ProtectedError, RestrictedError) as exc:
            blockers = getattr(exc, "protected_objects", None) or getattr(exc, "restricted_objects", None) or ()
            reason = f"{label}: {len(ids)} kept, still referenced by {sorted({o._meta.label_lower for o in blockers})}"
            logger.warning("Retention: %s", reason)
            self.report.blocked.append(reason)
            return []
        for model_label, count in per_model.items():
            key = model_label.lower()
            self.report.destroyed[key] = self.report.destroyed.get(key, 0) + count
        self.report.ids.setdefault(label, []).extend(ids)
        return ids

    def destroy_users(self, queryset) -> None:
        """Accounts one by one when the bulk delete is refused, so one protected account keeps only itself."""
        queryset = queryset.exclude(STAFF)
        if self.destroy("accounts.user", queryset) or not queryset.exists():
            return
        for pk in list(queryset.values_list("pk", flat=True)):
            self.destroy("accounts.user", queryset.model._base_manager.filter(pk=pk).exclude(STAFF))


def _destroy_credit_exchange(run: _Run, *, cutoff: datetime, expired_terms: list[int]) -> None:
    Application = apps.get_model("creditexchange", "TemporaryIdApplication")
    PartnerList = apps.get_model("creditexchange", "PartnerList")
    Recommendation = apps.get_model("creditexchange", "Recommendation")
    Registration = apps.get_model("creditexchange", "CourseRegistration")
    Identity = apps.get_model("accounts", "TemporaryStudentId")
    User = apps.get_model("accounts", "User")

    applications = Application.objects.filter(term_id__in=expired_terms)
    lists = PartnerList.objects.filter(term_id__in=expired_terms)
    run.destroy("creditexchange.recommendation", Recommendation.objects.filter(
        Q(application__in=applications) | Q(partner_list__in=lists)
    ))
    Conflict = _optional_model("creditexchange.ApplicationConflict")
    if Conflict is not None:
        run.destroy("creditexchange.applicationconflict", Conflict.objects.filter(term_id__in=expired_terms))
    run.destroy("creditexchange.partnerlist", lists)  # the rows as sent and the attached files (stored as bytes)
    # Issue 15: the transcripts sent (their PDFs and files) and the grades go with the term's other records; the
    # university's own student record system keeps the academic record, this portal the exchange process.
    for label in ("creditexchange.Transcript", "creditexchange.TranscriptBatch", "creditexchange.Grade"):
        model = _optional_model(label)
        if model is not None:
            field = "batch__term_id__in" if label.endswith(".Transcript") else "term_id__in"
            run.destroy(label.lower(), model.objects.filter(**{field: expired_terms}))
    run.destroy("creditexchange.temporaryidapplication", applications)
    for label in ("creditexchange.WaitlistEntry", "creditexchange.BasketItem"):  # issue 14; before the registrations
        model = _optional_model(label)
        if model is not None:
            run.destroy(label.lower(), model.objects.filter(term_id__in=expired_terms))
    run.destroy("creditexchange.courseregistration", Registration.objects.filter(term_id__in=expired_terms))

    # A returning student's later application is linked to the identity only when issued: until then it still
    # names the identity by partner and number, and the ID (and account) it will get back must not go.
    applied_again = Application.objects.filter(
        partner_id=OuterRef("partner_id"), number_key=Upper(Trim(OuterRef("home_student_number")))
    )
    identities = Identity.objects.filter(
        first_issued_at__lt=cutoff, applications__isnull=True, user__course_registrations__isnull=True
    ).exclude(Exists(applied_again))
    user_ids = list(identities.values_list("user_id", flat=True))
    run.destroy("accounts.temporarystudentid", identities)
    run.destroy_users(User.objects.filter(pk__in=user_ids, kind=AccountKind.EXCHANGE))


def _destroy_affiliation(run: _Run, *, cutoff: datetime, ends: dict[int, datetime]) -> None:
    Round = apps.get_model("affiliation", "AffiliationRound")
    Application = apps.get_model("affiliation", "AffiliationApplication")
    Exception_ = apps.get_model("affiliation", "EligibilityException")
    Record = apps.get_model("affiliation", "StudentRecord")
    Semester = apps.get_model("affiliation", "SemesterRecord")
    User = apps.get_model("accounts", "User")

    expired_rounds = [
        pk for pk, term_id, checked in Round.objects.values_list("pk", "term_id", "conditions_check_at")
        if max(ends[term_id], checked) < cutoff
    ]
    applications = Application.objects.filter(round_id__in=expired_rounds)
    names = [
        name for pair in applications.values_list("english_certificate", "study_plan") for name in pair if name
    ]
    if run.destroy("affiliation.affiliationapplication", applications):
        storage = Application._meta.get_field("study_plan").storage
        run.report.files.extend(names)
        for name in names:
            # Only once the rows are gone for good: a rolled-back run must still find its files. robust: each file
            # on its own, so one the storage cannot remove now (an object store down a moment) is logged with its
            # name, the others are still removed, and the next run's orphan sweep removes it (module docstring).
            transaction.on_commit(lambda name=name: storage.delete(name), robust=True)
    run.destroy("affiliation.eligibilityexception", Exception_.objects.filter(round_id__in=expired_rounds))

    last_semester: dict[int, datetime] = {}
    for record_id, term_id in Semester.objects.values_list("record_id", "term_id"):
        last_semester[record_id] = max(last_semester.get(record_id, ends[term_id]), ends[term_id])
    expired_records = [
        pk for pk, updated_at in Record.objects.filter(updated_at__lt=cutoff, applications__isnull=True)
        .values_list("pk", "updated_at")
        if max(last_semester.get(pk, updated_at), updated_at) < cutoff
    ]
    records = Record.objects.filter(pk__in=expired_records)
    user_ids = list(records.values_list("user_id", flat=True))
    run.destroy("affiliation.studentrecord", records)
    run.destroy_users(User.objects.filter(pk__in=user_ids, kind=AccountKind.HOME))


def _destroy_orphan_accounts(run: _Run, *, cutoff: datetime) -> None:
    User = apps.get_model("accounts", "User")
    run.destroy_users(
        User.objects.filter(kind__in=[AccountKind.EXCHANGE, AccountKind.HOME], date_joined__lt=cutoff)
        .filter(Q(last_login__isnull=True) | Q(last_login__lt=cutoff))
        .filter(temporary_id__isnull=True, student_record__isnull=True, course_registrations__isnull=True)
    )


def _destroy_records_of_work(run: _Run, *, cutoff: datetime) -> None:
    OutgoingMail = apps.get_model("core", "OutgoingMail")
    StaffJob = apps.get_model("core", "StaffJob")
    run.destroy("core.outgoingmail", OutgoingMail.objects.filter(created_at__lt=cutoff).exclude(status=OutgoingMail.Status.SENDING))
    run.destroy("core.staffjob", StaffJob.objects.filter(created_at__lt=cutoff, status__in=[StaffJob.Status.DONE, StaffJob.Status.FAILED]))
    BulkAction = apps.get_model("core", "BulkAction")
    run.destroy("core.bulkaction", BulkAction.objects.filter(at__lt=cutoff).exclude(kind=PURGE_KIND)
                .exclude(undone_by__at__gte=cutoff))


def _purge_access_log(run: _Run, *, at: datetime) -> None:
    Access = apps.get_model("core", "PersonalDataAccess")
    old = Access.objects.filter(at__lt=access_log_cutoff(at)).exclude(action=Access.Action.DESTROY)
    ids = list(old.values_list("pk", flat=True))
    if ids:
        _total, per_model = Access.objects.filter(pk__in=ids).delete()  # the queryset refuses anything younger
        run.report.destroyed["core.personaldataaccess"] = per_model.get("core.PersonalDataAccess", 0)


def _purge_sign_in_records(run: _Run, *, at: datetime) -> None:
    """django-axes' sign-in and failure records (user names, addresses) are kept as long as the access log."""
    cutoff = access_log_cutoff(at)
    for label in ("axes.AccessLog", "axes.AccessFailureLog"):
        model = _optional_model(label)
        if model is not None:
            run.destroy(label.lower(), model.objects.filter(attempt_time__lt=cutoff))


def _purge_api_calls(run: _Run, *, at: datetime) -> None:
    """The partner API's call log (keys, paths, IP addresses) is kept as long as the access log, then deleted."""
    ApiCall = _optional_model("partnerapi.ApiCall")
    if ApiCall is None:
        return
    _total, per_model = ApiCall.objects.filter(at__lt=access_log_cutoff(at)).delete()
    if per_model.get("partnerapi.ApiCall"):
        run.report.destroyed["partnerapi.apicall"] = per_model["partnerapi.ApiCall"]


def _lock() -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite serialises writers on the whole database file
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _record_purge(report: DestructionReport, *, actor) -> None:
    """The staff-action-log entry of a purge: counts and ids only (the rows are gone; no personal data)."""
    counts = ", ".join(f"{_kind_name(label)} {count}" for label, count in sorted(report.destroyed.items()) if count)
    bulk_record(
        kind=PURGE_KIND, actor=actor, scope=f"before {dates.day(report.cutoff)}", count=report.total,
        inputs={
            "cutoff": report.cutoff, "retention_years": settings.PERSONAL_DATA_RETENTION_YEARS,
            "access_log_retention_years": settings.ACCESS_LOG_RETENTION_YEARS, "destroyed": report.destroyed,
            "ids": report.ids, "files": len(report.files), "blocked": len(report.blocked),
        },
        # In the language of the run (the schedule's: the portal's, Korean), as every entry of the log reads.
        summary=ngettext("Destroyed past retention: %(rows)d row and %(files)d files (%(counts)s).",
                         "Destroyed past retention: %(rows)d rows and %(files)d files (%(counts)s).", report.total)
        % {"rows": report.total, "files": len(report.files), "counts": counts},
    )


def _kind_name(label: str) -> str:
    """``core.outgoingmail`` as staff call it (the model's plural name), else the label."""
    try:
        return str(apps.get_model(label)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return label


def personal_data_destroy_expired(
    *, at: datetime | None = None, dry_run: bool = False, actor=None
) -> DestructionReport:
    """PIPA art. 21: destroy personal data kept PERSONAL_DATA_RETENTION_YEARS past its term or round (docstring above)."""
    at = at or timezone.now()
    cutoff = retention_cutoff(at)
    report = DestructionReport(cutoff=cutoff, dry_run=dry_run)
    run = _Run(report)
    try:
        with transaction.atomic():
            if not _lock():
                report.skipped = True
                return report
            ends = _term_ends()
            expired_terms = [pk for pk, end in ends.items() if end < cutoff]
            _destroy_credit_exchange(run, cutoff=cutoff, expired_terms=expired_terms)
            _destroy_affiliation(run, cutoff=cutoff, ends=ends)
            _destroy_orphan_accounts(run, cutoff=cutoff)
            _destroy_records_of_work(run, cutoff=cutoff)
            _purge_access_log(run, at=at)
            _purge_sign_in_records(run, at=at)
            _purge_api_calls(run, at=at)
            reference = f"retention {settings.PERSONAL_DATA_RETENTION_YEARS} years, ended before {dates.day(cutoff)}"
            for label, ids in report.ids.items():
                access_record(action=PersonalDataAccess.Action.DESTROY, model=label, ids=ids, count=len(ids), reference=reference)
            if report.total:
                counts = ", ".join(f"{label}={count}" for label, count in sorted(report.destroyed.items()) if count)
                access_record(action=PersonalDataAccess.Action.DESTROY, model="ustportal.retention", count=report.total,
                              reference=f"{reference}; {counts}"[:255])
                _record_purge(report, actor=actor)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if not dry_run and not report.skipped:
        report.orphans = orphan_files_destroy(before=at - ORPHAN_MIN_AGE)
    return report


def _named_files() -> set[str]:
    """Every storage name a row's FileField holds, in every model of every app."""
    names: set[str] = set()
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, models.FileField):
                names.update(filter(None, model._base_manager.values_list(model_field.name, flat=True)))
    return names


def orphan_files_destroy(*, before: datetime) -> list[str]:
    """Remove the stored files no row names that were written before ``before``; returns the names removed."""
    from .backup import stored_names  # the storage's inventory, as the backup reads it

    named = _named_files()  # read before the listing: a file saved in between is younger than ``before``
    try:
        stored = stored_names()
    except Exception:  # the store unreachable: the rows' destruction stands; the files wait for the next run
        logger.warning("The file storage could not be listed; stored files no row names wait for the next run.",
                       exc_info=True)
        return []
    removed = []
    for name in stored:
        if name in named:
            continue
        try:
            if default_storage.get_modified_time(name) >= before:
                continue
            default_storage.delete(name)
        except Exception:  # OSError on the disk; botocore's errors on an object store: tried again next run
            logger.warning("Stored file %s names no row but could not be removed now; next run.", name, exc_info=True)
            continue
        removed.append(name)
    if removed:
        access_record(action=PersonalDataAccess.Action.DESTROY, model="ustportal.storedfile", count=len(removed),
                      reference="stored files no row named (retention run)")
        logger.info("Removed %d stored files no row named.", len(removed))
    return removed
