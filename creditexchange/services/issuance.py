"""Issuing temporary student IDs (SPEC §3.1): one approved application at a time, and the daily batch."""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Institution, Term
from accounts.models import TemporaryStudentId, User
from accounts.services import temporary_id_allocate
from core.bulk import bulk_record, change
from core.errors import DomainError, InvalidTransition
from core.mail import mail_queue

from ..models import TemporaryIdApplication
from .applications import _lock, _record
from .conflicts import application_conflict_open_for

logger = logging.getLogger(__name__)
Status = TemporaryIdApplication.Status


class ApplicationInConflict(InvalidTransition):
    """Issuance refused: another person applied with the same home student number (finding 3)."""


class AccountDeactivated(InvalidTransition):
    """Issuance refused (issue 12, finding 5b): the returning student's account was deactivated by staff.

    Decision: an inactive account is always staff's doing (issuance creates active accounts and nothing else
    deactivates one), so neither a single issuance nor the daily batch re-activates it. Staff decide on purpose:
    ``temporary_id_reactivate_and_issue`` with a reason, recorded in the application's trail and as
    ``creditexchange.account_reactivate``; the next batch also issues it once the account is active again.
    """


def temporary_id_issue(
    *, application_id: int, actor: User | None = None, reactivate_reason: str = ""
) -> TemporaryIdApplication:
    """Issue (or, for a returning student, re-use) the temporary student ID of an approved application.

    Seed 000 §1-1: a returning student keeps the same ID and password, and the contact data on
    the application never overwrite the account's. A deactivated account is re-activated only with
    ``reactivate_reason`` (use ``temporary_id_reactivate_and_issue``); without it ``AccountDeactivated``.
    """
    with transaction.atomic():
        # One identity per (partner, home number), and no issuance while the number is in conflict: lock the
        # partner row first, then the application (the order submission and conflict resolution use too).
        partner_id = TemporaryIdApplication.objects.filter(pk=application_id).values_list("partner_id", flat=True).first()
        if partner_id is not None:
            Institution.objects.select_for_update().get(pk=partner_id)
        application = _lock(application_id)
        identity = _identity_for(application)
        refusal = issuance_refusal(application, identity, reactivate_reason=reactivate_reason)
        if refusal is not None:
            raise refusal
        if identity is None:
            student_id = temporary_id_allocate(year=application.term.year)
            user = User(
                username=student_id, kind=User.Kind.EXCHANGE, email=application.email, phone=application.phone,
                display_name=application.display_name, language=application.language,
            )
            user.set_unusable_password()
            user.save()
            identity = TemporaryStudentId.objects.create(
                student_id=student_id, partner_id=application.partner_id,
                home_student_number=application.home_student_number, user=user,
            )
        else:
            user = identity.user
            if not user.is_active:
                _reactivate(application, user=user, actor=actor, reason=reactivate_reason)
        application.returning = identity.applications.exclude(pk=application.pk).exists()
        application.temporary_id = identity
        application.status = Status.ISSUED
        application.issued_at = timezone.now()
        application.save(update_fields=["temporary_id", "status", "issued_at", "returning"])
        changes = {"student_id": identity.student_id, **({"reactivated": True} if reactivate_reason else {})}
        _record(application, from_status=Status.APPROVED, actor=actor, reason=reactivate_reason.strip(), changes=changes)
        mail_queue(
            kind="application_issued", to=user.email, language=application.language,
            params={"application_id": application.pk},
        )
    return application


def _identity_for(application: TemporaryIdApplication) -> TemporaryStudentId | None:
    # Returning students are matched case-insensitively, like the unique constraint on TemporaryStudentId.
    return (
        TemporaryStudentId.objects.select_related("user")
        .filter(partner_id=application.partner_id, home_student_number__iexact=application.number_key)
        .first()
    )


def issuance_refusal(
    application: TemporaryIdApplication, identity: TemporaryStudentId | None, *, reactivate_reason: str = ""
) -> DomainError | None:
    """Why ``application`` cannot be issued now (the error to raise), or None; the issuance and its preview use it."""
    if application.status != Status.APPROVED:
        return InvalidTransition(
            _("Only approved applications can be issued an ID; this one is “%(status)s”.")
            % {"status": application.get_status_display()}
        )
    conflict = application_conflict_open_for(application=application)
    if conflict is not None:
        return ApplicationInConflict(
            _(
                "No ID can be issued: another application with the same home student number (%(number)s) was "
                "made for %(term)s, and the conflict is not resolved yet. Resolve it under “Application "
                "conflicts” (no. %(conflict)s) first."
            )
            % {"number": application.home_student_number, "term": application.term, "conflict": conflict.pk}
        )
    if identity is None or identity.user.is_active:
        if reactivate_reason:
            return DomainError(_("This applicant's account is not deactivated; issue the ID as usual."))
    elif not reactivate_reason.strip():
        return _deactivated(identity.user)
    elif not student_account_plain(identity.user):
        return DomainError(
            _("The account %(student_id)s is not a plain exchange student account (staff, a role or another kind); "
              "issuance never re-activates it. A superuser decides about it in the user admin.")
            % {"student_id": identity.user.username}
        )
    # The number was issued before, maybe to a squatter in a term the real student did not apply for:
    # never hand this application (and its person) to an account first issued to another birth date.
    if identity is not None and identity.applications.exclude(pk=application.pk).exclude(date_of_birth=application.date_of_birth).exists():
        return ApplicationInConflict(
            _(
                "No ID can be issued: temporary student ID %(student_id)s was issued for this home student "
                "number (%(number)s) to an applicant with another date of birth. Check with %(partner)s who "
                "the student is, and correct the application or that account first."
            )
            % {"student_id": identity.student_id, "number": application.home_student_number,
               "partner": application.partner.name}
        )
    return None


