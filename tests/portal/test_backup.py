"""Backup and restore (issue 12, "Recovery"): the manifest holds every table's rows and every stored file's
SHA-256; the check finds any difference; a restore never goes into a database or media directory that holds data.
The whole dump → restore → compare runs in ``make restore-drill`` (CI), with the demo data and files."""

import json
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from creditexchange.models import PartnerListFile
from notices.models import NoticeAttachment
from ustportal import backup

from ..factories import InstitutionFactory

pytestmark = pytest.mark.postgres


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def stored(transactional_db, media):
    from ..factories import NoticeFactory

    attachment = NoticeAttachment(notice=NoticeFactory(), original_name="a.pdf", size=4, content_type="application/pdf")
    attachment.file.save("a.pdf", ContentFile(b"%PDF"), save=True)
    return attachment


def test_a_backup_holds_the_dump_the_files_and_a_manifest_that_matches_the_database(stored, media, tmp_path):
    target = backup.backup(out=tmp_path / "backups")

    manifest = backup.read_manifest(target)
    assert (target / backup.DUMP).stat().st_size > 0 and (target / backup.MEDIA).is_file()
    assert manifest["tables"]["notices_noticeattachment"] == 1 and "django_migrations" in manifest["tables"]
    assert manifest["files"][f"media:{stored.file.name}"] == backup.media_hashes()[f"media:{stored.file.name}"]
    assert oct(target.stat().st_mode & 0o777) == "0o700"
    assert backup.verify(manifest=manifest).ok


def test_the_check_names_a_changed_file_a_missing_row_and_bytes_kept_in_a_row(stored, media, tmp_path):
    target = backup.backup(out=tmp_path / "backups")
    manifest = backup.read_manifest(target)
    Path(stored.file.path).write_bytes(b"%PDF changed")
    InstitutionFactory()
    manifest["files"]["db:creditexchange_partnerlistfile/99/content"] = "0" * 64

    result = backup.verify(manifest=manifest)

    assert not result.ok
    assert f"file media:{stored.file.name}: SHA-256 differs" in result.differences
    assert any(d.startswith("table academics_institution: ") for d in result.differences)
    assert "file db:creditexchange_partnerlistfile/99/content: missing" in result.differences
    assert not PartnerListFile.objects.exists()


def test_a_damaged_archive_is_refused_before_anything_is_restored(stored, tmp_path):
    target = backup.backup(out=tmp_path / "backups")
    with (target / backup.DUMP).open("ab") as dump:
        dump.write(b"x")

    with pytest.raises(backup.BackupError, match="database.dump is not the file the backup wrote"):
        backup.read_manifest(target)


def test_a_restore_refuses_a_database_that_has_tables(stored, tmp_path):
    target = backup.backup(out=tmp_path / "backups")

    with pytest.raises(CommandError, match="already has tables"):
        call_command("restore", str(target))


def test_the_manifest_is_plain_json_an_operator_can_read(stored, tmp_path):
    target = backup.backup(out=tmp_path / "backups")

    manifest = json.loads((target / backup.MANIFEST).read_text())
    assert set(manifest) >= {"tables", "files", "migrations", "archives", "created_at", "database"}
