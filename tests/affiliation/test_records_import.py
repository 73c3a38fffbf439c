"""Student academic records from the student information system (SPEC §4.1): all or nothing."""

import pytest

from affiliation import services
from affiliation.models import SemesterRecord, StudentRecord
from core.errors import DomainError

from ..factories import DepartmentFactory, affiliation_campus

HEADER = ("student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
          "liberal_arts_met,teacher_training,applied_before,semesters\n")


@pytest.fixture
def reference(db):
    sejong, seoul = affiliation_campus(main=False), affiliation_campus(main=True)
    DepartmentFactory(code="sj-cse", campus=sejong)
    DepartmentFactory(code="cse", campus=seoul)


def test_a_valid_file_creates_records_accounts_and_histories(reference):
    content = HEADER + (
        "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,55,18,4.21,yes,none,no,2025-1 enrolled; 2025-2 leave; 2026-1 재학\n"
        "S2024002,Lee Doyun,dy@sejong.example,en,sejong,sj-cse,52,15,3.75,o,enrolled,x,2024-spring:E; 2024-fall:L\n"
    )
    report = services.records_import(content=content.encode(), filename="records.csv")
    assert report.ok and report.created == 2
    record = StudentRecord.objects.get(student_number="S2024001")
    assert (record.earned_credits, record.in_progress_credits, str(record.gpa), record.liberal_arts_met) == (55, 18, "4.21", True)
    assert record.user.username == "S2024001" and not record.user.has_usable_password()
    assert list(record.semesters.values_list("term__season", "status")) == [
        ("spring", "enrolled"), ("fall", "on_leave"), ("spring", "enrolled")]
    assert StudentRecord.objects.get(student_number="S2024002").user.language == "en"


def test_a_reimport_updates_and_replaces_the_history(reference):
    row = "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,{credits},18,4.21,yes,none,no,{semesters}\n"
    services.records_import(content=(HEADER + row.format(credits=55, semesters="2025-1 E; 2025-2 E")).encode(), filename="a.csv")
    report = services.records_import(content=(HEADER + row.format(credits=61, semesters="2026-1 E")).encode(), filename="a.csv")
    assert report.updated == 1 and report.created == 0
    record = StudentRecord.objects.get()
    assert record.earned_credits == 61 and record.semesters.count() == 1


def test_row_errors_are_reported_by_row_number_and_nothing_is_imported(reference):
    content = HEADER + (
        "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,55,18,4.21,yes,none,no,2025-1 enrolled\n"
        "S2024002,이도윤,dy@sejong.example,ko,sejong,sj-cse,52,15,4.75,yes,none,no,\n"
        "\n"
        "S2024003,박지호,jh@sejong.example,ko,sejong,cse,52,15,3.00,yes,none,no,\n"
        "S2024004,최하은,he@sejong.example,ko,sejong,sj-cse,52,15,3.00,maybe,none,no,2025-3 enrolled\n"
        "S2024001,김서연,sy@sejong.example,ko,sejong,sj-cse,55,18,4.21,yes,none,no,\n"
    )
    report = services.records_import(content=content.encode(), filename="records.csv")
    assert [row for row, _ in report.errors] == [3, 5, 6, 7]
    messages = dict(report.errors)
    assert "gpa" in messages[3] and "not on that campus" in messages[5] and "twice" in messages[7]
    assert not StudentRecord.objects.exists() and not SemesterRecord.objects.exists()


def test_a_file_without_the_expected_columns_is_refused(reference):
    with pytest.raises(DomainError) as excinfo:
        services.records_import(content=b"student_number,name\nS1,x\n", filename="records.csv")
    assert "semesters" in str(excinfo.value.message)


def test_cp949_csv_from_korean_excel_is_read(reference):
    content = HEADER + "S2024009,한시우,sw@sejong.example,ko,sejong,sj-cse,90,18,4.00,예,none,아니오,2025-1 재학\n"
    report = services.records_import(content=content.encode("cp949"), filename="records.csv")
    assert report.ok and StudentRecord.objects.get().name == "한시우"


