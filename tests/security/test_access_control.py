"""Finding 1 and least privilege: the student-record import touches only the home-student accounts it made,
each staff role sees and edits only what its work needs, and role sync is exact.
"""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import User
from accounts.roles import ROLE_PERMISSIONS, ensure_roles
from accounts.services import temporary_id_allocate
from affiliation import services
from affiliation.models import StudentRecord
from core.models import OutgoingMail, StaffJob

from ..factories import (
    DepartmentFactory,
    StudentRecordFactory,
    TemporaryStudentIdFactory,
    UserFactory,
    affiliation_campus,
)

HEADER = ("student_number,name,email,language,campus,department,earned_credits,in_progress_credits,gpa,"
          "liberal_arts_met,teacher_training,applied_before,semesters\n")
ROW = "{number},Mallory,{email},en,sejong,sj-cse,60,10,4.00,yes,none,no,2026-2 enrolled\n"


def records_file(number: str, email: str = "mallory@attacker.example") -> bytes:
    return (HEADER + ROW.format(number=number, email=email)).encode()


def import_records(number: str, email: str = "mallory@attacker.example"):
    return services.records_import(content=records_file(number, email), filename="records.csv")


def snapshot(user: User) -> tuple:
    user.refresh_from_db()
    return (user.username, user.email, user.password, user.is_active, user.is_staff, user.is_superuser, user.language)


@pytest.fixture
def reference(db):
    DepartmentFactory(code="sj-cse", campus=affiliation_campus(main=False))


def _role_user(username: str, role: str | None) -> User:
    ensure_roles()
    user = UserFactory(username=username, is_staff=True, kind=User.Kind.STAFF)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def root(db):
    return UserFactory(username="root", email="root@ust.example", is_staff=True, is_superuser=True)


@pytest.fixture
def registrar(db):
    return _role_user("registrar", "registrar")


@pytest.fixture
def committee(db):
    return _role_user("committee", "affiliation_committee")


@pytest.fixture
def exchange_student(db):
    return TemporaryStudentIdFactory(student_id="T202600001", user__email="student@partner.example").user


# --- Finding 1: the import never takes over an account it did not make -------------------------------------------

@pytest.mark.parametrize("target", ["root", "ROOT", "registrar", "T202600001", "t202600001"])
def test_it_refuses_a_student_number_that_is_a_staff_or_exchange_user_name(
    reference, root, registrar, exchange_student, target
):
    victim = {"root": root, "registrar": registrar, "t202600001": exchange_student}[target.lower()]
    before = snapshot(victim)

    first = import_records(target, email="harmless@ust.example")
    second = import_records(target)  # the attack: the same number again, now with the attacker's address

    for report in (first, second):
        assert not report.ok and [row for row, _ in report.errors] == [2]
        assert "already the user name of a staff or exchange-student account" in report.errors[0][1]
    assert snapshot(victim) == before
    assert not StudentRecord.objects.exists()
    assert not OutgoingMail.objects.exists()


def test_the_whole_file_is_refused_when_one_row_names_a_staff_account(reference, root):
    content = HEADER + ROW.format(number="S2024001", email="a@ust.example") + ROW.format(number="root", email="x@x.example")
    report = services.records_import(content=content.encode(), filename="records.csv")
    assert [row for row, _ in report.errors] == [3]
    assert not StudentRecord.objects.exists() and not User.objects.filter(username="S2024001").exists()


def test_a_record_already_linked_to_a_staff_account_is_never_updated(reference, root):
    """A record linked before this fix (or by hand) to someone else's account: the import refuses to write it."""
    StudentRecordFactory(student_number="S2024001", user=root)
    before = snapshot(root)
    report = import_records("S2024001")
    assert not report.ok and "not a home-student account this import created" in report.errors[0][1]
    assert snapshot(root) == before


def test_a_record_linked_to_another_home_students_account_is_not_updated(reference):
    other = UserFactory(username="S1111111", kind=User.Kind.HOME, email="other@ust.example")
    StudentRecordFactory(student_number="S2024001", user=other)
    report = import_records("S2024001")
    assert not report.ok and "not a home-student account this import created" in report.errors[0][1]
    assert User.objects.get(pk=other.pk).email == "other@ust.example"


