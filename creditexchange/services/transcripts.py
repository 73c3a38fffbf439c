"""Transcripts of records to the partner universities (issue 15): issue an immutable batch and mail it.

Rules written down here:
- Only once the term's grades are final (``TermGrades``).
- One ``Transcript`` per issued application of the partner in the term that has at least one registered course.
  A student without courses gets none: a transcript with no course certifies nothing, and the partner already
  had the student on its final list. (The XLSX/CSV name only the students with a transcript.)
- The (partner, term, version) row is the claim. The job locks the partner row first, so a second or concurrent
  job waits, then finds the batch and is refused ("already issued"); the unique row is the backstop where rows
  cannot be locked (SQLite). With a reason, staff issue version n+1, a correction; the earlier batch stays as sent.
- The mail, in the partner's language, to every active coordinator: up to ``TRANSCRIPT_MAIL_PDFS_MAX`` PDFs
  attached one by one, more in one ZIP (a coordinator saves 40 files one by one otherwise; a PDF is ~30-60 KB, so
  size is not what decides), always with the XLSX of all the batch's students, and the verification address.
  A batch whose ZIP would pass ``TRANSCRIPT_MAIL_BYTES_MAX`` goes in several mails ("1/3", …), each under it.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from academics.models import Institution, InstitutionContact, Term
from accounts.models import User
from core import dates
from core.emails import absolute
from core.errors import AlreadySent, DomainError, NotEligible
from core.mail import mail_queue

from .. import exports
from ..models import (
    PartnerList,
    TemporaryIdApplication,
    TermGrades,
    Transcript,
    TranscriptBatch,
    TranscriptBatchFile,
)
from ..models.transcripts import new_verification_code
from ..selectors_grades import transcript_lines
from ..selectors_lists import partner_list_applications
from ..transcript_pdf import course_title, credit_note, render_transcript_pdf
from .partner_lists import snapshot_files

logger = logging.getLogger(__name__)

TRANSCRIPT_COLUMNS = [
    ("no", exports.STUDENT_COLUMNS[0][1]),
    ("home_student_number", exports.STUDENT_COLUMNS[1][1]),
    ("name_ko", exports.STUDENT_COLUMNS[2][1]),
    ("name_latin", exports.STUDENT_COLUMNS[3][1]),
    ("student_id", exports.STUDENT_COLUMNS[6][1]),
    ("course_code", exports.COURSE_COLUMNS[0][1]),
    ("section", exports.COURSE_COLUMNS[1][1]),
    ("course_title", exports.COURSE_COLUMNS[2][1]),
    ("credits", exports.COURSE_COLUMNS[3][1]),
    ("grade", gettext_lazy("Grade")),
    ("points", gettext_lazy("Points")),
    ("credit", exports.KIND_COLUMNS["final"][1][1]),
    ("credits_earned", gettext_lazy("Credits earned")),
    ("gpa", gettext_lazy("GPA (4.5 scale)")),
    ("code", gettext_lazy("Verification code")),
]


def transcript_verify_url(code: str = "") -> str:
    if code:
        return absolute(reverse("transcripts:verify_code", args=[group_code(code)]))
    return absolute(reverse("transcripts:verify"))


def group_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def _bilingual(function) -> dict:
    result = {}
    for language in ("ko", "en"):
        with translation.override(language):
            result[language] = str(function())
    return result


def _host_names() -> dict:
    host = Institution.objects.filter(kind=Institution.Kind.HOST).first()
    if host is None:
        return {"ko": "UST", "en": "UST"}
    return {"ko": host.name_ko or host.name_en, "en": host.name_en or host.name_ko}


def _points(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def transcript_snapshot(*, application: TemporaryIdApplication, term: Term, code: str, at: datetime, version: int,
                        host: dict | None = None) -> dict:
    """Everything a transcript shows, as plain values: the JSON stored (``Transcript.rows``) and rendered."""
    summary = transcript_lines(student=application.temporary_id.user, term=term)
    partner = application.partner
    return {
        "student": {
            "name_ko": application.name_ko, "name_latin": application.name_latin,
            "student_id": application.temporary_id.student_id, "home_student_number": application.home_student_number,
        },
        "partner": {"ko": partner.name_ko or partner.name_en, "en": partner.name_en or partner.name_ko},
        "host": host or _host_names(),
        "term": _bilingual(lambda: term),
        "lines": [
            {"code": line.code, "section": line.section, "title_ko": line.title_ko, "title_en": line.title_en,
             "credits": line.credits, "grade": line.grade, "points": _points(line.points), "no_credit": line.no_credit,
             "earns_credit": line.earns_credit}
            for line in summary.lines
        ],
        "credits_attempted": summary.credits_attempted,
        "credits_earned": summary.credits_earned,
        "gpa": None if summary.gpa is None else f"{summary.gpa:.2f}",
        "withheld": summary.withheld,
        "code": code,
        "issued_on": dates.seoul_day(at).isoformat(),
        "verify_url": transcript_verify_url(code),
        "version": version,
    }


def transcript_table(snapshots: list[dict], language: str) -> list[list]:
    """Header plus one line per course of each student (student columns repeated), for the XLSX and CSV."""
    with translation.override(language):
        table = [[str(label) for _key, label in TRANSCRIPT_COLUMNS]]
        for number, snap in enumerate(snapshots, start=1):
            student = snap["student"]
            for line in snap["lines"]:
                table.append([
                    number, student["home_student_number"], student["name_ko"], student["name_latin"], student["student_id"],
                    line["code"], line["section"], course_title(line, language), line["credits"], line["grade"] or "",
                    line["points"] or "", credit_note(line), snap["credits_earned"], snap["gpa"] or "", group_code(snap["code"]),
                ])
    return table


def transcript_applications(*, partner: Institution, term: Term):
    """The partner's students who get a transcript: an issued ID and at least one registered course."""
    return partner_list_applications(partner_id=partner.pk, term_id=term.pk, kind=PartnerList.Kind.REGISTRATIONS)


