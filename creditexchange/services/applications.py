"""Temporary student ID applications (SPEC §3.1): submit, decide, look up, purge (confirming the e-mail:
confirmation.py; issuing: issuance.py)."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Institution, Term, TermWindow
from academics.services import window_require_open
from accounts.models import User
from accounts.services import password_link_request
from core.errors import DomainError, DuplicateApplication, InvalidTransition, NotEligible, RateLimited
from core.mail import mail_queue
from core.ratelimit import keyed_limit, retry_message

from ..models import ApplicationEvent, TemporaryIdApplication, student_number_key
from .conflicts import application_conflict_open_for, conflict_open

Status = TemporaryIdApplication.Status
CONFIRM_SALT = "creditexchange.application-confirm"


def _record(application: TemporaryIdApplication, *, from_status: str, actor: User | None = None,
            reason: str = "", changes: dict | None = None) -> None:
    ApplicationEvent.objects.create(
        application=application, from_status=from_status, to_status=application.status,
        actor=actor if actor and actor.is_authenticated else None, reason=reason, changes=changes or {},
    )


def _lock(application_id: int) -> TemporaryIdApplication:
    application = (
        TemporaryIdApplication.objects.select_for_update(of=("self",)).select_related("term", "partner")
        .filter(pk=application_id).first()
    )
    if application is None:
        raise DomainError(_("This application no longer exists. Unconfirmed applications are deleted after a few days; please apply again."))
    return application


def confirmation_token(application: TemporaryIdApplication) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(f"{application.pk}:{application.confirmation_nonce}")


def _queue_confirmation(application: TemporaryIdApplication) -> None:
    mail_queue(
        kind="application_confirmation", to=application.email, language=application.language,
        params={"application_id": application.pk},
    )


def application_submit(
    *, term: Term, partner: Institution, home_student_number: str, name_ko: str, name_latin: str,
    date_of_birth: date, email: str, phone: str, home_department: str, degree_level: str,
    consent: bool, language: str, at: datetime | None = None, client_key: str = "",
) -> TemporaryIdApplication:
    """Seed 000 §1: apply for a temporary student ID for a term, at a partner, with a home student number.

    Student numbers compare by ``student_number_key`` (stripped, upper-cased). A plain repeat, i.e. the
    same birth date and e-mail (any case) as an application of that number, is refused with a clear
    message and the re-send offer (``DuplicateApplication``); it never makes a second row. Anyone else
    is kept as their own application and the number gets an ``ApplicationConflict`` (finding 3: whoever
    applies first must not block the real student), which blocks issuance until staff resolve it; the
    earlier applicants get a notice, the new one a mail saying what happens next. Repeat and conflict
    answers count against the result look-up's rate limit (``client_key``), as they reveal that the
    number has applied. The consent stores ``settings.PRIVACY_NOTICE_VERSION`` (PIPA).
    """
    at = at or timezone.now()
    _require_applicable(term=term, partner=partner, consent=consent, name_ko=name_ko, name_latin=name_latin, at=at)
    home_student_number, email = home_student_number.strip(), email.strip()
    key = student_number_key(home_student_number)
    application = TemporaryIdApplication(
        term=term, partner=partner, home_student_number=home_student_number, name_ko=name_ko.strip(),
        name_latin=name_latin.strip(), date_of_birth=date_of_birth, email=email, phone=phone.strip(),
        home_department=home_department.strip(), degree_level=degree_level, language=language, consent_at=at,
        consent_version=settings.PRIVACY_NOTICE_VERSION, confirmation_sent_at=at,
    )
    application.full_clean(validate_unique=False, validate_constraints=False)
    _store_new(application, key=key, client_key=client_key, at=at)
    return application


def _require_applicable(*, term: Term, partner: Institution, consent: bool, name_ko: str, name_latin: str, at: datetime) -> None:
    """Consent given, the partner's agreement active, the term's application window open, a name given."""
    if not consent:
        raise NotEligible(_("You must agree to the collection and use of personal information to apply."))
    if partner.kind != Institution.Kind.PARTNER or not partner.agreement_active:
        raise NotEligible(
            _("%(partner)s has no active credit-exchange agreement, so applications are not accepted.")
            % {"partner": partner.name}
        )
    window_require_open(term=term, kind=TermWindow.Kind.APPLICATION, at=at)
    if not (name_ko.strip() or name_latin.strip()):
        raise NotEligible(_("Enter your name in Korean, in Latin letters, or both."))


def _store_new(application: TemporaryIdApplication, *, key: str, client_key: str, at: datetime) -> None:
    """Save a new application under the partner's lock: refuse a plain repeat, open a conflict for anyone else."""
    term, partner = application.term, application.partner
    date_of_birth, email = application.date_of_birth, application.email
    try:
        with transaction.atomic():
            # Two people applying with one number at the same instant: the partner row serialises them, so the
            # second sees the first and opens the conflict (the same lock order as issuance and resolution).
            Institution.objects.select_for_update().get(pk=partner.pk)
            earlier = list(
                TemporaryIdApplication.objects.select_related("term", "partner")
                .filter(term=term, partner=partner, number_key=key).order_by("submitted_at", "pk")
            )
            repeat = next(
                (a for a in earlier if a.date_of_birth == date_of_birth and a.email.lower() == email.lower()), None
            )
            if repeat is not None:
                raise _duplicate(repeat, date_of_birth=date_of_birth, client_key=client_key)
            others = earlier + [a for a in _identity_holders(partner=partner, key=key, date_of_birth=date_of_birth)
                                if a not in earlier]
            if others:
                _lookup_limit(client_key, partner=partner, home_student_number=key)
            application.save()
            _record(application, from_status="")
            _queue_confirmation(application)
            if others:
                conflict_open(application=application, earlier=others, at=at)
    except IntegrityError:
        # Only without the row lock (SQLite): the identity constraint lets one plain repeat through.
        repeat = TemporaryIdApplication.objects.filter(
            term=term, partner=partner, number_key=key, date_of_birth=date_of_birth, email__iexact=email
        ).first()
        if repeat is None:
            raise
        raise _duplicate(repeat, date_of_birth=date_of_birth, client_key=client_key) from None


