"""Lists to partner universities (SPEC §3.3): build an immutable snapshot, mail it, collect the answers.

One list per partner, term and kind. The (partner, term, kind) row is the job's claim: it is
written, with its files, recommendation lines and outbox mails, in one transaction that holds a
lock on the partner row, so a second or concurrent job finds it and mails nothing.
"""

import hashlib
import ipaddress
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from academics.models import Institution, InstitutionContact, Term, TermWindow
from accounts.models import User
from core import dates
from core.bulk import bulk_record, change, preview_check
from core.errors import AlreadySent, DomainError, InvalidLink, NotEligible, WindowClosed
from core.mail import mail_queue

from .. import exports
from ..models import PartnerList, PartnerListFile, Recommendation, RecommendationEvent, TemporaryIdApplication
from ..selectors_lists import (
    LISTED_APPLICATION_STATUSES,
    lines_with_answers,
    partner_list_applications,
    partner_list_applies,
    partner_list_due,
    partner_list_rows,
)

logger = logging.getLogger(__name__)
Kind = PartnerList.Kind
Decision = Recommendation.Decision
VERIFY_SALT = "creditexchange.partner-list-verify"
# The window after whose close the schedule sends each kind of list.
WINDOW_OF_KIND = {
    Kind.APPLICANTS: TermWindow.Kind.APPLICATION,
    Kind.REGISTRATIONS: TermWindow.Kind.REGISTRATION,
    Kind.FINAL: TermWindow.Kind.CHANGE,
}
ANSWERS = (Decision.RECOMMENDED, Decision.NOT_RECOMMENDED)
COMMENT_MAX = 1000


def partner_list_deadline(*, sent_at: datetime) -> datetime:
    """Answers are accepted for PARTNER_LIST_VERIFY_DAYS whole days after the day of sending (Asia/Seoul)."""
    day = dates.seoul(sent_at).date() + timedelta(days=settings.PARTNER_LIST_VERIFY_DAYS + 1)
    return datetime.combine(day, time.min, tzinfo=dates.SEOUL)


def _recipients(partner: Institution) -> list[str]:
    return list(
        InstitutionContact.objects.filter(institution=partner, is_active=True).order_by("email").values_list("email", flat=True)
    )


def _check_sendable(*, partner: Institution, term: Term, kind: str) -> list[str]:
    """Every refusal a send can meet, each with a message staff can act on; returns the recipients."""
    if kind not in Kind.values:
        raise DomainError(_("Unknown kind of list: %(kind)s.") % {"kind": kind})
    context = {"kind": Kind(kind).label, "partner": partner.name, "term": term}
    if partner.kind != Institution.Kind.PARTNER:
        raise NotEligible(_("%(partner)s is not a partner university.") % context)
    existing = PartnerList.objects.filter(partner=partner, term=term, kind=kind).first()
    if existing is not None:
        raise AlreadySent(
            _("The %(kind)s list for %(partner)s, %(term)s was already sent on %(sent)s; a list is sent once.")
            % {**context, "sent": dates.when(existing.sent_at)}
        )
    if not partner_list_applies(partner=partner, kind=kind):
        raise NotEligible(
            _("%(partner)s verifies its students %(basis)s, so it gets no %(kind)s list.")
            % {**context, "basis": partner.get_verification_basis_display().lower()}
        )
    if not partner_list_applications(partner_id=partner.pk, term_id=term.pk, kind=kind).exists():
        raise NotEligible(_("%(partner)s has no students for a %(kind)s list in %(term)s.") % context)
    recipients = _recipients(partner)
    if not recipients:
        raise NotEligible(
            _("%(partner)s has no active coordinator e-mail address. Add one under Institutions first.") % context
        )
    return recipients


def _files(*, partner_list: PartnerList) -> list[PartnerListFile]:
    table = exports.lines(partner_list.kind, partner_list.rows, partner_list.language)
    with translation.override(partner_list.language):
        title = str(partner_list.get_kind_display())
    stem = f"{partner_list.term.year}-{partner_list.term.season}_{partner_list.partner.code}_{partner_list.kind}"
    rendered = [
        (f"{stem}.xlsx", exports.XLSX_TYPE, exports.render_xlsx(table, title=title)),
        (f"{stem}.csv", exports.CSV_TYPE, exports.render_csv(table)),
    ]
    return [
        PartnerListFile.objects.create(
            partner_list=partner_list, filename=name, content_type=content_type, content=content,
            sha256=hashlib.sha256(content).hexdigest(), size=len(content),
        )
        for name, content_type, content in rendered
    ]