def _recipients(partner: Institution) -> list[str]:
    return list(
        InstitutionContact.objects.filter(institution=partner, is_active=True).order_by("email").values_list("email", flat=True)
    )


def grades_final(term: Term) -> bool:
    state = TermGrades.objects.filter(term=term).first()
    return state is not None and state.is_final


def transcripts_check(*, partner: Institution, term: Term, reason: str = "") -> tuple[int, list[str]]:
    """Every refusal an issue can meet, each with a message staff can act on; (next version, recipients)."""
    context = {"partner": partner.name, "term": term}
    if partner.kind != Institution.Kind.PARTNER:
        raise NotEligible(_("%(partner)s is not a partner university.") % context)
    if not grades_final(term):
        raise NotEligible(_("The grades of %(term)s are not final yet; transcripts are issued from final grades only.") % context)
    latest = TranscriptBatch.objects.filter(partner=partner, term=term).order_by("-version").first()
    if latest is not None and not reason.strip():
        raise AlreadySent(
            _("Transcripts for %(partner)s, %(term)s were already issued on %(issued)s (version %(version)s). "
              "To issue a corrected version, give the reason.")
            % {**context, "issued": dates.when(latest.issued_at), "version": latest.version}
        )
    if not transcript_applications(partner=partner, term=term).exists():
        raise NotEligible(_("%(partner)s has no students with courses in %(term)s.") % context)
    recipients = _recipients(partner)
    if not recipients:
        raise NotEligible(_("%(partner)s has no active coordinator e-mail address. Add one under Institutions first.") % context)
    return (latest.version + 1 if latest else 1), recipients


def _batch_files(*, batch: TranscriptBatch, snapshots: list[dict]) -> list[TranscriptBatchFile]:
    table = transcript_table(snapshots, batch.language)
    with translation.override(batch.language):
        title = str(_("Transcripts of records"))
    stem = f"{batch.term.year}-{batch.term.season}_{batch.partner.code}_transcripts_v{batch.version}"
    return snapshot_files(TranscriptBatchFile, stem=stem, table=table, title=title, batch=batch)


def transcript_filename(transcript: Transcript) -> str:
    batch = transcript.batch
    number = transcript.rows["student"]["home_student_number"] if isinstance(transcript.rows, dict) else transcript.pk
    safe = "".join(ch if (ch.isascii() and ch.isalnum()) or ch in "-_" else "_" for ch in str(number))  # a plain header value
    # The code makes the name unique (review finding 4: "2023 001" and "2023/001" both read "2023_001", and one
    # ZIP or mail held two files of one name) and lets the partner match a file to its verification code.
    return f"{batch.term.year}-{batch.term.season}_{batch.partner.code}_{safe}_{transcript.code}_v{batch.version}.pdf"


ZIP_ENTRY_OVERHEAD = 512  # a ZIP entry's headers (local and central, with the name); PDFs barely compress


def mail_bytes_max() -> int:
    """The attachments' bytes one transcripts mail may carry (before base64, which adds a third): the lead sets
    ``TRANSCRIPT_MAIL_BYTES_MAX``; 7 MB keeps an encoded mail under the 10 MB many SMTP servers accept."""
    return getattr(settings, "TRANSCRIPT_MAIL_BYTES_MAX", 7 * 1024 * 1024)


