"""Applications (SPEC §4.2–4.3): checklist, draft, uploads, submission once ever, staff exceptions."""

from contextlib import nullcontext
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import dates
from core.errors import DomainError, InvalidTransition, NotEligible, WindowClosed
from core.files import FileStoreUnavailable, file_store_errors, stored_size

from .. import eligibility, scoring, selectors
from ..models import AffiliationApplication, AffiliationRound, EligibilityException, Rule, StudentRecord
from ._common import event_record, mail_to

Status = AffiliationApplication.Status

# Magic numbers of the accepted formats: the content decides, not the file name.
SIGNATURES = [(b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg")]
EXTENSIONS = {"pdf": {"pdf"}, "png": {"png"}, "jpg": {"jpg", "jpeg"}}
ALLOWED = {"english_certificate": {"pdf", "png", "jpg"}, "study_plan": {"pdf"}}
DRAFT_FIELDS = ["target_department", "english_test", "english_score", "english_test_date"]
DOCUMENTS = [
    ("english_certificate", gettext_lazy("English score certificate"), gettext_lazy("PDF, PNG or JPEG, at most 5 MB")),
    ("study_plan", gettext_lazy("Study plan"), gettext_lazy("PDF, at most 5 MB")),
]

FILE_NOT_STORED = gettext_lazy("The file could not be stored right now: the file store cannot be reached. Your other "
                        "entries are saved; please choose this file again in a few minutes.")


class UploadsRefused(DomainError):
    """One or more files failed their checks: ``problems`` names each (kind → message); files that passed are kept
    on the student's draft (``application``) so the student chooses only the refused ones again."""

    def __init__(self, problems: dict[str, str], application: AffiliationApplication | None = None):
        super().__init__(" ".join(problems.values()), code="upload")
        self.problems = problems
        self.application = application


def upload_check(*, upload: UploadedFile, kind: str) -> str:
    """The detected type of an upload ("pdf", "png", "jpg"); refuses a wrong size, type or disguised name."""
    limit = settings.AFFILIATION_UPLOAD_MAX_BYTES
    if upload.size > limit:
        raise DomainError(
            _("%(name)s is %(size)s KB; files may be at most %(limit)s KB.")
            % {"name": upload.name, "size": upload.size // 1024, "limit": limit // 1024},
            code="upload",
        )
    if upload.size == 0:
        raise DomainError(_("%(name)s is empty.") % {"name": upload.name}, code="upload")
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    detected = next((kind_ for magic, kind_ in SIGNATURES if head.startswith(magic)), None)
    allowed = ALLOWED[kind]
    if detected not in allowed:
        formats = ", ".join(sorted(k.upper() for k in allowed))
        raise DomainError(
            _("%(name)s is not a %(formats)s file (its content was checked, not only its name).")
            % {"name": upload.name, "formats": formats},
            code="upload",
        )
    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in EXTENSIONS[detected]:
        raise DomainError(
            _("%(name)s contains a %(detected)s file but its name says otherwise; rename it and upload it again.")
            % {"name": upload.name, "detected": detected.upper()},
            code="upload",
        )
    return detected


def _english_check(application: AffiliationApplication) -> None:
    """The test is one of TOEIC, TOEFL iBT and TEPS and the score lies on its scale (not only the form checks it)."""
    test, score = application.english_test, application.english_score
    if test and test not in scoring.ENGLISH_MAX:
        raise DomainError(_("Choose TOEIC, TOEFL iBT or TEPS."))
    if score is None:
        return
    if not test:
        if not 0 <= score <= max(scoring.ENGLISH_MAX.values()):
            raise DomainError(_("Choose TOEIC, TOEFL iBT or TEPS."))
        return
    maximum = scoring.ENGLISH_MAX[test]
    if not 0 <= score <= maximum:
        raise DomainError(
            _("An English score of %(score)s is not possible: %(test)s scores range from 0 to %(maximum)s.")
            % {"score": score, "test": AffiliationApplication.EnglishTest(test).label, "maximum": maximum}
        )


def _window_allowed(*, round: AffiliationRound, record: StudentRecord, at: datetime) -> None:
    state = round.window_state(at)
    if state == dates.WindowState.OPEN:
        return
    if EligibilityException.objects.filter(round=round, record=record, rule=Rule.WINDOW).exists() and round.stage1_run_at is None:
        return
    upcoming = state == dates.WindowState.UPCOMING
    when = dates.when(round.opens_at if upcoming else round.closes_at)
    if upcoming:
        raise WindowClosed(_("Applications for %(round)s open on %(when)s.") % {"round": round, "when": when})
    raise WindowClosed(_("Applications for %(round)s closed on %(when)s.") % {"round": round, "when": when})


def eligibility_checklist(
    *, record: StudentRecord, round: AffiliationRound, application: AffiliationApplication | None = None,
    at: datetime | None = None,
) -> list[eligibility.CheckResult]:
    """Every rule for this student now, with their values; what is missing shows as failed checks."""
    data = selectors.eligibility_input(record=record, round=round, application=application, at=at)
    return eligibility.evaluate(data)


def application_save(
    *, record: StudentRecord, round: AffiliationRound, values: dict, files: dict | None = None, at: datetime | None = None,
) -> AffiliationApplication:
    """Create or update the student's draft (inside the window); uploads are checked and renamed by the server."""
    at = at or timezone.now()
    _window_allowed(round=round, record=record, at=at)
    files = {k: v for k, v in (files or {}).items() if v}
    problems, originals = {}, {}
    for kind, upload in list(files.items()):
        try:
            detected = upload_check(upload=upload, kind=kind)
        except DomainError as exc:
            problems[kind] = exc.message
            del files[kind]
            continue
        originals[kind] = upload.name.replace("\\", "/").rsplit("/", 1)[-1][:100]
        upload.name = f"upload.{detected}"
    if problems and not files:
        raise UploadsRefused(problems)  # nothing passed: nothing is written
    try:
        with file_store_errors() if files else nullcontext():  # no file: nothing asks the store
            application = _draft_write(record=record, round=round, values=values, files=files, originals=originals)
    except FileStoreUnavailable:
        # The storage could not take the files (the object store down or hung): the transaction rolled back, so the
        # typed entries are written again without them, and the student is asked for just those files later.
        application = _draft_write(record=record, round=round, values=values, files={}, originals={})
        problems.update({kind: str(FILE_NOT_STORED) for kind in files})
    if problems:
        raise UploadsRefused(problems, application)
    return application


def _draft_write(*, record, round, values: dict, files: dict, originals: dict) -> AffiliationApplication:
    with transaction.atomic():
        StudentRecord.objects.select_for_update().get(pk=record.pk)  # one writer per student
        application = AffiliationApplication.objects.filter(round=round, record=record).first()
        created = application is None
        if created:
            application = AffiliationApplication(round=round, record=record)
        elif application.status != Status.DRAFT:
            raise InvalidTransition(_("Your application is already submitted and can no longer be changed."))
        before = {name: getattr(application, name) for name in DRAFT_FIELDS}
        for name in DRAFT_FIELDS:
            if name in values:
                value = values[name]
                setattr(application, name, (value or "") if name == "english_test" else value)
        _english_check(application)
        old_files = {}
        for kind, upload in files.items():
            old_files[kind] = getattr(application, kind).name
            setattr(application, kind, upload)
        application.save()
        changes = {name: (before[name], getattr(application, name)) for name in DRAFT_FIELDS}
        changes.update({kind: ("", originals.get(kind, "uploaded")) for kind in files})
        event_record(application=application, from_status="" if created else Status.DRAFT, actor=record.user,
                     changes=changes)
        storage = AffiliationApplication._meta.get_field("study_plan").storage
        for name in filter(None, old_files.values()):
            # robust: the draft is committed by now; an old object the storage cannot remove (the store gone
            # a moment later, a bucket policy without DeleteObject) is logged and left behind, not a 500.
            transaction.on_commit(lambda name=name: storage.delete(name), robust=True)
    return application


def application_submit(*, application_id: int, at: datetime | None = None) -> AffiliationApplication:
    """Re-check every rule on the server, store the evaluated snapshot, submit (once ever, rule 6)."""
    at = at or timezone.now()
    with transaction.atomic():
        application = AffiliationApplication.objects.select_related("round__term", "record").get(pk=application_id)
        record = StudentRecord.objects.select_for_update(of=("self",)).select_related("campus", "department", "user").get(
            pk=application.record_id
        )
        application = AffiliationApplication.objects.select_for_update(of=("self",)).select_related("round__term").get(pk=application_id)
        if application.status != Status.DRAFT:
            raise InvalidTransition(_("This application is already submitted."))
        round = application.round
        _window_allowed(round=round, record=record, at=at)
        results = eligibility_checklist(record=record, round=round, application=application, at=at)
        reasons = [r.message for r in results if not r.ok]
        if not application.study_plan:
            reasons.append(_("Upload your study plan (PDF) before submitting."))
        if reasons:  # every missing rule and file at once
            raise NotEligible(_("You cannot submit yet: %(reasons)s") % {"reasons": " ".join(reasons)})
        application.status = Status.SUBMITTED
        application.submitted_at = at
        application.eligibility = [r.snapshot() for r in results]
        try:
            with transaction.atomic():
                application.save(update_fields=["status", "submitted_at", "eligibility"])
        except IntegrityError:  # a parallel submission of another round's draft won the unique index
            raise NotEligible(_("You have already submitted an application; a student may apply only once.")) from None
        event_record(application=application, from_status=Status.DRAFT, actor=record.user,
                     changes={"submitted_at": (None, at)})
        mail_to(user=record.user, kind="affiliation_submitted", params={"application_id": application.pk})
    return application


def documents_checklist(*, application: AffiliationApplication | None) -> list[dict]:
    """The files an application needs: what each is, whether it is uploaded, and its name and size if so."""
    names = {}
    if application is not None and application.pk:
        for event in application.events.order_by("pk"):
            for kind, _kind_label, _needed in DOCUMENTS:
                change = (event.changes or {}).get(kind)
                if change and change[1] and change[1] != "uploaded":
                    names[kind] = change[1]
    rows = []
    for kind, label, needed in DOCUMENTS:
        stored = getattr(application, kind, None) if application is not None else None
        size = stored_size(stored) if stored else None
        rows.append({"kind": kind, "label": label, "needed": needed, "uploaded": bool(stored),
                     "name": names.get(kind, str(label)) if stored else "", "size": size})
    return rows


def exception_grant(*, round: AffiliationRound, record: StudentRecord, rule: str, reason: str, actor) -> EligibilityException:
    """Staff waive one rule for one student in one round; the reason is required and shown in the checklist."""
    if rule not in Rule.values:
        raise DomainError(_("Unknown rule."))
    if not reason.strip():
        raise DomainError(_("Give the reason for the exception."))
    with transaction.atomic():
        exception, _created = EligibilityException.objects.update_or_create(
            round=round, record=record, rule=rule,
            defaults={"reason": reason.strip(), "granted_by": actor, "granted_at": timezone.now()},
        )
    return exception
