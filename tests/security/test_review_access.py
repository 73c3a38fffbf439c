"""Attacker review of issue 10 (access control, imports, conflicts, PIPA): each test failed before its fix."""

from datetime import date

import pytest
from django.contrib.auth.models import Group

from accounts.models import TemporaryStudentId, User
from accounts.roles import ensure_roles
from core.errors import DomainError
from core.models import OutgoingMail, PersonalDataAccess
from creditexchange import services
from creditexchange.models import TemporaryIdApplication

from ..factories import ApplicationFactory, SemesterRecordFactory, StudentRecordFactory, TermFactory, UserFactory

Status = TemporaryIdApplication.Status


def _role_user(username: str, role: str) -> User:
    ensure_roles()
    user = UserFactory(username=username, is_staff=True, kind=User.Kind.STAFF)
    user.groups.add(Group.objects.get(name=role))
    return user


# --- PIPA: the admin's autocomplete hands out names and numbers, so it is an access like a list -----------------


def test_it_records_the_student_records_an_autocomplete_showed(client, db):
    committee = _role_user("committee", "affiliation_committee")
    record = StudentRecordFactory(student_number="S7770001", name="김민지")
    SemesterRecordFactory(record=record)
    client.force_login(committee)

    response = client.get("/admin/autocomplete/", {
        "app_label": "affiliation", "model_name": "semesterrecord", "field_name": "record", "term": "S777"})

    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [str(record.pk)]
    entry = PersonalDataAccess.objects.get()
    assert (entry.actor, entry.action, entry.model, entry.object_ids, entry.count) == (
        committee, "list", "affiliation.studentrecord", [str(record.pk)], 1)
    assert "김민지" not in entry.reference and "S777" not in entry.reference  # no search term, no name


def test_it_records_nothing_for_an_autocomplete_without_personal_data_or_results(client, db):
    committee = _role_user("committee", "affiliation_committee")
    client.force_login(committee)
    for params in [
        {"app_label": "affiliation", "model_name": "semesterrecord", "field_name": "term", "term": ""},
        {"app_label": "affiliation", "model_name": "semesterrecord", "field_name": "record", "term": "nobody"},
        {"app_label": "nope", "model_name": "semesterrecord", "field_name": "record", "term": ""},
    ]:
        assert client.get("/admin/autocomplete/", params).status_code in (200, 403)
    assert not PersonalDataAccess.objects.exists()


# --- Conflicts: a squatter issued in an earlier term must not be handed the real student's later application -----


def test_it_refuses_to_issue_into_an_account_first_issued_to_another_person(db, partner):
    registrar = _role_user("registrar", "registrar")
    autumn, spring = TermFactory(year=2026, season="fall"), TermFactory(year=2027, season="spring")
    squatter = UserFactory(username="T202600042", kind=User.Kind.EXCHANGE, email="mallory@evil.example")
    identity = TemporaryStudentId.objects.create(
        student_id="T202600042", partner=partner, home_student_number="HB-1001", user=squatter)
    ApplicationFactory(term=autumn, partner=partner, home_student_number="HB-1001", date_of_birth=date(1999, 9, 9),
                       email="mallory@evil.example", status=Status.ISSUED, temporary_id=identity)
    real = ApplicationFactory(term=spring, partner=partner, home_student_number="hb-1001 ",
                              date_of_birth=date(2004, 5, 17), email="haneul@hanbit.example", status=Status.APPROVED)

    with pytest.raises(DomainError, match="another date of birth"):
        services.temporary_id_issue(application_id=real.pk, actor=registrar)

    real.refresh_from_db()
    assert (real.status, real.temporary_id) == (Status.APPROVED, None)


def test_a_returning_student_with_the_same_birth_date_keeps_the_account(db, partner):
    autumn, spring = TermFactory(year=2026, season="fall"), TermFactory(year=2027, season="spring")
    student = UserFactory(username="T202600043", kind=User.Kind.EXCHANGE)
    identity = TemporaryStudentId.objects.create(
        student_id="T202600043", partner=partner, home_student_number="HB-1002", user=student)
    ApplicationFactory(term=autumn, partner=partner, home_student_number="HB-1002", date_of_birth=date(2004, 5, 17),
                       status=Status.ISSUED, temporary_id=identity)
    again = ApplicationFactory(term=spring, partner=partner, home_student_number="HB-1002",
                               date_of_birth=date(2004, 5, 17), email="new@hanbit.example", status=Status.APPROVED)

    issued = services.temporary_id_issue(application_id=again.pk)

    assert (issued.temporary_id, issued.returning) == (identity, True)