def partner_list_state(*, partner: Institution, term: Term, kind: str, rows: list[dict], recipients: list[str]) -> dict:
    """What a send's preview fingerprints (issue 12): the exact rows, the recipients and the language."""
    return {"partner": partner.pk, "term": term.pk, "kind": kind, "rows": rows, "recipients": recipients,
            "language": partner.mail_language or settings.LANGUAGE_CODE}


def partner_list_send(
    *, partner_id: int, term_id: int, kind: str, trigger: str = PartnerList.Trigger.STAFF,
    actor: User | None = None, at: datetime | None = None, expected: str = "",
) -> PartnerList:
    """SPEC §3.3: snapshot the partner's students for this term and kind, store XLSX + CSV, mail every coordinator.

    ``expected``: the fingerprint of the preview staff confirmed (``partner_list_preview``); rows or recipients
    that changed since raise ``StalePreview`` and nothing is sent. Every send (staff or schedule) is recorded as
    ``creditexchange.partner_list_send``.
    """
    at = at or timezone.now()
    with transaction.atomic():
        # One job per partner at a time: the second waits here, then finds the list and is refused.
        partner = Institution.objects.select_for_update().filter(pk=partner_id).first()
        term = Term.objects.filter(pk=term_id).first()
        if partner is None or term is None:
            raise DomainError(_("This partner or term no longer exists."))
        recipients = _check_sendable(partner=partner, term=term, kind=kind)
        rows = partner_list_rows(partner_id=partner.pk, term_id=term.pk, kind=kind)
        if expected:
            preview_check(expected=expected, current=partner_list_state(partner=partner, term=term, kind=kind, rows=rows,
                                                                        recipients=recipients))
        partner_list = PartnerList(
            partner=partner, term=term, kind=kind, language=partner.mail_language or settings.LANGUAGE_CODE,
            rows=rows, recipients=recipients,
            sent_at=at, deadline=partner_list_deadline(sent_at=at), trigger=trigger,
            sent_by=actor if actor is not None and actor.is_authenticated else None,
        )
        try:
            with transaction.atomic():
                partner_list.save()
        except IntegrityError:
            # Backstop for a database without row locks (SQLite): the unique row lets one job through.
            raise AlreadySent(_("This list was sent a moment ago by another job.")) from None
        files = _files(partner_list=partner_list)
        Recommendation.objects.bulk_create(
            Recommendation(partner_list=partner_list, application_id=row["application_id"]) for row in partner_list.rows
        )
        attachments = [{"kind": "partner_list_file", "id": f.pk} for f in files]
        for email in recipients:
            mail_queue(
                kind="partner_list", to=email, language=partner_list.language, params={"list_id": partner_list.pk},
                attachments=attachments,
            )
        bulk_record(
            kind="creditexchange.partner_list_send", actor=partner_list.sent_by, scope=f"partner:{partner.pk}/term:{term.pk}/kind:{kind}",
            inputs={"expected": expected, "trigger": trigger, "recipients": recipients},
            changes=[change(partner_list, before=None, after={"students": len(rows), "recipients": ", ".join(recipients)})],
            summary=_("%(kind)s list for %(partner)s (%(students)s students) mailed to %(recipients)s.")
            % {"kind": Kind(kind).label, "partner": partner.name, "students": len(rows), "recipients": ", ".join(recipients)},
        )
    logger.info("Partner list %s sent to %s (%s students)", partner_list, ", ".join(recipients), len(partner_list.rows))
    return partner_list


@dataclass
class SendReport:
    sent: list[PartnerList] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def partner_lists_send(
    *, term: Term, kind: str, partner: Institution | None = None, trigger: str = PartnerList.Trigger.COMMAND,
    actor: User | None = None, at: datetime | None = None,
) -> SendReport:
    """Send one kind of list for a term to one partner, or to every partner it is due to."""
    report = SendReport()
    for target in [partner] if partner is not None else partner_list_due(term=term, kind=kind):
        try:
            report.sent.append(
                partner_list_send(partner_id=target.pk, term_id=term.pk, kind=kind, trigger=trigger, actor=actor, at=at)
            )
        except DomainError as exc:
            report.refused.append(f"{target.code} · {term} · {kind}: {exc.message}")
        except Exception as exc:  # one partner's broken data must not keep the others from their lists
            logger.exception("Partner list %s/%s/%s failed", target.code, term, kind)
            report.refused.append(f"{target.code} · {term} · {kind}: {type(exc).__name__}: {exc}")
    return report


