import re

from django.core.management.base import BaseCommand, CommandError

from academics.models import Institution, Term
from creditexchange.models import PartnerList
from creditexchange.services import partner_lists_send, partner_lists_send_due


def _term(value: str) -> Term:
    """A term as ``2027-spring`` (or ``2027 spring``) or its id."""
    if value.isdigit():
        term = Term.objects.filter(pk=int(value)).first()
    else:
        match = re.fullmatch(r"(\d{4})[-\s_]?([a-z]+)", value.strip().lower())
        term = Term.objects.filter(year=int(match.group(1)), season=match.group(2)).first() if match else None
    if term is None:
        raise CommandError(f"No term {value!r}; write it like 2027-spring.")
    return term


class Command(BaseCommand):
    help = (
        "Send lists to partner universities. Without options: every list whose window has closed and that "
        "was not sent yet (what the schedule does). With --term and --kind: that list now, to every partner "
        "it is due to, or to --partner. A list already sent is never mailed again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--term", help="Term, e.g. 2027-spring (or its id).")
        parser.add_argument("--kind", choices=PartnerList.Kind.values)
        parser.add_argument("--partner", help="Partner code, e.g. hanbit.")

    def handle(self, *args, term=None, kind=None, partner=None, **options):
        if term is None and kind is None and partner is None:
            report = partner_lists_send_due()
        elif term is None or kind is None:
            raise CommandError("Give both --term and --kind (and optionally --partner), or no options at all.")
        else:
            target = None
            if partner is not None:
                target = Institution.objects.filter(code=partner, kind=Institution.Kind.PARTNER).first()
                if target is None:
                    raise CommandError(f"No partner with code {partner!r}.")
            report = partner_lists_send(term=_term(term), kind=kind, partner=target)
        for partner_list in report.sent:
            self.stdout.write(f"sent {partner_list} to {', '.join(partner_list.recipients)} ({partner_list.student_count} students)")
        for refusal in report.refused:
            self.stdout.write(f"not sent: {refusal}")
        self.stdout.write(f"sent={len(report.sent)} refused={len(report.refused)}")
