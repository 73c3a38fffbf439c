from django.core.management.base import BaseCommand, CommandError

from affiliation import services
from affiliation.models import AffiliationRound
from ustportal.errors import DomainError


class Command(BaseCommand):
    help = (
        "Cancel change-of-affiliation passes below the minimum earned credits or without the liberal-arts "
        "requirement (SPEC §4.5). Without --round, checks every round whose check time has come."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, help="Check this round now (by id), even before its check time.")

    def handle(self, *args, round=None, **options):
        try:
            if round is not None:
                if not AffiliationRound.objects.filter(pk=round).exists():
                    raise CommandError(f"No round with id {round}.")
                counts = services.conditions_check(round_id=round)
            else:
                counts = services.conditions_check_due()
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"Passes kept: {counts['kept']}; cancelled: {counts['cancelled']}.")