def test_a_home_account_with_staff_rights_is_never_touched(reference):
    promoted = UserFactory(username="S2024001", kind=User.Kind.HOME, is_staff=True, email="me@ust.example")
    report = import_records("S2024001")
    assert not report.ok and "staff rights" in report.errors[0][1]
    assert snapshot(promoted)[1] == "me@ust.example"


def test_it_creates_a_home_account_and_updates_only_that_one(reference):
    assert import_records("S2024001", email="first@ust.example").ok
    user = User.objects.get(username="S2024001")
    assert user.kind == User.Kind.HOME and not user.has_usable_password()
    report = import_records("s2024001", email="second@ust.example")  # a number differing only in case is the same student
    assert report.ok and report.updated == 1
    user.refresh_from_db()
    assert user.email == "second@ust.example" and StudentRecord.objects.get().user == user


def test_an_email_the_student_changed_is_kept(reference):
    assert import_records("S2024001", email="sis@ust.example").ok
    user = User.objects.get(username="S2024001")
    user.email, user.email_changed_at = "mine@student.example", timezone.now()
    user.save()
    assert import_records("S2024001", email="mallory@attacker.example").ok
    user.refresh_from_db()
    assert user.email == "mine@student.example"


def test_a_deactivated_account_stays_inactive(reference):
    assert import_records("S2024001").ok
    User.objects.filter(username="S2024001").update(is_active=False)
    assert import_records("S2024001").ok
    assert User.objects.get(username="S2024001").is_active is False


def test_an_existing_home_account_without_a_record_is_linked_but_not_reactivated(reference):
    home = UserFactory(username="S2024001", kind=User.Kind.HOME, is_active=False)
    assert import_records("S2024001").ok
    home.refresh_from_db()
    assert StudentRecord.objects.get().user == home and home.is_active is False


def test_temporary_id_allocation_skips_a_taken_user_name(db, settings):
    settings.TEMP_ID_FORMAT = "T{year}{seq:05d}"
    UserFactory(username="t202700001", kind=User.Kind.HOME)
    UserFactory(username="T202700002", kind=User.Kind.HOME)
    assert temporary_id_allocate(year=2027) == "T202700003"


# --- the record admin: no account picker but for superusers ----------------------------------------------------------

def test_the_record_admin_has_no_account_picker_for_the_committee(client, committee, root):
    record = StudentRecordFactory()
    client.force_login(committee)
    url = reverse("admin:affiliation_studentrecord_change", args=[record.pk])
    page = client.get(url).content.decode()
    assert 'name="user"' not in page
    data = {
        "user": root.pk, "student_number": record.student_number, "name": record.name, "campus": record.campus_id,
        "department": record.department_id, "earned_credits": 1, "in_progress_credits": 0, "gpa": "3.00",
        "teacher_training": "none", "semesters-TOTAL_FORMS": "0", "semesters-INITIAL_FORMS": "0", "_save": "Save",
    }
    assert client.post(url, data).status_code == 302
    record.refresh_from_db()
    assert record.earned_credits == 1 and record.user != root
    add = client.get(reverse("admin:affiliation_studentrecord_add")).content.decode()
    assert 'name="user"' not in add


def test_a_record_added_by_the_committee_gets_its_own_home_account(client, committee, root, reference):
    client.force_login(committee)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    campus = affiliation_campus(main=False)
    data = {
        "user": root.pk, "student_number": "S2024777", "name": "Kim", "campus": campus.pk,
        "department": DepartmentFactory(campus=campus).pk, "earned_credits": 1, "in_progress_credits": 0,
        "gpa": "3.00", "teacher_training": "none", "semesters-TOTAL_FORMS": "0", "semesters-INITIAL_FORMS": "0",
    }
    assert client.post(reverse("admin:affiliation_studentrecord_add"), data).status_code == 302
    record = StudentRecord.objects.get(student_number="S2024777")
    assert (record.user.username, record.user.kind) == ("S2024777", User.Kind.HOME)
    refused = client.post(reverse("admin:affiliation_studentrecord_add"), {**data, "student_number": "root"})
    assert refused.status_code == 200 and "already the user name of a staff" in refused.content.decode()
    assert not StudentRecord.objects.filter(student_number="root").exists()


