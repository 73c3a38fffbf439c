"""Temporary student ID applications (SPEC §3.1): submit, confirm, decide, look up, purge (issuing: issuance.py)."""

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
from core.errors import DomainError, DuplicateApplication, InvalidLink, InvalidTransition, NotEligible, RateLimited
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
    home_student_number, email = home_student_number.strip(), email.strip()
    key = student_number_key(home_student_number)
    application = TemporaryIdApplication(
        term=term, partner=partner, home_student_number=home_student_number, name_ko=name_ko.strip(),
        name_latin=name_latin.strip(), date_of_birth=date_of_birth, email=email, phone=phone.strip(),
        home_department=home_department.strip(), degree_level=degree_level, language=language, consent_at=at,
        consent_version=settings.PRIVACY_NOTICE_VERSION, confirmation_sent_at=at,
    )
    application.full_clean(validate_unique=False, validate_constraints=False)
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
    return application


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


def application_resend_confirmation(*, application_id: int, at: datetime | None = None) -> TemporaryIdApplication:
    """Send the confirmation mail again, to the address on the application; rate-limited."""
    at = at or timezone.now()
    with transaction.atomic():
        application = _lock(application_id)
        if application.status != Status.SUBMITTED:
            raise InvalidTransition(_("This application's e-mail address is already confirmed; no mail is needed."))
        cooldown = timedelta(seconds=settings.TEMP_ID_RESEND_COOLDOWN_SECONDS)
        if application.confirmation_sent_at and at < application.confirmation_sent_at + cooldown:
            wait = application.confirmation_sent_at + cooldown - at
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
            raise RateLimited(
                _("A confirmation mail was sent a moment ago. You can ask again in %(minutes)s minute(s).")
                % {"minutes": minutes}
            )
        if application.confirmation_resends >= settings.TEMP_ID_RESEND_MAX:
            raise RateLimited(
                _("The confirmation mail has been re-sent %(count)s times. Please contact the registrar's office.")
                % {"count": application.confirmation_resends}
            )
        application.confirmation_resends += 1
        application.confirmation_sent_at = at
        application.save(update_fields=["confirmation_resends", "confirmation_sent_at"])
        _queue_confirmation(application)
    return application


def _confirmation_value(token: str) -> tuple[str, str, bool]:
    """(application pk, nonce, expired) of a correctly signed confirmation token; a bad signature is refused."""
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    try:
        value = signer.unsign(token)
    except signing.BadSignature as exc:
        raise InvalidLink(
            _("This confirmation link is not valid. Please use the link exactly as it was mailed."), code="bad"
        ) from exc
    try:
        signer.unsign(token, max_age=timedelta(hours=settings.TEMP_ID_CONFIRM_LINK_MAX_AGE_HOURS))
        expired = False
    except signing.SignatureExpired:
        expired = True
    pk, _sep, nonce = value.partition(":")
    return pk, nonce, expired


def _confirmable(application: TemporaryIdApplication | None, *, nonce: str, expired: bool) -> bool:
    """False if the link was already used; raises if it cannot confirm (gone, expired, closed)."""
    if application is None or application.confirmation_nonce != nonce:
        raise InvalidLink(
            _("This application no longer exists. Unconfirmed applications are deleted after a few days; please apply again."),
            code="gone",
        )
    if application.confirmed_at is not None:
        return False
    if application.status != Status.SUBMITTED:
        raise InvalidLink(
            _("This application was closed before its e-mail address was confirmed. Check its result on the look-up page."),
            code="closed",
        )
    if expired:
        raise InvalidLink(
            _("This confirmation link has expired. Use “Re-send confirmation mail” to get a new one."), code="expired"
        )
    return True


def application_confirm_check(*, token: str) -> TemporaryIdApplication:
    """What a confirmation link would do, without doing it (a GET or HEAD, e.g. a mail preview or a link scanner).

    Returns the application (``confirmed_at`` set if the link was already used) or raises ``InvalidLink``.
    """
    pk, nonce, expired = _confirmation_value(token)
    application = TemporaryIdApplication.objects.select_related("term").filter(pk=pk).first()
    _confirmable(application, nonce=nonce, expired=expired)
    return application


def application_expired_link_resendable(*, token: str) -> int | None:
    """The application behind an expired but genuine confirmation link that may still get a new one; else None.

    Lets the expired-link page offer "send me a new link" without the applicant typing the form again.
    """
    try:
        pk, nonce, expired = _confirmation_value(token)
    except InvalidLink:
        return None
    if not expired or not pk.isdigit():
        return None
    return (
        TemporaryIdApplication.objects.filter(
            pk=int(pk), confirmation_nonce=nonce, status=Status.SUBMITTED, confirmed_at__isnull=True
        ).values_list("pk", flat=True).first()
    )


def application_confirm(*, token: str, at: datetime | None = None) -> TemporaryIdApplication:
    """Seed 000 §1.a: pressing the button behind the mailed link completes the application. The link works once."""
    pk, nonce, expired = _confirmation_value(token)
    with transaction.atomic():
        application = TemporaryIdApplication.objects.select_for_update().filter(pk=pk).first()
        if not _confirmable(application, nonce=nonce, expired=expired):
            raise InvalidLink(_("This link has already been used. Your e-mail address is confirmed."), code="used")
        application.status = Status.CONFIRMED
        application.confirmed_at = at or timezone.now()
        application.save(update_fields=["status", "confirmed_at"])
        _record(application, from_status=Status.SUBMITTED)
    return application


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