# --- Issue 12: previews, e-mail conflicts (finding 5a), the staff action log, undo ------------------------------

ROW = "S2024001,김서연,{email},ko,sejong,sj-cse,{credits},18,4.21,yes,none,no,{semesters}\n"


def _file(email="sy@sejong.example", credits=55, semesters="2025-1 E; 2025-2 E") -> bytes:
    return (HEADER + ROW.format(email=email, credits=credits, semesters=semesters)).encode()


def _first_import(**kwargs):
    report = services.records_import(content=_file(**kwargs), filename="a.csv")
    assert report.ok
    return StudentRecord.objects.get(student_number="S2024001")


def test_a_reimport_keeps_an_address_the_office_changed_at_the_students_request(reference):
    """The finding: an address changed for the student (here by staff in the admin, which sets no
    ``email_changed_at``) was overwritten by the next import of the old address from the student information system."""
    record = _first_import()
    record.user.email = "new-mailbox@example.org"
    record.user.save()  # the admin's user form
    report = services.records_import(content=_file(credits=61), filename="a.csv")
    assert report.ok
    record.refresh_from_db()
    assert record.user.email == "new-mailbox@example.org" and record.earned_credits == 61
    assert [(c["student_number"], c["account_email"], c["record_email"], c["decision"]) for c in report.conflicts] == [
        ("S2024001", "new-mailbox@example.org", "sy@sejong.example", "keep")]


def test_a_reimport_keeps_an_address_the_student_confirmed_and_lists_the_conflict(reference):
    from django.utils import timezone

    record = _first_import()
    record.user.email, record.user.email_changed_at = "mine@example.org", timezone.now()
    record.user.save()
    preview = services.records_import(content=_file(), filename="a.csv", dry_run=True)
    assert [c["account_email"] for c in preview.conflicts] == ["mine@example.org"]
    services.records_import(content=_file(), filename="a.csv")
    assert StudentRecord.objects.get().user.email == "mine@example.org"


def test_a_new_address_from_the_records_replaces_one_nobody_changed(reference):
    _first_import()
    report = services.records_import(content=_file(email="sy2@sejong.example"), filename="a.csv")
    assert not report.conflicts and StudentRecord.objects.get().user.email == "sy2@sejong.example"


def test_staff_may_take_the_records_address_explicitly_and_the_decision_is_recorded(reference):
    from core.models import BulkAction

    from ..factories import UserFactory

    staff = UserFactory(username="clerk", is_staff=True)
    record = _first_import()
    record.user.email = "new-mailbox@example.org"
    record.user.save()
    preview = services.records_import(content=_file(), filename="a.csv", dry_run=True, email_conflicts="take")
    assert preview.conflicts[0]["decision"] == "take"
    services.records_import(content=_file(), filename="a.csv", email_conflicts="take", expected=preview.fingerprint,
                            actor=staff)
    assert StudentRecord.objects.get().user.email == "sy@sejong.example"
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    assert action.actor == staff and action.inputs["email_conflicts"] == "take"
    assert action.inputs["conflicts"][0]["account_email"] == "new-mailbox@example.org"
    entry = next(c for c in action.changes if c["object"] == "accounts.user")
    assert (entry["before"], entry["after"]) == ({"email": "new-mailbox@example.org"}, {"email": "sy@sejong.example"})


def test_a_reimport_keeps_the_language_the_student_chose(reference):
    record = _first_import()
    record.user.language = "en"
    record.user.save()  # the profile's preferred language
    services.records_import(content=_file(credits=60), filename="a.csv")
    assert StudentRecord.objects.get().user.language == "en"