def test_the_superusers_picker_offers_only_home_accounts(client, root):
    home = UserFactory(kind=User.Kind.HOME)
    record = StudentRecordFactory()
    client.force_login(root)
    url = reverse("admin:affiliation_studentrecord_change", args=[record.pk])
    assert 'name="user"' in client.get(url).content.decode()
    search = client.get("/admin/autocomplete/", {
        "app_label": "affiliation", "model_name": "studentrecord", "field_name": "user", "term": ""}).json()
    ids = {int(r["id"]) for r in search["results"]}
    assert home.pk in ids and root.pk not in ids


def test_the_committee_cannot_find_staff_or_exchange_accounts_through_autocomplete(client, committee, root, exchange_student):
    home = UserFactory(kind=User.Kind.HOME)
    client.force_login(committee)
    for model_name, field_name in [("studentrecord", "user"), ("courseregistration", "student")]:
        app = "affiliation" if model_name == "studentrecord" else "creditexchange"
        response = client.get("/admin/autocomplete/", {
            "app_label": app, "model_name": model_name, "field_name": field_name, "term": ""})
        if response.status_code == 200:
            ids = {int(r["id"]) for r in response.json()["results"]}
            assert ids <= {home.pk}, (model_name, field_name)
        else:
            assert response.status_code == 403


# --- every admin: no user picker for a non-superuser -----------------------------------------------------------------

def _user_pickers(user: User) -> list[str]:
    """Every form field (model admins and their inlines) a non-superuser could use to choose an account or a group."""
    request = RequestFactory().get("/admin/")
    request.user = user
    found = []
    for model, model_admin in admin.site._registry.items():
        for obj in (None, model.objects.first()):
            if obj is None and not model_admin.has_add_permission(request):
                continue
            if obj is not None and not model_admin.has_change_permission(request, obj):
                continue
            forms = [model_admin.get_form(request, obj)]
            forms += [inline.get_formset(request, obj).form for inline in model_admin.get_inline_instances(request, obj)]
            for form in forms:
                for name, field in form.base_fields.items():
                    if isinstance(field, ModelChoiceField | ModelMultipleChoiceField) and field.queryset.model in (
                        User, Group, Permission
                    ) and not field.disabled:
                        found.append(f"{model._meta.label}.{name}")
    return found


def test_no_admin_form_lets_a_role_choose_an_account_group_or_permission(committee, registrar, exchange_student):
    StudentRecordFactory()
    editor = _role_user("editor", "notice_editor")
    for user in (committee, registrar, editor):
        assert _user_pickers(user) == [], user.username


def test_the_registrar_registers_only_exchange_students_by_hand(client, registrar, root):
    from ..factories import CourseOfferingFactory

    offering = CourseOfferingFactory()
    client.force_login(registrar)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for account in (StudentRecordFactory().user, root):
        response = client.post(reverse("admin:creditexchange_courseregistration_register"),
                               {"student": account.username, "offering": offering.pk, "reason": "x"})
        assert response.status_code == 200 and "No account has this temporary student ID." in response.content.decode()
        assert account.course_registrations.count() == 0


# --- the User admin per role -------------------------------------------------------------------------------------------

def _listed_users(client) -> set[str]:
    response = client.get(reverse("admin:accounts_user_changelist"), {"all": ""})
    assert response.status_code == 200
    return {u.username for u in response.context["cl"].result_list}


def test_each_role_sees_only_the_kinds_of_account_it_needs(client, root, registrar, committee, exchange_student):
    home = StudentRecordFactory(user__username="S2024001").user
    client.force_login(registrar)
    assert _listed_users(client) == {exchange_student.username}
    assert client.get(reverse("admin:accounts_user_change", args=[exchange_student.pk])).status_code == 200
    assert client.get(reverse("admin:accounts_user_change", args=[home.pk])).status_code == 302  # not found → index
    client.force_login(committee)
    assert _listed_users(client) == {home.username}
    assert client.get(reverse("admin:accounts_user_change", args=[root.pk])).status_code == 302
    client.force_login(root)
    assert _listed_users(client) >= {"root", "registrar", "committee", home.username, exchange_student.username}
    page = client.get(reverse("admin:accounts_user_change", args=[home.pk])).content.decode()
    assert 'name="is_superuser"' in page and 'name="kind"' in page


