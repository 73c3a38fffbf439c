"""Temporary-ID issuance as a previewed bulk action (issue 12), and revoking an ID issued by mistake.

Preview → confirm: ``temporary_ids_issue_preview`` says, for the selected applications, who would get a new ID,
who keeps their earlier one (returning) and who is skipped and why (the same ``issuance_refusal`` the issuance
applies), without changing anything. Its fingerprint covers the selected ids and, per application, its status,
what would happen and the identity it would use. Confirming starts the staff job with that fingerprint; the job
recomputes it first and refuses a different one (``StalePreview``, nothing issued). Each issuance is still its
own transaction (the job's progress is visible at once); the ``BulkAction`` (kind
``creditexchange.temporary_ids_issue``) is written when the job ends, listing every issued application. The daily
batch records the same kind with no actor (the schedule).

Undo: ``temporary_id_revoke`` takes back one ID issued by mistake, with a reason, only while nothing hangs on it:
a new account (not a returning student's earlier one) whose holder never signed in nor set a password and has no
course registration. The account and the ID are deleted, the application is approved again (it can be issued
later), the applicant is mailed, and it is recorded (``creditexchange.temporary_id_revoke``). What cannot be
undone: the issuance mail already sent, and the number itself (ID numbers are never reused). A returning student's
ID, or one already used, stays: deactivate the account instead.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import User
from core.bulk import bulk_record, change, fingerprint, preview_check
from core.errors import DomainError
from core.mail import mail_queue
from core.models import OutgoingMail

from ..models import CourseRegistration, TemporaryIdApplication
from .applications import _lock, _record
from .issuance import _identity_for, issuance_refusal, student_account_plain

Status = TemporaryIdApplication.Status


@dataclass
class IssueRow:
    application_id: int
    application: TemporaryIdApplication | None
    outcome: str  # "new", "returning" or "skipped"
    student_id: str = ""
    reason: str = ""


@dataclass
class IssuePreview:
    rows: list[IssueRow]
    state: list
    fingerprint: str

    @property
    def issued(self) -> list[IssueRow]:
        return [row for row in self.rows if row.outcome != "skipped"]

    @property
    def skipped(self) -> list[IssueRow]:
        return [row for row in self.rows if row.outcome == "skipped"]


def temporary_ids_issue_preview(*, application_ids) -> IssuePreview:
    """Read-only: what issuing ``application_ids`` now would do, one row each, in the order they would be tried."""
    ids = list(dict.fromkeys(int(pk) for pk in application_ids))
    found = TemporaryIdApplication.objects.select_related("term", "partner").in_bulk(ids)
    rows, state = [], []
    for pk in sorted(ids, key=lambda pk: (found[pk].decided_at is None, found[pk].decided_at, pk) if pk in found else (True, None, pk)):
        application = found.get(pk)
        if application is None:
            rows.append(IssueRow(pk, None, "skipped", reason=_("This application no longer exists.")))
            state.append([pk, "absent"])
            continue
        identity = _identity_for(application)
        refusal = issuance_refusal(application, identity)
        if refusal is not None:
            row = IssueRow(pk, application, "skipped", reason=str(refusal.message))
        elif identity is None:
            row = IssueRow(pk, application, "new")
        else:
            row = IssueRow(pk, application, "returning", student_id=identity.student_id)
        rows.append(row)
        state.append([pk, application.status, row.outcome, identity.pk if identity else None, type(refusal).__name__ if refusal else ""])
    return IssuePreview(rows=rows, state=state, fingerprint=fingerprint(state))


def temporary_ids_issue_check(*, application_ids, expected: str) -> IssuePreview:
    """The confirmation: raise ``StalePreview`` unless the preview is still the one with ``expected``."""
    preview = temporary_ids_issue_preview(application_ids=application_ids)
    preview_check(expected=expected, current=preview.state)
    return preview


def temporary_ids_issue_record(*, issued: list[TemporaryIdApplication], skipped, actor: User | None, expected: str = ""):
    """The ``BulkAction`` of one issuance run (staff job or daily batch), written when the run ends."""
    if not issued:
        return None
    return bulk_record(
        kind="creditexchange.temporary_ids_issue", actor=actor, scope="applications",
        inputs={"expected": expected, "skipped": [[pk, reason] for pk, reason in skipped]},
        changes=[
            change(a, before={"status": Status.APPROVED}, after={"status": Status.ISSUED}, label=f"{a} → {a.temporary_id.student_id}")
            for a in issued
        ],
        summary=_("%(issued)s temporary student IDs issued, %(skipped)s applications skipped.")
        % {"issued": len(issued), "skipped": len(skipped)},
    )


def _revoke_refusal(application: TemporaryIdApplication) -> str:
    identity = application.temporary_id
    if application.status != Status.ISSUED or identity is None:
        return _("Only an issued ID can be revoked; this application is “%(status)s”.") % {"status": application.get_status_display()}
    if identity.applications.exclude(pk=application.pk).exists():
        return _("This is a returning student's earlier ID; it cannot be revoked here (deactivate the account instead).")
    user = identity.user
    if not student_account_plain(user):
        return _("%(student_id)s is not a plain exchange student account (staff, a role or another kind); it cannot be revoked here.") % {"student_id": identity.student_id}
    if user.last_login is not None or user.has_usable_password():
        return _("The student has already set a password or signed in with %(student_id)s; it cannot be revoked (deactivate the account instead).") % {"student_id": identity.student_id}
    if CourseRegistration.objects.filter(student=user).exists():
        return _("The student has course registrations with %(student_id)s; it cannot be revoked.") % {"student_id": identity.student_id}
    return ""


def temporary_id_revoke(*, application_id: int, actor: User, reason: str) -> TemporaryIdApplication:
    """Take back an ID issued by mistake (see the module docstring for when that is safe)."""
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for revoking this temporary student ID."))
    with transaction.atomic():
        application = _lock(application_id)
        if application.temporary_id is not None:  # the account too: a password set in this instant waits, then is seen
            User.objects.select_for_update().filter(pk=application.temporary_id.user_id).first()
            application.temporary_id.user.refresh_from_db()
        refusal = _revoke_refusal(application)
        if refusal:
            raise DomainError(refusal)
        identity, user = application.temporary_id, application.temporary_id.user
        student_id = identity.student_id
        application.status, application.temporary_id, application.issued_at, application.returning = Status.APPROVED, None, None, False
        application.save(update_fields=["status", "temporary_id", "issued_at", "returning"])
        try:
            identity.delete()
            user.delete()
        except ProtectedError as exc:
            raise DomainError(_("%(student_id)s is already in use elsewhere; it cannot be revoked.") % {"student_id": student_id}) from exc
        _record(application, from_status=Status.ISSUED, actor=actor, reason=reason.strip(), changes={"revoked": student_id})
        bulk_record(
            kind="creditexchange.temporary_id_revoke", actor=actor, scope=f"application:{application.pk}",
            inputs={"student_id": student_id}, reason=reason.strip(),
            changes=[change(application, before={"status": Status.ISSUED}, after={"status": Status.APPROVED}, label=f"{application} ({student_id})")],
            summary=_("Temporary student ID %(student_id)s revoked.") % {"student_id": student_id},
        )
        # The "issued" mail may still wait for a retry (SMTP down): it must not arrive after the "withdrawn" one.
        OutgoingMail.objects.filter(
            kind="application_issued", params__application_id=application.pk, status=OutgoingMail.Status.QUEUED,
        ).update(status=OutgoingMail.Status.FAILED, next_attempt_at=None, last_error=f"withdrawn: {student_id} was revoked")
        mail_queue(
            kind="application_id_revoked", to=application.email, language=application.language,
            params={"application_id": application.pk, "student_id": student_id, "reason": reason.strip()},
        )
    return application
