"""``manage.py restore_drill`` (``make restore-drill``, run by CI after the PostgreSQL tests): prove a backup restores.

On the PostgreSQL server of ``DATABASE_URL`` it builds ``<name>_drill_source`` (migrations, the demo data of
``make run`` and at least one stored file of each kind: an affiliation certificate, a notice attachment, a list
file sent to a partner), backs it up with ``manage.py backup``, restores it with ``manage.py restore`` into
``<name>_drill_restored`` and a new media directory, and compares every table's row count and every stored
file's SHA-256 of the two (besides the restore's own check against the manifest). It prints the figures and fails
on any difference. Each phase runs as its own ``manage.py`` process with its own ``DATABASE_URL`` and
``MEDIA_ROOT``, as an operator would run it. The drill databases and files are removed afterwards (kept on
failure, for a look).
"""

import json
import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ustportal.backup import BackupError, elapsed, file_hashes, pg_env, table_counts

PDF = b"%PDF-1.4\n% restore drill\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = quote(db.get("USER") or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    host = f"{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    return f"postgres://{auth}@{host}/{name}"


def seed_files() -> dict[str, int]:
    """At least one stored file of each kind beyond what the demo made; returns the count of each kind."""
    from django.core.files.base import ContentFile
    from django.core.files.uploadedfile import SimpleUploadedFile

    from affiliation.models import AffiliationApplication
    from creditexchange.models import PartnerList, PartnerListFile
    from notices.models import Notice, NoticeAttachment
    from notices.services import notice_attachment_add

    application = AffiliationApplication.objects.order_by("pk").first()
    if application is None:
        raise CommandError("The demo made no affiliation application to attach a certificate to.")
    application.english_certificate.save("drill-certificate.pdf", ContentFile(PDF), save=True)
    notice = Notice.objects.order_by("pk").first()
    if notice is None:
        raise CommandError("The demo made no notice to attach a file to.")
    notice_attachment_add(notice=notice, upload=SimpleUploadedFile("drill-schedule.pdf", PDF, "application/pdf"))
    partner_list = PartnerList.objects.order_by("pk").first()
    if partner_list is None:
        raise CommandError("The demo made no list sent to a partner to attach a file to.")
    content = "학번,이름\r\n20261234,홍길동\r\n".encode()
    import hashlib

    PartnerListFile.objects.create(
        partner_list=partner_list, filename="drill.csv", content_type="text/csv", content=content,
        sha256=hashlib.sha256(content).hexdigest(), size=len(content),
    )
    return {
        "certificates": AffiliationApplication.objects.exclude(english_certificate="").count(),
        "notice attachments": NoticeAttachment.objects.count(),
        "partner list files": PartnerListFile.objects.count(),
    }


class Command(BaseCommand):
    help = "Build a demo database with stored files, back it up, restore it elsewhere, and compare rows and hashes."

    def add_arguments(self, parser):
        parser.add_argument("--seed-files", action="store_true", help="(internal) add the drill's stored files")
        parser.add_argument("--inventory", action="store_true", help="(internal) print row counts and hashes as JSON")
        parser.add_argument("--keep", action="store_true", help="Keep the drill databases and files afterwards.")

    def handle(self, *args, seed_files: bool = False, inventory: bool = False, keep: bool = False, **options):
        if seed_files:
            self.stdout.write(json.dumps(globals()["seed_files"]()))
            return
        if inventory:
            self.stdout.write(json.dumps({"tables": table_counts(), "files": file_hashes()}))
            return
        try:
            pg_env()
        except BackupError as exc:
            raise CommandError(exc.message) from exc
        self._drill(keep=keep)

    def _manage(self, env: dict, *args: str) -> str:
        result = subprocess.run(  # nosec B603
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args], env=env, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise CommandError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result.stdout

    def _env(self, work: Path, name: str, media: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "MEDIA_ROOT")}
        env.update(DATABASE_URL=_url(name), MEDIA_ROOT=str(work / media), MAIL_DIR=str(work / "mail"), DEBUG="true")
        env.setdefault("SECRET_KEY", "restore-drill-only")
        return env

    def _drill(self, *, keep: bool) -> None:
        started = time.monotonic()
        base = settings.DATABASES["default"]["NAME"]
        source, restored = f"{base}_drill_source", f"{base}_drill_restored"
        work = Path(tempfile.mkdtemp(prefix="restore-drill-"))
        self._drop(source, restored)
        src_env, dst_env = self._env(work, source, "media-source"), self._env(work, restored, "media-restored")
        subprocess.run(["createdb", "-T", "template0", source], env=pg_env(), check=True)  # nosec B603 B607
        self._manage(src_env, "migrate", "--noinput")
        self._manage(src_env, "load_demo")
        kinds = json.loads(self._manage(src_env, "restore_drill", "--seed-files").strip().splitlines()[-1])
        self.stdout.write("Stored files of each kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
        if not all(kinds.values()):
            raise CommandError(f"The drill needs a stored file of each kind: {kinds}")
        dumped = time.monotonic()
        backup_dir = self._manage(src_env, "backup", "--out", str(work / "backups")).strip().splitlines()[-1]
        dump_seconds, restore_started = elapsed(dumped), time.monotonic()
        self.stdout.write(self._manage(dst_env, "restore", backup_dir, "--create").strip())
        restore_seconds = elapsed(restore_started)
        before = json.loads(self._manage(src_env, "restore_drill", "--inventory").strip().splitlines()[-1])
        after = json.loads(self._manage(dst_env, "restore_drill", "--inventory").strip().splitlines()[-1])
        differences = [
            f"{what} {key}: {before[what].get(key)} → {after[what].get(key)}"
            for what in ("tables", "files") for key in sorted(set(before[what]) | set(after[what]))
            if before[what].get(key) != after[what].get(key)
        ]
        on_disk = sum(1 for key in after["files"] if key.startswith("media:"))
        figures = (
            f"{len(after['tables'])} tables compared, {sum(after['tables'].values())} rows, {len(after['files'])} files "
            f"({on_disk} on disk, {len(after['files']) - on_disk} in rows), {elapsed(started)} s "
            f"(backup {dump_seconds} s, restore and check {restore_seconds} s)"
        )
        if differences:
            self.stderr.write("\n".join(differences[:50]))
            raise CommandError(f"Restore drill FAILED: {len(differences)} differences; kept {work}. {figures}")
        if not keep:
            self._drop(source, restored)
            shutil.rmtree(work, ignore_errors=True)
        self.stdout.write(self.style.SUCCESS(f"Restore drill passed: {figures}."))

    def _drop(self, *names: str) -> None:
        for name in names:
            subprocess.run(  # nosec B603 B607
                ["dropdb", "--if-exists", "--force", name], env=pg_env(), check=True, capture_output=True,
            )
