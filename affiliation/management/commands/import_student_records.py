from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from affiliation import services
from affiliation.services.records import EmailConflicts
from core.errors import DomainError


class Command(BaseCommand):
    help = "Import student academic records from a CSV or XLSX file (all or nothing; see the README)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument(
            "--email-conflicts", choices=list(EmailConflicts), default=EmailConflicts.KEEP,
            help="Where a student's own e-mail address differs from the file's: keep it (default) or take the file's.",
        )

    def handle(self, *args, path, email_conflicts=EmailConflicts.KEEP, **options):
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            report = services.records_import(content=file.read_bytes(), filename=file.name, email_conflicts=email_conflicts)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        if not report.ok:
            for row, message in report.errors:
                self.stderr.write(f"Row {row}: {message}")
            raise CommandError("Nothing was imported.")
        for conflict in report.conflicts:
            kept = conflict["account_email"] if email_conflicts == EmailConflicts.KEEP else conflict["record_email"]
            self.stdout.write(f"{conflict['student_number']}: e-mail {kept} ({email_conflicts}; account "
                              f"{conflict['account_email']}, file {conflict['record_email']})")
        self.stdout.write(f"Imported: {report.created} created, {report.updated} updated.")
