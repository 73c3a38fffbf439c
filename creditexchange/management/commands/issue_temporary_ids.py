from django.core.management.base import BaseCommand

from academics.models import Term
from creditexchange.services import temporary_id_issue_batch


class Command(BaseCommand):
    help = "Issue temporary student IDs for every approved application (the daily batch, run by hand)."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Only this term's year (with --season).")
        parser.add_argument("--season", choices=[s.value for s in Term.Season])

    def handle(self, *args, year=None, season=None, **options):
        term = Term.objects.get(year=year, season=season) if year and season else None
        report = temporary_id_issue_batch(term=term)
        self.stdout.write(f"issued={report.issued} skipped={report.skipped}")
