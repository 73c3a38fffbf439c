"""The notice admin with uploads in an S3-compatible bucket (FILE_STORAGE=s3, issue 16): staff get the
permission-checked download link, never a bucket URL, and an upload while the store is down keeps the notice."""

from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile

from notices.models import Notice, NoticeAttachment

from ..factories import NoticeAttachmentFactory
from ..s3 import dead_store, s3_bucket, s3_endpoint  # noqa: F401 - fixtures
from .conftest import PDF
from .test_admin import ADD, _form


def test_an_attachment_added_while_the_store_is_down_keeps_the_notice_and_says_so(
        db, dead_store, notice_editor_client):  # noqa: F811
    upload = SimpleUploadedFile("일정.pdf", PDF, content_type="application/pdf")

    response = notice_editor_client.post(ADD, _form(**{"attachments-0-file": upload}), HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302  # not a 500 that loses the notice the editor wrote
    assert Notice.objects.get().title_ko == "수강신청 안내" and not NoticeAttachment.objects.exists()
    assert any("일정.pdf" in str(m) and m.level_tag == "error" for m in get_messages(response.wsgi_request))


def test_the_notice_admin_links_to_the_checked_view_and_never_to_the_bucket(
        db, s3_endpoint, s3_bucket, notice_editor_client):  # noqa: F811
    attachment = NoticeAttachmentFactory()

    page = notice_editor_client.get(f"/admin/notices/notice/{attachment.notice_id}/change/").content.decode()

    assert attachment.get_absolute_url() in page
    assert s3_bucket not in page and s3_endpoint.removeprefix("http://") not in page and "X-Amz-" not in page
