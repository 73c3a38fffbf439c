"""The coordinator's signed link to a sent list and the partner's answers on it (SPEC §3.3).

A link carries the list, its partner and its own expiry, signed; answers are accepted while the list's answer
period is open (``PartnerList.is_open``), and every change of a line is recorded as a ``RecommendationEvent``.
Staff may also record an answer received by other means (``recommendation_record``).
"""

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from academics.models import Institution, InstitutionContact
from accounts.models import User
from core import dates
from core.errors import DomainError, InvalidLink, NotEligible, WindowClosed

from ..models import PartnerList, Recommendation, RecommendationEvent, TemporaryIdApplication
from ..selectors_lists import LISTED_APPLICATION_STATUSES, lines_with_answers

Decision = Recommendation.Decision
VERIFY_SALT = "creditexchange.partner-list-verify"
ANSWERS = (Decision.RECOMMENDED, Decision.NOT_RECOMMENDED)
COMMENT_MAX = 1000


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