def student_account_plain(user: User) -> bool:
    """An exchange student's account and nothing more: issuance may re-activate it and a revoke may delete it, never
    a staff, superuser or role account, nor a home student's (``User.kind``: no automatic process touches those)."""
    return user.kind == User.Kind.EXCHANGE and not (user.is_staff or user.is_superuser or user.groups.exists())


def _deactivated(user: User) -> AccountDeactivated:
    return AccountDeactivated(
        _(
            "No ID issued: the account %(student_id)s of this returning student was deactivated by staff. If the "
            "student should have it back, re-activate it on purpose with a reason (action “Re-activate the "
            "deactivated account and issue” on the application)."
        )
        % {"student_id": user.username}
    )


def _reactivate(application: TemporaryIdApplication, *, user: User, actor: User | None, reason: str) -> None:
    if not reason.strip():
        raise _deactivated(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    bulk_record(
        kind="creditexchange.account_reactivate", actor=actor, scope=f"application:{application.pk}",
        inputs={"application": application.pk}, reason=reason.strip(),
        changes=[change(user, before={"is_active": False}, after={"is_active": True}, label=user.username)],
        summary=_("Account %(student_id)s re-activated to issue application no. %(application)s.")
        % {"student_id": user.username, "application": application.pk},
    )


def temporary_id_reactivate_and_issue(*, application_id: int, actor: User, reason: str) -> TemporaryIdApplication:
    """Staff's explicit decision (finding 5b): re-activate the deactivated account of a returning student, with a
    reason, and issue the approved application. Refused when the account is not deactivated."""
    if not (reason or "").strip():
        raise DomainError(_("Give the reason for re-activating this account."))
    if actor is None:
        raise DomainError(_("Only a staff member can re-activate an account."))
    return temporary_id_issue(application_id=application_id, actor=actor, reactivate_reason=reason)


@dataclass
class BatchReport:
    issued: int = 0
    skipped: int = 0
    # (application id, reason) of every skipped application, for the staff job's report.
    failures: list[tuple[int, str]] = field(default_factory=list)
    bulk_action_id: int | None = None


def temporary_id_issue_batch(
    *, actor: User | None = None, term: Term | None = None, application_ids: Iterable[int] | None = None,
    progress: Callable[[int, int], None] | None = None, expected: str = "",
) -> BatchReport:
    """The daily issuance batch (default 18:00 Asia/Seoul). Safe to run twice at once: each row is locked.

    With ``application_ids`` (staff's "issue now" on selected applications) exactly those are tried,
    and one that is not approved is skipped with its reason. ``progress(tried, total)`` is called
    after each application; each issuance is its own transaction, so progress is visible at once.
    With ``expected`` (the fingerprint of the preview staff confirmed, ``issuance_bulk``) the selection is
    re-checked first: ``StalePreview`` and nothing issued if it changed. The run is recorded at its end
    (``creditexchange.temporary_ids_issue``; ``report.bulk_action_id``).
    """
    from .issuance_bulk import temporary_ids_issue_check, temporary_ids_issue_record

    report = BatchReport()
    if application_ids is not None:
        ids = list(dict.fromkeys(application_ids))
        if expected:
            ids = [row.application_id for row in temporary_ids_issue_check(application_ids=ids, expected=expected).rows]
    else:
        approved = TemporaryIdApplication.objects.filter(status=Status.APPROVED)
        if term is not None:
            approved = approved.filter(term=term)
        ids = list(approved.order_by("decided_at", "pk").values_list("pk", flat=True))
    issued = []
    for tried, application_id in enumerate(ids, start=1):
        try:
            issued.append(temporary_id_issue(application_id=application_id, actor=actor))
        except DomainError as exc:
            report.skipped += 1  # another batch or a staff member got there first, or it is not approved
            report.failures.append((application_id, str(exc.message)))
        else:
            report.issued += 1
        if progress is not None:
            progress(tried, len(ids))
    action = temporary_ids_issue_record(issued=issued, skipped=report.failures, actor=actor, expected=expected)
    report.bulk_action_id = action.pk if action is not None else None
    logger.info("Temporary ID batch: %s issued, %s skipped", report.issued, report.skipped)
    return report