def _identity_holders(*, partner: Institution, key: str, date_of_birth: date) -> list[TemporaryIdApplication]:
    """Earlier terms' applications behind this number's temporary ID that carry another birth date.

    The ID was issued to someone else, or the birth date was mistyped once: either way staff must look
    before a returning student's account (and its password) is handed over, so the number is in conflict.
    """
    return list(
        TemporaryIdApplication.objects.select_related("term", "partner")
        .filter(temporary_id__partner=partner, temporary_id__home_student_number__iexact=key)
        .exclude(date_of_birth=date_of_birth).order_by("submitted_at", "pk")
    )


def _lookup_limit(client_key: str, *, partner: Institution, home_student_number: str) -> None:
    """Count a guess at this student's birth date from the address ``client_key``; RateLimited when over a limit.

    Keyed per partner and normalised student number (tightly per address, and across addresses), with a
    looser ceiling per address, so one attacker behind a campus NAT does not lock out everyone there.
    """
    if not client_key:
        return
    key = f"{partner.pk}:{student_number_key(home_student_number)}"
    verdict = keyed_limit(scope="lookup", address=client_key, key=key)
    if not verdict.allowed:
        reason = (_("Too many look-ups for this student number.") if verdict.by_key
                  else _("Too many look-ups from your connection."))
        raise RateLimited(f"{reason} {retry_message(verdict.retry_after)}")


def _duplicate(existing: TemporaryIdApplication, *, date_of_birth: date, client_key: str) -> DuplicateApplication:
    _lookup_limit(client_key, partner=existing.partner, home_student_number=existing.home_student_number)
    return DuplicateApplication(
        _("An application for %(term)s from this student number at %(partner)s already exists.")
        % {"term": existing.term, "partner": existing.partner.name},
        application=existing if existing.date_of_birth == date_of_birth else None,
    )


def application_approve(*, application_id: int, actor: User) -> TemporaryIdApplication:
    """Staff approval; the ID itself is issued by the daily batch (seed: “check after 18:00”)."""
    with transaction.atomic():
        application = _lock(application_id)
        if application.status != Status.CONFIRMED:
            raise InvalidTransition(
                _("Only confirmed applications can be approved; this one is “%(status)s”.")
                % {"status": application.get_status_display()}
            )
        application.status = Status.APPROVED
        application.decided_at = timezone.now()
        application.decided_by = actor
        application.save(update_fields=["status", "decided_at", "decided_by"])
        _record(application, from_status=Status.CONFIRMED, actor=actor)
    return application