def test_a_non_superuser_with_change_rights_cannot_edit_staff_rights(client, committee, root):
    committee.user_permissions.add(Permission.objects.get(codename="change_user"))
    home = UserFactory(username="S2024001", kind=User.Kind.HOME)
    client.force_login(committee)
    url = reverse("admin:accounts_user_change", args=[home.pk])
    page = client.get(url).content.decode()
    for name in ("is_superuser", "is_staff", "groups", "user_permissions", "kind"):
        assert f'name="{name}"' not in page, name
    client.post(url, {"username": "S2024001", "email": "x@x.example", "is_superuser": "on", "is_staff": "on",
                      "groups": [Group.objects.get(name="registrar").pk], "language": "ko",
                      "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"})
    home.refresh_from_db()
    assert not home.is_superuser and not home.is_staff and not home.groups.exists()
    assert client.get(reverse("admin:accounts_user_change", args=[root.pk])).status_code == 302
    assert client.get(reverse("admin:auth_user_password_change", args=[root.pk])).status_code in (403, 404)


# --- what each role can open: every admin changelist × role ----------------------------------------------------------

REGISTRAR = {
    "academics.Campus", "academics.College", "academics.Department", "academics.Institution",
    "academics.InstitutionContact", "academics.Term", "academics.TermWindow",
    "accounts.IdSequence", "accounts.TemporaryStudentId", "accounts.User",
    "creditexchange.ApplicationEvent", "creditexchange.CourseOffering", "creditexchange.CourseRegistration",
    "creditexchange.PartnerList", "creditexchange.PartnerListFile", "creditexchange.Recommendation",
    "creditexchange.RecommendationEvent", "creditexchange.RegistrationEvent", "creditexchange.TemporaryIdApplication",
    "creditexchange.TimeSlot", "creditexchange.ApplicationConflict", "creditexchange.ApplicationConflictEvent",
    "creditexchange.BasketItem", "creditexchange.WaitlistEntry", "creditexchange.WaitlistEvent", "creditexchange.WaitlistRelease",
    "creditexchange.Grade", "creditexchange.GradeEvent", "creditexchange.TermGrades", "creditexchange.TermGradesEvent",
    "creditexchange.TranscriptBatch", "creditexchange.TranscriptBatchFile", "creditexchange.Transcript",
    "partnerapi.ApiKey", "partnerapi.ApiCall",  # issue 15: the partner API's keys (issue, revoke) and its call log
    "core.StaffJob", "core.OutgoingMail", "core.BulkAction",
    "axes.AccessAttempt",  # sign-in lock-outs, to lift them
}
COMMITTEE = {
    "academics.Campus", "academics.College", "academics.Department", "academics.Term", "academics.TermWindow",
    "accounts.User",
    "affiliation.AffiliationApplication", "affiliation.AffiliationRound", "affiliation.ApplicationEvent",
    "affiliation.DepartmentQuota", "affiliation.EligibilityException", "affiliation.SemesterRecord",
    "affiliation.SimilarMajor", "affiliation.StudentRecord", "core.StaffJob", "core.OutgoingMail",
    "core.BulkAction",
}
NOTICE_EDITOR = {"notices.Notice", "notices.NoticeAttachment"}
PRIVACY_OFFICER = {"core.PersonalDataAccess", "core.BulkAction"}  # the action log: purges only
# Who may open which admin list (200); every other registered admin answers 403. A new admin is closed to every
# role, and a new role opens nothing, until it is added here on purpose.
CAN_OPEN = {
    "registrar": REGISTRAR, "affiliation_committee": COMMITTEE, "notice_editor": NOTICE_EDITOR,
    "privacy_officer": PRIVACY_OFFICER, None: set(),
}
ADMINS = sorted(admin.site._registry, key=lambda m: m._meta.label)


def test_every_role_has_a_row_in_the_table():
    assert set(CAN_OPEN) == {*ROLE_PERMISSIONS, None}