# --- PIPA: the access log never keeps a link's secret (the privacy officer reads it, the CSV travels) -------------


def test_the_log_keeps_the_coordinators_page_without_its_token(client, db):
    from creditexchange import services as credit_services
    from tests.creditexchange.partner_list_helpers import build_scene

    scene = build_scene()
    partner_list = credit_services.partner_list_send(partner_id=scene.hanbit.pk, term_id=scene.term.pk, kind="applicants")
    token = credit_services.partner_list_token(partner_list)

    assert client.get(f"/credit-exchange/verify/{token}/").status_code == 200

    entry = PersonalDataAccess.objects.get()
    assert token not in entry.path and token.split(":")[0] not in entry.path
    assert entry.path.startswith("/credit-exchange/verify/")


# --- Retention: a returning student's identity stays while a later application of that number is still open -----


def test_retention_keeps_the_identity_of_a_student_who_applied_again(db, django_capture_on_commit_callbacks, settings):
    from datetime import datetime

    from django.utils import timezone

    from tests.factories import issued_student, partner_with_contacts
    from ustportal.retention import personal_data_destroy_expired

    settings.PERSONAL_DATA_RETENTION_YEARS = 5
    partner = partner_with_contacts("oldpartner", "c@old.example")
    user = issued_student(TermFactory(year=2019, season="spring"), partner, home_student_number="OLD1",
                          user__date_joined=timezone.make_aware(datetime(2019, 1, 10)))
    TemporaryStudentId.objects.filter(user=user).update(first_issued_at=timezone.make_aware(datetime(2019, 1, 10)))
    # Back for spring 2027, approved, waiting for the evening batch: its ID is the one of 2019.
    again = ApplicationFactory(term=TermFactory(year=2027, season="spring"), partner=partner,
                               home_student_number="old1", date_of_birth=date(2003, 3, 1), status=Status.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        personal_data_destroy_expired(at=timezone.make_aware(datetime(2026, 12, 1, 12, 0)))

    assert User.objects.filter(pk=user.pk).exists()
    assert services.temporary_id_issue(application_id=again.pk).temporary_id.user_id == user.pk


def test_applying_with_a_number_issued_to_another_birth_date_opens_a_conflict_at_once(
    db, partner, open_term, application_data, django_capture_on_commit_callbacks
):
    # Staff learn of the squatter when the real student applies, not only when the batch refuses to issue.
    autumn = TermFactory(year=2026, season="fall")
    squatter = UserFactory(username="T202600044", kind=User.Kind.EXCHANGE, email="mallory@evil.example")
    identity = TemporaryStudentId.objects.create(
        student_id="T202600044", partner=partner, home_student_number="20241234", user=squatter)
    earlier = ApplicationFactory(term=autumn, partner=partner, home_student_number="20241234",
                                 date_of_birth=date(1999, 9, 9), email="mallory@evil.example", status=Status.ISSUED,
                                 temporary_id=identity)

    with django_capture_on_commit_callbacks(execute=True):
        real = services.application_submit(**{**application_data, "home_student_number": " 20241234"})

    conflict = services.application_conflict_open_for(application=real)
    assert conflict is not None
    assert set(conflict.applications.all()) == {earlier, real}
    kinds = sorted(m.kind for m in OutgoingMail.objects.all())
    assert "application_conflict_notice" in kinds and "application_conflict_received" in kinds


def test_a_returning_student_with_the_same_birth_date_opens_no_conflict(db, partner, open_term, application_data):
    autumn = TermFactory(year=2026, season="fall")
    student = UserFactory(username="T202600045", kind=User.Kind.EXCHANGE)
    identity = TemporaryStudentId.objects.create(
        student_id="T202600045", partner=partner, home_student_number="20241234", user=student)
    ApplicationFactory(term=autumn, partner=partner, home_student_number="20241234",
                       date_of_birth=application_data["date_of_birth"], status=Status.ISSUED, temporary_id=identity)

    again = services.application_submit(**application_data)

    assert services.application_conflict_open_for(application=again) is None