def partner_lists_send_due(*, at: datetime | None = None) -> SendReport:
    """The schedule: after a term's application, registration or change window closes, send the lists not yet sent.

    Looks back PARTNER_LIST_SCHEDULE_LOOKBACK_DAYS, so a beat or worker that was down catches up,
    while a fresh installation does not mail lists of long-past terms.
    """
    at = at or timezone.now()
    since = at - timedelta(days=settings.PARTNER_LIST_SCHEDULE_LOOKBACK_DAYS)
    report = SendReport()
    for kind, window_kind in WINDOW_OF_KIND.items():
        closed = TermWindow.objects.filter(kind=window_kind, ends_at__lte=at, ends_at__gt=since).select_related("term")
        for window in closed:
            done = partner_lists_send(term=window.term, kind=kind, trigger=PartnerList.Trigger.SCHEDULE, at=at)
            report.sent += done.sent
            report.refused += done.refused
    for refusal in report.refused:
        logger.warning("Scheduled partner list not sent: %s", refusal)
    return report


# --- The coordinator's signed link ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerListLink:
    """What a verification link opens: the list, and until when the link works."""

    partner_list: PartnerList
    deadline: datetime  # the earlier of the token's own expiry and the list's deadline

    def is_open(self, at: datetime | None = None) -> bool:
        return self.partner_list.is_open(at, deadline=self.deadline)