@pytest.mark.parametrize("role", [*ROLE_PERMISSIONS, None], ids=lambda r: r or "staff_without_role")
def test_each_role_opens_exactly_the_admin_lists_of_its_work(db, client, role):
    client.force_login(_role_user(f"u-{role}", role))
    table = {
        model._meta.label: client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")).status_code
        for model in ADMINS
    }
    assert table == {label: 200 if label in CAN_OPEN.get(role, ()) else 403 for label in table}


def test_the_superuser_opens_every_admin_list(client, root):
    client.force_login(root)
    for model in ADMINS:
        assert client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")).status_code == 200


def test_the_registrar_sees_no_home_students_uploads(client, registrar):
    from ..factories import AffiliationApplicationFactory

    application = AffiliationApplicationFactory()
    client.force_login(registrar)
    assert client.get(reverse("affiliation:application_file", args=[application.pk, "study_plan"])).status_code == 404


# --- outgoing mail per role -----------------------------------------------------------------------------------------

@pytest.fixture
def mails(exchange_student, root):
    home = StudentRecordFactory(user__username="S2024001").user

    def mail(kind, to, **params):
        return OutgoingMail.objects.create(kind=kind, to=to, params=params, status=OutgoingMail.Status.FAILED)

    return {
        "application_confirmation": mail("application_confirmation", "a@partner.example", application_id=1),
        "partner_list": mail("partner_list", "coord@partner.example", list_id=1),
        "set_password_exchange": mail("set_password", exchange_student.email, user_id=exchange_student.pk),
        "email_change_exchange": mail("email_change", "new@partner.example", user_id=exchange_student.pk, new_email="n@x.example"),
        "affiliation_result": mail("affiliation_result", home.email, application_id=1, stage="final"),
        "set_password_home": mail("set_password", home.email, user_id=home.pk),
        "email_change_home": mail("email_change", "new@ust.example", user_id=home.pk, new_email="n@ust.example"),
        "email_change_notice_home": mail("email_change_notice", home.email, user_id=home.pk, new_email="n@ust.example"),
        "application_conflict_notice": mail("application_conflict_notice", "b@partner.example", application_id=2),
        "set_password_staff": mail("set_password", root.email, user_id=root.pk),
        "unknown_kind": mail("something_new", "x@ust.example"),
    }


MAILS_OF = {
    "registrar": {"application_confirmation", "application_conflict_notice", "partner_list", "set_password_exchange",
                  "email_change_exchange"},
    "committee": {"affiliation_result", "set_password_home", "email_change_home", "email_change_notice_home"},
}


def _listed_mail(client, mails) -> set[str]:
    response = client.get(reverse("admin:core_outgoingmail_changelist"))
    assert response.status_code == 200
    by_pk = {m.pk: name for name, m in mails.items()}
    return {by_pk[m.pk] for m in response.context["cl"].result_list}


def test_each_role_sees_the_mail_of_its_own_work(client, mails, registrar, committee, root):
    for user, expected in ((registrar, MAILS_OF["registrar"]), (committee, MAILS_OF["committee"]), (root, set(mails))):
        client.force_login(user)
        assert _listed_mail(client, mails) == expected, user.username
    client.force_login(committee)
    other = mails["set_password_exchange"]
    assert client.get(reverse("admin:core_outgoingmail_change", args=[other.pk])).status_code == 302


@pytest.mark.parametrize("who", ["registrar", "committee"])
def test_each_role_resends_its_own_failed_mail_and_nothing_else(client, mails, registrar, committee, who,
                                                                 django_capture_on_commit_callbacks):
    client.force_login({"registrar": registrar, "committee": committee}[who])
    data = {"action": "resend", "_selected_action": [m.pk for m in mails.values()]}
    preview = client.post(reverse("admin:core_outgoingmail_changelist"), data)  # only its own mail is listed
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("admin:core_outgoingmail_changelist"), {
            **data, "confirm": "1", "fingerprint": preview.context["preview"]["fingerprint"]})
    assert response.status_code == 302
    queued = {name for name, m in mails.items() if OutgoingMail.objects.get(pk=m.pk).status == OutgoingMail.Status.QUEUED}
    assert queued == MAILS_OF[who]


