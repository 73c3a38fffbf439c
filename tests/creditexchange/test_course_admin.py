"""Registrar's admin for course offerings and registrations: import, publish, drop and register for a student."""

import csv
import html
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from academics.models import TermWindow
from core.models import StaffJob
from creditexchange import services
from creditexchange.models import CourseOffering, CourseRegistration, RegistrationEvent, TimeSlot
from creditexchange.services.offerings import COLUMNS

from ..factories import CourseOfferingFactory, TermFactory, TermWindowFactory, UserFactory, host_campus, issued_student

Status = CourseRegistration.Status
OFFERINGS_URL = "/admin/creditexchange/courseoffering/"
IMPORT_URL = f"{OFFERINGS_URL}import/"
REGISTRATIONS_URL = "/admin/creditexchange/courseregistration/"
REGISTER_URL = f"{REGISTRATIONS_URL}register/"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def term(db):
    """Registration is open now; the course-opening window is over."""
    term = TermFactory(year=2027, season="spring")
    now = timezone.now()
    TermWindowFactory(term=term, kind=TermWindow.Kind.COURSE_OPENING, starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=10))
    TermWindowFactory(term=term, kind=TermWindow.Kind.REGISTRATION, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=3))
    return term


@pytest.fixture
def course_opening_open(term):
    now = timezone.now()
    TermWindow.objects.filter(term=term, kind=TermWindow.Kind.COURSE_OPENING).update(
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5)
    )
    return term


@pytest.fixture
def campus(db):
    return host_campus("main")


@pytest.fixture
def student(term):
    return issued_student(term)


@pytest.fixture
def offering(term, campus):
    return CourseOfferingFactory(term=term, code="CSE101", title_en="Data Structures", campus=campus)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _messages(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in response.context["messages"]]


