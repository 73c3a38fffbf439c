"""``manage.py restore DIR``: restore a backup into the (empty) DATABASE_URL and MEDIA_ROOT, then check it."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ustportal.backup import BackupError, elapsed, restore


class Command(BaseCommand):
    help = (
        "Restore a backup directory (manage.py backup) into the database DATABASE_URL names and the directory "
        "MEDIA_ROOT names, both empty, and compare every table's rows and every file's SHA-256 with the backup."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="A backup directory (it holds manifest.json).")
        parser.add_argument("--create", action="store_true", help="Create the database if it does not exist.")

    def handle(self, *args, source: str, create: bool = False, **options):
        started = time.monotonic()
        try:
            result = restore(source=Path(source), create=create)
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        figures = f"{result.tables} tables, {result.rows} rows, {result.files} files compared in {elapsed(started)} s"
        if not result.ok:
            for line in result.differences[:50]:
                self.stderr.write(f"  {line}")
            raise CommandError(f"The restore differs from the backup in {len(result.differences)} places ({figures}).")
        self.stdout.write(self.style.SUCCESS(f"Restored and checked: {figures}; no difference."))
