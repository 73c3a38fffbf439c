"""PIPA: the personal-data access log (who saw, changed, exported whose data) and retention with destruction."""

import csv
import io
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.utils import timezone

from academics.models import Term, TermWindow
from accounts.models import TemporaryStudentId, User
from accounts.roles import ensure_roles
from affiliation.jobs import JobKind as AffiliationJobKind
from affiliation.models import AffiliationApplication, SemesterRecord, StudentRecord
from core.models import ImmutableAccessRecord, PersonalDataAccess
from creditexchange import services as credit_services
from creditexchange.models import (
    ApplicationConflict,
    ApplicationEvent,
    CourseRegistration,
    PartnerList,
    PartnerListFile,
    Recommendation,
    TemporaryIdApplication,
)
from ustportal.retention import personal_data_destroy_expired, term_end
from ustportal.tasks import destroy_expired_personal_data_task

from ..factories import (
    AffiliationApplicationFactory,
    AffiliationRoundFactory,
    ApplicationFactory,
    CourseOfferingFactory,
    CourseRegistrationFactory,
    SemesterRecordFactory,
    StudentRecordFactory,
    TermFactory,
    TermWindowFactory,
    UserFactory,
    issued_student,
    partner_with_contacts,
)

Action = PersonalDataAccess.Action
APPLICATIONS = "/admin/creditexchange/temporaryidapplication/"
LOG = "/admin/core/personaldataaccess/"
ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def _english_and_media(client, settings, tmp_path):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.defaults["REMOTE_ADDR"] = ADDRESS
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PERSONAL_DATA_RETENTION_YEARS = 5
    settings.ACCESS_LOG_RETENTION_YEARS = 2


@pytest.fixture
def superuser(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def boss_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def scene(db):
    from tests.creditexchange.partner_list_helpers import build_scene

    return build_scene()


def _role_user(role: str, username: str) -> User:
    ensure_roles()
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def _entries(**filters) -> list[PersonalDataAccess]:
    return list(PersonalDataAccess.objects.filter(**filters).order_by("pk"))


# --- (a) What is recorded --------------------------------------------------------------------------------------


def test_it_records_opening_an_application_in_the_admin_as_a_view(boss_client, superuser, confirmed_application):
    response = boss_client.get(f"{APPLICATIONS}{confirmed_application.pk}/change/")

    assert response.status_code == 200
    [entry] = _entries()
    assert entry.action == Action.VIEW
    assert entry.actor == superuser and entry.actor_name == "boss"
    assert entry.address == ADDRESS
    assert entry.model == "creditexchange.temporaryidapplication"
    assert entry.object_ids == [str(confirmed_application.pk)]
    assert entry.path == f"{APPLICATIONS}{confirmed_application.pk}/change/"
    # A reference by number only: the applicant's name and address stay out of the log.
    assert confirmed_application.home_student_number in entry.reference
    assert confirmed_application.name_latin not in entry.reference and confirmed_application.email not in entry.reference


def test_it_records_a_saved_change_form_as_a_change(boss_client, confirmed_application):
    from tests.creditexchange.test_admin import _change_form_data

    url = f"{APPLICATIONS}{confirmed_application.pk}/change/"
    data = _change_form_data(boss_client.get(url))
    data["phone"] = "010-9999-0000"
    PersonalDataAccess.objects.all()._raw_delete(PersonalDataAccess.objects.db)  # only the POST below counts

    response = boss_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    confirmed_application.refresh_from_db()
    assert confirmed_application.phone == "010-9999-0000"
    [entry] = _entries()
    assert (entry.action, entry.object_ids, entry.actor_name) == (Action.CHANGE, [str(confirmed_application.pk)], "boss")


def test_it_records_a_changelist_with_the_rows_shown(boss_client, open_term, partner):
    shown = [ApplicationFactory(term=open_term, partner=partner) for _ in range(3)]

    response = boss_client.get(APPLICATIONS)

    assert response.status_code == 200
    [entry] = _entries()
    assert entry.action == Action.LIST and entry.count == 3
    assert sorted(entry.object_ids) == sorted(str(a.pk) for a in shown)


def _queries(settings, user, url: str, *, middleware: bool) -> list[str]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    if not middleware:
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "core.privacy.PersonalDataAccessMiddleware"]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    client.get(url)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_recording_a_changelist_costs_one_insert_and_nothing_else(settings, superuser, open_term, partner):
    ApplicationFactory(term=open_term, partner=partner)

    with_log = _queries(settings, superuser, APPLICATIONS, middleware=True)
    without = _queries(settings, superuser, APPLICATIONS, middleware=False)

    assert len(with_log) == len(without) + 1
    assert sum("ustportal_personaldataaccess" in sql for sql in with_log) == 1