# --- role sync -----------------------------------------------------------------------------------------------------

def _perms(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_every_group_holds_exactly_its_declared_permissions_after_migrate(db):
    from django.core.management import call_command

    registrar = Group.objects.get_or_create(name="registrar")[0]
    registrar.permissions.add(Permission.objects.get(codename="view_studentrecord"))  # granted by hand, say
    Group.objects.filter(name="notice_editor").delete()
    call_command("migrate", verbosity=0)  # nothing to apply; post_migrate syncs the roles
    assert {g.name: _perms(g) for g in Group.objects.filter(name__in=ROLE_PERMISSIONS)} == {
        name: set(codenames) for name, codenames in ROLE_PERMISSIONS.items()
    }


def test_role_sync_removes_what_a_role_no_longer_has(db):
    ensure_roles()
    group = Group.objects.get(name="affiliation_committee")
    group.permissions.add(Permission.objects.get(codename="view_temporaryidapplication"))
    ensure_roles()
    assert _perms(group) == set(ROLE_PERMISSIONS["affiliation_committee"])


def test_role_sync_refuses_an_unknown_codename_and_changes_nothing(db, monkeypatch):
    ensure_roles()
    before = {g.name: _perms(g) for g in Group.objects.all()}
    shrunk = {name: [] for name in ROLE_PERMISSIONS}
    shrunk["notice_editor"] = ["notices.view_notice", "notices.view_notcie"]  # a typo
    monkeypatch.setattr(roles, "ROLE_PERMISSIONS", shrunk)
    with pytest.raises(ImproperlyConfigured, match="notices.view_notcie"):
        ensure_roles()
    assert {g.name: _perms(g) for g in Group.objects.all()} == before


# --- the import page as the committee uses it ---------------------------------------------------------------------

def test_the_import_page_shows_the_refusal_and_imports_nothing(client, committee, root, reference,
                                                               django_capture_on_commit_callbacks):
    client.force_login(committee)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    before = snapshot(root)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:affiliation_studentrecord_import"),
                               {"file": SimpleUploadedFile("r.csv", records_file("root"))})
    page = client.get(response["Location"]).content.decode()
    assert "Row 2:" in page and "already the user name of a staff or exchange-student account" in page
    assert StaffJob.objects.get().status == "failed"
    assert snapshot(root) == before and not StudentRecord.objects.exists()
    assert timezone.now() - root.date_joined < timedelta(days=1)


# --- sign-in lock-outs: the registrar sees its own students' only ---------------------------------------------------

def test_the_registrar_sees_only_exchange_students_lockouts(client, registrar, root, exchange_student):
    from axes.models import AccessAttempt

    home = StudentRecordFactory(user__username="S2024001").user
    for name in (exchange_student.username.lower(), home.username, root.username, "nobody-typed-this"):
        AccessAttempt.objects.create(username=name, ip_address="192.0.2.7", user_agent="x", failures_since_start=5,
                                     get_data="", post_data="", http_accept="", path_info="/accounts/login/")
    client.force_login(registrar)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    assert [a.username for a in response.context["cl"].result_list] == [exchange_student.username.lower()]


# --- the grade pages (issue 15): the registrar's, nobody else's ------------------------------------------------------

def test_only_the_registrar_opens_the_grade_pages(client, registrar, committee):
    from creditexchange.models import Grade

    from ..creditexchange.grades_helpers import graded_term, registered

    term = graded_term()
    registration = registered(term)
    urls = [
        reverse("admin:creditexchange_grade_sheet", args=[registration.offering_id]),
        reverse("admin:creditexchange_grade_import"), reverse("admin:creditexchange_grade_terms"),
        reverse("admin:creditexchange_grade_term", args=[term.pk]),
    ]
    for user in (committee, _role_user("editor", "notice_editor"), _role_user("nobody", None)):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user.username, url)
        assert client.post(urls[0], {f"grade-{registration.pk}": "A+"}).status_code == 403
        assert client.post(reverse("admin:creditexchange_grade_finalize", args=[term.pk])).status_code == 403
    client.force_login(registrar)
    assert all(client.get(url).status_code == 200 for url in urls)
    assert not Grade.objects.exists()
