from django.core.management.base import BaseCommand, CommandError

from affiliation import services
from affiliation.models import AffiliationRound
from core.errors import DomainError


class Command(BaseCommand):
    help = (
        "The conditions check after the winter session (SPEC §4.5, issue 12). Without --round: preview every round "
        "whose check time has come and alert the committee (cancels nothing). With --round: print that round's "
        "preview and its fingerprint; add --confirm <fingerprint> to cancel exactly the previewed passes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", type=int, help="Preview this round now (by id), even before its check time.")
        parser.add_argument("--confirm", default="", help="The fingerprint of the preview to confirm (with --round).")
        parser.add_argument(
            "--by", default="", help="With --confirm: the user name of the committee member who decided (recorded as "
            "the one who ran it in the staff action log; they must hold affiliation.check_conditions).",
        )

    def handle(self, *args, round=None, confirm="", by="", **options):
        try:
            if round is None:
                self.stdout.write(f"Alerts sent: {services.conditions_check_due()['alerted']}.")
                return
            if not AffiliationRound.objects.filter(pk=round).exists():
                raise CommandError(f"No round with id {round}.")
            if confirm:
                counts = services.conditions_check(round_id=round, expected=confirm, actor=self._decider(by))
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

    def _decider(self, username: str):
        """A confirmation is a person's decision, never the schedule's: name who took it."""
        from accounts.models import User

        user = User.objects.filter(username=username).first() if username else None
        if user is None or not user.is_active or not user.has_perm("affiliation.check_conditions"):
            raise CommandError(
                "--confirm needs --by <user name> of an active committee member who may check the conditions."
            )
        return user
