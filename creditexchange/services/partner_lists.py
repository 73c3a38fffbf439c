"""Lists to partner universities (SPEC §3.3): build an immutable snapshot and mail it (answers: ``recommendations``).

One list per partner, term and kind. The (partner, term, kind) row is the job's claim: it is
written, with its files, recommendation lines and outbox mails, in one transaction that holds a
lock on the partner row, so a second or concurrent job finds it and mails nothing.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from academics.models import Institution, InstitutionContact, Term, TermWindow
from accounts.models import User
from core import dates
from core.bulk import bulk_record, change, preview_check
from core.errors import AlreadySent, DomainError, NotEligible
from core.mail import mail_queue

from .. import exports
from ..models import PartnerList, PartnerListFile, Recommendation
from ..selectors_lists import (
    partner_list_applications,
    partner_list_applies,
    partner_list_due,
    partner_list_rows,
)

logger = logging.getLogger(__name__)
Kind = PartnerList.Kind
# The window after whose close the schedule sends each kind of list.
WINDOW_OF_KIND = {
    Kind.APPLICANTS: TermWindow.Kind.APPLICATION,
    Kind.REGISTRATIONS: TermWindow.Kind.REGISTRATION,
    Kind.FINAL: TermWindow.Kind.CHANGE,
}


def partner_list_deadline(*, sent_at: datetime) -> datetime:
    """Answers are accepted for PARTNER_LIST_VERIFY_DAYS whole days after the day of sending (Asia/Seoul)."""
    return dates.moment(dates.seoul_day(sent_at) + timedelta(days=settings.PARTNER_LIST_VERIFY_DAYS + 1))


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


def snapshot_files(model, *, stem: str, table: list[list], title: str, **owner) -> list:
    """The XLSX and the CSV of ``table`` as written-once rows of ``model`` (a ``SnapshotFile``), for ``owner``
    (the list or the transcript batch they belong to): every mail and download is then these very bytes."""
    rendered = [
        (f"{stem}.xlsx", exports.XLSX_TYPE, exports.render_xlsx(table, title=title)),
        (f"{stem}.csv", exports.CSV_TYPE, exports.render_csv(table)),
    ]
    return [
        model.objects.create(
            **owner, filename=name, content_type=content_type, content=content,
            sha256=hashlib.sha256(content).hexdigest(), size=len(content),
        )
        for name, content_type, content in rendered
    ]


def _files(*, partner_list: PartnerList) -> list[PartnerListFile]:
    table = exports.lines(partner_list.kind, partner_list.rows, partner_list.language)
    with translation.override(partner_list.language):
        title = str(partner_list.get_kind_display())
    stem = f"{partner_list.term.year}-{partner_list.term.season}_{partner_list.partner.code}_{partner_list.kind}"
    return snapshot_files(PartnerListFile, stem=stem, table=table, title=title, partner_list=partner_list)


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
