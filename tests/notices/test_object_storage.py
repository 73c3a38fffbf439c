"""Notice attachments in an S3-compatible object store (FILE_STORAGE=s3), against moto's server (tests/s3.py)."""

from django.test import Client

from notices.models import NoticeAttachment

from ..factories import NoticeAttachmentFactory, NoticeFactory
from ..s3 import bucket_objects, s3_bucket, s3_client, s3_endpoint  # noqa: F401 - fixtures


def _url(attachment: NoticeAttachment) -> str:
    return f"/notices/{attachment.notice_id}/attachments/{attachment.pk}/"


def test_an_attachment_is_kept_in_the_bucket_and_streams_through_the_view(db, s3_endpoint, s3_bucket, settings):  # noqa: F811
    attachment = NoticeAttachmentFactory(original_name="일정.pdf")

    assert bucket_objects(s3_endpoint, s3_bucket) == {attachment.file.name: b"%PDF-1.4\n%%EOF\n"}
    assert not (settings.MEDIA_ROOT / "notices").exists()
    response = Client().get(_url(attachment))
    assert response.status_code == 200 and "Location" not in response
    assert b"".join(response.streaming_content) == b"%PDF-1.4\n%%EOF\n"


def test_a_drafts_attachment_stays_hidden_and_a_missing_object_is_not_found(db, s3_endpoint, s3_bucket):  # noqa: F811
    hidden = NoticeAttachmentFactory(notice=NoticeFactory(published_at=None))
    assert Client().get(_url(hidden)).status_code == 404

    gone = NoticeAttachmentFactory()
    s3_client(s3_endpoint).delete_object(Bucket=s3_bucket, Key=gone.file.name)
    assert Client().get(_url(gone)).status_code == 404


def test_an_attachment_while_the_store_is_down_is_a_clear_503(db, settings):
    from ..s3 import _options

    attachment = NoticeAttachmentFactory()  # kept on the disk; then the portal is pointed at a store that is down
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _options(
        "http://127.0.0.1:9", "ust-down", connect_timeout=1, read_timeout=1, retries={"max_attempts": 1})}}

    response = Client().get(_url(attachment))
    assert response.status_code == 503 and b'id="file-store-unavailable"' in response.content


def test_removing_an_attachment_whose_object_cannot_be_removed_still_removes_the_row(
        db, s3_endpoint, s3_bucket, monkeypatch, django_capture_on_commit_callbacks):  # noqa: F811
    from botocore.exceptions import EndpointConnectionError
    from storages.backends.s3 import S3Storage

    from notices import services

    attachment = NoticeAttachmentFactory()

    def gone(self, name):
        raise EndpointConnectionError(endpoint_url=s3_endpoint)

    monkeypatch.setattr(S3Storage, "delete", gone)
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_attachment_remove(attachment=attachment)  # from the admin: a 500 after the commit otherwise

    assert not NoticeAttachment.objects.filter(pk=attachment.pk).exists()