def _csv(*rows: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for values in rows:
        row = {
            "code": "CSE101", "section": "01", "title_ko": "자료구조", "title_en": "Data Structures", "credits": "3",
            "capacity": "40", "instructor": "Kim", "department": "", "campus": "main", "location": "Eng 301",
            "open_to_exchange": "yes", "slots": "Mon 09:00-10:30",
        } | values
        writer.writerow([row[c] for c in COLUMNS])
    return out.getvalue().encode()


def _upload(client, term, content: bytes, name: str = "offerings.csv", **kwargs):
    return client.post(IMPORT_URL, {"term": term.pk, "file": SimpleUploadedFile(name, content, "text/csv")}, **kwargs)


def _import(client, capture, term, content: bytes, name: str = "offerings.csv"):
    """Upload; the import job runs when the request commits (in-process in tests); returns the job and its page."""
    with capture(execute=True):
        response = _upload(client, term, content, name)
    job = StaffJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/jobs/{job.pk}/"
    job.refresh_from_db()
    return job, client.get(response["Location"])


def _action(client, action: str, *objects, url: str = OFFERINGS_URL, **extra):
    return client.post(url, {"action": action, "_selected_action": [o.pk for o in objects], **extra})


class TestOfferingAdmin:
    def test_the_registrar_opens_the_offerings_changelist(self, registrar_client, offering):
        response = registrar_client.get(OFFERINGS_URL)

        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == [offering]
        assert 'href="import/"' in response.content.decode()

    def test_the_registrar_opens_the_import_page(self, registrar_client, term):
        response = registrar_client.get(IMPORT_URL)

        assert response.status_code == 200
        assert ", ".join(COLUMNS) in _text(response)
        assert 'enctype="multipart/form-data"' in response.content.decode()
        assert {"term", "file"} <= set(response.context["form"].fields)

    def test_it_imports_a_valid_csv(self, registrar_client, registrar, term, campus, django_capture_on_commit_callbacks):
        # Issue 12: the upload is a dry run (its page previews the changes); the confirmation imports.
        preview, page = _import(
            registrar_client, django_capture_on_commit_callbacks, term,
            _csv({}, {"code": "MAT201", "slots": "Tue 13:00-14:30; Thu 13:00-14:30"}),
        )

        assert (preview.kind, preview.status, preview.params, preview.created_by) == (
            "offerings_import", "done", {"term_id": term.pk, "dry_run": True}, registrar)
        assert (preview.report["created"], preview.report["updated"], preview.report["dry_run"]) == (2, 0, True)
        assert [c["label"] for c in preview.report["changes"]] == ["CSE101-01", "MAT201-01"]
        assert not CourseOffering.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            response = registrar_client.post(f"/staff/jobs/{preview.pk}/confirm/", {"fingerprint": preview.report["fingerprint"]})
        job = StaffJob.objects.exclude(pk=preview.pk).get()
        assert response["Location"] == f"/staff/jobs/{job.pk}/"
        page = registrar_client.get(response["Location"])
        assert (job.done, job.total, job.failures) == (2, 2, [])
        assert (job.report["created"], job.report["updated"], job.report["dry_run"]) == (2, 0, False)
        assert job.summary == "Imported 2 rows: 2 created, 0 updated." and job.summary in _text(page)
        assert sorted(CourseOffering.objects.filter(term=term).values_list("code", flat=True)) == ["CSE101", "MAT201"]
        assert TimeSlot.objects.filter(offering__code="MAT201").count() == 2
        assert not CourseOffering.objects.filter(published_at__isnull=False).exists()

    def test_it_lists_the_bad_row_and_imports_nothing(self, registrar_client, term, campus, django_capture_on_commit_callbacks):
        job, page = _import(registrar_client, django_capture_on_commit_callbacks, term,
                            _csv({}, {"code": "BAD002", "campus": "atlantis"}))

        assert page.status_code == 200
        text = _text(page)
        assert "Row 3: unknown campus code “atlantis”" in text
        assert "2 rows checked, 0 imported: 1 error." in text
        assert job.status == "failed" and [failure["row"] for failure in job.failures] == [3]
        assert (job.done, job.total) == (0, 2)
        assert not CourseOffering.objects.exists()

    def test_it_shows_a_missing_column_as_a_file_error(self, registrar_client, term, campus, django_capture_on_commit_callbacks):
        content = "code,section,title_ko\nCSE101,01,자료구조\n".encode()

        job, page = _import(registrar_client, django_capture_on_commit_callbacks, term, content)

        assert job.status == "failed" and "slots" in job.error and job.error in _text(page)
        assert not CourseOffering.objects.exists()

    def test_it_shows_an_unreadable_encoding_as_a_file_error(self, registrar_client, term, campus, django_capture_on_commit_callbacks):
        job, _page = _import(registrar_client, django_capture_on_commit_callbacks, term, _csv({}).decode().encode("utf-16"))

        assert job.status == "failed" and "CP949" in job.error
        assert not CourseOffering.objects.exists()

    def test_it_refuses_a_file_that_is_neither_csv_nor_xlsx(self, registrar_client, term, campus):
        response = _upload(registrar_client, term, _csv({}), name="offerings.txt")

        assert response.status_code == 200
        assert response.context["form"].errors["file"] == ["Upload a .csv or .xlsx file."]
        assert not CourseOffering.objects.exists()

    def test_it_publishes_inside_the_course_opening_window(self, registrar_client, course_opening_open, campus):
        drafts = [CourseOfferingFactory(term=course_opening_open, campus=campus, published_at=None) for _ in range(2)]

        response = _action(registrar_client, "publish", *drafts)

        assert response.status_code == 302
        assert CourseOffering.objects.filter(published_at__isnull=False).count() == 2
        assert ("info", "2 offerings published.") in _messages(registrar_client.get(OFFERINGS_URL))

    def test_it_refuses_to_publish_outside_the_course_opening_window(self, registrar_client, term, campus):
        draft = CourseOfferingFactory(term=term, campus=campus, published_at=None)

        response = _action(registrar_client, "publish", draft)

        assert response.status_code == 302
        messages = _messages(registrar_client.get(OFFERINGS_URL))
        assert len(messages) == 1
        level, text = messages[0]
        window = term.windows.get(kind=TermWindow.Kind.COURSE_OPENING)
        assert level == "error" and "2027 Spring" in text and window.describe() in text
        draft.refresh_from_db()
        assert draft.published_at is None

    def test_it_refuses_to_publish_when_no_course_opening_window_is_scheduled(self, registrar_client, campus):
        bare = TermFactory(year=2028, season="fall")
        draft = CourseOfferingFactory(term=bare, campus=campus, published_at=None)

        _action(registrar_client, "publish", draft)

        assert [level for level, _text in _messages(registrar_client.get(OFFERINGS_URL))] == ["error"]
        assert not CourseOffering.objects.filter(published_at__isnull=False).exists()


class TestRegistrationAdmin:
    def test_the_drop_action_first_asks_for_a_reason(self, registrar_client, student, offering):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = _action(registrar_client, "drop_selected", registration, url=REGISTRATIONS_URL)

        assert response.status_code == 200
        assert "reason" in response.context["form"].fields
        assert str(registration) in _text(response)
        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED

    def test_the_drop_action_refuses_an_empty_reason(self, registrar_client, student, offering):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = _action(registrar_client, "drop_selected", registration, url=REGISTRATIONS_URL, apply="1", reason="")

        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
        registration.refresh_from_db()
        assert registration.status == Status.REGISTERED

    def test_the_drop_action_drops_with_the_reason_recorded(self, registrar_client, registrar, student, offering):
        registration = services.registration_submit(student=student, offering_id=offering.pk)

        response = _action(
            registrar_client, "drop_selected", registration, url=REGISTRATIONS_URL, apply="1",
            reason="Left the exchange programme",
        )

        assert response.status_code == 302
        registration.refresh_from_db()
        assert registration.status == Status.DROPPED  # outside the change window: staff are not bound by it
        event = registration.events.last()
        assert (event.from_status, event.to_status, event.actor, event.reason) == (
            Status.REGISTERED, Status.DROPPED, registrar, "Left the exchange programme",
        )
        offering.refresh_from_db()
        assert offering.seats_taken == 0
        assert ("info", "1 registration dropped.") in _messages(registrar_client.get(REGISTRATIONS_URL))

    def test_the_registrar_opens_the_register_a_student_page(self, registrar_client, offering):
        changelist = registrar_client.get(REGISTRATIONS_URL)
        response = registrar_client.get(REGISTER_URL)

        assert changelist.status_code == 200 and 'href="register/"' in changelist.content.decode()
        assert response.status_code == 200
        assert {"student", "offering", "reason"} <= set(response.context["form"].fields)

    def test_it_registers_a_student_with_a_reason(self, registrar_client, registrar, student, offering):
        response = registrar_client.post(
            REGISTER_URL, {"student": f" {student.username} ", "offering": offering.pk, "reason": "Late transfer"}, follow=True,
        )

        assert response.redirect_chain == [("../", 302)]
        assert response.request["PATH_INFO"] == REGISTRATIONS_URL
        assert _messages(response) == [("success", "The student is registered.")]
        registration = CourseRegistration.objects.get(student=student, offering=offering)
        assert registration.status == Status.REGISTERED
        event = registration.events.get()
        assert (event.actor, event.reason) == (registrar, "Late transfer")

    def test_it_registers_a_student_outside_the_windows(self, registrar_client, student, offering, term):
        TermWindow.objects.filter(term=term).update(
            starts_at=timezone.now() - timedelta(days=90), ends_at=timezone.now() - timedelta(days=60)
        )

        response = registrar_client.post(REGISTER_URL, {"student": student.username, "offering": offering.pk, "reason": "Appeal"})

        assert response.status_code == 302
        assert CourseRegistration.objects.filter(student=student, status=Status.REGISTERED).count() == 1

    def test_it_refuses_an_unknown_temporary_id(self, registrar_client, offering):
        response = registrar_client.post(REGISTER_URL, {"student": "T209999999", "offering": offering.pk, "reason": "Appeal"})

        assert response.status_code == 200
        assert response.context["form"].errors["student"] == ["No account has this temporary student ID."]
        assert not CourseRegistration.objects.exists()
        assert not RegistrationEvent.objects.exists()

    def test_it_requires_a_reason_to_register_a_student(self, registrar_client, student, offering):
        response = registrar_client.post(REGISTER_URL, {"student": student.username, "offering": offering.pk, "reason": ""})

        assert response.status_code == 200
        assert response.context["form"].errors["reason"]
        assert not CourseRegistration.objects.exists()

    def test_it_shows_a_domain_error_on_the_form(self, registrar_client, term, campus):
        full = CourseOfferingFactory(term=term, code="FULL01", title_en="Popular", capacity=1, campus=campus)
        services.registration_submit(student=issued_student(term), offering_id=full.pk)
        late = issued_student(term)

        response = registrar_client.post(REGISTER_URL, {"student": late.username, "offering": full.pk, "reason": "Please"})

        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == ["FULL01-01 Popular is full."]
        assert not CourseRegistration.objects.filter(student=late).exists()


class TestAccess:
    URLS = [OFFERINGS_URL, IMPORT_URL, REGISTRATIONS_URL, REGISTER_URL]

    @pytest.mark.parametrize("url", URLS)
    def test_an_outsider_is_sent_to_the_admin_login(self, outsider_client, url):
        response = outsider_client.get(url)

        assert response.status_code == 302
        assert response["Location"] == f"/admin/login/?next={url}"

    @pytest.mark.parametrize("url", URLS)
    def test_an_anonymous_visitor_is_sent_to_the_admin_login(self, client, url):
        response = client.get(url)

        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")

    @pytest.mark.parametrize("url", URLS)
    def test_staff_without_the_registrar_role_are_refused(self, client, db, url):
        client.force_login(UserFactory(username="clerk", is_staff=True))

        assert client.get(url).status_code == 403

    def test_an_outsider_cannot_import_or_register(self, outsider_client, term, campus, student, offering):
        imported = _upload(outsider_client, term, _csv({"code": "SNEAK1"}))
        registered = outsider_client.post(REGISTER_URL, {"student": student.username, "offering": offering.pk, "reason": "x"})

        assert imported.status_code == 302 and registered.status_code == 302
        assert not CourseOffering.objects.filter(code="SNEAK1").exists()
        assert not CourseRegistration.objects.exists()


class TestEditingAnOffering:
    """An edit in the admin never writes back the seat count it read when the form was opened."""

    @staticmethod
    def _form_data(offering, **changes) -> dict:
        data = {
            "term": offering.term_id, "code": offering.code, "section": offering.section, "title_ko": offering.title_ko,
            "title_en": offering.title_en, "credits": offering.credits, "capacity": offering.capacity,
            "instructor": offering.instructor, "location": offering.location, "campus": offering.campus_id,
            "department": "", "open_to_exchange": "on",
            "slots-TOTAL_FORMS": "0", "slots-INITIAL_FORMS": "0", "slots-MIN_NUM_FORMS": "0", "slots-MAX_NUM_FORMS": "1000",
        }
        return {**data, **changes}

    def test_students_registering_while_staff_edit_keep_their_seats(self, registrar_client, term, campus):
        from creditexchange.admin_courses import CourseOfferingAdminForm

        offering = CourseOfferingFactory(term=term, campus=campus, capacity=30)
        original_clean = CourseOfferingAdminForm.clean

        def clean_while_students_register(form):
            # The admin has read the row; seven students register before it saves.
            CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=7)
            return original_clean(form)

        with mock.patch.object(CourseOfferingAdminForm, "clean", clean_while_students_register):
            response = registrar_client.post(
                f"{OFFERINGS_URL}{offering.pk}/change/", self._form_data(offering, title_en="Renamed")
            )

        assert response.status_code == 302
        offering.refresh_from_db()
        assert (offering.title_en, offering.seats_taken) == ("Renamed", 7)

    def test_the_capacity_cannot_drop_below_the_registered_students(self, registrar_client, term, campus):
        offering = CourseOfferingFactory(term=term, campus=campus, capacity=30)
        CourseOffering.objects.filter(pk=offering.pk).update(seats_taken=12)

        response = registrar_client.post(f"{OFFERINGS_URL}{offering.pk}/change/", self._form_data(offering, capacity=10))

        assert response.status_code == 200
        assert response.context["adminform"].form.errors["capacity"] == [
            "The capacity cannot be lower than the 12 students already registered."
        ]
        offering.refresh_from_db()
        assert (offering.capacity, offering.seats_taken) == (30, 12)
