from django.core.management.base import BaseCommand, CommandError

from academics.models import Institution
from core.errors import DomainError
from creditexchange.models import TranscriptBatch
from creditexchange.services.transcripts import (
    IssueReport,
    transcripts_due_partners,
    transcripts_issue,
    transcripts_issue_due,
)

from .send_partner_lists import _term


class Command(BaseCommand):
    help = (
        "Issue transcripts of records to partner universities (issue 15). Without options: what the schedule does "
        "(terms whose grades became final lately, partners without a batch). With --term: that term's due partners, "
        "or --partner; add --reason to issue a corrected version to that partner."
    )

    def add_arguments(self, parser):
        parser.add_argument("--term", help="Term, e.g. 2027-spring (or its id).")
        parser.add_argument("--partner", help="Partner code, e.g. hanbit.")
        parser.add_argument("--reason", default="", help="Issue a corrected version (needs --partner).")

    def handle(self, *args, term=None, partner=None, reason="", **options):
        if term is None:
            if partner or reason:
                raise CommandError("Give --term with --partner or --reason.")
            report = transcripts_issue_due()
        else:
            chosen = _term(term)
            targets = list(transcripts_due_partners(term=chosen))
            if partner is not None:
                target = Institution.objects.filter(code=partner, kind=Institution.Kind.PARTNER).first()
                if target is None:
                    raise CommandError(f"No partner with code {partner!r}.")
                targets = [target]
            elif reason:
                raise CommandError("A corrected version is issued to one partner: give --partner.")
            report = IssueReport()
            for target in targets:
                try:
                    report.issued.append(transcripts_issue(
                        term=chosen, partner=target, trigger=TranscriptBatch.Trigger.COMMAND, reason=reason,
                    ))
                except DomainError as exc:
                    report.refused.append(f"{target.code} · {chosen}: {exc.message}")
        for batch in report.issued:
            self.stdout.write(f"issued {batch} to {', '.join(batch.recipients)} ({batch.transcripts.count()} students)")
        for refusal in report.refused:
            self.stdout.write(f"not issued: {refusal}")
        self.stdout.write(f"issued={len(report.issued)} refused={len(report.refused)}")
