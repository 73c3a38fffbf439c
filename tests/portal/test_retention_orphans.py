"""Stored files that no row names are removed by the nightly retention run (PIPA art. 21; ustportal/retention.py).

A file is removed only after its row is gone for good, so a removal that fails then leaves a file with no row, as
does an upload whose second file could not be stored. The sweep removes such files once they are older than
ORPHAN_MIN_AGE (an upload in progress writes its file just before its row), on the disk and in a bucket alike.
"""

import os
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from core.models import PersonalDataAccess
from ustportal import retention

from ..factories import NoticeAttachmentFactory
from ..s3 import bucket_objects, s3_bucket, s3_endpoint  # noqa: F401 - fixtures

TWO_DAYS = 2 * 24 * 3600


def _aged(name: str) -> str:
    path = default_storage.path(name)
    old = timezone.now().timestamp() - TWO_DAYS
    os.utime(path, (old, old))
    return name


def test_an_old_file_no_row_names_is_removed_and_logged(db):
    orphan = _aged(default_storage.save("affiliation/left-behind.pdf", ContentFile(b"%PDF-1.4 certificate")))
    kept = NoticeAttachmentFactory()  # named by its row
    _aged(kept.file.name)

    report = retention.personal_data_destroy_expired()

    assert report.orphans == [orphan] and f"file no row named: {orphan}" in report.lines()
    assert not default_storage.exists(orphan) and default_storage.exists(kept.file.name)
    entry = PersonalDataAccess.objects.get(model="ustportal.storedfile")
    assert entry.action == PersonalDataAccess.Action.DESTROY and entry.count == 1


def test_a_file_just_written_stays_for_its_row_and_a_dry_run_touches_nothing(db):
    fresh = default_storage.save("affiliation/upload-in-progress.pdf", ContentFile(b"%PDF-1.4"))
    old = _aged(default_storage.save("notices/left-behind.pdf", ContentFile(b"%PDF-1.4")))

    assert retention.personal_data_destroy_expired(dry_run=True).orphans == []
    assert default_storage.exists(old)
    assert retention.personal_data_destroy_expired().orphans == [old]
    assert default_storage.exists(fresh)


def test_a_file_the_storage_cannot_remove_now_is_not_reported_and_waits_for_the_next_run(db, monkeypatch):
    orphan = _aged(default_storage.save("affiliation/left-behind.pdf", ContentFile(b"%PDF-1.4")))

    def down(name):
        raise OSError("the store is down")

    monkeypatch.setattr(type(default_storage._wrapped), "delete", lambda self, name: down(name))
    assert retention.personal_data_destroy_expired().orphans == []
    monkeypatch.undo()

    assert retention.personal_data_destroy_expired().orphans == [orphan]


def test_the_sweep_works_on_a_bucket_too(db, s3_endpoint, s3_bucket):  # noqa: F811
    orphan = default_storage.save("affiliation/left-behind.pdf", ContentFile(b"%PDF-1.4 orphan"))
    kept = NoticeAttachmentFactory()

    removed = retention.orphan_files_destroy(before=timezone.now() + timedelta(seconds=5))

    assert removed == [orphan]
    assert list(bucket_objects(s3_endpoint, s3_bucket)) == [kept.file.name]


def test_a_storage_that_cannot_be_listed_leaves_the_run_standing(db, monkeypatch):
    orphan = _aged(default_storage.save("affiliation/left-behind.pdf", ContentFile(b"%PDF-1.4")))

    def unreachable(self, path):
        raise OSError("the store is down")

    monkeypatch.setattr(type(default_storage._wrapped), "listdir", unreachable)
    report = retention.personal_data_destroy_expired()
    monkeypatch.undo()

    assert report.orphans == [] and not report.skipped
    assert default_storage.exists(orphan)