def test_a_dry_run_writes_nothing_and_previews_every_change(reference):
    from accounts.models import User
    from core.models import BulkAction, OutgoingMail

    _first_import()
    before = BulkAction.objects.count()
    content = _file(credits=61) + ROW.replace("S2024001", "S2024002").format(
        email="n@sejong.example", credits=50, semesters="").encode()
    report = services.records_import(content=content, filename="a.csv", dry_run=True)
    assert report.ok and report.fingerprint and (report.created, report.updated) == (1, 1)
    assert not StudentRecord.objects.filter(student_number="S2024002").exists()
    assert not User.objects.filter(username="S2024002").exists()
    assert StudentRecord.objects.get().earned_credits == 55
    assert BulkAction.objects.count() == before and not OutgoingMail.objects.exists()
    changed = next(c for c in report.changes if c["object"] == "affiliation.studentrecord" and c["before"])
    assert (changed["before"]["earned_credits"], changed["after"]["earned_credits"]) == (55, 61)
    assert "name" not in changed["after"]  # only what changes
    created = [c for c in report.changes if c["before"] is None]
    assert {c["object"] for c in created} == {"affiliation.studentrecord", "accounts.user"}
    assert all(c["id"] is None for c in created)


def test_a_confirmation_refuses_a_stale_preview_and_writes_nothing(reference):
    from core.bulk import StalePreview

    _first_import()
    preview = services.records_import(content=_file(credits=61), filename="a.csv", dry_run=True)
    StudentRecord.objects.update(earned_credits=58)  # a hand edit in between
    with pytest.raises(StalePreview):
        services.records_import(content=_file(credits=61), filename="a.csv", expected=preview.fingerprint)
    assert StudentRecord.objects.get().earned_credits == 58
    other = services.records_import(content=_file(credits=62), filename="a.csv", dry_run=True)
    assert other.fingerprint != preview.fingerprint  # another file
    keep = services.records_import(content=_file(), filename="a.csv", dry_run=True)
    take = services.records_import(content=_file(), filename="a.csv", dry_run=True, email_conflicts="take")
    assert keep.fingerprint != take.fingerprint  # the decision is part of what was previewed


def test_the_import_stamps_imported_at_and_a_hand_edit_does_not(reference):
    record = _first_import()
    assert record.imported_at is not None and record.imported_email == "sy@sejong.example"
    stamp = record.imported_at
    record.earned_credits = 70
    record.save()
    record.refresh_from_db()
    assert record.imported_at == stamp


def test_the_import_is_recorded_in_the_staff_action_log(reference):
    from core.models import BulkAction

    _first_import()
    action = BulkAction.objects.get(kind="affiliation.records_import")
    assert action.inputs["file"] == "a.csv" and len(action.inputs["sha256"]) == 64
    created = {c["object"]: c for c in action.changes}
    assert created["affiliation.studentrecord"]["id"] == StudentRecord.objects.get().pk
    assert created["accounts.user"]["id"] == StudentRecord.objects.get().user_id


def test_undo_restores_values_history_and_the_import_stamp(reference):
    from ..factories import UserFactory

    staff = UserFactory(username="clerk", is_staff=True)
    record = _first_import()
    stamp = record.imported_at
    services.records_import(content=_file(credits=61, semesters="2026-1 E"), filename="a.csv", actor=staff)
    from core.models import BulkAction

    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    with pytest.raises(DomainError):
        services.records_import_undo(action=action, actor=staff, reason=" ")
    undo = services.records_import_undo(action=action, actor=staff, reason="wrong file")
    record.refresh_from_db()
    assert record.earned_credits == 55 and record.imported_at == stamp
    assert sorted(record.semesters.values_list("term__year", "term__season")) == [(2025, "fall"), (2025, "spring")]
    assert undo.undoes == action and undo.reason == "wrong file"
    with pytest.raises(DomainError):
        services.records_import_undo(action=action, actor=staff, reason="again")


def test_undo_is_refused_when_a_record_changed_since(reference):
    from core.models import BulkAction

    from ..factories import UserFactory

    staff = UserFactory(username="clerk", is_staff=True)
    _first_import()
    services.records_import(content=_file(credits=61), filename="a.csv")
    StudentRecord.objects.update(earned_credits=63)
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    with pytest.raises(DomainError) as refused:
        services.records_import_undo(action=action, actor=staff, reason="wrong file")
    assert "S2024001" in str(refused.value.message)
    assert StudentRecord.objects.get().earned_credits == 63


