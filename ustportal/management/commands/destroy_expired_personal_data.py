"""Destroy personal data past its retention period now (the nightly task runs the same service)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from core import dates
from ustportal.retention import personal_data_destroy_expired


class Command(BaseCommand):
    help = (
        "Destroy, irreversibly, personal data kept PERSONAL_DATA_RETENTION_YEARS past the end of its term or round "
        "(see ustportal/retention.py). --dry-run prints what would go and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print what would be destroyed; change nothing.")

    def handle(self, *args, dry_run: bool = False, **options):
        report = personal_data_destroy_expired(dry_run=dry_run)
        if report.skipped:
            self.stdout.write(self.style.WARNING("Another run holds the lock; nothing done."))
            return
        head = "Would destroy" if dry_run else "Destroyed"
        self.stdout.write(
            f"{head} personal data of terms and rounds that ended before {dates.day(report.cutoff)} "
            f"(retention {settings.PERSONAL_DATA_RETENTION_YEARS} years): {report.total} rows."
        )
        for label, ids in sorted(report.ids.items()):
            shown = ", ".join(str(i) for i in ids[:50]) + (" …" if len(ids) > 50 else "")
            self.stdout.write(f"  {label}: {len(ids)} (ids {shown})")
        for line in report.lines():
            self.stdout.write(f"  {line}")
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was changed."))