def _mail_parts(*, batch: TranscriptBatch, transcripts: list[Transcript], files: list[TranscriptBatchFile]) -> list[list[dict]]:
    """Each mail's attachments: the PDFs one by one when few and small enough, otherwise ZIPs, cut so that no mail
    carries more than ``mail_bytes_max()`` (review finding 3: 300 students made one 16 MB ZIP, 22 MB encoded).
    Every part has the XLSX of all the batch's students; every PDF is in exactly one part."""
    workbooks = [f for f in files if f.filename.endswith(".xlsx")]
    xlsx = [{"kind": "transcript_file", "id": f.pk} for f in workbooks]
    budget = max(1, mail_bytes_max() - sum(f.size for f in workbooks))
    if len(transcripts) <= settings.TRANSCRIPT_MAIL_PDFS_MAX and sum(t.size for t in transcripts) <= budget:
        return [[*({"kind": "transcript_pdf", "id": t.pk} for t in transcripts), *xlsx]]
    chunks, current, weight = [], [], 0
    for transcript in transcripts:
        size = transcript.size + ZIP_ENTRY_OVERHEAD
        if current and weight + size > budget:
            chunks.append(current)
            current, weight = [], 0
        current.append(transcript.pk)
        weight += size
    chunks.append(current)
    if len(chunks) == 1:
        return [[{"kind": "transcript_zip", "batch_id": batch.pk}, *xlsx]]
    return [
        [{"kind": "transcript_zip", "batch_id": batch.pk, "ids": ids, "part": number, "parts": len(chunks)}, *xlsx]
        for number, ids in enumerate(chunks, start=1)
    ]


def transcripts_issue(
    *, term: Term, partner: Institution, actor: User | None = None, trigger: str = TranscriptBatch.Trigger.STAFF,
    reason: str = "", at: datetime | None = None,
) -> TranscriptBatch:
    """Issue 15: snapshot each student's courses and grades, render the PDFs and files, mail every coordinator."""
    at = at or timezone.now()
    reason = reason.strip()
    with transaction.atomic():
        # One job per partner at a time: the second waits here, then finds the batch and is refused.
        locked = Institution.objects.select_for_update().filter(pk=partner.pk).first()
        term = Term.objects.filter(pk=term.pk).first()
        if locked is None or term is None:
            raise DomainError(_("This partner or term no longer exists."))
        partner = locked
        version, recipients = transcripts_check(partner=partner, term=term, reason=reason)
        language = partner.mail_language or settings.LANGUAGE_CODE
        batch = TranscriptBatch(
            partner=partner, term=term, version=version, language=language, recipients=recipients, issued_at=at,
            trigger=trigger, issued_by=actor if actor is not None and actor.is_authenticated else None,
            reason=reason if version > 1 else "",
        )
        try:
            with transaction.atomic():
                batch.save()
        except IntegrityError:
            raise AlreadySent(_("These transcripts were issued a moment ago by another job.")) from None
        host = _host_names()
        transcripts, snapshots = [], []
        for application in transcript_applications(partner=partner, term=term).select_related("temporary_id__user", "partner"):
            code = new_verification_code()
            snapshot = transcript_snapshot(application=application, term=term, code=code, at=at, version=version, host=host)
            pdf = render_transcript_pdf(snapshot=snapshot, language=language)
            transcripts.append(Transcript.objects.create(
                batch=batch, application=application, student=application.temporary_id.user, code=code, rows=snapshot,
                issued_at=at, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest(), size=len(pdf),
            ))
            snapshots.append(snapshot)
        files = _batch_files(batch=batch, snapshots=snapshots)
        parts = _mail_parts(batch=batch, transcripts=transcripts, files=files)
        for email in recipients:
            for number, attachments in enumerate(parts, start=1):
                params = {"batch_id": batch.pk} if len(parts) == 1 else {"batch_id": batch.pk, "part": number, "parts": len(parts)}
                mail_queue(kind="transcripts", to=email, language=language, params=params, attachments=attachments)
    logger.info("Transcripts %s issued to %s (%s students)", batch, ", ".join(recipients), len(transcripts))
    return batch


@dataclass
class IssueReport:
    issued: list[TranscriptBatch] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def transcripts_due_partners(*, term: Term):
    """Partners with students who get a transcript this term and no batch yet."""
    students = transcript_applications_all(term=term)
    return (
        Institution.objects.filter(kind=Institution.Kind.PARTNER)
        .filter(Exists(students.filter(partner=OuterRef("pk"))))
        .exclude(transcript_batches__term=term)
        .order_by("code")
    )


def transcript_applications_all(*, term: Term):
    from ..selectors_lists import _kind_applications

    return _kind_applications(term_id=term.pk, kind=PartnerList.Kind.REGISTRATIONS)


