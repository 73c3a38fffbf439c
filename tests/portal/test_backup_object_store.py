"""Backup and restore of the stored files when they live in an S3-compatible bucket (FILE_STORAGE=s3, issue 16).

The archive is written from, and restored into, whatever STORAGES["default"] is: here a real S3 server (moto,
tests/s3.py). The database half (pg_dump / pg_restore) is the same as on one host and is drilled by
``make restore-drill``."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ustportal import backup

from ..s3 import bucket_objects, s3_bucket, s3_client, s3_endpoint  # noqa: F401 - fixtures

FILES = {"affiliation/0a1b.pdf": b"%PDF-1.4 plan", "notices/ff00.hwp": b"\xd0\xcf\x11\xe0 notice", "notices/1.txt": b""}


def test_the_files_of_one_bucket_are_archived_and_restored_into_an_empty_one(s3_endpoint, s3_bucket, settings,  # noqa: F811
                                                                             tmp_path):
    for name, content in FILES.items():
        assert default_storage.save(name, ContentFile(content)) == name
    before = backup.media_hashes()
    assert backup.archive_files(tmp_path / "media.tar.gz") == 3

    fresh = "ust-restored"
    s3_client(s3_endpoint).create_bucket(Bucket=fresh)
    settings.STORAGES = {**settings.STORAGES, "default": {
        **settings.STORAGES["default"], "OPTIONS": {**settings.STORAGES["default"]["OPTIONS"], "bucket_name": fresh}}}
    assert backup.stored_names() == []
    assert backup.restore_files(tmp_path / "media.tar.gz") == 3

    assert bucket_objects(s3_endpoint, fresh) == FILES
    assert backup.media_hashes() == before


def test_a_restore_never_writes_over_a_bucket_that_holds_files(s3_endpoint, s3_bucket, tmp_path):  # noqa: F811
    default_storage.save("affiliation/a.pdf", ContentFile(b"old"))
    backup.archive_files(tmp_path / "media.tar.gz")

    with pytest.raises(backup.BackupError, match="as"):
        backup.restore_files(tmp_path / "media.tar.gz")  # the name is taken: the storage would rename it
    assert bucket_objects(s3_endpoint, s3_bucket)["affiliation/a.pdf"] == b"old"


def test_a_bucket_of_more_than_a_thousand_objects_and_prefixes_is_listed_whole(s3_endpoint, s3_bucket):  # noqa: F811
    """S3 answers a listing 1000 keys (and common prefixes) at a time; stored_names (the backup's inventory) must
    page through every one, or a backup would silently leave files out."""
    client = s3_client(s3_endpoint)
    files = [f"affiliation/{i:04d}.pdf" for i in range(1003)]
    directories = [f"notices/{i:04d}/a.hwp" for i in range(1002)]
    for key in files + directories:
        client.put_object(Bucket=s3_bucket, Key=key, Body=b"x")

    assert backup.stored_names() == sorted(files + directories)
