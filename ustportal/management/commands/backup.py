"""``manage.py backup --out DIR``: dump the database and archive MEDIA_ROOT (see ustportal/backup.py)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ustportal.backup import BackupError, backup, read_manifest


class Command(BaseCommand):
    help = "Back up the PostgreSQL database (pg_dump -Fc) and MEDIA_ROOT into a new directory under --out."

    def add_arguments(self, parser):
        parser.add_argument("--out", default=str(Path(settings.BASE_DIR) / "var" / "backups"),
                            help="The directory that gets a new YYYYmmdd-HHMMSS subdirectory (default var/backups).")

    def handle(self, *args, out: str, **options):
        try:
            target = backup(out=Path(out))
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        manifest = read_manifest(target)
        rows, files = sum(manifest["tables"].values()), len(manifest["files"])
        self.stdout.write(f"Backed up {len(manifest['tables'])} tables ({rows} rows) and {files} files.")
        self.stdout.write(str(target))