def transcripts_issue_due(*, at: datetime | None = None) -> IssueReport:
    """The schedule: for every term whose grades became final in the last TRANSCRIPT_SCHEDULE_LOOKBACK_DAYS, each
    partner with students and no batch yet. The look-back lets a beat that was down catch up, while a partner
    refused for good (no coordinator address) is not retried forever and a fresh installation mails no old term.
    A term reopened and made final again after its batch gets no second one: staff issue a corrected version."""
    at = at or timezone.now()
    since = at - timedelta(days=settings.TRANSCRIPT_SCHEDULE_LOOKBACK_DAYS)
    report = IssueReport()
    final = TermGrades.objects.filter(status=TermGrades.Status.FINAL, finalized_at__gt=since, finalized_at__lte=at)
    for state in final.select_related("term"):
        for partner in transcripts_due_partners(term=state.term):
            try:
                report.issued.append(transcripts_issue(
                    term=state.term, partner=partner, trigger=TranscriptBatch.Trigger.SCHEDULE, at=at,
                ))
            except DomainError as exc:
                report.refused.append(f"{partner.code} · {state.term}: {exc.message}")
            except Exception as exc:  # one partner's broken data must not keep the others from their transcripts
                logger.exception("Transcripts %s/%s failed", partner.code, state.term)
                report.refused.append(f"{partner.code} · {state.term}: {type(exc).__name__}: {exc}")
    for refusal in report.refused:
        logger.warning("Scheduled transcripts not issued: %s", refusal)
    return report


@dataclass(frozen=True)
class Verification:
    transcript: Transcript | None
    superseded: bool = False  # a later version has a transcript for this student
    withdrawn: bool = False  # a later version exists but no longer includes this student (review finding 6)


def transcript_code_normalise(raw: str) -> str:
    """Case-insensitive, without dashes or spaces; "" for anything that cannot be a code."""
    from ..models.transcripts import CODE_ALPHABET, CODE_LENGTH

    code = "".join(str(raw or "")[:64].split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return ""
    return code


def transcript_verify(*, code: str, client_key: str) -> Verification:
    """The public check (issue 15): does a transcript with this code exist, and has a later version replaced it.

    Every attempt counts against the look-up limits (per address, and per code), well-formed or not, so the page
    is no faster oracle than the 31^16 codes allow.
    """
    from core.errors import RateLimited
    from core.ratelimit import keyed_limit, retry_message

    normalised = transcript_code_normalise(code)
    if client_key:
        # A malformed code is counted per address only: under one shared key ("-") a day's typos from anywhere
        # would have refused every later visitor's typo (review finding 1).
        verdict = keyed_limit(scope="transcript_verify", address=client_key, key=normalised or f"-{client_key}")
        if not verdict.allowed:
            reason = (_("This code has been checked too often today.") if verdict.by_key  # review finding 7
                      else _("Too many checks from your connection."))
            raise RateLimited(f"{reason} {retry_message(verdict.retry_after)}")
    if not normalised:
        return Verification(transcript=None)
    transcript = Transcript.objects.select_related("batch__term", "batch__partner").filter(code=normalised).first()
    if transcript is None:
        return Verification(transcript=None)
    later = TranscriptBatch.objects.filter(
        partner_id=transcript.batch.partner_id, term_id=transcript.batch.term_id, version__gt=transcript.batch.version,
    )
    if not later.exists():
        return Verification(transcript=transcript)
    superseded = Transcript.objects.filter(batch__in=later, application_id=transcript.application_id).exists()
    return Verification(transcript=transcript, superseded=superseded, withdrawn=not superseded)


@dataclass(frozen=True)
class IssuePreview:
    term: Term
    partners: list[tuple[Institution, int]]  # each due partner and how many students get a transcript
    fingerprint: str


def transcripts_issue_preview(*, term: Term) -> IssuePreview:
    """What "Issue transcripts now" will do for ``term``: the due partners and their students, fingerprinted."""
    from core.bulk import fingerprint

    if not grades_final(term):
        raise NotEligible(_("The grades of %(term)s are not final yet; transcripts are issued from final grades only.")
                          % {"term": term})
    partners, state = [], []
    for partner in transcripts_due_partners(term=term):
        ids = list(transcript_applications(partner=partner, term=term).values_list("pk", flat=True))
        partners.append((partner, len(ids)))
        state.append([partner.pk, ids, _recipients(partner)])
    return IssuePreview(term=term, partners=partners, fingerprint=fingerprint({"term": term.pk, "partners": state}))


def transcripts_issue_confirmed(*, term: Term, expected: str, actor: User | None) -> IssueReport:
    """Issue for every due partner of the preview staff confirmed; a changed preview raises ``StalePreview``."""
    from core.bulk import StalePreview

    if transcripts_issue_preview(term=term).fingerprint != expected:
        raise StalePreview()
    report = IssueReport()
    for partner in transcripts_due_partners(term=term):
        try:
            report.issued.append(transcripts_issue(term=term, partner=partner, actor=actor, trigger=TranscriptBatch.Trigger.STAFF))
        except DomainError as exc:
            report.refused.append(f"{partner.name}: {exc.message}")
    return report