@pytest.mark.parametrize("url", ["/", "/notices/", "/credit-exchange/courses/", "/credit-exchange/registrations/"])
def test_the_log_adds_no_query_to_pages_outside_the_admin(settings, db, url):
    student = UserFactory(username="T202600077", kind="exchange")

    with_log = _queries(settings, student, url, middleware=True)
    without = _queries(settings, student, url, middleware=False)

    assert len(with_log) == len(without)


def test_it_records_a_delete_action_with_the_selected_ids(boss_client, open_term, partner):
    doomed = ApplicationFactory(term=open_term, partner=partner)
    kept = ApplicationFactory(term=open_term, partner=partner)

    boss_client.post(APPLICATIONS, {"action": "delete_selected", "_selected_action": [doomed.pk]})
    response = boss_client.post(APPLICATIONS, {"action": "delete_selected", "_selected_action": [doomed.pk], "post": "yes"})

    assert response.status_code == 302
    assert not TemporaryIdApplication.objects.filter(pk=doomed.pk).exists() and TemporaryIdApplication.objects.filter(pk=kept.pk).exists()
    confirm, delete = _entries()
    assert (confirm.action, confirm.object_ids) == (Action.VIEW, [str(doomed.pk)])
    assert (delete.action, delete.object_ids) == (Action.DELETE, [str(doomed.pk)])


