from django.core.management.base import BaseCommand, CommandError

from affiliation import services
from affiliation.models import AffiliationRound
from ustportal.errors import DomainError


class Command(BaseCommand):
    help = (
        "The conditions check after the winter session (SPEC §4.5, issue 12). Without --round: preview every round "
        "whose check time has come and alert the committee (cancels nothing). With --round: print that round's "
        "preview and its fingerprint; add --confirm <fingerprint> to cancel exactly the previewed passes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, help="Preview this round now (by id), even before its check time.")
        parser.add_argument("--confirm", default="", help="The fingerprint of the preview to confirm (with --round).")

    def handle(self, *args, round=None, confirm="", **options):
        try:
            if round is None:
                self.stdout.write(f"Alerts sent: {services.conditions_check_due()['alerted']}.")
                return
            if not AffiliationRound.objects.filter(pk=round).exists():
                raise CommandError(f"No round with id {round}.")
            if confirm:
                counts = services.conditions_check(round_id=round, expected=confirm)
                self.stdout.write(f"Passes kept: {counts['kept']}; cancelled: {counts['cancelled']}.")
                return
            preview = services.conditions_preview(round_id=round)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if preview.refused:
            raise CommandError(preview.refusal)
        for row in preview.cancellations:
            self.stdout.write(f"{row.student_number} {row.name}: {row.reason}")
        self.stdout.write(f"Admitted: {len(preview.rows)}; would be cancelled: {len(preview.cancellations)}.")
        self.stdout.write(f"Fingerprint: {preview.fingerprint}")
