"""The object store down or hung (FILE_STORAGE=s3, issue 16): a clear page or message, never a 500 or a lost draft.

The storage points at a closed local port (down) or at a socket that never answers (hung), with the short
timeouts of tests/s3.py; production's own timeouts are set in settings (test_file_storage_settings.py).
"""

from datetime import timedelta

from django.utils import timezone

from affiliation.models import AffiliationApplication

from ..factories import AffiliationApplicationFactory
from ..s3 import dead_store, silent_store  # noqa: F401 - fixtures
from .conftest import pdf


def _apply(client, cse, **files):
    return client.post("/affiliation/apply/", {
        "target_department": cse.pk, "english_test": "toeic", "english_score": 870,
        "english_test_date": (timezone.localdate() - timedelta(days=10)).isoformat(), "save": "1", **files})


def test_an_upload_while_the_store_is_down_keeps_the_draft_and_asks_for_the_file_again(
        dead_store, student_client, student, fall_round, cse):  # noqa: F811
    response = _apply(student_client, cse, study_plan=pdf("plan.pdf"))

    assert response.status_code == 200  # the form again, with the reason; not a 500
    application = AffiliationApplication.objects.get()
    assert application.english_score == 870 and application.target_department == cse  # the typed entries are kept
    assert not application.study_plan
    assert "study_plan" in response.context["form"].errors


def test_a_download_while_the_store_is_down_is_a_clear_503(
        dead_store, student_client, student, fall_round, cse):  # noqa: F811
    application = AffiliationApplicationFactory(record=student, round=fall_round, study_plan="affiliation/x/plan.pdf")

    response = student_client.get(f"/affiliation/applications/{application.pk}/study_plan/")
    assert response.status_code == 503 and response["Retry-After"]
    assert b'id="file-store-unavailable"' in response.content


def test_a_hung_store_times_out_into_the_same_503(silent_store, student_client, student, fall_round, cse):  # noqa: F811
    application = AffiliationApplicationFactory(record=student, round=fall_round, study_plan="affiliation/x/plan.pdf")

    response = student_client.get(f"/affiliation/applications/{application.pk}/study_plan/")
    assert response.status_code == 503


def test_the_form_still_opens_while_the_store_is_down(dead_store, student_client, student, fall_round, cse):  # noqa: F811
    AffiliationApplicationFactory(record=student, round=fall_round, study_plan="affiliation/x/plan.pdf")

    assert student_client.get("/affiliation/apply/").status_code == 200


def test_after_one_failure_the_store_is_left_alone_for_a_moment_then_tried_again(
        dead_store, student_client, student, fall_round, cse, monkeypatch):  # noqa: F811
    """A web process runs one request at a time (core/admission.py): a store that is down must cost the next
    requests nothing for a moment (an immediate 503, a form without sizes), not each its own timeouts."""
    from botocore.exceptions import EndpointConnectionError
    from storages.backends.s3 import S3Storage

    from core import files

    application = AffiliationApplicationFactory(record=student, round=fall_round, study_plan="affiliation/x/plan.pdf")
    url = f"/affiliation/applications/{application.pk}/study_plan/"
    assert student_client.get(url).status_code == 503  # the store was tried, and failed

    asked = []

    def still_down(self, *args):
        asked.append(args)
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    for name in ("exists", "open", "size"):
        monkeypatch.setattr(S3Storage, name, still_down)
    assert student_client.get(url).status_code == 503
    assert student_client.get("/affiliation/apply/").status_code == 200
    assert asked == []  # nothing waited on the store

    files.file_store_resume()  # the pause is over (or a test's reset): the store is asked again
    assert student_client.get(url).status_code == 503
    assert asked


def test_a_draft_saved_without_new_files_while_the_store_is_left_alone_is_saved(
        dead_store, student_client, student, fall_round, cse):  # noqa: F811
    application = AffiliationApplicationFactory(record=student, round=fall_round, study_plan="affiliation/x/plan.pdf")
    assert student_client.get(f"/affiliation/applications/{application.pk}/study_plan/").status_code == 503

    response = _apply(student_client, cse)  # no file chosen: nothing to ask the store

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.english_score == 870 and application.study_plan.name == "affiliation/x/plan.pdf"
