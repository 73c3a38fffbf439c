"""Uploads in an S3-compatible object store (FILE_STORAGE=s3): what several web nodes share instead of a disk.

Against a real S3 server (moto's server mode over HTTP, tests/s3.py): the student's upload lands in the private
bucket and nowhere on the local disk, streams back only through the permission-checked view (no redirect to a bucket
URL), a replaced file's object is removed once the change is committed, and a missing object is a 404.
"""

from datetime import timedelta

from django.utils import timezone

from affiliation.models import AffiliationApplication

from ..factories import StudentRecordFactory
from ..s3 import bucket_objects, s3_bucket, s3_endpoint  # noqa: F401 - fixtures
from .conftest import PDF, pdf

OTHER_PDF = PDF.replace(b"Catalog", b"Catalog /Lang (ko)")


def _apply(client, cse, **files):
    return client.post("/affiliation/apply/", {
        "target_department": cse.pk, "english_test": "toeic", "english_score": 870,
        "english_test_date": (timezone.localdate() - timedelta(days=10)).isoformat(), "save": "1", **files})


def test_an_upload_goes_to_the_bucket_and_streams_back_only_to_its_owner(
        s3_endpoint, s3_bucket, settings, student_client, student, fall_round, cse, client):  # noqa: F811
    response = _apply(student_client, cse, english_certificate=pdf("score.pdf"), study_plan=pdf("plan.pdf", OTHER_PDF))
    assert response.status_code == 302

    application = AffiliationApplication.objects.get()
    stored = bucket_objects(s3_endpoint, s3_bucket)
    assert stored == {application.english_certificate.name: PDF, application.study_plan.name: OTHER_PDF}
    assert not (settings.MEDIA_ROOT / "affiliation").exists()  # nothing on this node's disk

    url = f"/affiliation/applications/{application.pk}/study_plan/"
    download = student_client.get(url)
    assert download.status_code == 200 and "Location" not in download
    assert b"".join(download.streaming_content) == OTHER_PDF
    assert s3_bucket not in download.get("Content-Disposition", "")

    client.force_login(StudentRecordFactory().user)
    assert client.get(url).status_code == 404


def test_a_replaced_file_is_removed_from_the_bucket_after_the_commit(
        s3_endpoint, s3_bucket, student_client, student, fall_round, cse,  # noqa: F811
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _apply(student_client, cse, study_plan=pdf("plan.pdf"))
    first = AffiliationApplication.objects.get().study_plan.name
    with django_capture_on_commit_callbacks(execute=True):
        _apply(student_client, cse, study_plan=pdf("plan-2.pdf", OTHER_PDF))
    second = AffiliationApplication.objects.get().study_plan.name

    assert first != second
    assert bucket_objects(s3_endpoint, s3_bucket) == {second: OTHER_PDF}


def test_an_object_missing_from_the_bucket_is_not_found_and_the_checklist_still_opens(
        s3_endpoint, s3_bucket, student_client, student, fall_round, cse):  # noqa: F811
    from ..s3 import s3_client

    _apply(student_client, cse, study_plan=pdf("plan.pdf"))
    application = AffiliationApplication.objects.get()
    s3_client(s3_endpoint).delete_object(Bucket=s3_bucket, Key=application.study_plan.name)

    assert student_client.get(f"/affiliation/applications/{application.pk}/study_plan/").status_code == 404
    assert student_client.get("/affiliation/apply/").status_code == 200


def test_a_replaced_file_whose_old_object_cannot_be_removed_still_saves_the_draft(
        s3_endpoint, s3_bucket, student_client, student, fall_round, cse, monkeypatch,  # noqa: F811
        django_capture_on_commit_callbacks):
    from botocore.exceptions import ClientError
    from storages.backends.s3 import S3Storage

    _apply(student_client, cse, study_plan=pdf("plan.pdf"))

    def refused(self, name):  # a bucket policy without s3:DeleteObject, or the store gone right after the write
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "DeleteObject")

    monkeypatch.setattr(S3Storage, "delete", refused)
    with django_capture_on_commit_callbacks(execute=True):
        response = _apply(student_client, cse, study_plan=pdf("plan-2.pdf", OTHER_PDF))

    assert response.status_code == 302  # saved; the old object is left behind (and logged), not a 500
    assert bucket_objects(s3_endpoint, s3_bucket)[AffiliationApplication.objects.get().study_plan.name] == OTHER_PDF


def test_the_committee_admin_links_to_the_checked_view_and_never_to_the_bucket(
        s3_endpoint, s3_bucket, student_client, student, fall_round, cse, client):  # noqa: F811
    from django.contrib.auth import get_user_model

    _apply(student_client, cse, study_plan=pdf("plan.pdf"))
    application = AffiliationApplication.objects.get()
    client.force_login(get_user_model().objects.create_superuser("boss", "boss@example.com", "x"))

    page = client.get(f"/admin/affiliation/affiliationapplication/{application.pk}/change/").content.decode()

    assert f"/affiliation/applications/{application.pk}/study_plan/" in page
    assert s3_bucket not in page and s3_endpoint.removeprefix("http://") not in page and "X-Amz-" not in page