def partner_list_token(partner_list: PartnerList, *, expires_at: datetime | None = None) -> str:
    """The verification link's token: the list, its partner and the link's own expiry (the list's deadline), signed.

    The expiry travels in the signed payload, so a link stops working by itself even if the
    list's deadline were ever moved later; the server still applies the earlier of the two.
    """
    expires_at = expires_at or partner_list.deadline
    return signing.dumps(
        {"list": partner_list.pk, "partner": partner_list.partner_id, "exp": int(expires_at.timestamp())}, salt=VERIFY_SALT
    )


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def partner_list_link(*, token: str) -> PartnerListLink:
    """The list a link opens and its effective deadline; a tampered link, or one for another partner, is refused."""
    try:
        value = signing.loads(token, salt=VERIFY_SALT)
    except signing.BadSignature as exc:
        raise InvalidLink(
            _("This verification link is not valid. Please open the link exactly as it was mailed to you."), code="bad"
        ) from exc
    if not isinstance(value, dict) or not all(_is_int(value.get(key)) for key in ("list", "partner", "exp")):
        raise InvalidLink(_("This verification link is not valid."), code="bad")
    partner_list = PartnerList.objects.select_related("partner", "term").filter(pk=value["list"]).first()
    if partner_list is None or partner_list.partner_id != value["partner"]:
        raise InvalidLink(
            _("This link does not open a list of your university. Please use the link from your own mail."), code="scope"
        )
    try:
        expires_at = datetime.fromtimestamp(value["exp"], tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InvalidLink(_("This verification link is not valid."), code="bad") from exc
    return PartnerListLink(partner_list=partner_list, deadline=min(expires_at, partner_list.deadline))


def partner_list_open(*, token: str) -> PartnerList:
    """The list a link opens (see ``partner_list_link`` for its deadline)."""
    return partner_list_link(token=token).partner_list


def partner_list_contacts() -> tuple[str, list[str]]:
    """Whom a coordinator writes to once a list is closed: the host university's active contacts, else REGISTRAR_EMAIL."""
    host = Institution.objects.filter(kind=Institution.Kind.HOST).first()
    emails = list(
        InstitutionContact.objects.filter(institution=host, is_active=True).order_by("email").values_list("email", flat=True)
    ) if host else []
    if not emails and getattr(settings, "REGISTRAR_EMAIL", ""):
        emails = [settings.REGISTRAR_EMAIL]
    return (host.name if host else ""), emails


def _clean_ip(ip: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return None


def _decide(
    row: Recommendation, *, decision: str, comment: str, source: str, at: datetime, ip: str | None = None,
    user_agent: str = "", actor: User | None = None, source_note: str = "",
) -> None:
    before_decision, before_comment = row.decision, row.comment
    row.decision, row.comment, row.source, row.source_note = decision, comment, source, source_note
    row.decided_at, row.decided_ip, row.decided_by = at, ip, actor
    row.full_clean(exclude=["partner_list", "application"], validate_unique=False)
    row.save(update_fields=["decision", "comment", "source", "source_note", "decided_at", "decided_ip", "decided_by"])
    RecommendationEvent.objects.create(
        recommendation=row, from_decision=before_decision, to_decision=decision, from_comment=before_comment,
        to_comment=comment, source=source, source_note=source_note, actor=actor, ip=ip, user_agent=user_agent[:300],
    )


def recommendations_submit(
    *, partner_list_id: int, decisions: dict[int, tuple[str, str]], ip: str | None, user_agent: str = "",
    at: datetime | None = None, deadline: datetime | None = None, recommend_rest: bool = False,
) -> int:
    """The coordinator marks students recommended or not, with an optional comment; revisable until the deadline.

    ``decisions`` maps recommendation line ids to (decision, comment). A line that is not on this
    list refuses the whole answer, so nothing is half-saved. Returns how many lines changed.
    ``deadline`` is the link's own (``PartnerListLink.deadline``); the earlier of it and the list's applies.
    ``recommend_rest`` ("Recommend all") also recommends every student of the list this answer leaves open and who
    has no answer yet (``lines_with_answers``), so an answer given before, here or on an earlier list, is kept.
    """
    at = at or timezone.now()
    with transaction.atomic():
        partner_list = PartnerList.objects.select_related("partner", "term").get(pk=partner_list_id)
        deadline = min(deadline, partner_list.deadline) if deadline else partner_list.deadline
        if not partner_list.is_open(at, deadline=deadline):
            raise WindowClosed(
                _("Answers for this list were accepted until %(deadline)s (Asia/Seoul). Nothing was changed; "
                  "please write to the registrar's office.") % {"deadline": dates.when(deadline)}
            )
        lines = {
            line.pk: line
            for line in Recommendation.objects.select_for_update().filter(partner_list=partner_list, pk__in=list(decisions))
        }
        if set(decisions) - set(lines):
            raise NotEligible(_("Some answers are for students who are not on this list. Nothing was saved."))
        if recommend_rest:
            open_lines = lines_with_answers(
                Recommendation.objects.filter(partner_list=partner_list).exclude(pk__in=list(decisions))
            ).filter(answer__isnull=True).values_list("pk", flat=True)
            rest = {
                line.pk: line
                for line in Recommendation.objects.select_for_update().filter(partner_list=partner_list, pk__in=list(open_lines))
            }
            lines.update(rest)
            decisions = {**decisions, **{line_id: (Decision.RECOMMENDED, "") for line_id in rest}}
        changed = 0
        for line_id, (decision, comment) in sorted(decisions.items()):
            comment = (comment or "").strip()
            if decision not in ANSWERS:
                raise DomainError(_("Choose “Recommended” or “Not recommended” for each student you answer for."))
            if len(comment) > COMMENT_MAX:
                raise DomainError(_("A comment can be at most %(max)s characters.") % {"max": COMMENT_MAX})
            line = lines[line_id]
            if (line.decision, line.comment) == (decision, comment):
                continue
            _decide(
                line, decision=decision, comment=comment, source=Recommendation.Source.COORDINATOR, at=at,
                ip=_clean_ip(ip), user_agent=user_agent,
            )
            changed += 1
    return changed


def recommendation_record(
    *, application_id: int, decision: str, source_note: str, actor: User, comment: str = "", at: datetime | None = None,
) -> Recommendation:
    """Staff record an answer received by other means (mail, phone, letter), naming the source.

    It goes on the student's line in the latest list sent to the partner, so that list's progress
    counts it; a student on no list yet gets a line of its own. Not bound by the link's deadline.
    """
    at = at or timezone.now()
    source_note = (source_note or "").strip()
    if decision not in ANSWERS:
        raise DomainError(_("Choose “Recommended” or “Not recommended”."))
    if not source_note:
        raise DomainError(_("Say how the recommendation was received (for example “e-mail of 3 March from the coordinator”)."))
    with transaction.atomic():
        application = TemporaryIdApplication.objects.select_for_update().filter(pk=application_id).first()
        if application is None or application.status not in LISTED_APPLICATION_STATUSES:
            raise NotEligible(_("Recommendations are recorded only for confirmed, approved or issued applications."))
        line = (
            Recommendation.objects.select_for_update().filter(application=application, partner_list__isnull=False)
            .order_by("-partner_list__sent_at", "-pk").first()
        )
        if line is None:
            line, _created = Recommendation.objects.get_or_create(application=application, partner_list=None)
        _decide(
            line, decision=decision, comment=(comment or "").strip(), source=Recommendation.Source.STAFF, at=at,
            actor=actor, source_note=source_note,
        )
    return line
