"""Finding 1 in a real browser: a committee member signs in to the admin, uploads a records file through the
real import page, and sees the row error for a student number that is a staff account's user name (nothing is
imported, the account is untouched); then a clean file is previewed, confirmed, and imported, creating a
home-student account."""

import pytest
from django.contrib.auth.models import Group

from accounts.models import User
from accounts.roles import ensure_roles
from affiliation.models import StudentRecord
from core.models import StaffJob
from tests.browser.conftest import axe_check, submit

from ..factories import DepartmentFactory, UserFactory, affiliation_campus

PASSWORD = "correct-horse-battery"  # noqa: S105 - the factories' password
HEADER = ("student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
          "liberal_arts_met,teacher_training,applied_before,semesters\n")
ROW = "{number},김서연,{email},ko,sejong,sj-cse,60,10,4.00,yes,none,no,2026-1 enrolled; 2026-2 재학\n"
WORDS = {
    "ko": {"refused": "3행: 학번 registrar은(는) 이미 교직원 또는 교환학생 계정의 사용자 이름입니다",
           "failed": "실패", "done": "완료"},
    "en": {"refused": "Row 3: student number registrar is already the user name of a staff or exchange-student account",
           "failed": "Failed", "done": "Done"},
}


def records_file(*rows: tuple[str, str]) -> dict:
    content = HEADER + "".join(ROW.format(number=number, email=email) for number, email in rows)
    return {"name": "records.csv", "mimeType": "text/csv", "buffer": content.encode()}


def upload(page, base_url: str, file: dict) -> None:
    page.goto(f"{base_url}/admin/affiliation/studentrecord/import/")
    page.set_input_files("#id_file", files=[file])
    submit(page, "#content form input[type=submit]")


@pytest.mark.browser
@pytest.mark.parametrize(("language", "phone"), [("ko", False), ("en", False), ("ko", True)], ids=["ko", "en", "ko-phone"])
def test_the_committee_import_refuses_a_staff_user_name_then_imports_a_clean_file(
    open_page, live_server, problems, shot, language, phone
):
    from playwright.sync_api import expect

    ensure_roles()
    member = UserFactory(username="committee", is_staff=True, language=language)
    member.groups.add(Group.objects.get(name="affiliation_committee"))
    registrar = UserFactory(username="registrar", email="registrar@ust.example", is_staff=True)
    registrar.groups.add(Group.objects.get(name="registrar"))
    before = User.objects.filter(pk=registrar.pk).values().get()
    DepartmentFactory(code="sj-cse", campus=affiliation_campus(main=False))
    page = open_page(language=language, phone=phone)
    page.route("**/favicon.ico", lambda route: route.fulfill(status=204))
    name = f"committee-import-{language}{'-phone' if phone else ''}"

    # 1. The admin's own sign-in page, straight on to the import page.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/affiliation/studentrecord/import/")
    page.fill("#id_username", "committee")
    page.fill("#id_password", PASSWORD)
    submit(page, "#login-form input[type=submit]")
    expect(page.locator("#id_file")).to_be_visible()

    # 2. A file whose second row names the registrar's account, with the attacker's address: refused as a whole.
    upload(page, live_server.url, records_file(("S2024001", "kim@ust.example"), ("registrar", "mallory@attacker.example")))
    expect(page.locator("#job-state")).to_have_text(WORDS[language]["failed"])
    expect(page.locator("#job-failures")).to_contain_text(WORDS[language]["refused"])
    shot(page, f"{name}-refused")
    assert User.objects.filter(pk=registrar.pk).values().get() == before
    assert not StudentRecord.objects.exists() and not User.objects.filter(username__iexact="S2024001").exists()

    # 3. The same file without that row is previewed (nothing imported yet), confirmed, and imported: it creates
    #    the student's own home account, and the job page links the staff action log's entry (issue 12).
    upload(page, live_server.url, records_file(("S2024001", "kim@ust.example")))
    expect(page.locator("#job-preview-table")).to_contain_text("S2024001")
    expect(page.locator("#job-preview-table")).to_contain_text("kim@ust.example")
    shot(page, f"{name}-preview")
    axe_check(page, context=f"{name} preview")
    assert not StudentRecord.objects.exists()
    submit(page, "#job-confirm")
    expect(page.locator("#job-state")).to_have_text(WORDS[language]["done"])
    expect(page.locator("#job-bulk-actions a")).to_contain_text("affiliation.records_import")
    expect(page.locator("#job-confirms")).to_be_visible()
    shot(page, f"{name}-imported")
    record = StudentRecord.objects.select_related("user").get()
    assert (record.student_number, record.user.username, record.user.kind, record.user.email) == (
        "S2024001", "S2024001", User.Kind.HOME, "kim@ust.example")
    assert list(StaffJob.objects.order_by("pk").values_list("status", flat=True)) == ["failed", "done", "done"]
    assert User.objects.filter(pk=registrar.pk).values().get() == before
    assert problems == []
