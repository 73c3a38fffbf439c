from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from affiliation import services
from ustportal.errors import DomainError


class Command(BaseCommand):
    help = "Import student academic records from a CSV or XLSX file (all or nothing; see the README)."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            report = services.records_import(content=file.read_bytes(), filename=file.name)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if not report.ok:
            for row, message in report.errors:
                self.stderr.write(f"Row {row}: {message}")
            raise CommandError("Nothing was imported.")
        self.stdout.write(f"Imported: {report.created} created, {report.updated} updated.")