def application_reject(*, application_id: int, actor: User, reason: str) -> TemporaryIdApplication:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("A reason is required to reject an application."))
    with transaction.atomic():
        application = _lock(application_id)
        before = application.status
        if before not in (Status.SUBMITTED, Status.CONFIRMED, Status.APPROVED):
            raise InvalidTransition(
                _("This application is “%(status)s” and can no longer be rejected.")
                % {"status": application.get_status_display()}
            )
        application.status = Status.REJECTED
        application.rejection_reason = reason
        application.decided_at = timezone.now()
        application.decided_by = actor
        application.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
        _record(application, from_status=before, actor=actor, reason=reason)
        mail_queue(
            kind="application_rejected", to=application.email, language=application.language,
            params={"application_id": application.pk},
        )
    return application


def applications_purge_unconfirmed(*, at: datetime | None = None) -> int:
    """Delete applications whose e-mail was never confirmed within the configured number of days."""
    at = at or timezone.now()
    cutoff = at - timedelta(days=settings.TEMP_ID_UNCONFIRMED_EXPIRY_DAYS)
    # Counted from the latest confirmation mail, so a link re-sent on day 6 still has its application.
    stale = TemporaryIdApplication.objects.filter(status=Status.SUBMITTED).filter(
        Q(confirmation_sent_at__lt=cutoff) | Q(confirmation_sent_at__isnull=True, submitted_at__lt=cutoff)
    )
    deleted, _detail = stale.delete()
    return deleted


@dataclass
class LookupResult:
    application: TemporaryIdApplication
    password_mail_sent: bool = False
    # Another person applied with this number; the registrar's office checks before any ID is issued.
    in_conflict: bool = False

    @property
    def account(self) -> User | None:
        return self.application.temporary_id.user if self.application.temporary_id else None

    @property
    def needs_password(self) -> bool:
        return self.account is not None and not self.account.has_usable_password()

    @property
    def masked_email(self) -> str:
        address = (self.account.email if self.account else self.application.email) or ""
        local, _at, domain = address.partition("@")
        return f"{local[:2]}{'*' * max(len(local) - 2, 1)}@{domain}"


def application_lookup(
    *, partner: Institution, home_student_number: str, date_of_birth: date, client_key: str,
    send_password_link: bool = False,
) -> LookupResult:
    """“Check the application and verify for student ID”: the latest application of this person.

    The number compares by ``student_number_key`` (spaces and case do not matter). A mismatch and an
    unknown number get the same answer, so the page reveals nothing.
    """
    _lookup_limit(client_key, partner=partner, home_student_number=home_student_number)
    application = (
        TemporaryIdApplication.objects.select_related("term", "partner", "temporary_id__user")
        .filter(partner=partner, number_key=student_number_key(home_student_number), date_of_birth=date_of_birth)
        .order_by("-term__year", "-submitted_at")
        .first()
    )
    if application is None:
        raise DomainError(_("No application matches these details. Check the university, student number and date of birth."))
    result = LookupResult(application=application, in_conflict=application_conflict_open_for(application=application) is not None)
    if application.status == Status.ISSUED and (result.needs_password or send_password_link):
        result.password_mail_sent = password_link_request(user=result.account, language=application.language)
    return result


CORRECTABLE_FIELDS = ("name_ko", "name_latin", "email", "phone", "home_department", "degree_level", "date_of_birth")


def application_correct(*, application_id: int, actor: User, values: dict, reason: str = "") -> TemporaryIdApplication:
    """Staff correction of typed details (not status); every changed value is kept before → after."""
    with transaction.atomic():
        application = _lock(application_id)
        changes = {}
        for field, value in values.items():
            if field not in CORRECTABLE_FIELDS:
                raise DomainError(_("The field “%(field)s” cannot be corrected here.") % {"field": field})
            old = getattr(application, field)
            if old != value:
                changes[field] = [str(old), str(value)]
                setattr(application, field, value)
        if not changes:
            return application
        try:
            application.full_clean(validate_unique=False)
        except ValidationError as exc:
            if any("application_one_per_term_person_identity" in str(m) for m in exc.messages):
                raise DomainError(
                    _("Another application of this student number for the term has the same birth date and e-mail; "
                      "the two would be one person. Resolve that in “Application conflicts” instead.")
                ) from exc
            raise DomainError(" ".join(exc.messages)) from exc
        application.save(update_fields=list(changes))
        _record(application, from_status=application.status, actor=actor, reason=reason or "correction", changes=changes)
    return application
