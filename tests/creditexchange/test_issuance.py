import threading
from datetime import date

import pytest
from django.core import mail
from django.db import close_old_connections, connection

from accounts.models import IdSequence, TemporaryStudentId, User
from core.errors import DomainError, InvalidTransition, RateLimited
from creditexchange import services
from creditexchange.models import TemporaryIdApplication
from creditexchange.tasks import issue_temporary_ids_task
from tests.factories import ApplicationFactory, TermFactory

Status = TemporaryIdApplication.Status


def test_it_issues_a_new_id_and_an_inactive_password(approved_application, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        application = services.temporary_id_issue(application_id=approved_application.pk)

    assert application.status == Status.ISSUED
    assert application.temporary_id.student_id == "T202700001"
    user = application.temporary_id.user
    assert user.username == "T202700001"
    assert not user.has_usable_password()
    assert (user.email, user.phone) == (approved_application.email, approved_application.phone)
    assert application.events.get().changes == {"student_id": "T202700001"}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [approved_application.email]
    assert not application.returning


def test_it_never_issues_twice(approved_application):
    services.temporary_id_issue(application_id=approved_application.pk)
    with pytest.raises(InvalidTransition):
        services.temporary_id_issue(application_id=approved_application.pk)
    assert TemporaryStudentId.objects.count() == 1


def test_a_confirmed_application_cannot_be_issued(confirmed_application):
    with pytest.raises(InvalidTransition, match="Only approved"):
        services.temporary_id_issue(application_id=confirmed_application.pk)


def test_the_id_format_is_configurable(approved_application, settings):
    settings.TEMP_ID_FORMAT = "X{year}-{seq:04d}"
    application = services.temporary_id_issue(application_id=approved_application.pk)
    assert application.temporary_id.student_id == "X2027-0001"


def test_numbers_are_never_reused_after_a_deletion(open_term, partner, registrar):
    first = ApplicationFactory(term=open_term, partner=partner, status=Status.APPROVED)
    services.temporary_id_issue(application_id=first.pk)
    TemporaryIdApplication.objects.filter(pk=first.pk).delete()
    TemporaryStudentId.objects.all().delete()
    second = ApplicationFactory(term=open_term, partner=partner, status=Status.APPROVED)

    assert services.temporary_id_issue(application_id=second.pk).temporary_id.student_id == "T202700002"
    assert IdSequence.objects.get(year=2027).last_value == 2


def test_a_returning_student_keeps_id_password_and_contact_data(partner, open_term, django_capture_on_commit_callbacks):
    earlier_term = TermFactory(year=2026, season="fall")
    earlier = ApplicationFactory(term=earlier_term, partner=partner, home_student_number="20230001",
                                 email="first@partner.example", phone="010-1111-1111", status=Status.APPROVED)
    identity = services.temporary_id_issue(application_id=earlier.pk).temporary_id
    user = identity.user
    user.set_password("my-old-password-1")
    user.save()

    again = ApplicationFactory(term=open_term, partner=partner, home_student_number="20230001",
                               email="typed-new@partner.example", phone="010-9999-9999", status=Status.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.temporary_id_issue(application_id=again.pk)

    user.refresh_from_db()
    assert issued.temporary_id == identity
    assert issued.returning
    assert user.check_password("my-old-password-1")
    assert (user.email, user.phone) == ("first@partner.example", "010-1111-1111")
    assert mail.outbox[-1].to == ["first@partner.example"]
    assert User.objects.filter(temporary_id__isnull=False).count() == 1


def test_the_batch_issues_every_approved_application(open_term, partner):
    approved = ApplicationFactory.create_batch(3, term=open_term, partner=partner, status=Status.APPROVED)
    waiting = ApplicationFactory(term=open_term, partner=partner, status=Status.CONFIRMED)

    assert issue_temporary_ids_task() == 3

    assert TemporaryIdApplication.objects.filter(pk__in=[a.pk for a in approved], status=Status.ISSUED).count() == 3
    waiting.refresh_from_db()
    assert waiting.status == Status.CONFIRMED
    assert issue_temporary_ids_task() == 0


def test_the_issue_command_reports_its_work(open_term, partner):
    from io import StringIO

    from django.core.management import call_command

    ApplicationFactory.create_batch(2, term=open_term, partner=partner, status=Status.APPROVED)
    out = StringIO()
    call_command("issue_temporary_ids", stdout=out)
    assert "issued=2" in out.getvalue()


def _run_in_threads(count: int, target) -> list:
    barrier = threading.Barrier(count)
    errors: list = []

    def worker():
        try:
            barrier.wait()
            target()
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_batches_at_once_issue_each_application_once_without_duplicate_ids():
    from tests.factories import InstitutionFactory, TermWindowFactory

    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term)
    partners = InstitutionFactory.create_batch(2)
    for index in range(40):
        ApplicationFactory(term=term, partner=partners[index % 2], status=Status.APPROVED)

    errors = _run_in_threads(2, services.temporary_id_issue_batch)

    assert errors == []
    ids = list(TemporaryStudentId.objects.values_list("student_id", flat=True))
    assert len(ids) == 40 == len(set(ids))
    assert TemporaryIdApplication.objects.filter(status=Status.ISSUED).count() == 40
    assert IdSequence.objects.get(year=2027).last_value == 40
    # Each application has exactly one issuance event: no batch issued anything twice.
    from creditexchange.models import ApplicationEvent

    assert ApplicationEvent.objects.filter(to_status=Status.ISSUED).count() == 40


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_student_submitting_twice_at_once_gets_one_row():
    from tests.factories import InstitutionFactory, TermWindowFactory

    term = TermFactory(year=2027, season="spring")
    TermWindowFactory(term=term)
    partner = InstitutionFactory()
    data = {
        "term": term, "partner": partner, "home_student_number": "20249999", "name_ko": "", "name_latin": "RACE",
        "date_of_birth": date(2003, 1, 1), "email": "race@p.example", "phone": "010-1234-5678",
        "home_department": "CS", "degree_level": "bachelor", "consent": True, "language": "en",
    }
    errors = _run_in_threads(6, lambda: services.application_submit(**data))

    assert TemporaryIdApplication.objects.count() == 1
    assert len(errors) == 5
    assert all(type(e).__name__ == "DuplicateApplication" for e in errors)


class TestLookup:
    def test_it_says_the_same_for_a_wrong_birth_date_and_an_unknown_number(self, submitted_application):
        with pytest.raises(DomainError) as wrong_birth:
            services.application_lookup(partner=submitted_application.partner, home_student_number=submitted_application.home_student_number,
                                        date_of_birth=date(1999, 1, 1), client_key="a")
        with pytest.raises(DomainError) as unknown:
            services.application_lookup(partner=submitted_application.partner, home_student_number="00000000",
                                        date_of_birth=submitted_application.date_of_birth, client_key="a")
        assert str(wrong_birth.value.message) == str(unknown.value.message)

    def test_it_mails_one_set_password_link_for_a_new_account(self, approved_application, django_capture_on_commit_callbacks):
        services.temporary_id_issue(application_id=approved_application.pk)
        args = {"partner": approved_application.partner, "home_student_number": approved_application.home_student_number,
                "date_of_birth": approved_application.date_of_birth, "client_key": "b"}
        with django_capture_on_commit_callbacks(execute=True):
            first = services.application_lookup(**args)
            second = services.application_lookup(**args)

        assert first.password_mail_sent and not second.password_mail_sent
        password_mails = [m for m in mail.outbox if "/accounts/set-password/" in m.body]
        assert len(password_mails) == 1
        assert password_mails[0].to == [approved_application.email]
        assert first.masked_email.endswith("@partner.example") and approved_application.email not in first.masked_email

    def test_a_returning_account_with_a_password_gets_no_mail_unless_asked(self, approved_application, django_capture_on_commit_callbacks):
        user = services.temporary_id_issue(application_id=approved_application.pk).temporary_id.user
        user.set_password("already-set-1234")
        user.save()
        args = {"partner": approved_application.partner, "home_student_number": approved_application.home_student_number,
                "date_of_birth": approved_application.date_of_birth, "client_key": "c"}
        with django_capture_on_commit_callbacks(execute=True):
            result = services.application_lookup(**args)
            assert not result.needs_password and not result.password_mail_sent
            asked = services.application_lookup(**args, send_password_link=True)
        assert asked.password_mail_sent
        assert sum("/accounts/set-password/" in m.body for m in mail.outbox) == 1

    def test_lookups_are_rate_limited_per_client(self, submitted_application, settings):
        settings.LOOKUP_RATE_LIMIT = 3
        args = {"partner": submitted_application.partner, "home_student_number": submitted_application.home_student_number,
                "date_of_birth": submitted_application.date_of_birth}
        for _ in range(3):
            services.application_lookup(**args, client_key="10.0.0.1")
        with pytest.raises(RateLimited):
            services.application_lookup(**args, client_key="10.0.0.1")
        assert services.application_lookup(**args, client_key="10.0.0.2").application == submitted_application
