"""Attachments: checked on upload, stored under server-chosen names, always served as downloads."""

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from core.errors import DomainError
from notices import services
from notices.models import NoticeAttachment

from ..factories import NoticeAttachmentFactory, NoticeFactory
from .conftest import PDF

XLSX = b"PK\x03\x04" + b"\x00" * 40
HWP = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40


def _url(attachment: NoticeAttachment) -> str:
    return f"/notices/{attachment.notice_id}/attachments/{attachment.pk}/"


def test_it_downloads_under_the_original_name_with_its_type(db):
    attachment = NoticeAttachmentFactory(original_name="학점교류 일정.pdf")

    response = Client().get(_url(attachment))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('학점교류 일정.pdf')}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n%%EOF\n"


def test_an_attachment_of_a_draft_is_hidden_from_the_public_but_not_from_editors(db, notice_editor):
    attachment = NoticeAttachmentFactory(notice=NoticeFactory(published_at=None))
    editor = Client()
    editor.force_login(notice_editor)

    assert Client().get(_url(attachment)).status_code == 404
    assert editor.get(_url(attachment)).status_code == 200


def test_an_attachment_is_reached_only_through_its_own_notice(db):
    attachment = NoticeAttachmentFactory()
    other = NoticeFactory()

    assert Client().get(f"/notices/{other.pk}/attachments/{attachment.pk}/").status_code == 404


def test_a_missing_file_is_not_found_rather_than_an_error(db):
    attachment = NoticeAttachmentFactory()
    attachment.file.storage.delete(attachment.file.name)

    assert Client().get(_url(attachment)).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("guide.pdf", PDF, "application/pdf"),
        ("일정표.XLSX", XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("안내문.hwp", HWP, "application/x-hwp"),
        ("poster.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 20, "image/jpeg"),
    ],
)
def test_it_accepts_the_usual_office_files(db, name, content, content_type):
    notice = NoticeFactory()

    attachment = services.notice_attachment_add(notice=notice, upload=SimpleUploadedFile(name, content))

    assert attachment.original_name == name
    assert attachment.content_type == content_type  # decided by the server, not the browser
    assert attachment.size == len(content)
    assert attachment.file.name.startswith("notices/") and attachment.file.name.endswith(name.rsplit(".")[-1].lower())


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("page.html", b"<html></html>", "page.html: only these file types can be attached"),
        ("image.svg", b"<svg onload=alert(1)>", "image.svg: only these file types can be attached"),
        ("no-extension", PDF, "no-extension: only these file types can be attached"),
        ("fake.pdf", b"<html><script>", "fake.pdf does not contain what its name says (PDF)"),
        ("fake.xlsx", PDF, "fake.xlsx does not contain what its name says (XLSX)"),
        ("empty.pdf", b"", "empty.pdf is empty."),
    ],
)
def test_it_refuses_other_or_disguised_files(db, name, content, message):
    notice = NoticeFactory()

    with pytest.raises(DomainError) as error:
        services.notice_attachment_add(notice=notice, upload=SimpleUploadedFile(name, content))

    assert str(error.value).startswith(message)
    assert not NoticeAttachment.objects.exists()


def test_it_refuses_a_file_over_the_limit(db, settings):
    settings.NOTICE_ATTACHMENT_MAX_BYTES = 1024
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)

    with pytest.raises(DomainError, match=r"big\.pdf is 2 KB; attachments may be at most 1 KB\."):
        services.attachment_check(upload=upload)


def test_a_path_in_the_uploaded_name_is_dropped(db):
    upload = SimpleUploadedFile("x.pdf", PDF)
    upload.name = "C:\\Users\\me\\guide.pdf"  # as some old browsers send it

    attachment = services.notice_attachment_add(notice=NoticeFactory(), upload=upload)

    assert attachment.original_name == "guide.pdf"
