"""A file archive whose names the storage would refuse, merge or change is refused whole, before any file is written
(restore_files checks every member first: a refused restore never leaves half the files behind)."""

import io
import tarfile

import pytest

from ustportal import backup


def _archive(path, names):
    with tarfile.open(path, "w:gz") as archive:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = 1
            archive.addfile(info, io.BytesIO(b"x"))
    return path


@pytest.mark.parametrize("names", [
    ["affiliation/a.pdf", "affiliation/../notices/b.pdf"],  # inside the root, so tarfile's filter lets it pass
    ["affiliation/a.pdf", "affiliation/a.pdf"],  # twice: the second would be renamed, or overwrite
    ["affiliation/a.pdf", "./affiliation/a.pdf"],  # twice once "./" is dropped
    ["notices", "notices/b.pdf"],  # a file and a directory of one name
    ["affiliation/a.pdf", "notices\\b.pdf"],  # a backslash: the S3 backend would store "notices/b.pdf"
], ids=["dotdot-inside", "duplicate", "duplicate-dot-slash", "file-and-directory", "backslash"])
def test_an_archive_the_storage_would_change_is_refused_before_anything_is_written(tmp_path, settings, names):
    settings.MEDIA_ROOT = tmp_path / "media"

    with pytest.raises(backup.BackupError):
        backup.restore_files(_archive(tmp_path / "m.tar.gz", names))
    assert backup.stored_names() == []


def test_an_archive_of_an_earlier_release_with_dot_slash_names_still_restores(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"

    assert backup.restore_files(_archive(tmp_path / "m.tar.gz", ["./affiliation/a.pdf", "./notices/b.pdf"])) == 2
    assert backup.stored_names() == ["affiliation/a.pdf", "notices/b.pdf"]


def test_a_storage_that_fails_midway_is_a_clear_refusal_that_says_what_to_do(tmp_path, settings, monkeypatch):
    from django.core.files.storage import FileSystemStorage

    settings.MEDIA_ROOT = tmp_path / "media"
    save = FileSystemStorage._save
    calls = []

    def fails_second(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("the store went away")
        return save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", fails_second)
    with pytest.raises(backup.BackupError, match=r"1 of 3 .*empty"):
        backup.restore_files(_archive(tmp_path / "m.tar.gz", ["a/1.pdf", "a/2.pdf", "a/3.pdf"]))
