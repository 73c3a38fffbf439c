"""Review R2 (issue 12, recovery): a backup's files are the operator's only, a manifest cannot be edited into
checking nothing, and a crafted media archive cannot write outside MEDIA_ROOT."""

import io
import json
import tarfile

import pytest

from ustportal import backup

from .test_backup import media, stored  # noqa: F401 - fixtures

pytestmark = pytest.mark.postgres


def test_every_file_of_a_backup_is_readable_by_the_operator_only(stored, tmp_path):  # noqa: F811
    target = backup.backup(out=tmp_path / "backups")

    for name in (backup.DUMP, backup.MEDIA, backup.MANIFEST):
        assert oct((target / name).stat().st_mode & 0o777) == "0o600", name


@pytest.mark.parametrize("dropped", [backup.DUMP, backup.MEDIA])
def test_a_manifest_edited_to_check_no_archive_is_refused(stored, tmp_path, dropped):  # noqa: F811
    target = backup.backup(out=tmp_path / "backups")
    manifest = json.loads((target / backup.MANIFEST).read_text())
    del manifest["archives"][dropped]
    (target / backup.MANIFEST).write_text(json.dumps(manifest))

    with pytest.raises(backup.BackupError, match=dropped):
        backup.read_manifest(target)


def test_a_manifest_that_is_not_json_is_a_clear_refusal(tmp_path):
    (tmp_path / backup.MANIFEST).write_text("{not json")

    with pytest.raises(backup.BackupError, match="manifest"):
        backup.read_manifest(tmp_path)


@pytest.mark.parametrize("member", ["../escaped.txt", "/tmp/r2-absolute.txt", "link"])
def test_a_crafted_media_archive_writes_nothing_outside_media_root(tmp_path, member, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    archive_path = tmp_path / "m.tar.gz"
    with tarfile.open(archive_path, "w:gz") as archive:
        info = tarfile.TarInfo(member)
        if member == "link":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(info)
        else:
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))

    with pytest.raises(backup.BackupError, match="refuses|not a regular file"):
        backup.restore_files(archive_path)  # the very call restore() makes
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path.parent / "r2-absolute.txt").exists()
    assert not __import__("os").path.exists("/tmp/r2-absolute.txt")
    assert not (settings.MEDIA_ROOT / "link").is_symlink()
    assert not any(settings.MEDIA_ROOT.iterdir())


def test_a_crafted_archive_is_refused_whole_before_any_file_is_written(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    archive_path = tmp_path / "m.tar.gz"
    with tarfile.open(archive_path, "w:gz") as archive:
        for name in ("affiliation/good.pdf", "../escaped.txt"):
            info = tarfile.TarInfo(name)
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))

    with pytest.raises(backup.BackupError, match="escaped"):
        backup.restore_files(archive_path)
    assert backup.stored_names() == []


def test_a_python_without_safe_tar_extraction_refuses_before_restoring_anything(stored, tmp_path, monkeypatch):  # noqa: F811
    """filter="data" came with Python 3.11.4 (pyproject allows 3.11.0): an older one is refused with a clear message
    before pg_restore, not with a TypeError after the database was restored."""
    target = backup.backup(out=tmp_path / "backups")
    monkeypatch.delattr(tarfile, "data_filter")
    ran = []
    monkeypatch.setattr(backup, "_run", lambda *args, **kwargs: ran.append(args))

    with pytest.raises(backup.BackupError, match="3.11.4"):
        backup.restore(source=target)
    assert ran == []