def test_undo_never_rewrites_an_account_address_without_the_same_explicit_decision(reference):
    """Undo must not hand an account to whoever reads an old address: the addresses an import took stay unless
    the undo itself decides to restore them, and then only where the account still has the imported address."""
    from core.models import BulkAction

    from ..factories import UserFactory

    staff = UserFactory(username="clerk", is_staff=True)
    record = _first_import()
    record.user.email = "student-own@example.org"
    record.user.save()
    services.records_import(content=_file(email="sis@sejong.example"), filename="a.csv", email_conflicts="take")
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    undo = services.records_import_undo(action=action, actor=staff, reason="wrong file")
    assert StudentRecord.objects.get().user.email == "sis@sejong.example"
    assert undo.inputs["emails_kept"] == ["S2024001"]


def test_undo_restores_an_address_only_when_asked_and_only_if_unchanged_since(reference):
    from core.models import BulkAction

    from ..factories import UserFactory

    staff = UserFactory(username="clerk", is_staff=True)
    record = _first_import()
    record.user.email = "student-own@example.org"
    record.user.save()
    services.records_import(content=_file(email="sis@sejong.example"), filename="a.csv", email_conflicts="take")
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    user = StudentRecord.objects.get().user
    user.email = "later@example.org"
    user.save()
    with pytest.raises(DomainError):
        services.records_import_undo(action=action, actor=staff, reason="wrong file", restore_emails=True)
    user.email = "sis@sejong.example"
    user.save()
    services.records_import_undo(action=action, actor=staff, reason="wrong file", restore_emails=True)
    assert StudentRecord.objects.get().user.email == "student-own@example.org"


def test_undo_of_a_first_import_removes_unused_records_and_accounts_only(reference):
    from accounts.models import User
    from core.models import BulkAction

    from ..factories import UserFactory

    staff = UserFactory(username="clerk", is_staff=True)
    _first_import()
    action = BulkAction.objects.get(kind="affiliation.records_import")
    user = User.objects.get(username="S2024001")
    user.set_password("chosen-by-student-1")
    user.save()
    with pytest.raises(DomainError):  # the student has set a password: the account is in use
        services.records_import_undo(action=action, actor=staff, reason="wrong file")
    user.set_unusable_password()
    user.save()
    services.records_import_undo(action=action, actor=staff, reason="wrong file")
    assert not StudentRecord.objects.exists() and not User.objects.filter(username="S2024001").exists()