def test_it_records_the_delete_view(boss_client, open_term, partner):
    doomed = ApplicationFactory(term=open_term, partner=partner)

    response = boss_client.post(f"{APPLICATIONS}{doomed.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    [entry] = _entries()
    assert (entry.action, entry.object_ids) == (Action.DELETE, [str(doomed.pk)])


def test_it_records_a_staff_desk_download_as_an_export(boss_client):
    term = TermFactory(year=2026, season="fall")
    TermWindowFactory(term=term, kind=TermWindow.Kind.APPLICATION)

    response = boss_client.get("/staff/", {"term": term.pk, "figure": "applications_by_status", "format": "csv"})

    assert response.status_code == 200
    [entry] = _entries()
    assert entry.action == Action.EXPORT and entry.actor_name == "boss"
    assert "figure=applications_by_status" in entry.reference and "format=csv" in entry.reference


def test_it_records_nothing_for_the_staff_desk_page_itself(boss_client):
    assert boss_client.get("/staff/").status_code == 200
    assert _entries() == []


def test_it_records_a_download_of_an_uploaded_file(client, db):
    record = StudentRecordFactory()
    application = AffiliationApplicationFactory(record=record, round=AffiliationRoundFactory())
    application.study_plan.save("plan.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    client.force_login(record.user)

    response = client.get(f"/affiliation/applications/{application.pk}/study_plan/")

    assert response.status_code == 200
    [entry] = _entries()
    assert (entry.action, entry.model, entry.object_ids) == (Action.DOWNLOAD, "affiliation.affiliationapplication", [str(application.pk)])
    assert entry.actor == record.user and entry.reference == "study_plan"


def test_it_records_nothing_when_a_download_is_refused(client, db):
    application = AffiliationApplicationFactory()
    application.study_plan.save("plan.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
    client.force_login(UserFactory())

    assert client.get(f"/affiliation/applications/{application.pk}/study_plan/").status_code == 404
    assert _entries() == []


def test_it_records_a_partner_list_file_download_in_the_admin(boss_client, scene):
    partner_list = credit_services.partner_list_send(partner_id=scene.hanbit.pk, term_id=scene.term.pk, kind="applicants")
    stored = partner_list.files.first()

    response = boss_client.get(f"/admin/creditexchange/partnerlist/{partner_list.pk}/files/{stored.pk}/")

    assert response.status_code == 200
    [entry] = _entries(action=Action.DOWNLOAD)
    assert (entry.model, entry.object_ids) == ("creditexchange.partnerlistfile", [str(stored.pk)])


def test_it_records_the_coordinators_page_without_an_actor(client, scene):
    partner_list = credit_services.partner_list_send(partner_id=scene.hanbit.pk, term_id=scene.term.pk, kind="applicants")

    response = client.get(f"/credit-exchange/verify/{credit_services.partner_list_token(partner_list)}/")

    assert response.status_code == 200
    [entry] = _entries()
    assert entry.action == Action.VIEW and entry.actor is None and entry.actor_name == ""
    assert (entry.model, entry.object_ids) == ("creditexchange.partnerlist", [str(partner_list.pk)])
    assert "hanbit" in entry.reference and entry.count == partner_list.recommendations.count()
    assert entry.address == ADDRESS


def test_it_records_nothing_for_a_bad_coordinator_link(client, db):
    assert client.get("/credit-exchange/verify/nonsense/").status_code == 400
    assert _entries() == []


def test_it_records_nothing_for_pages_without_personal_data(boss_client, client, db):
    boss_client.get("/admin/")
    boss_client.get("/admin/academics/term/")
    client.get("/")
    client.get("/notices/")

    assert _entries() == []


# --- (a) The log in the admin ------------------------------------------------------------------------------------


def _one_entry(**fields) -> PersonalDataAccess:
    return PersonalDataAccess.objects.create(
        action=Action.VIEW, model="affiliation.studentrecord", object_ids=["7"], reference="S2024007",
        actor_name="registrar", address="198.51.100.1", path="/admin/affiliation/studentrecord/7/change/", **fields,
    )


def test_the_log_is_read_only_in_the_admin_even_for_superusers(boss_client):
    entry = _one_entry()
    page = boss_client.get(f"{LOG}{entry.pk}/change/")

    assert page.status_code == 200
    assert not page.context["has_change_permission"] and not page.context["has_delete_permission"]
    assert boss_client.get(f"{LOG}add/").status_code == 403
    assert boss_client.post(f"{LOG}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert boss_client.post(f"{LOG}{entry.pk}/change/", {"reference": "x"}).status_code == 403
    assert 'value="delete_selected"' not in boss_client.get(LOG).content.decode()
    entry.refresh_from_db()
    assert entry.reference == "S2024007"


def test_the_log_refuses_changes_and_early_deletion_in_code(db):
    entry = _one_entry()

    with pytest.raises(ImmutableAccessRecord):
        entry.save()
    with pytest.raises(ImmutableAccessRecord):
        PersonalDataAccess.objects.filter(pk=entry.pk).update(reference="x")
    with pytest.raises(ImmutableAccessRecord):
        PersonalDataAccess.objects.all().delete()
    with pytest.raises(ImmutableAccessRecord):
        entry.delete()
    assert PersonalDataAccess.objects.filter(pk=entry.pk, reference="S2024007").exists()


def test_the_privacy_officer_sees_the_log_and_the_registrar_does_not(client, db):
    _one_entry()
    officer, registrar = _role_user("privacy_officer", "officer"), _role_user("registrar", "registrar")

    client.force_login(officer)
    assert client.get(LOG).status_code == 200
    client.force_login(registrar)
    assert client.get(LOG).status_code == 403
    assert "personaldataaccess" not in client.get("/admin/").content.decode()


def test_the_log_filters_by_action_model_and_actor_and_searches_by_reference(boss_client):
    wanted = _one_entry()
    PersonalDataAccess.objects.create(action=Action.EXPORT, model="staffdesk.figure", actor_name="other")

    for query in ({"action": "view"}, {"model": "affiliation.studentrecord"}, {"actor_name": "registrar"}, {"q": "S2024007"},
                  {"q": "198.51.100.1"}):
        response = boss_client.get(LOG, query)
        assert list(response.context["cl"].result_list) == [wanted], query


def test_the_log_exports_as_csv_and_the_export_is_logged(boss_client):
    entry = _one_entry()
    formula = PersonalDataAccess.objects.create(action=Action.VIEW, model="accounts.user", reference="=cmd()", actor_name="x")

    response = boss_client.post(LOG, {"action": "export_csv", "_selected_action": [entry.pk, formula.pk]})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["at", "actor_name", "address", "action", "model"]
    assert [row[7] for row in rows[1:]] == ["S2024007", "'=cmd()"]
    [export] = _entries(action=Action.EXPORT)
    assert export.model == "core.personaldataaccess" and export.actor_name == "boss"
    assert sorted(export.object_ids) == sorted([str(entry.pk), str(formula.pk)])


# --- (b) Retention and destruction -------------------------------------------------------------------------------


def _long_ago_term(year: int = 2019, season: str = "spring") -> Term:
    return TermFactory(year=year, season=season)


def _at_now():
    """'Now' for the job: 1 December 2026, Seoul."""
    return timezone.make_aware(datetime(2026, 12, 1, 12, 0))


def test_a_term_ends_when_the_next_regular_semester_begins():
    assert term_end(year=2020, season="spring").date() == date(2020, 9, 1)
    assert term_end(year=2020, season="fall").date() == date(2021, 3, 1)
    later = timezone.make_aware(datetime(2021, 4, 1))
    assert term_end(year=2020, season="winter", last_window_end=later) == later


@pytest.fixture
def old_exchange(db):
    """An exchange student of spring 2019 (ended 1 Sep 2019: past 5 years on 1 Dec 2026), with everything attached."""
    term = _long_ago_term(2019, "spring")
    partner = partner_with_contacts("oldpartner", "c@old.example")
    user = issued_student(term, partner, home_student_number="OLD1")
    TemporaryStudentId.objects.filter(user=user).update(first_issued_at=timezone.make_aware(datetime(2019, 1, 10)))
    User.objects.filter(pk=user.pk).update(date_joined=timezone.make_aware(datetime(2019, 1, 10)))
    application = TemporaryIdApplication.objects.get(temporary_id__user=user)
    ApplicationEvent.objects.create(application=application, from_status="", to_status="submitted")
    registration = CourseRegistrationFactory(student=user, offering=CourseOfferingFactory(term=term))
    partner_list = PartnerList.objects.create(
        partner=partner, term=term, kind="applicants", language="ko", rows=[{"home_student_number": "OLD1"}],
        sent_at=timezone.make_aware(datetime(2019, 3, 1)), deadline=timezone.make_aware(datetime(2019, 3, 15)),
        trigger="staff",
    )
    PartnerListFile.objects.create(partner_list=partner_list, filename="list.csv", content_type="text/csv",
                                   content=b"OLD1", sha256="0" * 64, size=4)
    Recommendation.objects.create(partner_list=partner_list, application=application)
    conflict = ApplicationConflict.objects.create(
        term=term, partner=partner, number_key="OLD1", opened_at=timezone.make_aware(datetime(2019, 2, 1))
    )
    conflict.applications.add(application)
    return {"user": user, "application": application, "registration": registration, "list": partner_list,
            "conflict": conflict}


@pytest.fixture
def recent_exchange(db):
    """An exchange student of fall 2022 (ends 1 Mar 2023: within 5 years)."""
    term = _long_ago_term(2022, "fall")
    user = issued_student(term, partner_with_contacts("newpartner", "c@new.example"), home_student_number="NEW1")
    return {"user": user, "application": TemporaryIdApplication.objects.get(temporary_id__user=user)}


@pytest.fixture
def old_home_student(db):
    """A home student whose last semester was fall 2019 and who applied in the 2019 round, with uploaded files."""
    record = StudentRecordFactory(student_number="S2015001")
    SemesterRecordFactory(record=record, term=_long_ago_term(2019, "spring"))
    SemesterRecordFactory(record=record, term=_long_ago_term(2019, "fall"))
    StudentRecord.objects.filter(pk=record.pk).update(updated_at=timezone.make_aware(datetime(2019, 9, 1)))
    round_ = AffiliationRoundFactory(
        term=_long_ago_term(2019, "fall"), opens_at=timezone.make_aware(datetime(2019, 9, 1)),
        closes_at=timezone.make_aware(datetime(2019, 9, 10)),
    )
    application = AffiliationApplicationFactory(record=record, round=round_)
    application.english_certificate.save("cert.pdf", ContentFile(b"%PDF-1.4 cert"))
    application.study_plan.save("plan.pdf", ContentFile(b"%PDF-1.4 plan"))
    return {"record": record, "user": record.user, "application": application,
            "paths": [application.english_certificate.path, application.study_plan.path]}


def _destroy(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return personal_data_destroy_expired(at=_at_now(), **kwargs)


def test_it_destroys_exchange_data_past_the_retention_period_and_keeps_younger_data(
    old_exchange, recent_exchange, django_capture_on_commit_callbacks
):
    report = _destroy(django_capture_on_commit_callbacks)

    old = old_exchange
    assert not TemporaryIdApplication.objects.filter(pk=old["application"].pk).exists()
    assert not ApplicationEvent.objects.filter(application_id=old["application"].pk).exists()
    assert not CourseRegistration.objects.filter(pk=old["registration"].pk).exists()
    assert not PartnerList.objects.filter(pk=old["list"].pk).exists() and not PartnerListFile.objects.exists()
    assert not Recommendation.objects.exists()
    assert not ApplicationConflict.objects.filter(pk=old["conflict"].pk).exists()
    assert not TemporaryStudentId.objects.filter(user_id=old["user"].pk).exists()
    assert not User.objects.filter(pk=old["user"].pk).exists()
    # Fall 2022 ended on 1 March 2023: still inside the five years.
    assert TemporaryIdApplication.objects.filter(pk=recent_exchange["application"].pk).exists()
    assert User.objects.filter(pk=recent_exchange["user"].pk).exists()
    assert report.ids["accounts.user"] == [old["user"].pk]


def test_it_destroys_home_data_and_removes_the_uploaded_files_from_disk(old_home_student, django_capture_on_commit_callbacks):
    import os

    assert all(os.path.exists(path) for path in old_home_student["paths"])

    _destroy(django_capture_on_commit_callbacks)

    assert not AffiliationApplication.objects.filter(pk=old_home_student["application"].pk).exists()
    assert not StudentRecord.objects.filter(pk=old_home_student["record"].pk).exists()
    assert not SemesterRecord.objects.exists()
    assert not User.objects.filter(pk=old_home_student["user"].pk).exists()
    assert not any(os.path.exists(path) for path in old_home_student["paths"])


def test_it_keeps_a_home_student_whose_last_semester_is_recent(django_capture_on_commit_callbacks, db):
    record = StudentRecordFactory()
    SemesterRecordFactory(record=record, term=_long_ago_term(2018, "spring"))
    SemesterRecordFactory(record=record, term=_long_ago_term(2023, "spring"))
    StudentRecord.objects.filter(pk=record.pk).update(updated_at=timezone.make_aware(datetime(2019, 1, 1)))

    _destroy(django_capture_on_commit_callbacks)

    assert StudentRecord.objects.filter(pk=record.pk).exists() and User.objects.filter(pk=record.user_id).exists()


def test_it_writes_what_it_destroyed_to_the_access_log_without_personal_data(
    old_exchange, old_home_student, django_capture_on_commit_callbacks
):
    _destroy(django_capture_on_commit_callbacks)

    entries = {e.model: e for e in _entries(action=Action.DESTROY)}
    assert entries["creditexchange.temporaryidapplication"].object_ids == [str(old_exchange["application"].pk)]
    assert entries["affiliation.studentrecord"].count == 1
    assert entries["accounts.user"].count == 2
    assert all(e.actor is None for e in entries.values())
    text = " ".join(f"{e.reference} {e.object_ids}" for e in entries.values())
    for personal in ("홍길동", "HONG", "applicant", "@", old_home_student["record"].name):
        assert personal not in text


def test_it_never_destroys_staff_accounts(django_capture_on_commit_callbacks, db):
    long_ago = timezone.make_aware(datetime(2015, 1, 1))
    staff = [
        UserFactory(username="old-registrar", is_staff=True, kind="staff"),
        UserFactory(username="old-root", is_superuser=True, kind="home"),
        UserFactory(username="old-staff-kind", kind="staff"),
    ]
    record = StudentRecordFactory(user=UserFactory(username="staff-with-record", is_staff=True, kind="home"))
    SemesterRecordFactory(record=record, term=_long_ago_term(2015, "spring"))
    orphan = UserFactory(username="gone", kind="exchange")
    User.objects.update(date_joined=long_ago, last_login=long_ago)
    StudentRecord.objects.filter(pk=record.pk).update(updated_at=long_ago)

    report = _destroy(django_capture_on_commit_callbacks)

    assert User.objects.filter(pk__in=[u.pk for u in staff] + [record.user_id]).count() == 4
    assert not StudentRecord.objects.filter(pk=record.pk).exists()  # the record goes, the staff account stays
    assert not User.objects.filter(pk=orphan.pk).exists()
    assert report.ids["accounts.user"] == [orphan.pk]


def test_a_dry_run_changes_nothing_and_prints_what_would_go(old_exchange, old_home_student, django_capture_on_commit_callbacks):
    import os

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        from unittest import mock

        with mock.patch("ustportal.retention.timezone.now", return_value=_at_now()):
            call_command("destroy_expired_personal_data", "--dry-run", stdout=out)

    assert callbacks == []
    assert User.objects.filter(pk=old_exchange["user"].pk).exists()
    assert TemporaryIdApplication.objects.filter(pk=old_exchange["application"].pk).exists()
    assert AffiliationApplication.objects.filter(pk=old_home_student["application"].pk).exists()
    assert all(os.path.exists(path) for path in old_home_student["paths"])
    assert not PersonalDataAccess.objects.exists()
    text = out.getvalue()
    assert "Would destroy" in text and "Dry run: nothing was changed." in text
    assert f"creditexchange.temporaryidapplication: 1 (ids {old_exchange['application'].pk})" in text
    assert "accounts.user: 2" in text


def test_running_twice_is_harmless(old_exchange, old_home_student, django_capture_on_commit_callbacks):
    first = _destroy(django_capture_on_commit_callbacks)
    entries = PersonalDataAccess.objects.count()
    second = _destroy(django_capture_on_commit_callbacks)

    assert first.total > 0 and second.total == 0 and second.ids == {}
    assert PersonalDataAccess.objects.count() == entries


def test_the_task_and_the_command_destroy(old_exchange, db):
    from unittest import mock

    with mock.patch("ustportal.retention.timezone.now", return_value=_at_now()):
        assert destroy_expired_personal_data_task() > 0
        out = StringIO()
        call_command("destroy_expired_personal_data", stdout=out)
    assert not User.objects.filter(pk=old_exchange["user"].pk).exists()
    assert "0 rows" in out.getvalue()


def test_the_job_is_scheduled_daily(settings):
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "ustportal.tasks.destroy_expired_personal_data_task")
    assert entry["schedule"].hour == {4}


def test_no_job_deletes_access_log_entries_younger_than_the_log_retention(django_capture_on_commit_callbacks, settings, db):
    now = _at_now()
    young = [_one_entry(at=now - timedelta(days=d)) for d in (0, 365, 2 * 365 - 2)]
    old = _one_entry(at=now - timedelta(days=2 * 365 + 5))
    old_destroy = PersonalDataAccess.objects.create(at=now - timedelta(days=4000), action=Action.DESTROY, model="accounts.user", count=3)

    from unittest import mock

    from ustportal.celery import app

    app.loader.import_default_modules()  # the tasks modules, as a worker loads them

    with django_capture_on_commit_callbacks(execute=True), mock.patch("ustportal.retention.timezone.now", return_value=now):
        for entry in settings.CELERY_BEAT_SCHEDULE.values():  # every scheduled job, once
            app.tasks[entry["task"]]()  # by its registered name, as the beat sends it

    remaining = set(PersonalDataAccess.objects.values_list("pk", flat=True))
    assert {e.pk for e in young} <= remaining
    assert old.pk not in remaining  # past two years: no longer kept
    assert old_destroy.pk in remaining  # the record of a destruction holds no personal data and stays


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_destroy_once(old_exchange):
    from tests.concurrency import run_at_once

    outcomes = run_at_once([lambda: personal_data_destroy_expired(at=_at_now()) for _ in range(2)], workers=2)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o.total for o in outcomes) > 0
    assert PersonalDataAccess.objects.filter(action=Action.DESTROY, model="accounts.user").count() == 1
    assert not User.objects.filter(pk=old_exchange["user"].pk).exists()


def test_it_records_personal_data_shown_in_an_inline_of_another_model(boss_client, db):
    from tests.factories import InstitutionContactFactory

    contact = InstitutionContactFactory(name="Kim Coordinator")

    response = boss_client.get(f"/admin/academics/institution/{contact.institution_id}/change/")

    assert response.status_code == 200
    [entry] = _entries()
    assert (entry.action, entry.model, entry.object_ids) == (Action.VIEW, "academics.institutioncontact", [str(contact.pk)])
    assert "Kim" not in entry.reference


def test_it_records_an_admin_addition_with_the_new_id(boss_client, db):
    from tests.factories import InstitutionFactory

    institution = InstitutionFactory()

    response = boss_client.post("/admin/academics/institutioncontact/add/",
                                {"institution": institution.pk, "email": "new@partner.example", "is_active": "on"})

    assert response.status_code == 302
    contact = institution.contacts.get()
    [entry] = _entries()
    assert (entry.action, entry.model, entry.object_ids) == (Action.ADD, "academics.institutioncontact", [str(contact.pk)])


def test_it_records_the_history_of_an_application(boss_client, confirmed_application):
    assert boss_client.get(f"{APPLICATIONS}{confirmed_application.pk}/history/").status_code == 200

    [entry] = _entries()
    assert (entry.action, entry.object_ids, entry.reference) == (Action.VIEW, [str(confirmed_application.pk)], "history")


def test_it_records_the_full_job_page_but_not_its_status_polls(boss_client):
    from core.models import StaffJob

    job = StaffJob.objects.create(kind=AffiliationJobKind.RECORDS_IMPORT, scope="2026", created_by=None)

    assert boss_client.get(f"/staff/jobs/{job.pk}/").status_code == 200
    assert boss_client.get(f"/staff/jobs/{job.pk}/", HTTP_HX_REQUEST="true").status_code == 200

    [entry] = _entries()
    assert (entry.action, entry.model, entry.object_ids) == (Action.VIEW, "core.staffjob", [str(job.pk)])


def test_the_deploy_check_warns_about_a_short_access_log_retention(settings):
    from core.privacy import retention_settings_check

    assert retention_settings_check() == []
    settings.ACCESS_LOG_RETENTION_YEARS = 1
    settings.PERSONAL_DATA_RETENTION_YEARS = 0
    assert [m.id for m in retention_settings_check()] == ["ustportal.W101", "ustportal.E101"]


def test_it_records_a_record_import_started_in_the_admin(boss_client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = b"student_number,name\nS1,Kim\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = boss_client.post("/admin/affiliation/studentrecord/import/", {"file": SimpleUploadedFile("r.csv", content)})

    assert response.status_code == 302
    [entry] = _entries(model="affiliation.studentrecord")
    assert (entry.action, entry.reference, entry.actor_name) == (Action.ADD, "import", "boss")


def test_sign_in_records_go_after_the_log_retention_and_not_before(db, settings):
    # django-axes keeps user names and addresses of every sign-in and failure: personal data with the
    # same retention as the access log.
    from axes.models import AccessFailureLog, AccessLog

    now = timezone.now()
    old, young = now - timedelta(days=366 * settings.ACCESS_LOG_RETENTION_YEARS + 2), now - timedelta(days=30)
    for when in (old, young):
        for model in (AccessLog, AccessFailureLog):  # attempt_time is auto_now_add: set it afterwards
            row = model.objects.create(username="T202600001", ip_address="10.0.0.1", user_agent="x")
            model.objects.filter(pk=row.pk).update(attempt_time=when)

    report = personal_data_destroy_expired(at=now)

    assert list(AccessLog.objects.values_list("attempt_time", flat=True)) == [young]
    assert list(AccessFailureLog.objects.values_list("attempt_time", flat=True)) == [young]
    assert report.destroyed["axes.accesslog"] == 1 and report.destroyed["axes.accessfailurelog"] == 1


def test_a_file_the_storage_cannot_remove_does_not_stop_the_others_or_fail_the_run(
        old_home_student, django_capture_on_commit_callbacks, monkeypatch):
    """The rows are gone for good once the run commits; each file is then removed on its own, so one the storage
    cannot remove (the object store down a moment) is logged, and neither the rest nor the run is lost with it."""
    import os

    from django.core.files.storage import FileSystemStorage

    certificate, plan = old_home_student["paths"]
    remove = FileSystemStorage.delete

    def flaky(self, name):
        if self.path(name) == certificate:
            raise OSError("the store went away")
        remove(self, name)

    monkeypatch.setattr(FileSystemStorage, "delete", flaky)
    _destroy(django_capture_on_commit_callbacks)

    assert not AffiliationApplication.objects.filter(pk=old_home_student["application"].pk).exists()
    assert os.path.exists(certificate) and not os.path.exists(plan)
