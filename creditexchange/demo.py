"""Demo data for lists to partner universities (called by ``load_demo``; idempotent)."""

from academics.models import Institution, Term
from accounts.models import User
from core.errors import DomainError

from .models import PartnerList, TemporaryIdApplication
from .services import partner_list_send


def load_partner_list_demo() -> list[PartnerList]:
    """Two sent lists for the winter session: Hanbit's applicants list (the returning student is on it)
    and Garam's registrations list. Their mails, with the verification links, are in the local mailbox."""
    staff = User.objects.filter(username="registrar").first()
    sent = []
    for code, kind in [("hanbit", PartnerList.Kind.APPLICANTS), ("garam", PartnerList.Kind.REGISTRATIONS)]:
        partner = Institution.objects.filter(code=code).first()
        term = (
            Term.objects.filter(season=Term.Season.WINTER, temporary_id_applications__partner=partner)
            .order_by("-year").first()
        )
        if partner is None or term is None:
            continue
        existing = PartnerList.objects.filter(partner=partner, term=term, kind=kind).first()
        if existing is not None:
            sent.append(existing)
            continue
        if not TemporaryIdApplication.objects.filter(partner=partner, term=term).exists():
            continue
        try:
            sent.append(partner_list_send(partner_id=partner.pk, term_id=term.pk, kind=kind, actor=staff))
        except DomainError:
            continue  # e.g. no student has registered yet; the demo works without this list
    return sent