def test_the_upload_previews_the_conflicts_and_the_confirmation_applies_the_decision(
    reference, committee_client, committee, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core.models import BulkAction, StaffJob

    record = _first_import()
    record.user.email = "new-mailbox@example.org"
    record.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = committee_client.post("/admin/affiliation/studentrecord/import/", {
            "file": SimpleUploadedFile("r.csv", _file(credits=66)), "email_conflicts": "keep"})
    preview_job = StaffJob.objects.latest("pk")
    page = committee_client.get(response["Location"]).content.decode()
    assert preview_job.params == {"email_conflicts": "keep", "dry_run": True}
    assert "new-mailbox@example.org" in page and "sy@sejong.example" in page and "keep the student" in page
    assert StudentRecord.objects.get().earned_credits == 55  # a preview writes nothing
    with django_capture_on_commit_callbacks(execute=True):
        committee_client.post(f"/staff/jobs/{preview_job.pk}/confirm/", {"fingerprint": preview_job.report["fingerprint"]})
    record.refresh_from_db()
    assert record.earned_credits == 66 and record.user.email == "new-mailbox@example.org"
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    assert action.actor == committee and action.inputs["email_conflicts"] == "keep"
    assert action.inputs["conflicts"][0]["account_email"] == "new-mailbox@example.org"


def test_the_preview_names_the_decision_to_take_the_record_s_address(
    reference, committee_client, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    record = _first_import()
    record.user.email = "new-mailbox@example.org"
    record.user.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = committee_client.post("/admin/affiliation/studentrecord/import/", {
            "file": SimpleUploadedFile("r.csv", _file(credits=66)), "email_conflicts": "take"})
    page = committee_client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "this import: take the record's address" in page and "this import: keep" not in page


def test_the_undo_page_previews_and_undoes_with_a_reason_and_keeps_addresses_by_default(
    reference, committee_client, registrar
):
    from django.test import Client

    from core.models import BulkAction

    record = _first_import()
    record.user.email = "student-own@example.org"
    record.user.save()
    services.records_import(content=_file(email="sis@sejong.example", credits=61), filename="a.csv",
                            email_conflicts="take")
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    url = f"/admin/affiliation/studentrecord/import/undo/{action.pk}/"
    other_role = Client()
    other_role.force_login(registrar)
    assert other_role.post(url, {"reason": "x"}).status_code == 403
    page = committee_client.get(url).content.decode()
    assert "S2024001" in page and "student-own@example.org" in page and "sis@sejong.example" in page
    assert committee_client.post(url, {"reason": ""}).status_code == 200
    response = committee_client.post(url, {"reason": "wrong file"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.earned_credits == 55 and record.user.email == "sis@sejong.example"
    assert BulkAction.objects.get(undoes=action).inputs["emails_kept"] == ["S2024001"]
    other = BulkAction.objects.get(undoes=action)
    assert committee_client.get(f"/admin/affiliation/studentrecord/import/undo/{other.pk}/").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_confirmations_of_one_preview_at_once_apply_once(reference):
    """The confirmation re-reads the rows under row locks: the second waits, then finds them changed (stale)."""
    from core.bulk import StalePreview
    from core.models import BulkAction
    from tests.concurrency import run_at_once

    _first_import()
    preview = services.records_import(content=_file(credits=61), filename="a.csv", dry_run=True)
    outcomes = run_at_once([
        lambda: services.records_import(content=_file(credits=61), filename="a.csv", expected=preview.fingerprint)
        for _ in range(2)
    ], workers=2)
    assert sorted(type(o).__name__ for o in outcomes) == sorted(["RecordsImportReport", StalePreview.__name__])
    assert BulkAction.objects.filter(kind="affiliation.records_import").count() == 2  # the first import and one confirm
    assert StudentRecord.objects.get().earned_credits == 61


def test_the_command_keeps_the_students_address_by_default_and_names_the_conflict(reference, tmp_path, capsys):
    from django.core.management import call_command

    record = _first_import()
    record.user.email = "student-own@example.org"
    record.user.save()
    path = tmp_path / "records.csv"
    path.write_bytes(_file())
    call_command("import_student_records", str(path))
    assert "S2024001: e-mail student-own@example.org (keep" in capsys.readouterr().out
    assert StudentRecord.objects.get().user.email == "student-own@example.org"
    call_command("import_student_records", str(path), "--email-conflicts", "take")
    assert StudentRecord.objects.get().user.email == "sy@sejong.example"


def test_the_undo_page_warns_when_a_winter_check_judged_the_records_after_the_import(reference):
    from django.utils import timezone

    from affiliation.models import AffiliationRound
    from core.models import BulkAction

    from ..factories import AffiliationApplicationFactory, UserFactory

    staff = UserFactory(username="clerk2", is_staff=True)
    record = _first_import()
    services.records_import(content=_file(credits=70, semesters="2026-1 E"), filename="a.csv", actor=staff)
    action = BulkAction.objects.filter(kind="affiliation.records_import").latest("pk")
    application = AffiliationApplicationFactory(record=record)
    assert services.records_import_undo_preview(action=action)["checked_rounds"] == []
    AffiliationRound.objects.filter(pk=application.round_id).update(conditions_checked_at=timezone.now())
    assert services.records_import_undo_preview(action=action)["checked_rounds"] == [str(application.round)]
