"""A student's upload kept in the S3-compatible bucket and downloaded again, in a real browser (issue 16).

The portal runs with FILE_STORAGE=s3's storage against a real S3 server (moto, tests/s3.py): the file chosen in the
form lands in the private bucket, never on the node's disk; the link on the form downloads the same bytes through the
permission-checked view, and another student's browser gets a 404 for the same address.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from affiliation.models import AffiliationApplication
from tests.affiliation.conftest import PDF, history
from tests.browser.conftest import axe_check, log_in, submit

from ..factories import (
    AffiliationRoundFactory,
    CollegeFactory,
    DepartmentFactory,
    DepartmentQuotaFactory,
    StudentRecordFactory,
    UserFactory,
    affiliation_campus,
)
from ..s3 import bucket_objects, s3_bucket, s3_endpoint  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PLAN = PDF.replace(b"Catalog", b"Catalog /Lang (ko-KR)")


@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True), ("en", True)],
                         ids=["ko", "en", "ko-phone", "en-phone"])
def test_an_upload_goes_to_the_bucket_and_downloads_only_for_its_owner(
        live_server, open_page, problems, shot, tmp_path, settings, s3_endpoint, s3_bucket, language, phone):  # noqa: F811
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    round = AffiliationRoundFactory()
    college = CollegeFactory(code="eng", name_ko="공과대학", name_en="College of Engineering")
    cse = DepartmentFactory(campus=affiliation_campus(main=True), college=college, code="cse",
                            name_ko="컴퓨터학과", name_en="Computer Science")
    DepartmentQuotaFactory(round=round, department=cse, general_transfer_number=2)
    owner = UserFactory(username="home1", language=language, kind="home")
    history(StudentRecordFactory(user=owner), "EEEE")
    certificate, plan = tmp_path / "toeic.pdf", tmp_path / "plan.pdf"
    certificate.write_bytes(PDF)
    plan.write_bytes(PLAN)

    page = open_page(language=language, phone=phone)
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/affiliation/apply/")
    page.select_option("#id_target_department", str(cse.pk))
    page.select_option("#id_english_test", "toeic")
    page.fill("#id_english_score", "880")
    page.fill("#id_english_test_date", (timezone.localdate() - timedelta(days=40)).isoformat())
    page.set_input_files("#id_english_certificate", str(certificate))
    page.set_input_files("#id_study_plan", str(plan))
    submit(page, "#application-form button[name=save]")

    application = AffiliationApplication.objects.get()
    assert bucket_objects(s3_endpoint, s3_bucket) == {application.english_certificate.name: PDF,
                                                      application.study_plan.name: PLAN}
    assert not (tmp_path / "media").exists()

    page.goto(f"{live_server.url}/affiliation/apply/")
    link = page.locator("#study_plan-uploaded a")
    expect(link).to_be_visible()
    shot(page, f"object-store-upload-{language}{'-phone' if phone else ''}")
    axe_check(page, context="uploaded files from the bucket")
    with page.expect_download() as download:
        link.click()
    assert download.value.path().read_bytes() == PLAN
    assert not problems, problems

    other = open_page(language=language, phone=phone)
    log_in(other, live_server, UserFactory(username="home2", language=language, kind="home"))
    refused = other.goto(f"{live_server.url}/affiliation/applications/{application.pk}/study_plan/")
    assert refused.status == 404
